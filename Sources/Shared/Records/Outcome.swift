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
    /// The answer was right, but the server's certificate chain expires within cert_min_days.
    case certExpiring = "cert_expiring"
    case auth
    case skipped
    /// Not probed: the interface's file failed to load (the result's error says file:line and why).
    case notLoaded = "not_loaded"
    /// Several locations: some saw it fail, fewer than the quorum (the result's error says who saw what).
    case degraded

    /// Everything but `ok` and `skipped` counts as a failure of the interface.
    public var isFailure: Bool { self != .ok && self != .skipped }

    /// Whether the target could not be reached at all (connection, DNS, timeout, TLS): what makes a location blind
    /// when most of its probes end so. An exhaustive switch: a new outcome says whether it is one.
    public var isNetworkFailure: Bool {
        switch self {
        case .connection, .dns, .timeout, .tls: true
        case .ok, .http500, .http404, .http503, .http4xx, .http5xx, .assertion, .certExpiring, .auth, .skipped, .notLoaded, .degraded:
            false
        }
    }

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
        case .certExpiring: "certificate expiring"
        case .auth: "no token (auth)"
        case .skipped: "not probed"
        case .notLoaded: "not loaded (interface file broken)"
        case .degraded: "degraded (failing from fewer locations than the quorum)"
        }
    }

    /// How a failure reads for the team: down, up but answering wrongly, a certificate to renew, or not probed.
    public var kind: FailureKind? {
        switch self {
        case .ok: nil
        case .http500, .http503, .http5xx, .timeout, .dns, .connection, .tls: .down
        case .http404, .http4xx, .assertion: .answeringErrors
        case .certExpiring: .certificate
        case .auth, .skipped: .notProbed
        case .notLoaded: .notLoaded
        case .degraded: .degraded
        }
    }

    public static func < (lhs: Outcome, rhs: Outcome) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The groups failures are told in: "the service is down" reads differently from "the service is up but answers
/// errors", and both from "a certificate needs renewing".
public enum FailureKind: String, Sendable, CaseIterable, Comparable {
    /// No answer, or a server error (timeouts, network and TLS failures, 5xx).
    case down
    /// The service answered, but not as expected (4xx, failed checks on the body, headers or speed).
    case answeringErrors = "answering_errors"
    /// The answer was right; the certificate expires soon.
    case certificate
    /// Not judged this run (no token; an open circuit in records of older probers).
    case notProbed = "not_probed"
    /// Not probed because its interface file fails to load (being edited, or saved broken).
    case notLoaded = "not_loaded"
    /// Seen failing from fewer locations than the quorum: never paged as down, routable as its own outcome.
    case degraded

    /// Short, for titles and counts: "down", "answering errors".
    public var label: String {
        switch self {
        case .down: "down"
        case .answeringErrors: "answering errors"
        case .certificate: "certificate expiring"
        case .notProbed: "not probed"
        case .notLoaded: "not loaded"
        case .degraded: "degraded"
        }
    }

    /// A heading that says what it means.
    public var heading: String {
        switch self {
        case .down: "Down — no answer, or a server error"
        case .answeringErrors: "Up, but answering errors — the service answered, the answer was wrong"
        case .certificate: "Certificate expiring — the answer was right, the certificate needs renewing"
        case .notProbed: "Not probed — no token, or an older prober's open circuit"
        case .notLoaded: "Not loaded — the interface file is broken; fix it to monitor these again"
        case .degraded: "Degraded — failing from fewer locations than the quorum (one location's network, or a partial outage)"
        }
    }

    /// "2 down, 1 answering errors" for the failing outcomes in `outcomes` (kinds in this order).
    public static func counts(_ outcomes: some Sequence<Outcome>) -> String {
        let kinds = outcomes.compactMap(\.kind)
        return allCases.compactMap { kind in
            let n = kinds.filter { $0 == kind }.count
            return n > 0 ? "\(n) \(kind.label)" : nil
        }.joined(separator: ", ")
    }

    /// Whether a failure of this kind is news the team acts on now (down, answering errors, not probed) rather
    /// than work for today (a certificate, a file to fix, a location's view): an interface failing with the latter
    /// that turns to the former is a new failure, paged, not "still failing".
    public var pages: Bool { self != .certificate && self != .notLoaded && self != .degraded }

    public static func < (lhs: FailureKind, rhs: FailureKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
