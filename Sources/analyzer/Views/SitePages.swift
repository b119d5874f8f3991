// SitePages: the status site's index, service and interface pages, rendered from the facts SiteWriter gathered.
// Every time on them is in the configured zone with the zone named (SiteClock); every page but a run's
// reloads itself at the run interval, and links to the list of runs.

import Foundation
import Shared

/// What every page of one write shares.
struct SitePageContext {
    /// One per thread (DateFormatter).
    let clock: SiteClock
    /// Seconds after which a page reloads (the run interval).
    let refresh: Int?
    /// recent.ndjson's runs, oldest first (an interface's strip ends with the last of them), and how their start
    /// times read.
    let runs: RunLabels
    /// Runs whose page is kept (runs/<run>.html).
    let kept: Set<String>

    /// The positions in `runs` of the last `count` runs, oldest first (nil before the history began).
    func positions(last count: Int) -> [Int?] {
        let offset = runs.ids.count - count
        return (0..<count).map { offset + $0 >= 0 ? offset + $0 : nil }
    }
}

/// The runs the strips cover and their start times as people read them, formatted once per write: an interface
/// page has up to 90 cells, marks and ticks, and formatting them page by page cost seconds over 10 000 pages.
struct RunLabels: Sendable {
    let ids: [String]
    /// "2026-11-22 23:00:00 GMT+8"
    let full: [String]
    /// "23:00", and "11-22 23:00" for an axis or cell that spans days.
    let time: [String]
    let dayTime: [String]
    /// The local day ("2026-11-22") and the zone's name ("GMT+8").
    let day: [String]
    let zone: [String]

    init(_ ids: [String], clock: SiteClock) {
        // A run id that does not start with a time (written by hand) reads as the id itself.
        let dates = ids.map(RunID.date(of:))
        self.ids = ids
        full = zip(ids, dates).map { id, date in date.map(clock.format) ?? id }
        time = zip(ids, dates).map { id, date in date.map { clock.string($0, "HH:mm") } ?? id }
        dayTime = zip(ids, dates).map { id, date in date.map { clock.string($0, "MM-dd HH:mm") } ?? id }
        day = zip(ids, dates).map { id, date in date.map { clock.string($0, "yyyy-MM-dd") } ?? id }
        zone = dates.map { date in clock.zoneName(date ?? Date()) }
    }

    /// How positions `from` and `to` read together: "23:00" and "23:45", or with their days when they differ.
    func span(_ from: Int, _ to: Int) -> (String, String) {
        day[from] == day[to] ? (time[from], time[to]) : (dayTime[from], dayTime[to])
    }
}

extension SiteWriter {
    static func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "—" }
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100) %"
    }
    static func ms(_ value: Double?) -> String { value.map { ReportRenderer.ms($0) } ?? "—" }

    /// "timeout", or for a certificate "certificate expiring: 9 days left".
    static func outcomeText(_ outcome: Outcome, certDaysLeft: Int?) -> String {
        guard outcome == .certExpiring else { return outcome.summary }
        guard let days = certDaysLeft else { return "certificate expiring" }
        return days < 0 ? "certificate expired \(-days) day(s) ago" : "certificate expiring: \(days) day\(days == 1 ? "" : "s") left"
    }

    static func stateCell(_ f: InterfaceFacts, clock: SiteClock) -> String {
        guard let status = f.status else { return "<span class=\"muted\">no state yet</span>" }
        let quiet = f.quiet.map { " <span class=\"muted\">(\(HTML.escape($0)))</span>" } ?? ""
        if status.health == .failing {
            let what =
                status.outcome == .certExpiring
                ? outcomeText(status.outcome, certDaysLeft: f.recent.certDaysLeft)
                : "\(status.outcome.kind?.label ?? "failing"): \(status.outcome.summary)"
            return "<span class=\"bad\">\(HTML.escape(what))</span> since \(HTML.escape(clock.format(status.since)))" + quiet
        }
        return "<span class=\"ok\">ok</span>" + quiet
    }

    /// `failingTotal`: interfaces failing now, those without a page (past web.interface_pages_limit) included.
    /// `recentRuns`: the last runs' summaries, oldest first, for the runs strip.
    static func index(
        _ facts: [InterfaceFacts], count: Int, failingTotal: Int? = nil, services: [ServiceRow], pooled: Bool, analysis: RunAnalysis,
        recentRuns: [RunSummary] = [], context: SitePageContext
    ) -> String {
        let clock = context.clock
        var body = "<h1>Vigil status</h1>\n"
        body += "<p class=\"muted\">Updated \(HTML.escape(clock.format(analysis.finishedAt))) after run "
        body += "<a href=\"\(SiteLayout.runPage(analysis.run))\">\(HTML.escape(analysis.run))</a> · "
        body += "<a href=\"\(HTML.runsPage)\">all runs</a></p>\n"
        let failing = facts.filter(\.failing).sorted { ($0.status!.since, $0.recent.id) < ($1.status!.since, $1.recent.id) }
        let failingCount = max(failingTotal ?? 0, failing.count)
        if failing.isEmpty && failingCount == 0 {
            body += "<div class=\"card\"><strong class=\"ok\">All \(count) interfaces are ok.</strong></div>\n"
        } else {
            body += "<h2 id=\"failing\">Failing now (\(failingCount) of \(count))</h2>\n<table>\n"
            body += "<tr><th>Interface</th><th class=\"wide\">Service</th><th>State</th></tr>\n"
            for f in failing {
                body += "<tr class=\"failing\" data-id=\"\(HTML.escape(f.recent.id))\"><td><a href=\"\(SiteLayout.interfacePage(f.recent.id))\">"
                body += "\(HTML.escape(f.recent.name))</a></td><td class=\"wide\">\(HTML.escape(f.recent.service))</td>"
                body += "<td>\(stateCell(f, clock: clock))</td></tr>\n"
            }
            body += "</table>\n"
            if failingCount > failing.count {
                body += "<p class=\"muted\">… and \(failingCount - failing.count) more failing, without a page of their own "
                body += "(web.interface_pages_limit): <a href=\"\(SiteLayout.runPage(analysis.run))\">the run's report</a> lists them all.</p>\n"
            }
        }
        if !recentRuns.isEmpty {
            body += "<h2>Last \(recentRuns.count) runs</h2>\n" + runsStrip(recentRuns, context: context, root: "") + "\n"
        }
        body += "<h2>Services</h2>\n<table>\n<tr><th>Service</th><th class=\"num\">Interfaces</th><th class=\"num\">Failing</th>"
        body += "<th class=\"num\">24 h</th><th class=\"num wide\">7 d</th><th class=\"num wide\">30 d</th></tr>\n"
        for row in services {
            body += "<tr><td><a href=\"s/\(SiteLayout.slug(row.name)).html\">\(HTML.escape(row.name))</a></td>"
            body += "<td class=\"num\">\(row.interfaces)</td><td class=\"num\(row.failing > 0 ? " bad" : "")\">\(row.failing)</td>"
            body += "<td class=\"num\">\(Self.percent(row.uptime24h))</td>"
            body += "<td class=\"num wide\">\(Self.percent(row.uptime7d))</td>"
            body += "<td class=\"num wide\">\(Self.percent(row.uptime30d))</td></tr>\n"
        }
        body += "</table>\n<p class=\"muted\">Uptime: runs answered as expected over all runs — 24 h by the hour, 7 d and 30 d by UTC day; "
        body +=
            pooled
            ? "a service's 24 h figure is the mean of its interfaces', its 7 d and 30 d figures pool all its runs.</p>\n"
            : "a service's figure is the mean of its interfaces'.</p>\n"
        return HTML.page(
            title: failingCount == 0 ? "Vigil: all ok" : "Vigil: \(failingCount) failing", root: "", body: body, refresh: context.refresh)
    }

    /// `others`: interfaces of the service not shown (past web.interface_pages_limit, the healthy ones).
    static func servicePage(_ service: String, _ facts: [InterfaceFacts], others: Int = 0, context: SitePageContext) -> String {
        var body = "<h1>\(HTML.escape(service))</h1>\n<table>\n<tr><th>Interface</th><th>State</th><th class=\"num\">24 h</th>"
        body += "<th class=\"num wide\">7 d</th><th class=\"num wide\">30 d</th><th class=\"num\">P95</th><th class=\"wide\">Last 90 runs</th></tr>\n"
        for f in facts.sorted(by: { $0.recent.id < $1.recent.id }) {
            let name = HTML.escape(f.recent.name)
            // Past web.interface_pages_limit a healthy interface has no page: its name is not a link.
            body +=
                "<tr data-id=\"\(HTML.escape(f.recent.id))\"><td>"
                + (f.hasPage ? "<a href=\"../\(SiteLayout.interfacePage(f.recent.id))\">\(name)</a>" : name) + "</td>"
            body += "<td>\(stateCell(f, clock: context.clock))</td><td class=\"num uptime-24h\">\(Self.percent(f.uptime24h))</td>"
            body +=
                "<td class=\"num wide uptime-7d\">\(Self.percent(f.uptime7d))</td><td class=\"num wide uptime-30d\">\(Self.percent(f.uptime30d))</td>"
            body += "<td class=\"num\">\(Self.ms(f.p95))</td><td class=\"wide\">\(HTML.strip(f.recent.strip))</td></tr>\n"
        }
        body += "</table>\n<div class=\"wide\">\(HTML.stripLegend)</div>\n"
        if others > 0 {
            body +=
                "<p class=\"muted\">\(others) more interface(s), none failing nor with incidents, are counted on the index but not listed "
                + "(past web.interface_pages_limit).</p>\n"
        }
        return HTML.page(title: "Vigil: \(service)", root: "../", body: body, refresh: context.refresh)
    }
}
