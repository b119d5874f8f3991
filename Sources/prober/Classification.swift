// Classification: the outcome of one attempt, from the real answer or the real error. An answer that does
// not meet the expectation is classified by its status (http_404, http_500, http_503, http_4xx,
// http_5xx); an expected status that is too slow or lacks the expected text is an `assertion`.

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
    static func classify(_ response: HTTPResponse, expect: Expectation) -> Verdict {
        let status = response.status
        guard expect.accepts(status: status) else {
            let outcome: Outcome = status >= 400 ? Outcome.forStatus(status) : .assertion
            let expected = expect.statuses.isEmpty ? "2xx" : describe(expect.statuses)
            let reason = status >= 400 ? "HTTP \(status) \(reason(status))" : "HTTP \(status), expected \(expected)"
            return Verdict(outcome: outcome, error: reason, retryable: (500..<600).contains(status))
        }
        if let max = expect.maxLatency, response.latency > max {
            return Verdict(
                outcome: .assertion, error: "answered in \(milliseconds(response.latency)), above max_latency \(milliseconds(max))",
                retryable: false)
        }
        if !expect.bodyContains.isEmpty {
            let body = String(decoding: response.body, as: UTF8.self)
            if let missing = expect.bodyContains.first(where: { !body.contains($0) }) {
                return Verdict(outcome: .assertion, error: "body does not contain \(missing.debugDescription)", retryable: false)
            }
        }
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

    private static func describe(_ statuses: [Int]) -> String {
        statuses.count > 10 ? "\(statuses.first!)–\(statuses.last!)" : statuses.map(String.init).joined(separator: ", ")
    }

    private static func reason(_ status: Int) -> String {
        HTTPReply.reason(status)
    }
}
