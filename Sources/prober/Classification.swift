// Classification: the outcome of one attempt, from the real answer or the real error. An answer whose status
// is not expected is classified by its status (http_404, http_500, http_503, http_4xx, http_5xx). An expected
// status is then checked against every other expectation — speed, body texts and patterns, headers, JSON
// values — and each failing check is named with what was found (`json code: expected 0, found 500 (msg:
// "database unavailable")`), all of them, as one `assertion`. A right answer from a server whose certificate
// chain expires within cert_min_days is `cert_expiring`.

import Foundation
import Shared

/// The verdict on one attempt.
struct Verdict {
    let outcome: Outcome
    let error: String?
    /// Worth another attempt (timeouts, network errors, 5xx).
    let retryable: Bool
}

enum Classification {
    /// `secretFields`: member names whose values are never quoted in an error (the service's secret_fields and
    /// the built-in list).
    static func classify(_ response: HTTPResponse, expect: Expectation, now: Date = Date(), secretFields: Set<String> = []) -> Verdict {
        let status = response.status
        guard expect.accepts(status: status) else {
            let outcome: Outcome = status >= 400 ? Outcome.forStatus(status) : .assertion
            let expected = expect.statuses.isEmpty ? "2xx" : Expectation.describe(expect.statuses)
            let reason = status >= 400 ? "HTTP \(status) \(reason(status))" : "HTTP \(status), expected \(expected)"
            return Verdict(outcome: outcome, error: reason, retryable: (500..<600).contains(status))
        }
        var failures: [String] = []
        if let max = expect.maxLatency, response.latency > max {
            failures.append("answered in \(milliseconds(response.latency)), above max_latency \(milliseconds(max))")
        }
        failures += Checks.body(response, expect)
        failures += Checks.headers(response.headers, expect.headers)
        if !expect.json.isEmpty { failures += Checks.json(response, expect.json, secretFields: secretFields) }
        let certificate = Checks.certificate(response, minDays: expect.certMinDays ?? 0, now: now)
        if !failures.isEmpty {
            return Verdict(outcome: .assertion, error: (failures + (certificate.map { [$0] } ?? [])).joined(separator: "; "), retryable: false)
        }
        if let certificate { return Verdict(outcome: .certExpiring, error: certificate, retryable: false) }
        return Verdict(outcome: .ok, error: nil, retryable: false)
    }

    static func classify(_ failure: HTTPFailure) -> Verdict {
        let outcome: Outcome
        switch failure {
        case .timeout: outcome = .timeout
        case .dns: outcome = .dns
        case .connection, .cancelled, .invalidRequest: outcome = .connection
        case .tls: outcome = .tls
        }
        return Verdict(outcome: outcome, error: failure.description, retryable: failure.isRetryable)
    }

    static func milliseconds(_ seconds: TimeInterval) -> String {
        seconds < 10 ? "\(Int((seconds * 1000).rounded())) ms" : DurationParser.format(seconds)
    }

    private static func reason(_ status: Int) -> String {
        HTTPReply.reason(status)
    }
}
