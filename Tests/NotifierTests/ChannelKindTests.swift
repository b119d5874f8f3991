// ChannelKindTests: every channel kind is one closed set (ChannelSettings). A config with one channel of each
// kind lists each in configuredChannels, in channelNames' order, and the notifier's dispatcher builds for each
// the channel ChannelSettings.channel builds — so a kind kept by hand somewhere else fails here.

import Foundation
import Shared
import TestSupport
import Testing

@testable import notifier

@Suite("Channel kinds as one closed set")
struct ChannelKindTests {
    /// One channel of every kind, two of one kind, and a route (so the dispatcher adds its `unrouted` console).
    private func config() throws -> Config {
        let dir = TemporaryDirectory("channel-kinds")
        try dir.write(
            "config.yaml",
            """
            notify:
              wecom: {name: team-wecom, webhook_url: "http://127.0.0.1:9/cgi-bin/webhook/send?key=k3y-0001"}
              dingtalk:
                - {name: ding-1, webhook_url: "http://127.0.0.1:9/robot/send?access_token=t0ken-0001"}
                - {name: ding-2, webhook_url: "http://127.0.0.1:9/robot/send?access_token=t0ken-0002", secret: SECabc}
              feishu: {name: lark, webhook_url: "http://127.0.0.1:9/open-apis/bot/v2/hook/abcdefgh-1234"}
              slack: {name: slack, webhook_url: "http://127.0.0.1:9/services/T000/B000/abcdefgh1234"}
              email: {name: mail, url: "smtp://127.0.0.1:9", from: vigil@example.org, to: [ops@example.org]}
              webhooks:
                - {name: hook, url: "http://127.0.0.1:9/hook"}
              routes:
                - {match: {services: [pay]}, channels: [ding-2]}
            """)
        return try ConfigLoader.load(path: dir.url("config.yaml"), environment: [:])
    }

    @Test("configuredChannels lists every channel of every kind, in channelNames' order")
    func everyKindListed() throws {
        let notify = try config().notify
        #expect(notify.configuredChannels.map(\.name) == notify.channelNames)
        #expect(notify.configuredChannels.map(\.name) == ["team-wecom", "ding-1", "ding-2", "lark", "slack", "mail", "hook"])
        #expect(Set(notify.configuredChannels.map(\.kind)).count == ChannelKind.allCases.count, "one channel of each kind")
    }

    @Test("the dispatcher builds, for each configured channel, the channel of its kind")
    func dispatcherHandlesEveryKind() throws {
        let config = try config()
        let built = Dispatcher.makeChannels(config)
        let client = HTTPClient(settings: config.notify.http)
        #expect(Set(built.keys) == Set(config.notify.channelNames + [Routing.unrouted]))
        for settings in config.notify.configuredChannels {
            let channel = try #require(built[settings.name], "\(settings.name)")
            let expected = settings.channel(client: client, notify: config.notify)
            #expect(type(of: channel) == type(of: expected), "\(settings.name): \(type(of: channel)), not \(type(of: expected))")
            #expect(channel.name == settings.name && channel.reachesTeam)
        }
    }
}
