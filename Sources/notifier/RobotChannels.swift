// RobotChannels: DingTalk and Feishu/Lark group robots and Slack incoming webhooks, each a peer of the WeCom
// robot: its own message within the receiver's documented limits, its own success rule (errcode 0, code 0,
// "ok"), its own rate limit paced and its throttling code deferred, its bad-key and bad-signature codes
// treated as a misconfigured channel, its content errors refused for good. Signed webhooks carry a timestamp
// and an HMAC-SHA256 signature of it.

import Foundation
import Shared

/// What one robot answer means, from its JSON code.
struct RobotAnswer {
    /// Codes that mean "slow down": wait a minute.
    let throttled: Set<Int>
    /// Codes that mean "this robot is wrong" (key, signature, IP allow-list, keywords, disabled).
    let misconfigured: Set<Int>
    /// Codes that mean "this message is wrong".
    let refused: Set<Int>

    func classify(code: Int, message: String, channel: String, partsSent: Int) -> AttemptResult {
        let text = "\(channel) code \(code): \(Redactor.redact(message))"
        if code == 0 { return .delivered(partsSent: partsSent + 1) }
        if throttled.contains(code) { return .retryLater(text + " (rate limited)", partsSent: partsSent, retryAfter: 60) }
        if misconfigured.contains(code) { return .misconfigured(text, partsSent: partsSent) }
        if refused.contains(code) { return .refused(text) }
        return .retryLater(text, partsSent: partsSent, retryAfter: nil)
    }
}

/// Sends one JSON message to a robot and reads its JSON answer.
struct RobotPost {
    let client: HTTPClient
    let timeout: TimeInterval
    let limiter: RateLimiter

    /// `code`: the answer's code field path(s), first found wins; `message`: its text.
    func send(
        _ body: String, to url: String, channel: String, codeFields: [String], messageField: String, answer: RobotAnswer,
        stop: @escaping @Sendable () -> Bool
    ) async -> AttemptResult {
        guard URL(string: url)?.host != nil else { return .misconfigured("invalid webhook URL", partsSent: 0) }
        guard await limiter.acquire(stop: stop) else { return .retryLater("stopping", partsSent: 0, retryAfter: 0) }
        let request = OutgoingRequest(
            method: "POST", url: url, headers: ["Content-Type": "application/json; charset=utf-8", "User-Agent": "Vigil/1 (notifier)"],
            body: Array(body.utf8))
        let response: HTTPResponse
        switch await client.send(request, timeout: timeout) {
        case let .failure(failure): return .retryLater(failure.description, partsSent: 0, retryAfter: nil)
        case let .success(r): response = r
        }
        // A robot may answer an error with HTTP 400 and its code in the body: the code says more than the status.
        let json = (try? JSONDocument.parse(String(decoding: response.body, as: UTF8.self))).map(JSONValue.init(node:))
        if let code = codeFields.lazy.compactMap({ json?.value(at: $0)?.text.flatMap(Int.init) }).first {
            return answer.classify(code: code, message: json?.value(at: messageField)?.text ?? "", channel: channel, partsSent: 0)
        }
        guard (200..<300).contains(response.status) else {
            return HTTPVerdict.classify(status: response.status, body: response.body, retryAfter: response.headers["Retry-After"], partsSent: 0)
        }
        return .retryLater(
            "unexpected answer (no \(codeFields[0])): \(Redactor.redact(String(decoding: response.body.prefix(120), as: UTF8.self)))",
            partsSent: 0, retryAfter: nil)
    }
}

/// Whether an alert pages people: not for recoveries alone, and on a re-send only when asked.
private func pages(_ alert: Alert, _ replay: ReplayMark?) -> Bool {
    alert.severity != .resolved && (replay?.mention ?? true)
}

/// A DingTalk (钉钉) group robot: one markdown message; mentions in `at` and, as the API requires, in the text.
struct DingTalkChannel: Channel {
    let settings: DingTalkSettings
    let post: RobotPost
    var style = MessageStyle()
    var name: String { settings.name }
    let reachesTeam = true

    /// DingTalk's limit on a message's text, in bytes.
    static let textLimit = 20_000
    static let answer = RobotAnswer(
        throttled: [130_101, 410_100],
        misconfigured: [300_001, 310_000, 400_013, 400_101, 400_102, 400_106],
        refused: [400_105, 430_101, 430_102, 430_103, 430_104])

    func message(for alert: Alert, replay: ReplayMark?) -> String {
        var now = style
        now.now = Date()
        now.replay = replay
        let mention = pages(alert, replay)
        let ats = mention ? settings.atMobiles.map { "@" + $0 } + settings.atUserIds.map { "@" + $0 } : []
        let text = ChatComposer(flavor: .dingtalk, style: now).compose(alert, mentions: ats.joined(separator: " "), limit: Self.textLimit)
        let body = JSONValue.object([
            .init(key: "msgtype", value: .string("markdown")),
            .init(
                key: "markdown",
                value: .object([
                    .init(key: "title", value: .string(ChatComposer.cut("\(alert.tone.emoji) Vigil: \(alert.headline)", to: 60))),
                    .init(key: "text", value: .string(text)),
                ])),
            .init(
                key: "at",
                value: .object([
                    .init(key: "atMobiles", value: .array(mention ? settings.atMobiles.map { .string($0) } : [])),
                    .init(key: "atUserIds", value: .array(mention ? settings.atUserIds.map { .string($0) } : [])),
                    .init(key: "isAtAll", value: .bool(mention && settings.atAll)),
                ])),
        ])
        return body.serialized()
    }

    /// The webhook URL, signed when the robot has a secret: `&timestamp=<ms>&sign=<Base64(HMAC-SHA256(secret,
    /// "<ms>\n<secret>"))>`, URL-encoded.
    static func signedURL(_ url: String, secret: String?, now: Date) -> String {
        guard let secret else { return url }
        let timestamp = String(Int64((now.timeIntervalSince1970 * 1000).rounded(.down)))
        let sign = HMACSHA256.base64("\(timestamp)\n\(secret)", key: secret)
        return url + (url.contains("?") ? "&" : "?") + "timestamp=\(timestamp)&sign=\(QueryEncoding.encode(sign))"
    }

    func deliver(_ alert: Alert, fromPart part: Int, replay: ReplayMark?, stop: @escaping @Sendable () -> Bool) async -> AttemptResult {
        await post.send(
            message(for: alert, replay: replay), to: Self.signedURL(settings.webhookURL, secret: settings.secret, now: Date()),
            channel: "DingTalk", codeFields: ["errcode"], messageField: "errmsg", answer: Self.answer, stop: stop)
    }
}

/// A Feishu / Lark (飞书) group robot: one interactive card whose header carries the headline in the alert's colour.
struct FeishuChannel: Channel {
    let settings: FeishuSettings
    let post: RobotPost
    var style = MessageStyle()
    var name: String { settings.name }
    let reachesTeam = true

    /// Feishu refuses request bodies over 20 KB.
    static let bodyLimit = 20 * 1024
    static let answer = RobotAnswer(throttled: [11_232], misconfigured: [19_021, 19_022, 19_024, 19_001], refused: [9_499, 11_246])

    func message(for alert: Alert, replay: ReplayMark?, now: Date = Date()) -> String {
        var clock = style
        clock.now = now
        clock.replay = replay
        let mention = pages(alert, replay)
        let ats = mention ? (settings.atAll ? ["<at id=all></at>"] : []) + settings.atUserIds.map { "<at id=\($0)></at>" } : []
        // The card is JSON inside JSON: compose, measure the whole body, and shrink the budget until it fits.
        var budget = Self.bodyLimit - 1024
        while true {
            let content = ChatComposer(flavor: .lark, style: clock).compose(alert, mentions: ats.joined(separator: " "), limit: budget)
            var members: [JSONValue.Member] = []
            if let secret = settings.secret {
                let timestamp = String(Int64(now.timeIntervalSince1970))
                members.append(.init(key: "timestamp", value: .string(timestamp)))
                members.append(.init(key: "sign", value: .string(HMACSHA256.base64("", key: "\(timestamp)\n\(secret)"))))
            }
            members += [
                .init(key: "msg_type", value: .string("interactive")),
                .init(
                    key: "card",
                    value: .object([
                        .init(key: "config", value: .object([.init(key: "wide_screen_mode", value: .bool(true))])),
                        .init(
                            key: "header",
                            value: .object([
                                .init(
                                    key: "title",
                                    value: .object([
                                        .init(key: "tag", value: .string("plain_text")),
                                        .init(
                                            key: "content", value: .string(ChatComposer.cut("\(alert.tone.emoji) Vigil: \(alert.headline)", to: 120))),
                                    ])),
                                .init(key: "template", value: .string(alert.tone == .red ? "red" : alert.tone == .orange ? "orange" : "green")),
                            ])),
                        .init(
                            key: "elements",
                            value: .array([
                                .object([
                                    .init(key: "tag", value: .string("div")),
                                    .init(
                                        key: "text",
                                        value: .object([.init(key: "tag", value: .string("lark_md")), .init(key: "content", value: .string(content))])
                                    ),
                                ])
                            ])),
                    ])),
            ]
            let body = JSONValue.object(members).serialized()
            if body.utf8.count <= Self.bodyLimit || budget < 1024 { return body }
            budget = budget * 3 / 4
        }
    }

    func deliver(_ alert: Alert, fromPart part: Int, replay: ReplayMark?, stop: @escaping @Sendable () -> Bool) async -> AttemptResult {
        await post.send(
            message(for: alert, replay: replay), to: settings.webhookURL, channel: "Feishu", codeFields: ["code", "StatusCode"],
            messageField: "msg", answer: Self.answer, stop: stop)
    }
}

/// A Slack incoming webhook: a header block with the headline and one mrkdwn section (Slack: 150 characters
/// for a header, 3 000 for a section's text).
struct SlackChannel: Channel {
    let settings: SlackSettings
    let client: HTTPClient
    let timeout: TimeInterval
    let limiter: RateLimiter
    var style = MessageStyle()
    var name: String { settings.name }
    let reachesTeam = true

    static let headerLimit = 150
    /// Bytes bound characters: 2 900 bytes are at most 2 900 characters, under the 3 000 of a section.
    static let sectionLimit = 2_900

    func message(for alert: Alert, replay: ReplayMark?) -> String {
        var now = style
        now.now = Date()
        now.replay = replay
        let title = ChatComposer.cut("\(alert.tone.emoji) Vigil: \(alert.headline)", to: Self.headerLimit)
        let text = ChatComposer(flavor: .slack, style: now).compose(alert, mentions: "", limit: Self.sectionLimit)
        return JSONValue.object([
            .init(key: "text", value: .string(title)),
            .init(
                key: "blocks",
                value: .array([
                    .object([
                        .init(key: "type", value: .string("header")),
                        .init(
                            key: "text",
                            value: .object([.init(key: "type", value: .string("plain_text")), .init(key: "text", value: .string(title))])),
                    ]),
                    .object([
                        .init(key: "type", value: .string("section")),
                        .init(key: "text", value: .object([.init(key: "type", value: .string("mrkdwn")), .init(key: "text", value: .string(text))])),
                    ]),
                ])),
        ]).serialized()
    }

    func deliver(_ alert: Alert, fromPart part: Int, replay: ReplayMark?, stop: @escaping @Sendable () -> Bool) async -> AttemptResult {
        guard URL(string: settings.webhookURL)?.host != nil else { return .misconfigured("invalid webhook URL", partsSent: 0) }
        guard await limiter.acquire(stop: stop) else { return .retryLater("stopping", partsSent: 0, retryAfter: 0) }
        let request = OutgoingRequest(
            method: "POST", url: settings.webhookURL, headers: ["Content-Type": "application/json", "User-Agent": "Vigil/1 (notifier)"],
            body: Array(message(for: alert, replay: replay).utf8))
        switch await client.send(request, timeout: timeout) {
        case let .failure(failure): return .retryLater(failure.description, partsSent: 0, retryAfter: nil)
        case let .success(response):
            // Slack answers "ok"; errors are statuses with a word (invalid_payload, no_service, rate_limited).
            return HTTPVerdict.classify(status: response.status, body: response.body, retryAfter: response.headers["Retry-After"], partsSent: 0)
        }
    }
}
