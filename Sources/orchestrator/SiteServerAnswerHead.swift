// SiteServerAnswerHead: the status line and header fields of every answer of `orchestrator serve`, with the
// security headers on all of them (pages, 304s, refusals): a CSP that forbids framing, nosniff, no referrer.
// And SiteRefusalLog: a line per class of refused request, at most one a minute per class, with the count.

import Foundation
import Glibc

enum SiteAnswerHead {
    /// The CSP of an answer that does not bring its own (refusals, 404).
    static let defaultPolicy = "default-src 'none'"

    static func bytes(_ answer: SiteAnswer, close: Bool, now: time_t = time(nil)) -> [UInt8] {
        var text = "HTTP/1.1 \(answer.status) \(reason(answer.status))\r\nDate: \(httpDate(now))\r\n"
        var policy = defaultPolicy
        for field in answer.headers {
            let name = field.name.lowercased()
            if name == "content-security-policy" {
                policy = field.value
            } else if !["content-length", "connection", "x-content-type-options", "referrer-policy", "x-frame-options"].contains(name) {
                text += "\(field.name): \(field.value)\r\n"
            }
        }
        // The site's own policy is kept; framing is forbidden whatever it says.
        if !policy.lowercased().contains("frame-ancestors") { policy += "; frame-ancestors 'none'" }
        text += "Content-Security-Policy: \(policy)\r\n"
        text += "X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\nX-Frame-Options: DENY\r\n"
        // A 304 has no body by definition; a Content-Length there would describe the page it stands for.
        if answer.status != 304 { text += "Content-Length: \(answer.bodySize)\r\n" }
        text += close ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n"
        return Array(text.utf8)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 414: "URI Too Long"
        case 431: "Request Header Fields Too Large"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status"
        }
    }

    /// IMF-fixdate (RFC 9110 §5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func httpDate(_ seconds: time_t) -> String {
        var moment = seconds
        var parts = tm()
        gmtime_r(&moment, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}

/// Counts refusals per class: the first is logged at once, later ones at most once a minute with their count,
/// so a flood of bad requests costs a line a minute, not a line a request.
struct SiteRefusalLog {
    static let interval = 60.0
    private var last: [SiteRefusal: (at: Double, pending: Int)] = [:]

    /// The line to log now, if any.
    mutating func note(_ refusal: SiteRefusal, now: Double) -> String? {
        guard let entry = last[refusal], now - entry.at < Self.interval else {
            let pending = last[refusal]?.pending ?? 0
            last[refusal] = (now, 0)
            return line(refusal, count: pending + 1)
        }
        last[refusal] = (entry.at, entry.pending + 1)
        return nil
    }

    /// Lines for the counts held back longer than the interval.
    mutating func flush(now: Double) -> [String] {
        var lines: [String] = []
        for (refusal, entry) in last where entry.pending > 0 && now - entry.at >= Self.interval {
            lines.append(line(refusal, count: entry.pending))
            last[refusal] = (now, 0)
        }
        return lines.sorted()
    }

    private func line(_ refusal: SiteRefusal, count: Int) -> String {
        let what = count == 1 ? "a request" : "\(count) requests"
        return "serve refused \(what) (\(refusal.status), \(refusal.rawValue)): \(refusal.reason); at most one line a minute per kind"
    }
}
