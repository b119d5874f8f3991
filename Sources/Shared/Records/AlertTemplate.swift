// AlertTemplate: a webhook body written by the operator with `{{name}}` placeholders for an alert's fields,
// so any receiver (an incident tool, a chat tool Vigil does not know) can be fed without code. In a JSON
// template, values are inserted JSON-escaped (write the quotes around text placeholders yourself); the
// template is checked when the config is read: unknown names are refused, and a JSON template must give
// JSON for a sample alert.

import Foundation

public struct AlertTemplate: Sendable, Equatable {
    enum Piece: Sendable, Equatable {
        case text(String)
        case field(String)
    }

    public let source: String
    let pieces: [Piece]
    /// Values are JSON-escaped.
    public let json: Bool

    /// The placeholders, with what they hold.
    public static let fields: [(String, String)] = [
        ("headline", "the alert's sentence: \"2 new failures (down), 1 recovered\""),
        ("icon", "🔴, 🟠 or 🟢"), ("tone", "red, orange or green"), ("severity", "critical, warning or resolved"),
        ("reason", "change, reminder, incomplete or every_run"), ("run", "the run id"), ("alert_id", "alert-<run>"),
        ("trigger", "schedule or manual"), ("started_at", "when the run started (UTC)"), ("interfaces", "interfaces in the run"),
        ("ok", "how many answered as expected"), ("failed", "how many failed"), ("success_rate", "ok / interfaces in percent"),
        ("services", "the services in this alert, comma-separated"),
        ("new_failure_count", "how many newly failed"), ("recovered_count", "how many recovered"),
        ("still_failing_count", "how many still fail"),
        ("new_failures", "one line each: name (service) METHOD url: outcome — error"), ("recovered", "one line each"),
        ("still_failing", "one line each"), ("report", "the report's URL (notify.report_base_url) or path"),
    ]

    public struct TemplateError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(parsing source: String, json: Bool) throws(TemplateError) {
        self.source = source
        self.json = json
        var pieces: [Piece] = []
        var rest = Substring(source)
        let known = Set(AlertTemplate.fields.map(\.0))
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { pieces.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex) else {
                throw TemplateError(description: "a placeholder opened with {{ is never closed")
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard known.contains(name) else {
                throw TemplateError(
                    description: "unknown placeholder {{\(name)}} (known: \(AlertTemplate.fields.map(\.0).joined(separator: ", ")))")
            }
            pieces.append(.field(name))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { pieces.append(.text(String(rest))) }
        self.pieces = pieces
        if json {
            let sample = render(AlertTemplate.sample, report: "https://vigil.example/reports/sample.md")
            do {
                _ = try JSONDocument.parse(sample)
            } catch {
                throw TemplateError(
                    description: "the template does not give JSON for a sample alert (\(error)); quote text placeholders "
                        + "(\"{{headline}}\") or set content_type")
            }
        }
    }

    public static func == (a: AlertTemplate, b: AlertTemplate) -> Bool { a.source == b.source && a.json == b.json }

    /// The body for `alert`; `report` is the report's link.
    public func render(_ alert: Alert, report: String) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case let .text(text): out += text
            case let .field(name):
                let value = AlertTemplate.value(name, of: alert, report: report)
                if json {
                    var quoted = ""
                    JSONValue.quote(value, into: &quoted)
                    out += quoted.dropFirst().dropLast()
                } else {
                    out += value
                }
            }
        }
        return out
    }

    static func value(_ name: String, of alert: Alert, report: String) -> String {
        func lines(_ change: StateChange) -> String {
            let listed = alert.transitions.filter { $0.change == change }
            let more = alert.count(of: change) - listed.count
            return
                (listed.map { t in
                    let what = change == .recovered ? "recovered" + (t.previousOutcome.map { " from \($0.summary)" } ?? "") : t.outcome.summary
                    return "- \(t.name) (\(t.service)) \(t.method) \(t.url): \(what)" + (change == .recovered ? "" : t.error.map { " — \($0)" } ?? "")
                } + (more > 0 ? ["- … and \(more) more (the report lists them)"] : [])).joined(separator: "\n")
        }
        func count(_ change: StateChange) -> String { String(alert.count(of: change)) }
        let s = alert.stats
        switch name {
        case "headline": return alert.headline
        case "icon": return alert.tone.emoji
        case "tone": return alert.tone.rawValue
        case "severity": return alert.severity.rawValue
        case "reason": return alert.reason.rawValue
        case "run": return alert.run
        case "alert_id": return alert.id
        case "trigger": return s.trigger
        case "started_at": return Timestamp.format(s.startedAt)
        case "interfaces": return String(s.interfaces)
        case "ok": return String(s.ok)
        case "failed": return String(s.failed)
        case "success_rate": return String(format: "%.1f", s.successRate)
        case "services": return Array(Set(alert.transitions.map(\.service) + (alert.omitted ?? []).map(\.service))).sorted().joined(separator: ", ")
        case "new_failure_count": return count(.newFailure)
        case "recovered_count": return count(.recovered)
        case "still_failing_count": return count(.stillFailing)
        case "new_failures": return lines(.newFailure)
        case "recovered": return lines(.recovered)
        case "still_failing": return lines(.stillFailing)
        default: return report
        }
    }

    /// An alert with every field set, with quotes, backslashes and new lines in its texts.
    static let sample: Alert = {
        let start = Date(timeIntervalSince1970: 1_795_359_600)
        let transition = Transition(
            id: "svc/a", service: "svc", name: "Sample \"quoted\" \\ name", method: "GET", url: "https://api.example.com/a",
            change: .newFailure, outcome: .assertion, previousOutcome: nil, status: 200,
            error: "json code: expected 0, found 500\nsecond line", since: start)
        let stats = RunStats(
            interfaces: 2, ok: 1, failed: 1, skipped: 0, successRate: 50, p50Ms: 1, p95Ms: 2, p99Ms: 3, startedAt: start,
            finishedAt: start, trigger: "schedule", missingShards: [], quarantinedLines: 0)
        return Alert(
            run: "20261122T150000Z-tick", createdAt: start, severity: .critical, reason: .change, transitions: [transition],
            stats: stats, reportPath: "/r.md", report: "")
    }()
}
