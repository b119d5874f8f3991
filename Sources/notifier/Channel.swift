// Channel: where an alert goes: a WeCom, DingTalk or Feishu group robot, a Slack webhook, a generic webhook
// (the record, or a template), and the console when nothing is configured. A channel answers how a delivery attempt ended, in terms the deferral
// logic acts on: delivered, try again later, the channel itself is misconfigured, or the content is refused.

import Foundation
import Shared

/// How one delivery attempt ended.
enum AttemptResult: Equatable {
    case delivered(partsSent: Int)
    /// A transient failure (network, 5xx, rate limit): retry with back-off; `retryAfter` when the peer said.
    case retryLater(String, partsSent: Int, retryAfter: TimeInterval?)
    /// The channel is wrong (invalid webhook key, 404/403): every alert would fail until an operator fixes the
    /// config, so the delivery waits at the longest back-off and the log says so loudly.
    case misconfigured(String, partsSent: Int)
    /// This message is refused for good (malformed or too large): it goes to failed/ for an operator.
    case refused(String)

    var partsSent: Int {
        switch self {
        case let .delivered(p), let .retryLater(_, p, _), let .misconfigured(_, p): p
        case .refused: 0
        }
    }
}

/// A destination for alerts.
protocol Channel: Sendable {
    var name: String { get }
    /// Whether a success means the team was told (false for the console fallback).
    var reachesTeam: Bool { get }
    /// Sends `alert`, starting at message part `part` (parts already accepted are not sent again).
    func deliver(_ alert: Alert, fromPart part: Int, replay: ReplayMark?, stop: @escaping @Sendable () -> Bool) async -> AttemptResult
}

/// A delivery replayed from sent/: marked as such, and without @mentions unless the operator asked.
struct ReplayMark: Sendable {
    let resentAt: Date
    let firstSentAt: Date?
    let mention: Bool
}

/// The console fallback: prints the rendered message on stdout.
struct ConsoleChannel: Channel {
    var name = "stdout"
    let reachesTeam = false
    var style = MessageStyle()
    /// Why it is printed instead of delivered.
    var why = "no channel configured"

    func deliver(_ alert: Alert, fromPart part: Int, replay: ReplayMark?, stop: @escaping @Sendable () -> Bool) async -> AttemptResult {
        var now = style
        now.now = Date()
        now.replay = replay
        let text = WeComRenderer.markdown(alert, mentionedList: [], style: now)
        let banner = "----- alert \(alert.id) (\(why): not delivered to anyone) -----\n"
        FileHandle.standardOutput.write(Data((banner + text + "\n").utf8))
        return .delivered(partsSent: 1)
    }
}

/// A generic webhook: the alert record is POSTed as is — or, with a `template`, the template filled with the
/// alert's fields — with `Idempotency-Key: <alert id>`.
struct WebhookChannel: Channel {
    let settings: WebhookSettings
    let client: HTTPClient
    let timeout: TimeInterval
    var style = MessageStyle()
    var name: String { settings.name }
    let reachesTeam = true

    /// The request body and its content type.
    func body(for alert: Alert) throws -> (bytes: [UInt8], contentType: String) {
        guard let template = settings.template else { return (try RecordCoding.encode(alert), "application/json") }
        return (Array(template.render(alert, report: style.reportLink(alert)).utf8), settings.contentType)
    }

    func deliver(_ alert: Alert, fromPart part: Int, replay: ReplayMark?, stop: @escaping @Sendable () -> Bool) async -> AttemptResult {
        guard URL(string: settings.url)?.host != nil else { return .misconfigured("invalid URL", partsSent: 0) }
        let body: (bytes: [UInt8], contentType: String)
        do {
            body = try self.body(for: alert)
        } catch {
            return .refused("cannot encode the alert: \(error)")
        }
        var headers = [("Content-Type", body.contentType), ("Idempotency-Key", alert.id), ("User-Agent", "Vigil/1 (notifier)")]
        for header in settings.headers.fields {
            headers.removeAll { $0.0.lowercased() == header.name.lowercased() }
            headers.append((header.name, header.value))
        }
        var request = OutgoingRequest(method: "POST", url: settings.url, headers: HeaderFields(headers))
        request.credentialHeaders = Set(settings.headers.fields.map(\.name).filter { ConfigReader.looksSecret($0) })
        request.body = body.bytes
        switch await client.send(request, timeout: timeout) {
        case let .failure(failure):
            return .retryLater(failure.description, partsSent: 0, retryAfter: nil)
        case let .success(response):
            return HTTPVerdict.classify(
                status: response.status, body: response.body, retryAfter: response.headers["Retry-After"],
                partsSent: 0)
        }
    }
}

/// What an HTTP status means for a delivery.
enum HTTPVerdict {
    static func classify(status: Int, body: [UInt8], retryAfter: String?, partsSent: Int) -> AttemptResult {
        let excerpt = Redactor.redact(String(decoding: body.prefix(200), as: UTF8.self)).flattenedToOneLine()
        switch status {
        case 200..<300: return .delivered(partsSent: partsSent + 1)
        case 401, 403, 404, 410:
            return .misconfigured(
                "HTTP \(status) \(HTTPReply.reason(status)): check the webhook URL and credentials (\(excerpt))", partsSent: partsSent)
        case 400, 413, 415, 422:
            return .refused("HTTP \(status) \(HTTPReply.reason(status)): the receiver refused this message (\(excerpt))")
        default:
            return .retryLater(
                "HTTP \(status) \(HTTPReply.reason(status))" + (excerpt.isEmpty ? "" : " (\(excerpt))"), partsSent: partsSent,
                retryAfter: retryAfter.flatMap(Double.init))
        }
    }
}

extension ChannelSettings {
    /// The channel that delivers to these settings, sharing `client`; per-robot rate limits from the settings,
    /// WeCom's from notify.wecom_per_minute. A switch over every kind: a new kind has no channel until added here.
    func channel(client: HTTPClient, notify: NotifySettings) -> any Channel {
        let style = MessageStyle(notify)
        switch self {
        case let .wecom(robot):
            return WeComChannel(
                settings: robot, client: client, timeout: notify.timeout, limiter: RateLimiter(perMinute: notify.wecomPerMinute), style: style)
        case let .dingtalk(robot):
            return DingTalkChannel(
                settings: robot, post: RobotPost(robot.name, perMinute: robot.perMinute, client: client, notify: notify), style: style)
        case let .feishu(robot):
            return FeishuChannel(
                settings: robot, post: RobotPost(robot.name, perMinute: robot.perMinute, client: client, notify: notify), style: style)
        case let .slack(hook):
            return SlackChannel(
                settings: hook, client: client, timeout: notify.timeout,
                limiter: RateLimiter(perMinute: hook.perMinute, label: hook.name, setting: "per_minute"), style: style)
        case let .email(email):
            return EmailChannel(settings: email, timeout: notify.timeout, style: style)
        case let .webhook(hook):
            return WebhookChannel(settings: hook, client: client, timeout: notify.timeout, style: style)
        }
    }
}

extension RobotPost {
    /// A robot's poster: notify.timeout, and the robot's own `per_minute`.
    init(_ name: String, perMinute: Int, client: HTTPClient, notify: NotifySettings) {
        self.init(
            client: client, timeout: notify.timeout, limiter: RateLimiter(perMinute: perMinute, label: name, setting: "per_minute"))
    }
}
