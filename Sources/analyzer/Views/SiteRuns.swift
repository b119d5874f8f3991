// SiteRuns: the runs the site keeps a page for (spool.retention) — runs.html lists every one of them, newest
// first, with its time in the configured zone, its counts and whether it alerted, each linked to its page (an
// all-green run's included); the index shows the last ones as a strip. The figures are the run summaries of
// state/history.ndjson (only the lines of kept runs are decoded: the file grows with every run).

import Foundation
import Shared

extension SiteWriter {
    /// The summaries of `kept` runs in the history file, oldest first (unreadable lines skipped: the file is
    /// append-only and a torn last line is possible).
    static func summaries(at path: String, kept: Set<String>) -> [RunSummary] {
        guard !kept.isEmpty, let reader = try? LineReader(path: path) else { return [] }
        let decoder = RecordDecoder()
        var out: [RunSummary] = []
        while let line = try? reader.next() {
            guard let run = History.run(of: line.bytes), kept.contains(run), let summary = try? decoder.decode(RunSummary.self, from: line.bytes)
            else { continue }
            out.append(summary)
        }
        return out.sorted { $0.run < $1.run }
    }

    /// "all ok", "3 failed", "3 failed, 1 shard missing".
    static func verdict(_ s: RunStats) -> String {
        if let why = s.nothingProbed { return "nothing probed: " + why }
        var parts = [s.failed == 0 ? "all ok" : "\(s.failed) failed"]
        if s.skipped > 0 { parts.append("\(s.skipped) not probed") }
        if !s.missingShards.isEmpty { parts.append("\(s.missingShards.count) shard(s) missing") }
        // Blind probers or locations (their sentences are in the run's report).
        if let blind = s.blind, !blind.isEmpty { parts.append("\(blind.count) blind (not judged)") }
        return parts.joined(separator: ", ")
    }

    /// A run's colour in the runs strip: green all ok, amber incomplete (a shard missing), red with failures.
    static func colour(_ s: RunStats) -> String {
        s.failed > 0 ? HTML.stripColour("t") : !s.missingShards.isEmpty ? HTML.stripColour("a") : HTML.stripColour("o")
    }

    /// The last runs as a strip, oldest left (at least 30 cells wide, so that a few runs do not make wide
    /// bars): a cell each, saying when and how it went, linking to its page.
    static func runsStrip(_ summaries: [RunSummary], context: SitePageContext, root: String) -> String {
        let clock = context.clock
        let segments = summaries.enumerated().map { i, s in
            StripSegment(
                start: i, count: 1, colour: colour(s.stats),
                title: "\(clock.format(s.stats.startedAt)): \(s.stats.interfaces) interfaces, \(verdict(s.stats))",
                link: root + SiteLayout.runPage(s.run))
        }
        let strip = HTML.strip(segments, width: 540, cells: max(30, summaries.count), title: "last \(summaries.count) runs")
        return strip + "\n"
            + HTML.legend(
                [(HTML.stripColour("o"), "all ok"), (HTML.stripColour("t"), "failures"), (HTML.stripColour("a"), "incomplete (a shard missing)")],
                after: " · <a href=\"\(root)\(HTML.runsPage)\">every run</a>")
    }

    /// runs.html: every kept run, newest first. `others`: kept runs without a summary (listed by id only).
    static func runsPage(_ summaries: [RunSummary], others: [String], context: SitePageContext) -> String {
        let clock = context.clock
        var body =
            "<nav class=\"muted\"><a href=\"index.html\">Vigil status</a></nav>\n<h1>Runs</h1>\n<p class=\"muted\">The \(summaries.count + others.count) runs whose report is kept "
        body += "(spool.retention), newest first; times in \(HTML.escape(clock.zoneName(Date()))).</p>\n"
        body += "<div class=\"scroll\"><table id=\"runs\">\n<tr><th>Started</th><th>Result</th><th class=\"num\">Interfaces</th>"
        body +=
            "<th class=\"num wide\">Success</th><th class=\"num wide\">P95</th><th class=\"wide\">Trigger</th><th class=\"wide\">Alert</th></tr>\n"
        for s in summaries.reversed() {
            let st = s.stats
            body += "<tr class=\"run\" data-run=\"\(HTML.escape(s.run))\"><td><a href=\"\(SiteLayout.runPage(s.run))\">"
            body += "\(HTML.escape(clock.format(st.startedAt)))</a></td>"
            body += "<td class=\"\(st.failed > 0 ? "bad" : st.missingShards.isEmpty ? "ok" : "warn")\">\(HTML.escape(verdict(st)))</td>"
            body +=
                "<td class=\"num\">\(st.interfaces)</td><td class=\"num wide\">\(st.nothingProbed == nil ? Self.percent(st.successRate) : "—")</td>"
            body += "<td class=\"num wide\">\(Self.ms(st.p95Ms))</td><td class=\"wide\">\(HTML.escape(st.trigger))</td>"
            body += "<td class=\"wide\">\(s.alert == nil ? "—" : "yes")</td></tr>\n"
        }
        for run in others.sorted().reversed() {
            let when = RunID.date(of: run).map(clock.format) ?? run
            body += "<tr class=\"run\" data-run=\"\(HTML.escape(run))\"><td><a href=\"\(SiteLayout.runPage(run))\">\(HTML.escape(when))</a></td>"
            body += "<td class=\"muted\">no summary</td><td></td><td class=\"wide\"></td><td class=\"wide\"></td><td class=\"wide\"></td>"
            body += "<td class=\"wide\"></td></tr>\n"
        }
        body += "</table></div>\n"
        return HTML.page(title: "Vigil: runs", root: "", body: body, refresh: context.refresh)
    }
}
