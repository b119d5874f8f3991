// WeComChannel: a WeCom (企业微信) group robot. An alert is one markdown message (≤ 4 096 bytes) and, when
// people must be paged by phone number or everyone (`@all`), a follow-up text message carrying
// mentioned_list / mentioned_mobile_list, which markdown cannot carry. An answer counts as accepted only with
// errcode 0; 45009 (rate limit) waits, 93000 (invalid webhook URL) is a config problem, content errors are
// refused for good. Sends are paced to the robot's 20 messages a minute.

import Foundation
import Shared

struct WeComChannel: Channel {
    let settings: WeComSettings
    let client: HTTPClient
    let timeout: TimeInterval
    let limiter: RateLimiter
    var style = MessageStyle()
    var name: String { settings.name }
    let reachesTeam = true

    /// errcodes that mean "this message is wrong" (type, parameters, empty or too long content).
    static let contentErrors: Set<Int> = [40008, 40058, 44004, 45002, 40003]
    /// errcodes that mean "this robot is wrong".
    static let configErrors: Set<Int> = [93000, 93004, 93008, 40014, 42001]

    /// The messages of an alert, in order.
    func messages(for alert: Alert, replay: ReplayMark? = nil) -> [String] {
        let mention = alert.severity != .resolved && (replay?.mention ?? true)
        var now = style
        now.now = Date()
        now.replay = replay
        var parts = [WeComRenderer.markdownMessage(alert, mentionedList: mention ? settings.mentionedList : [], style: now)]
        let needsText = mention && (!settings.mentionedMobileList.isEmpty || settings.mentionedList.contains("@all"))
        if needsText {
            parts.append(
                WeComRenderer.mentionMessage(
                    alert, mentionedList: settings.mentionedList,
                    mentionedMobileList: settings.mentionedMobileList))
        }
        return parts
    }

    func deliver(_ alert: Alert, fromPart part: Int, replay: ReplayMark?, stop: @escaping @Sendable () -> Bool) async -> AttemptResult {
        guard URL(string: settings.webhookURL)?.host != nil else { return .misconfigured("invalid webhook URL", partsSent: part) }
        let parts = messages(for: alert, replay: replay)
        var sent = part
        while sent < parts.count {
            guard await limiter.acquire(stop: stop) else { return .retryLater("stopping", partsSent: sent, retryAfter: 0) }
            let request = OutgoingRequest(
                method: "POST", url: settings.webhookURL,
                headers: ["Content-Type": "application/json", "User-Agent": "Vigil/1 (notifier)"],
                body: Array(parts[sent].utf8))
            let response: HTTPResponse
            switch await client.send(request, timeout: timeout) {
            case let .failure(failure): return .retryLater(failure.description, partsSent: sent, retryAfter: nil)
            case let .success(r): response = r
            }
            guard (200..<300).contains(response.status) else {
                return HTTPVerdict.classify(
                    status: response.status, body: response.body, retryAfter: response.headers["Retry-After"],
                    partsSent: sent)
            }
            let answer = (try? JSONDocument.parse(String(decoding: response.body, as: UTF8.self))).map(JSONValue.init(node:))
            guard let code = answer?.value(at: "errcode")?.text.flatMap(Int.init) else {
                return .retryLater(
                    "unexpected answer (no errcode): \(String(decoding: response.body.prefix(120), as: UTF8.self))",
                    partsSent: sent, retryAfter: nil)
            }
            let message = Redactor.redact(answer?.value(at: "errmsg")?.text ?? "")
            switch code {
            case 0: sent += 1
            case 45009: return .retryLater("errcode 45009 (rate limited by WeCom): \(message)", partsSent: sent, retryAfter: 60)
            case _ where Self.configErrors.contains(code):
                return .misconfigured("errcode \(code): \(message) — check notify.wecom.webhook_url", partsSent: sent)
            case _ where Self.contentErrors.contains(code):
                return .refused("errcode \(code): \(message)")
            default: return .retryLater("errcode \(code): \(message)", partsSent: sent, retryAfter: nil)
            }
        }
        return .delivered(partsSent: sent)
    }
}

/// Paces sends to `perMinute` in any 60-second window.
actor RateLimiter {
    private let perMinute: Int
    /// Who is paced and by which setting, for the log line ("wecom", "wecom_per_minute").
    private let label: String
    private let setting: String
    private var sent: [Date] = []

    init(perMinute: Int, label: String = "wecom", setting: String = "wecom_per_minute") {
        self.perMinute = perMinute
        self.label = label
        self.setting = setting
    }

    /// Takes a slot at `now` (nil), or says how long until one frees up.
    func reserve(now: Date) -> TimeInterval? {
        sent.removeAll { now.timeIntervalSince($0) >= 60 }
        guard sent.count >= perMinute else {
            sent.append(now)
            return nil
        }
        return 60 - now.timeIntervalSince(sent[0])
    }

    /// Waits for a free slot; false if `stop` became true while waiting. A wait is logged once.
    func acquire(stop: @Sendable () -> Bool) async -> Bool {
        var logged = false
        while let wait = reserve(now: Date()) {
            if stop() { return false }
            if !logged {
                Log.info("\(label): \(perMinute) message(s) sent in the last minute (\(setting)); the next waits \(Int(wait.rounded(.up))) s")
                logged = true
            }
            // Short naps so a stop is noticed within a second.
            try? await Task.sleep(nanoseconds: UInt64(min(1, max(0.05, wait)) * 1e9))
        }
        return true
    }
}
