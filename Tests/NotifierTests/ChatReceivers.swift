// ChatReceivers: fake DingTalk, Feishu and Slack endpoints on the loopback test server that enforce each
// service's documented rules — the message shape, the size limit, the key, the signature and its clock window,
// the rate limit with the service's own error code — and record what they accepted, in order.

import Foundation
import Shared
import TestSupport

/// The DingTalk, Feishu and Slack receivers on one test server, recording what they accepted. Unchecked
/// Sendable: the server's threads and the test share it, and every stored `var` is read and written only while
/// holding `lock`.
final class ChatReceivers: @unchecked Sendable {
    let dingtalkToken = "ding-token-0123456789"
    let dingtalkSecret = "SEC-ding-secret-abcdef"
    let feishuKey = "feishu-hook-key-42424242"
    let feishuSecret = "feishu-sign-secret-xyz"
    let slackPath = "/services/T0001/B0002/slackkey0003"

    private let lock = NSLock()
    private var accepted: [(channel: String, body: JSONValue, raw: String)] = []
    private var refusals: [String: Int] = [:]
    /// Answers to give before accepting again: how many throttling answers each channel still owes.
    private var throttle: [String: Int] = [:]

    init(_ server: TestServer) {
        server.route("/robot/send") { [self] request in dingtalk(request) }
        server.route("/open-apis/bot/v2/hook/" + feishuKey) { [self] request in feishu(request) }
        server.route("/open-apis/bot/v2/hook/wrong-key") { _ in
            .json(200, #"{"code":19001,"msg":"param invalid: incoming webhook access token invalid"}"#)
        }
        server.route(slackPath) { [self] request in slack(request) }
        server.route("/services/T0001/B0002/revoked") { _ in .text(404, "no_service") }
    }

    /// The next `count` messages to `channel` get its throttling answer.
    func throttle(_ channel: String, _ count: Int) {
        lock.lock()
        throttle[channel] = count
        lock.unlock()
    }

    func messages(_ channel: String) -> [(body: JSONValue, raw: String)] {
        lock.lock()
        defer { lock.unlock() }
        return accepted.filter { $0.channel == channel }.map { ($0.body, $0.raw) }
    }

    /// Run ids in the messages a channel accepted, in order.
    func runs(_ channel: String) -> [String] {
        messages(channel).compactMap { message in
            message.raw.range(of: #"\d{8}T\d{6}Z-tick"#, options: .regularExpression).map { String(message.raw[$0]) }
        }
    }

    func refused(_ channel: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return refusals[channel] ?? 0
    }

    private func owesThrottle(_ channel: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let n = throttle[channel], n > 0 else { return false }
        throttle[channel] = n - 1
        refusals[channel, default: 0] += 1
        return true
    }

    private func accept(_ channel: String, _ body: JSONValue, _ raw: String) {
        lock.lock()
        accepted.append((channel, body, raw))
        lock.unlock()
    }

    private func refuse(_ channel: String, _ reply: HTTPReply) -> HTTPReply {
        lock.lock()
        refusals[channel, default: 0] += 1
        lock.unlock()
        return reply
    }

    /// DingTalk: access_token, then the signature (timestamp in ms within an hour, sign = Base64(HMAC-SHA256)), the
    /// markdown shape, 20 000 bytes of text, mentions written in the text, 130101 when throttling.
    private func dingtalk(_ request: HTTPRequest) -> HTTPReply {
        func error(_ code: Int, _ message: String) -> HTTPReply { refuse("dingtalk", .json(200, #"{"errcode":\#(code),"errmsg":"\#(message)"}"#)) }
        guard request.query["access_token"] == dingtalkToken else { return error(300_001, "token is not exist") }
        guard let timestamp = request.query["timestamp"], let ms = Double(timestamp), abs(Date().timeIntervalSince1970 * 1000 - ms) < 3_600_000,
            request.query["sign"] == HMACSHA256.base64("\(timestamp)\n\(dingtalkSecret)", key: dingtalkSecret)
        else { return error(310_000, "sign not match") }
        if owesThrottle("dingtalk") { return .json(200, #"{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}"#) }
        guard let body = try? JSONValue(node: JSONDocument.parse(request.bodyText)), body.value(at: "msgtype")?.text == "markdown",
            let title = body.value(at: "markdown.title")?.text, !title.isEmpty, let text = body.value(at: "markdown.text")?.text
        else { return error(40_035, "缺少参数 json") }
        guard text.utf8.count <= 20_000 else { return error(460_101, "message too long") }
        if case let .array(mobiles)? = body.value(at: "at.atMobiles") {
            for mobile in mobiles.compactMap(\.text) where !text.contains("@" + mobile) { return error(40_035, "@\(mobile) missing from the text") }
        }
        accept("dingtalk", body, request.bodyText)
        return .json(200, #"{"errcode":0,"errmsg":"ok"}"#)
    }

    /// Feishu: the key in the path, timestamp (seconds, within an hour) and sign in the body (HMAC-SHA256 keyed
    /// with "timestamp\nsecret" over nothing), an interactive card, 20 KB of body, 11232 when throttling.
    private func feishu(_ request: HTTPRequest) -> HTTPReply {
        func error(_ code: Int, _ message: String) -> HTTPReply { refuse("feishu", .json(200, #"{"code":\#(code),"msg":"\#(message)","data":{}}"#)) }
        guard request.body.count <= 20 * 1024 else { return error(9499, "Bad Request: request body too large") }
        guard let body = try? JSONValue(node: JSONDocument.parse(request.bodyText)) else { return error(9499, "Bad Request") }
        guard let timestamp = body.value(at: "timestamp")?.text, let seconds = Double(timestamp), abs(Date().timeIntervalSince1970 - seconds) < 3600,
            body.value(at: "sign")?.text == HMACSHA256.base64("", key: "\(timestamp)\n\(feishuSecret)")
        else { return error(19021, "sign match fail or timestamp is not within one hour from current time") }
        if owesThrottle("feishu") { return .json(200, #"{"code":11232,"msg":"frequency limited psm[lark.oapi.app_platform_runtime]appID[1]"}"#) }
        guard body.value(at: "msg_type")?.text == "interactive", body.value(at: "card.header.title.content")?.text != nil,
            body.value(at: "card.elements.0.text.content")?.text != nil
        else { return error(9499, "Bad Request") }
        accept("feishu", body, request.bodyText)
        return .json(200, #"{"code":0,"msg":"success","data":{}}"#)
    }

    /// Slack: blocks within Slack's limits (header 150 characters, section 3 000, 50 blocks), 429 with
    /// Retry-After when throttling, "ok" on success.
    private func slack(_ request: HTTPRequest) -> HTTPReply {
        if owesThrottle("slack") {
            return HTTPReply(status: 429, headers: ["Retry-After": "1", "Content-Type": "text/plain"], body: Array("rate_limited".utf8))
        }
        guard let body = try? JSONValue(node: JSONDocument.parse(request.bodyText)), body.value(at: "text")?.text != nil,
            case let .array(blocks)? = body.value(at: "blocks"), blocks.count <= 50
        else { return refuse("slack", .text(400, "invalid_payload")) }
        for block in blocks {
            let text = block.value(at: "text.text")?.text ?? ""
            let limit = block.value(at: "type")?.text == "header" ? 150 : 3000
            if text.count > limit { return refuse("slack", .text(400, "invalid_blocks")) }
        }
        accept("slack", body, request.bodyText)
        return .text(200, "ok")
    }
}
