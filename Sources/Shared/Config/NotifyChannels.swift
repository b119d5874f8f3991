// NotifyChannels: the chat tools besides WeCom (DingTalk and Feishu/Lark group robots, Slack incoming
// webhooks), templated webhooks, and routes that send each alert's interfaces to the channels of the team
// that owns them. Read from `notify:`; every webhook URL, secret and key is remembered as a secret. Every
// channel of every kind as one closed set: ChannelSettings.

import Foundation

/// A DingTalk (钉钉) group robot.
public struct DingTalkSettings: Sendable, Equatable {
    public var name: String
    public var webhookURL: String
    /// The robot's signing secret (`SEC…`): requests carry `timestamp` and `sign`.
    public var secret: String?
    public var atMobiles: [String] = []
    public var atUserIds: [String] = []
    public var atAll = false
    /// DingTalk accepts 20 messages a minute per robot.
    public var perMinute = 20
}

/// A Feishu / Lark (飞书) group robot.
public struct FeishuSettings: Sendable, Equatable {
    public var name: String
    public var webhookURL: String
    public var secret: String?
    /// open_ids (`ou_…`) to mention in the card.
    public var atUserIds: [String] = []
    public var atAll = false
    /// Feishu accepts 100 messages a minute per robot.
    public var perMinute = 100
}

/// A Slack incoming webhook.
public struct SlackSettings: Sendable, Equatable {
    public var name: String
    public var webhookURL: String
    /// Slack allows about one message a second per webhook.
    public var perMinute = 60
}

/// E-mail over SMTP: the headline as the subject, the report as the body.
public struct EmailSettings: Sendable, Equatable {
    public var name: String
    /// smtp://host:port (STARTTLS) or smtps://host:port.
    public var url: String
    public var from: String
    public var to: [String]
    public var username: String?
    public var password: String?
    /// On smtp://, refuse to send in clear text when the server offers no STARTTLS.
    public var startTLS = true
    public var caFile: String?
}

/// The kinds of channel the notifier delivers to: a closed set. `NotifySettings.configuredChannels` switches
/// over it, so a kind added here does not compile until its settings are listed there.
public enum ChannelKind: Sendable, CaseIterable {
    case wecom, dingtalk, feishu, slack, email, webhook
}

/// One configured channel and its settings. Every place that acts on a channel's kind (check's summary, the
/// notifier's channel for it) switches over this enum: a new kind is a compile error until each handles it.
public enum ChannelSettings: Sendable, Equatable {
    case wecom(WeComSettings)
    case dingtalk(DingTalkSettings)
    case feishu(FeishuSettings)
    case slack(SlackSettings)
    case email(EmailSettings)
    case webhook(WebhookSettings)

    /// The channel's name, unique among the channels (routes and default_channels name it).
    public var name: String {
        switch self {
        case let .wecom(s): s.name
        case let .dingtalk(s): s.name
        case let .feishu(s): s.name
        case let .slack(s): s.name
        case let .email(s): s.name
        case let .webhook(s): s.name
        }
    }

    public var kind: ChannelKind {
        switch self {
        case .wecom: .wecom
        case .dingtalk: .dingtalk
        case .feishu: .feishu
        case .slack: .slack
        case .email: .email
        case .webhook: .webhook
        }
    }
}

/// Where the parts of an alert go: the first routes that match an interface (and every later one while they
/// say `continue`) name its channels.
public struct Route: Sendable, Equatable {
    /// Empty: any.
    public var services: [String] = []
    public var severities: [Severity] = []
    public var outcomes: [Outcome] = []
    public var kinds: [FailureKind] = []
    public var channels: [String]
    public var continues = false
    /// Where it is written (`config.yaml:42`), for `check`.
    public var source: String

    /// Whether `transition` of an alert of `severity` belongs to this route.
    public func matches(_ transition: Transition, severity: Severity) -> Bool {
        (services.isEmpty || services.contains(transition.service))
            && (severities.isEmpty || severities.contains(severity))
            && (outcomes.isEmpty || outcomes.contains(transition.outcome) || transition.previousOutcome.map(outcomes.contains) == true)
            && (kinds.isEmpty || (transition.outcome.kind ?? transition.previousOutcome?.kind).map(kinds.contains) == true)
    }
}

extension NotifySettings {
    /// Every channel configured, by kind in the order of `channelNames` (WeCom, DingTalk, Feishu, Slack, e-mail,
    /// webhooks), each kind in the order written.
    public var configuredChannels: [ChannelSettings] {
        ChannelKind.allCases.flatMap { kind -> [ChannelSettings] in
            switch kind {
            case .wecom: wecom.map(ChannelSettings.wecom)
            case .dingtalk: dingtalk.map(ChannelSettings.dingtalk)
            case .feishu: feishu.map(ChannelSettings.feishu)
            case .slack: slack.map(ChannelSettings.slack)
            case .email: email.map(ChannelSettings.email)
            case .webhook: webhooks.map(ChannelSettings.webhook)
            }
        }
    }

    /// The default channels: notify.default_channels, else those no route names (among `channels`).
    public func defaultChannels(among channels: [String]) -> [String] {
        if let named = defaultChannels { return named.filter(channels.contains) }
        let routed = Set(routes.flatMap(\.channels))
        return channels.filter { !routed.contains($0) }
    }

    /// The channels `transition` of an alert of `severity` goes to: those of the first matching route, and of
    /// later matching ones while the matched ones say `continue`; `defaults` when none matches.
    public func channels(of transition: Transition, severity: Severity, defaults: [String]) -> [String] {
        var out: [String] = []
        for route in routes where route.matches(transition, severity: severity) {
            out += route.channels.filter { !out.contains($0) }
            if !route.continues { return out }
        }
        return out.isEmpty ? defaults : out
    }
}

enum NotifyChannelsReader {
    static func read(_ f: Fields, _ reader: ConfigReader, into notify: inout NotifySettings) {
        for (i, node) in list(f.node("dingtalk")).enumerated() {
            let path = "notify.dingtalk" + (f.node("dingtalk")?.items == nil ? "" : "[\(i)]")
            guard let r = reader.fields(node, path: path) else { continue }
            let name = r.string("name") ?? (i == 0 ? "dingtalk" : "dingtalk-\(i + 1)")
            let secret = r.string("secret")
            var robot = DingTalkSettings(name: name, webhookURL: "", secret: secret?.isEmpty == true ? nil : secret)
            robot.atMobiles = r.strings("at_mobiles") ?? []
            robot.atUserIds = r.strings("at_user_ids") ?? []
            robot.atAll = r.bool("at_all") ?? false
            robot.perMinute = r.int("per_minute", range: 1...1000) ?? robot.perMinute
            if let url = webhookURL(r, reader, path: path) {
                robot.webhookURL = url
                notify.dingtalk.append(robot)
            }
            r.finish()
        }
        for (i, node) in list(f.node("feishu")).enumerated() {
            let path = "notify.feishu" + (f.node("feishu")?.items == nil ? "" : "[\(i)]")
            guard let r = reader.fields(node, path: path) else { continue }
            let name = r.string("name") ?? (i == 0 ? "feishu" : "feishu-\(i + 1)")
            let secret = r.string("secret")
            var robot = FeishuSettings(name: name, webhookURL: "", secret: secret?.isEmpty == true ? nil : secret)
            robot.atUserIds = r.strings("at_user_ids") ?? []
            robot.atAll = r.bool("at_all") ?? false
            robot.perMinute = r.int("per_minute", range: 1...1000) ?? robot.perMinute
            if let url = webhookURL(r, reader, path: path) {
                robot.webhookURL = url
                notify.feishu.append(robot)
            }
            r.finish()
        }
        for (i, node) in list(f.node("slack")).enumerated() {
            let path = "notify.slack" + (f.node("slack")?.items == nil ? "" : "[\(i)]")
            guard let r = reader.fields(node, path: path) else { continue }
            let name = r.string("name") ?? (i == 0 ? "slack" : "slack-\(i + 1)")
            var hook = SlackSettings(name: name, webhookURL: "")
            hook.perMinute = r.int("per_minute", range: 1...1000) ?? hook.perMinute
            if let url = webhookURL(r, reader, path: path) {
                hook.webhookURL = url
                notify.slack.append(hook)
            }
            r.finish()
        }
    }

    static func readEmail(_ f: Fields, _ reader: ConfigReader, directory: String, into notify: inout NotifySettings) {
        for (i, node) in list(f.node("email")).enumerated() {
            let path = "notify.email" + (f.node("email")?.items == nil ? "" : "[\(i)]")
            guard let r = reader.fields(node, path: path) else { continue }
            let name = r.string("name") ?? (i == 0 ? "email" : "email-\(i + 1)")
            let url = r.string("url", required: true) ?? ""
            let scheme = URL(string: url)?.scheme?.lowercased()
            if !url.isEmpty, scheme != "smtp" && scheme != "smtps" || URL(string: url)?.host == nil {
                reader.issue(r.node("url"), path + ".url", "expected smtp://host:port (STARTTLS) or smtps://host:port, found \"\(url)\"")
            }
            let from = r.string("from", required: true) ?? ""
            let to = r.strings("to") ?? []
            if to.isEmpty { reader.issue(node, path + ".to", "missing; name at least one recipient") }
            for address in [from] + to where !address.isEmpty && !address.contains("@") {
                reader.issue(node, path, "\"\(address)\" is not an e-mail address")
            }
            var email = EmailSettings(name: name, url: url, from: from, to: to)
            email.username = r.string("username")
            email.password = r.string("password")
            if let password = email.password { reader.remember(secret: password) }
            email.startTLS = r.bool("starttls") ?? true
            email.caFile = r.string("ca_file").map { Paths.resolve($0, against: directory) }
            r.finish()
            if !url.isEmpty { notify.email.append(email) }
        }
    }

    /// A robot's webhook URL (a secret: its path or query is the key). Empty (`${URL:-}`) means "not configured".
    private static func webhookURL(_ r: Fields, _ reader: ConfigReader, path: String) -> String? {
        guard let url = r.string("webhook_url", required: true), !url.isEmpty else { return nil }
        guard URLCheck.isHTTP(url) else {
            reader.issue(r.node("webhook_url"), path + ".webhook_url", "expected an http:// or https:// URL")
            return nil
        }
        reader.remember(secret: url)
        for value in URLCheck.queryValues(url) { reader.remember(secret: value) }
        // Slack and Feishu carry the key in the path: its last segment is a secret too.
        if let last = URL(string: url)?.lastPathComponent, last.count >= 8 { reader.remember(secret: last) }
        return url
    }

    /// `routes:` and `default_channels:`, checked against the channels defined.
    static func readRoutes(_ f: Fields, _ reader: ConfigReader, into notify: inout NotifySettings) {
        let channels = Set(notify.channelNames)
        func known(_ names: [String], _ node: Node?, _ path: String) -> [String] {
            for name in names where !channels.contains(name) {
                reader.issue(
                    node, path,
                    "no channel is named \"\(name)\" (channels: \(channels.sorted().joined(separator: ", ")))")
            }
            return names
        }
        if let names = f.strings("default_channels") {
            notify.defaultChannels = known(names, f.node("default_channels"), "notify.default_channels")
        }
        guard let node = f.node("routes") else { return }
        guard let items = node.items else {
            reader.issue(node, "notify.routes", "expected a list of routes such as [{match: {services: [pay]}, channels: [pay-robot]}]")
            return
        }
        for (i, item) in items.enumerated() {
            let path = "notify.routes[\(i)]"
            guard let r = reader.fields(item, path: path) else { continue }
            var route = Route(channels: [], source: "\(reader.file):\(item.line)")
            if let m = reader.fields(r.node("match"), path: path + ".match") {
                route.services = m.strings("services") ?? []
                route.severities = values(
                    m, "severity", reader, path: path + ".match", Severity.init(rawValue:), ["critical", "warning", "resolved"])
                route.outcomes = values(m, "outcomes", reader, path: path + ".match", Outcome.init(rawValue:), Outcome.allCases.map(\.rawValue))
                route.kinds = values(m, "kinds", reader, path: path + ".match", FailureKind.init(rawValue:), FailureKind.allCases.map(\.rawValue))
                m.finish()
            }
            if let names = r.strings("channels"), !names.isEmpty {
                route.channels = known(names, r.node("channels"), path + ".channels")
            } else {
                reader.issue(item, path + ".channels", "a route names at least one channel")
            }
            route.continues = r.bool("continue") ?? false
            r.finish()
            notify.routes.append(route)
        }
    }

    private static func values<T>(
        _ m: Fields, _ key: String, _ reader: ConfigReader, path: String, _ make: (String) -> T?, _ choices: [String]
    ) -> [T] {
        (m.strings(key) ?? []).compactMap { text in
            guard let value = make(text) else {
                reader.issue(m.node(key), path + "." + key, "expected one of \(choices.joined(separator: ", ")), found \"\(text)\"")
                return nil
            }
            return value
        }
    }

    private static func list(_ node: Node?) -> [Node] {
        guard let node else { return [] }
        return node.items ?? [node]
    }
}
