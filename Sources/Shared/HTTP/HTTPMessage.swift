// HTTPMessage: the request and reply values of the loopback HTTP server. A reply can also say "wait this
// long first", "never answer" or "close the connection without answering", which is how tests and the demo
// produce slow, hanging and broken endpoints on purpose.

import Foundation

/// A request the server received.
public struct HTTPRequest: Sendable {
    public let method: String
    /// Path and query as sent (`/api/user/info?id=1`).
    public let target: String
    public let headers: HeaderFields
    public let body: [UInt8]
    public let receivedAt: Date

    public init(method: String, target: String, headers: HeaderFields, body: [UInt8], receivedAt: Date) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.receivedAt = receivedAt
    }

    /// The path without the query.
    public var path: String { String(target.prefix { $0 != "?" }) }

    /// Query parameters (percent-decoded).
    public var query: [String: String] {
        guard let components = URLComponents(string: "http://x" + target) else { return [:] }
        var out: [String: String] = [:]
        for item in components.queryItems ?? [] { out[item.name] = item.value ?? "" }
        return out
    }

    public func header(_ name: String) -> String? { headers[name] }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// What the server does with a request.
public struct HTTPReply: Sendable {
    public enum Action: Sendable {
        case respond
        /// Keep the connection open and never answer (until the client gives up or the server stops).
        case hang
        /// Close the connection without a response.
        case close
    }

    public var status: Int
    public var headers: HeaderFields
    public var body: [UInt8]
    /// Seconds to wait before acting.
    public var delay: TimeInterval
    public var action: Action

    public init(
        status: Int = 200, headers: HeaderFields = [:], body: [UInt8] = [], delay: TimeInterval = 0,
        action: Action = .respond
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
        self.action = action
    }

    public static func text(_ status: Int, _ text: String, delay: TimeInterval = 0) -> HTTPReply {
        HTTPReply(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8), delay: delay)
    }

    public static func json(_ status: Int, _ json: String, delay: TimeInterval = 0) -> HTTPReply {
        HTTPReply(status: status, headers: ["Content-Type": "application/json"], body: Array(json.utf8), delay: delay)
    }

    public static let hang = HTTPReply(action: .hang)
    public static let close = HTTPReply(action: .close)

    /// The standard reason phrase of `status`.
    public static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 408: "Request Timeout"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status \(status)"
        }
    }
}
