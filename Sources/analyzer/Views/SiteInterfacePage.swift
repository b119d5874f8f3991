// SiteInterfacePage: one interface's page — its state, uptime and certificate, its last runs as a strip whose
// cells say when and what and link to the run's page, latency per run and by day on time axes (failed runs
// marked in their strip colour), its incidents, and its last failure with the request (method and URL) and
// the response.

import Foundation
import Shared

extension SiteWriter {
    static func interfacePage(_ f: InterfaceFacts, context: SitePageContext) -> String {
        let r = f.recent
        let clock = context.clock
        var body = "<h1>\(HTML.escape(r.name))</h1>\n<p class=\"muted\">\(HTML.escape(r.id)) · <a href=\"../s/\(SiteLayout.slug(r.service)).html\">"
        body += "\(HTML.escape(r.service))</a> · <code>\(HTML.escape(r.url))</code></p>\n"
        body += "<div class=\"card\"><p>Now: \(stateCell(f, clock: clock))</p>\n<table>\n"
        body += "<tr><th>Uptime 24 h</th><td class=\"num\" id=\"uptime-24h\">\(Self.percent(f.uptime24h))</td></tr>\n"
        body += "<tr><th>Uptime 7 d</th><td class=\"num\" id=\"uptime-7d\">\(Self.percent(f.uptime7d))</td></tr>\n"
        body += "<tr><th>Uptime 30 d</th><td class=\"num\" id=\"uptime-30d\">\(Self.percent(f.uptime30d))</td></tr>\n"
        body += "<tr><th>Latency 7 d</th><td class=\"num\">P50 \(Self.ms(f.p50)) · P95 \(Self.ms(f.p95))</td></tr>\n"
        if let days = r.certDaysLeft {
            body += "<tr><th>Certificate</th><td class=\"num\(days < 14 ? " warn" : "")\" id=\"cert-days\">\(days) days left</td></tr>\n"
        }
        let positions = context.positions(last: r.strip.count)
        body += "</table></div>\n<h2>Last \(r.strip.count) runs</h2>\n"
        let ok = r.strip.filter { $0 == "o" }.count
        body += HTML.strip(
            runSegments(r.strip, positions: positions, context: context), width: 540,
            title: "last \(r.strip.count) runs: \(ok) ok, \(r.strip.count - ok) failed")
        body += "\n\(HTML.stripLegend)\n<h2>Latency per run</h2>\n"
        body += HTML.chart(
            [("latency", "#0969da", r.latencies.map { $0 < 0 ? nil : $0 })], axis: timeAxis(positions, runs: context.runs),
            marks: failureMarks(r.strip, positions: positions, runs: context.runs), title: "latency per run")
        body += "\n<h2>Latency by day</h2>\n"
        let dayTicks = HTML.tickIndices(f.daily.count).map { (index: $0, label: String(f.daily[$0].0.dropFirst(5))) }
        body += HTML.chart(
            [("P50", "#0969da", f.daily.map(\.1)), ("P95", "#bc4c00", f.daily.map(\.2))], axis: ChartAxis(ticks: dayTicks, caption: "day (UTC)"),
            title: "P50 and P95 by day")
        body += "\n<h2>Incidents</h2>\n" + incidentTable(f.incidents, clock: clock)
        if let last = r.lastFailure { body += lastFailure(last, recent: r, clock: clock) }
        return HTML.page(title: "Vigil: \(r.name)", root: "../", body: body, refresh: context.refresh)
    }

    /// A strip's cells: runs of one colour together, each saying when, how many runs and what, and linking to
    /// the page of its last run still kept.
    static func runSegments(_ letters: String, positions: [Int?], context: SitePageContext) -> [StripSegment] {
        let runs = context.runs
        let letterList = Array(letters)
        return HTML.segments(letters).map { segment in
            var s = segment
            let range = segment.start..<(segment.start + segment.count)
            let known = range.compactMap { $0 < positions.count ? positions[$0] : nil }
            var when = ""
            if let first = known.first, let last = known.last {
                let (from, to) = runs.span(first, last)
                when = (first == last ? from : "\(from) – \(to)") + " \(runs.zone[last]): "
            }
            var counts: [(Character, Int)] = []
            for letter in range.map({ letterList[$0] }) {
                if let i = counts.firstIndex(where: { $0.0 == letter }) { counts[i].1 += 1 } else { counts.append((letter, 1)) }
            }
            let what = counts.map { letter, n in
                let text = OutcomeLetter.outcome(letter).map { $0 == .ok ? "ok" : $0.summary } ?? "unknown"
                return segment.count == 1 ? text : "\(n) × \(text)"
            }
            s.title = when + what.joined(separator: ", ")
            if let run = known.reversed().lazy.map({ runs.ids[$0] }).first(where: { context.kept.contains($0) }) {
                s.link = "../" + SiteLayout.runPage(run)
            }
            return s
        }
    }

    /// Five times along the runs, and the zone.
    static func timeAxis(_ positions: [Int?], runs: RunLabels) -> ChartAxis {
        let ticks = HTML.tickIndices(positions.count).compactMap { i in positions[i].map { (index: i, run: $0) } }
        guard let first = ticks.first?.run, let last = ticks.last?.run else { return ChartAxis(ticks: [], caption: "run start") }
        let sameDay = runs.day[first] == runs.day[last]
        return ChartAxis(
            ticks: ticks.map { (index: $0.index, label: sameDay ? runs.time[$0.run] : runs.dayTime[$0.run]) },
            caption: "run start (\(runs.zone[last]))")
    }

    /// A band for every run that was not ok, in its strip colour, saying when and what.
    static func failureMarks(_ letters: String, positions: [Int?], runs: RunLabels) -> [ChartMark] {
        letters.enumerated().compactMap { i, letter in
            guard letter != "o" else { return nil }
            let when = (i < positions.count ? positions[i] : nil).map { runs.full[$0] + ": " } ?? ""
            return ChartMark(index: i, colour: HTML.stripColour(letter), title: when + (OutcomeLetter.outcome(letter)?.summary ?? "failed"))
        }
    }

    static func incidentTable(_ incidents: [Incident], clock: SiteClock) -> String {
        if incidents.isEmpty { return "<p class=\"muted\">None in the history.</p>\n" }
        var body =
            "<table id=\"incidents\">\n<tr><th>Start</th><th>End</th><th class=\"num\">Duration</th><th>Outcome</th><th class=\"wide\">Error</th></tr>\n"
        for incident in incidents.reversed() {
            body += "<tr class=\"incident\"><td>\(HTML.escape(clock.format(incident.start)))</td>"
            body += "<td>\(incident.end.map { HTML.escape(clock.format($0)) } ?? "<strong class=\"bad\">ongoing</strong>")</td>"
            body += "<td class=\"num\">\(incident.duration.map { HTML.escape(DurationParser.format($0)) } ?? "—")</td>"
            body += "<td>\(HTML.escape(incident.outcome.rawValue))</td><td class=\"wide\">\(HTML.escape(incident.error ?? ""))</td></tr>\n"
        }
        return body + "</table>\n"
    }

    /// The last failure: when, what, and the request (its method and URL first) and response as they were.
    static func lastFailure(_ last: InterfaceRecent.LastFailure, recent r: InterfaceRecent, clock: SiteClock) -> String {
        var body = "<h2>Last failure</h2>\n<p><a href=\"../\(SiteLayout.runPage(last.run))\">\(HTML.escape(last.run))</a> · "
        body += "\(HTML.escape(clock.format(last.at))) · \(HTML.escape(outcomeText(last.outcome, certDaysLeft: r.certDaysLeft)))</p>\n"
        if let error = last.error { body += "<p>\(HTML.escape(error))</p>\n" }
        // Lines written before the method was kept (an older analyzer) have the interface's URL only.
        let requestLine = [last.method, last.url ?? r.url].compactMap { $0 }.joined(separator: " ")
        var request = [requestLine]
        if let excerpt = last.request {
            request += excerpt.headers.fields.map { "\($0.name): \($0.value)" }
            if let b = excerpt.body { request += ["", b] }
        }
        body += "<h3>Request</h3>\n<pre id=\"request\">\(HTML.escape(request.joined(separator: "\n")))</pre>\n"
        if let excerpt = last.response {
            var text = excerpt.headers.fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
            if let b = excerpt.body { text += "\n\n" + b }
            body += "<h3>Response</h3>\n<pre>\(HTML.escape(text))</pre>\n"
        }
        return body
    }
}
