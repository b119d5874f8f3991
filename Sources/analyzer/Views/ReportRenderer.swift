// ReportRenderer: the Markdown report of a run, for people. Header, totals, latency percentiles, what
// changed, failures grouped by outcome and by service with their request/response excerpts in collapsible
// fenced blocks, the slowest interfaces, the circuit breaker, and data-quality notes. The same analysis
// always renders the same bytes: no clock, no dictionary order.

import Foundation
import Shared

enum ReportRenderer {
    /// `quiet`: why an interface neither alerts nor reminds (a silence, a maintenance window), by id.
    /// `timeZone`: the zone of every time in the report (notify.timezone).
    static func render(_ a: RunAnalysis, changes: StateChanges, quiet: [String: String] = [:], timeZone: TimeZone = .current) throws -> String {
        var out = ""
        try write(a, changes: changes, quiet: quiet, timeZone: timeZone) { out += $0 }
        return out
    }

    /// `render`, piece by piece into `sink` (the reporter streams it to the report file: a mass outage of a big
    /// pool makes a report of tens of megabytes, never held whole).
    static func write(
        _ a: RunAnalysis, changes: StateChanges, quiet: [String: String] = [:], timeZone: TimeZone = .current,
        into sink: (String) throws -> Void
    ) throws {
        let clock = LocalClock(timeZone: timeZone)
        try sink("# Vigil report — run \(a.run)\n\n")
        try sink(header(a, clock))
        try sink(summary(a))
        if !a.missingShards.isEmpty || !a.interruptedShards.isEmpty || !a.gaps.isEmpty || a.stats.pool != nil || a.stats.blind != nil {
            try sink(monitoring(a))
        }
        try changesSection(changes, clock, into: sink)
        if !a.failures.isEmpty {
            try sink(byOutcome(a.failures))
            try byService(a, changes: changes, quiet: quiet, clock, into: sink)
        }
        if !a.degraded.isEmpty {
            try sink("## Degraded (\(a.degraded.count)) — failing from fewer locations than the quorum, not paged as down\n\n")
            for d in a.degraded { try sink("- **\(escape(d.name))** (\(code(d.id))) — \(escape(d.text))\n") }
            try sink("\n")
        }
        try sink(slowest(a))
        try sink(certificates(a, clock))
        try breaker(a, clock, into: sink)
        if a.quarantinedLines > 0 {
            try sink(
                "## Data quality\n\n- \(a.quarantinedLines) result line(s) could not be read and were quarantined "
                    + "(see `quarantine/` in the spool); the figures above exclude them.\n\n")
        }
    }

    private static func header(_ a: RunAnalysis, _ clock: LocalClock) -> String {
        let duration = a.finishedAt.timeIntervalSince(a.startedAt)
        return """
            | | |
            |---|---|
            | Run | \(code(a.run)) |
            | Trigger | \(escape(a.trigger)) |
            | Started | \(clock.format(a.startedAt)) |
            | Finished | \(clock.format(a.finishedAt)) |
            | Duration | \(seconds(duration)) |
            | Shards | \(a.shardCount - a.missingShards.count) of \(a.shardCount) reported |

            """ + "\n"
    }

    private static func summary(_ a: RunAnalysis) -> String {
        let s = a.stats
        var out = "## Summary\n\n"
        if let why = s.nothingProbed { return out + "**Nothing probed**: \(why).\n\n" }
        out += s.failed > 0 ? "**\(s.failed) failed** of \(s.interfaces) interfaces" : "All \(s.interfaces) interfaces answered as expected"
        out +=
            " · \(s.ok) ok" + (s.skipped > 0 ? " · \(s.skipped) of the failed not probed (circuit open)" : "")
            + " · success rate \(String(format: "%.1f", s.successRate)) %\n\n"
        if let p50 = s.p50Ms, let p95 = s.p95Ms, let p99 = s.p99Ms {
            out += "Latency of answered requests: P50 \(ms(p50)) · P95 \(ms(p95)) · P99 \(ms(p99))\n\n"
        }
        return out
    }

    private static func monitoring(_ a: RunAnalysis) -> String {
        var out = "## Monitoring problems\n\n"
        for line in a.missingShards { out += "- **Shard \(escape(line))** — its interfaces were not checked in this run.\n" }
        for line in a.interruptedShards { out += "- Shard \(escape(line)).\n" }
        for line in a.stats.gaps ?? [] { out += "- Before this run, \(escape(line)).\n" }
        for line in a.stats.pool ?? [] { out += "- **Interface pool**: \(escape(line)).\n" }
        for line in a.stats.blind ?? [] { out += "- **Blind**: \(escape(line)).\n" }
        return out + "\n"
    }

    private static func changesSection(_ changes: StateChanges, _ clock: LocalClock, into sink: (String) throws -> Void) rethrows {
        let newFailures = changes.transitions.lazy.filter { $0.change == .newFailure }
        let recovered = changes.transitions.lazy.filter { $0.change == .recovered }
        let counts = [newFailures.count, recovered.count, changes.stillFailing.count]
        guard counts.contains(where: { $0 > 0 }) else { return try sink("## Changes since the last run\n\nNone.\n\n") }
        try sink("## Changes since the last run\n\n")
        func group(_ title: String, _ count: Int, _ list: some Sequence<Transition>) throws {
            guard count > 0 else { return }
            try sink("### \(title) (\(count))\n\n")
            for t in list {
                var line = "- **\(escape(t.name))** (\(code(t.id))) \(code(t.method + " " + t.url)) — \(t.outcome.summary)"
                if t.change == .recovered, let previous = t.previousOutcome {
                    line = "- **\(escape(t.name))** (\(code(t.id))) \(code(t.method + " " + t.url)) — recovered from \(previous.summary)"
                }
                line += t.change == .recovered ? ", since \(clock.format(t.since))" : ", failing since \(clock.format(t.since))"
                try sink(line + "\n")
            }
            try sink("\n")
        }
        try group("New failures", counts[0], newFailures)
        try group("Recovered", counts[1], recovered)
        try group("Still failing", counts[2], changes.stillFailing)
    }

    /// Failures by what they mean (down, answering errors, certificate, not probed), then by outcome.
    private static func byOutcome(_ failures: FailureStore) throws -> String {
        var out = "## Failures by outcome\n\n"
        out += "Of the \(failures.count) failed: \(FailureKind.counts(failures.indices.lazy.map(failures.outcome(at:)))).\n\n"
        out += "| Kind | Outcome | Count | Interfaces |\n|---|---|---:|---|\n"
        // Counts and the first five ids of each outcome (not the failures grouped: a copy of them all).
        var grouped: [Outcome: (count: Int, first: [String])] = [:]
        for i in failures.indices {
            var entry = grouped[failures.outcome(at: i)] ?? (0, [])
            entry.count += 1
            if entry.first.count < 5 { entry.first.append(try failures.result(at: i).id) }
            grouped[failures.outcome(at: i)] = entry
        }
        for outcome in grouped.keys.sorted(by: { ($0.kind!, $0) < ($1.kind!, $1) }) {
            let (count, first) = grouped[outcome]!
            let names = first.map(code).joined(separator: ", ") + (count > 5 ? ", …" : "")
            out += "| \(outcome.kind!.label) | \(outcome.rawValue) (\(outcome.summary)) | \(count) | \(names) |\n"
        }
        return out + "\n"
    }

    private static func byService(
        _ a: RunAnalysis, changes: StateChanges, quiet: [String: String], _ clock: LocalClock, into sink: (String) throws -> Void
    ) throws {
        var since: [String: Date] = [:]
        for t in changes.transitions { since[t.id] = t.since }
        for t in changes.stillFailing { since[t.id] = t.since }
        try sink("## Failures by service\n\n")
        let totals = a.serviceTotals
        // Positions in the failures, by service (the failures themselves are not copied).
        let failures = a.failures
        var grouped: [String: [Int]] = [:]
        for i in failures.indices { grouped[failures.service(at: i), default: []].append(i) }
        for service in grouped.keys.sorted() {
            // Down first, then answering errors, certificates, not probed; the order within a kind is kept.
            let list = grouped[service]!.sorted { (failures.outcome(at: $0).kind!, $0) < (failures.outcome(at: $1).kind!, $1) }
            try sink(
                "### \(escape(service)) (\(list.count) of \(totals[service] ?? list.count) failed: "
                    + "\(FailureKind.counts(list.lazy.map(failures.outcome(at:)))))\n\n")
            for i in list {
                let r = try failures.result(at: i)
                var out = "#### \(escape(r.name)) — \(r.outcome.summary)\n\n"
                out += "- \(code(r.method + " " + r.url)) (\(code(r.id)))\n"
                var facts: [String] = []
                if r.outcome == .skipped {
                    facts.append("not probed this run" + (r.skippedSince.map { ", circuit open since \(clock.format($0))" } ?? ""))
                } else {
                    if let status = r.status { facts.append("status \(status)") }
                    if let latency = r.latencyMs { facts.append(ms(latency)) }
                    facts.append("\(r.attempts) attempt\(r.attempts == 1 ? "" : "s")")
                    if let open = r.circuitOpenSince { facts.append("circuit open since \(clock.format(open)): probed once, no retries") }
                }
                if let s = since[r.id] { facts.append("failing since \(clock.format(s))") }
                out += "- " + facts.joined(separator: " · ") + "\n"
                if let error = r.error { out += "- Error: \(escape(error))\n" }
                if let reason = quiet[r.id] { out += "- Quiet: \(escape(reason)) — no alert, no reminder\n" }
                if let final = r.finalURL { out += "- Answered by \(code(final)) after \(r.redirects ?? 0) redirect(s)\n" }
                if let timings = r.timings { out += "- Phases: \(phases(timings))" + (r.remoteIP.map { " · from \($0)" } ?? "") + "\n" }
                out += excerpts(r)
                try sink(out + "\n")
            }
        }
    }

    private static func excerpts(_ r: ProbeResult) -> String {
        guard r.request != nil || r.response != nil else { return "" }
        var out = "\n<details><summary>Request and response</summary>\n\n"
        if let request = r.request {
            var text = "\(r.method) \(r.url)\n"
            for field in request.headers.fields { text += "\(field.name): \(field.value)\n" }
            if let body = request.body { text += "\n" + body + "\n" }
            out += fenced(text)
        }
        if let response = r.response {
            var text = "HTTP \(r.status.map(String.init) ?? "?")\n"
            for field in response.headers.fields { text += "\(field.name): \(field.value)\n" }
            if let body = response.body {
                text += "\n" + body + "\n"
                if let full = response.truncatedFrom { text += "… (first \(HTTPExcerpt.bodyLimit) of \(full) bytes)\n" }
            }
            out += fenced(text)
        }
        return out + "</details>\n"
    }

    private static func slowest(_ a: RunAnalysis) -> String {
        let timed = a.slowest
        guard !timed.isEmpty else { return "" }
        var out = "## Slowest interfaces\n\n| Interface | Service | Latency | Outcome | Phases |\n|---|---|---:|---|---|\n"
        for r in timed {
            out +=
                "| \(escape(r.name)) (\(code(r.id))) | \(escape(r.service)) | \(ms(r.latencyMs!)) | \(r.outcome.rawValue) | "
                + (r.timings.map(phases) ?? "—") + " |\n"
        }
        return out + "\n"
    }

    /// When each phase was reached: `DNS 1 ms · connect 2 ms · TLS 9 ms · first byte 52 ms · total 53 ms` (TLS only for HTTPS).
    static func phases(_ t: PhaseTimings) -> String {
        var parts = ["DNS \(ms(t.dns))", "connect \(ms(t.connect))"]
        if t.tls > 0 { parts.append("TLS \(ms(t.tls))") }
        parts += ["first byte \(ms(t.firstByte))", "total \(ms(t.total))"]
        return parts.joined(separator: " · ")
    }

    /// Server certificates that expire within 30 days, soonest first.
    private static func certificates(_ a: RunAnalysis, _ clock: LocalClock) -> String {
        let soon = a.certificates
        guard !soon.isEmpty else { return "" }
        var out = "## Certificates expiring within 30 days\n\n| Interface | Certificate | Expires | Days left |\n|---|---|---|---:|\n"
        for r in soon {
            let tls = r.tls!
            out +=
                "| \(escape(r.name)) (\(code(r.id))) | \(escape(tls.subject)) | \(tls.notAfter.map(clock.format) ?? "?") | \(tls.daysLeft!) |\n"
        }
        return out + "\n"
    }

    /// Open circuits: interfaces probed once without retries (marked `circuit_open_since`), and those not
    /// probed at all (`skipped`, from probers before the breaker probed every run).
    private static func breaker(_ a: RunAnalysis, _ clock: LocalClock, into sink: (String) throws -> Void) throws {
        // Positions, not results: a mass outage's failures may be on disk.
        let skipped = a.failures.indices.filter { a.failures.outcome(at: $0) == .skipped }
        let once = try a.failures.indices.filter { try a.failures.result(at: $0).circuitOpenSince != nil }
        guard !once.isEmpty || !skipped.isEmpty else { return try sink("## Circuit breaker\n\nAll circuits closed: every interface was probed.\n\n") }
        try sink("## Circuit breaker\n\n")
        if !once.isEmpty {
            try sink("\(once.count) interface(s) with an open circuit (circuit open: probed once, no retries):\n\n")
            for i in once {
                let r = try a.failures.result(at: i)
                let since = r.circuitOpenSince.map { " — open since \(clock.format($0))" } ?? ""
                try sink("- **\(escape(r.name))** (\(code(r.id)))\(since) · \(r.outcome.rawValue)\n")
            }
            try sink("\n")
        }
        guard !skipped.isEmpty else { return }
        try sink("\(skipped.count) interface(s) skipped because their circuit is open:\n\n")
        for i in skipped {
            let r = try a.failures.result(at: i)
            try sink("- **\(escape(r.name))** (\(code(r.id)))" + (r.skippedSince.map { " — open since \(clock.format($0))" } ?? "") + "\n")
        }
        try sink("\n")
    }

    /// The report's beginning, at most `limit` bytes, for where a huge report (a mass outage of a big pool)
    /// does not belong whole: the alert and the status site's run page. `head`: the report's first bytes (at
    /// least `limit` + 1 of them when it is longer), `total` its size. It is cut at the end of a line outside
    /// any fenced block (so none is left open) and says where the whole report is.
    static func excerpt(head: [UInt8], total: Int, limit: Int, path: String) -> String {
        guard total > limit else { return String(decoding: head, as: UTF8.self) }
        let backtick = UInt8(ascii: "`")
        var cut = 0
        var fence = 0  // the backticks of the open fence; 0 outside one
        var start = 0
        while start < limit, let newline = head[start..<limit].firstIndex(of: 10) {
            var ticks = 0
            while start + ticks < newline, head[start + ticks] == backtick { ticks += 1 }
            if fence == 0, ticks >= 3 {
                fence = ticks
            } else if fence > 0, ticks >= fence, start + ticks == newline {
                fence = 0
            }
            start = newline + 1
            if fence == 0 { cut = start }
        }
        return String(decoding: head[..<cut], as: UTF8.self)
            + "\n*The report is cut here (\(cut) of \(total) bytes); the whole report is \(path).*\n"
    }

    /// A fenced block whose fence is longer than any backtick run inside, so content cannot close it.
    static func fenced(_ text: String) -> String {
        var longest = 0
        var run = 0
        for c in text {
            run = c == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return fence + "http\n" + text + (text.hasSuffix("\n") ? "" : "\n") + fence + "\n"
    }

    /// Text from outside — interface and service names (imported), errors quoting response bodies, certificate
    /// subjects, reasons — as inert Markdown: it cannot break a table cell, and it never becomes a live link.
    /// `[` and `]` are escaped (no inline or reference link, no image), `<` and `>` (no `<http://…>` autolink,
    /// no HTML), `\` and `` ` ``; and what GFM turns into a link by itself is broken by an escape that leaves the
    /// text as it reads: `http:/\/evil` (renderers see `:` and `//` apart), `www\.evil`, `user\@host`. `(` is
    /// left alone: without `[…]` before it, it starts nothing, and the raw report stays readable.
    static func escape(_ text: String) -> String {
        let special: Set<UInt8> = [
            UInt8(ascii: "|"), 10, 13, UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "<"), UInt8(ascii: ">"),
            UInt8(ascii: "\\"), UInt8(ascii: "`"), UInt8(ascii: "@"), UInt8(ascii: ":"), UInt8(ascii: "w"), UInt8(ascii: "W"),
        ]
        guard text.utf8.contains(where: special.contains) else { return text }
        var out = ""
        for c in text {
            switch c {
            case "|", "[", "]", "<", ">", "\\", "`", "@": out += "\\" + String(c)
            case "\n", "\r", "\r\n": out += " "
            case "/" where out.hasSuffix(":/"): out += "\\/"
            case "." where out.suffix(3).lowercased() == "www" && !(out.dropLast(3).last?.isLetter ?? false): out += "\\."
            default: out.append(c)
            }
        }
        return out
    }

    /// `text` as a code span (inert, shown as written), delimited by more backticks than any run inside it;
    /// `|` escaped and line breaks made spaces so that it also fits a table cell.
    static func code(_ text: String) -> String {
        var longest = 0
        var run = 0
        for c in text {
            run = c == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: longest + 1)
        let flat = text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\r\n", with: " ")
            .replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
        let pad = flat.hasPrefix("`") || flat.hasSuffix("`") ? " " : ""
        return fence + pad + flat + pad + fence
    }

    static func ms(_ value: Double) -> String {
        value >= 1000 ? String(format: "%.2f s", value / 1000) : String(format: "%.0f ms", value)
    }

    static func seconds(_ value: TimeInterval) -> String {
        value >= 120 ? DurationParser.format(value) : String(format: "%.1f s", value)
    }
}
