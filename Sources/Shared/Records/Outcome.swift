// Outcome: the class of every probe result, as DESIGN.md lists them. The analyzer groups failures by it and
// the alert names it; adding a case is a record-format change.

/// What happened when an interface was probed.
public enum Outcome: String, Codable, Sendable, CaseIterable, Comparable {
    case ok
    case http500 = "http_500"
    case http404 = "http_404"
    case http503 = "http_503"
    case http4xx = "http_4xx"
    case http5xx = "http_5xx"
    case timeout
    case dns
    case connection
    case tls
    case assertion
    case auth
    case skipped

    /// Everything but `ok` and `skipped` counts as a failure of the interface.
    public var isFailure: Bool { self != .ok && self != .skipped }

    /// The outcome of an HTTP status that did not meet the expectation.
    public static func forStatus(_ status: Int) -> Outcome {
        switch status {
        case 404: return .http404
        case 500: return .http500
        case 503: return .http503
        case 400..<500: return .http4xx
        case 500..<600: return .http5xx
        default: return .assertion
        }
    }

    /// Short human description used in reports and alerts.
    public var summary: String {
        switch self {
        case .ok: "OK"
        case .http500: "HTTP 500"
        case .http404: "HTTP 404"
        case .http503: "HTTP 503"
        case .http4xx: "HTTP 4xx"
        case .http5xx: "HTTP 5xx"
        case .timeout: "timeout"
        case .dns: "DNS failure"
        case .connection: "connection failure"
        case .tls: "TLS failure"
        case .assertion: "assertion failed"
        case .auth: "no token (auth)"
        case .skipped: "not probed: circuit open"
        }
    }

    public static func < (lhs: Outcome, rhs: Outcome) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
