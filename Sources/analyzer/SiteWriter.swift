// SiteWriter: the status site under spool/site/, written after each run from the rollup and the interface
// state (never from the result archive, which retention empties):
//   index.html          what is failing now (since when, silenced or in maintenance), then every service
//                       with its uptime and how many of its interfaces fail
//   s/<service>.html    the service's interfaces: state, uptime 24 h / 7 d / 30 d, P95, the last 90 runs
//   i/<id>.html         one interface: latency charts, outcome strip, incidents, the last failure's excerpts
//   runs/<run>.html     the run's report as HTML
// Every page is replaced atomically; run pages older than spool.retention are removed.

import Foundation
import Shared
import Synchronization

/// The facts of one interface the pages show.
struct InterfaceFacts {
    let recent: InterfaceRecent
    let status: InterfaceStatus?
    let quiet: String?
    /// ok / runs in percent, nil without runs.
    let uptime24h: Double?
    let uptime7d: Double?
    let uptime30d: Double?
    let p50: Double?
    let p95: Double?
    /// (day, P50, P95) for the last 30 days.
    let daily: [(String, Double?, Double?)]
    let incidents: [Incident]
    /// Whether it has a page of its own (web.interface_pages).
    var hasPage = true
    /// The runs its strip starts and ends with (from recent.ndjson's header).
    var firstRun: String?
    var lastRun: String?

    var failing: Bool { status?.health == .failing }
}

final class SiteWriter {
    let spool: Spool
    private let rollup: Rollup
    /// Past day files (every day but today), parsed once: all their lines, or — past
    /// web.interface_pages_limit — the lines of the interfaces the site shows in full.
    private struct PastDay {
        var lines: [String: InterfaceDay] = [:]
        var complete = false
        var scanned: Set<String> = []
        var services: [String: [Int]]?
    }
    private var pastDays: [String: PastDay] = [:]

    init(spool: Spool, rollup: Rollup) {
        self.spool = spool
        self.rollup = rollup
    }

    var root: String { spool.root + "/site" }

    /// Whether an interface gets a page of its own (web.interface_pages): past the limit, only those failing now
    /// or with incidents in the history — the ones an alert links to.
    static func hasPage(_ f: InterfaceFacts, count: Int, settings: WebSettings) -> Bool {
        switch settings.interfacePages {
        case .all: return true
        case .auto where count <= settings.interfacePagesLimit: return true
        case .auto, .failing: return f.failing || !f.incidents.isEmpty
        }
    }

    /// A service's row on the index.
    struct ServiceRow {
        let name: String
        let interfaces: Int
        let failing: Int
        let uptime24h: Double?
        let uptime7d: Double?
        let uptime30d: Double?
    }

    /// Writes every page for the state after `analysis`, from what the run's pass collected.
    func write(
        _ analysis: RunAnalysis, collection: SiteCollection, incidents: [Incident], report: String, retention: TimeInterval,
        timeZone: TimeZone
    ) throws {
        let clock = ReportClock(timeZone: timeZone)
        let web = collection.settings
        var gathered = gather(collection, incidents: incidents, now: analysis.startedAt)
        for i in gathered.indices { gathered[i].hasPage = Self.hasPage(gathered[i], count: collection.count, settings: web) }
        let facts = gathered
        let rows = serviceRows(collection, facts: facts, now: analysis.startedAt)
        for directory in ["", "/i", "/s", "/runs"] { try FileIO.makeDirectory(root + directory, mode: spool.permissions.directoryMode) }
        try put(
            "index.html",
            Self.index(
                facts, count: collection.count, failingTotal: collection.failing, services: rows, pooled: collection.partial,
                analysis: analysis, clock: clock))
        let byService = Dictionary(grouping: facts, by: \.recent.service)
        for row in rows {
            let list = byService[row.name] ?? []
            try put(SiteLayout.servicePage(row.name), Self.servicePage(row.name, list, others: row.interfaces - list.count, clock: clock))
        }
        // Interface pages are independent: rendered and written on every core (each worker with its own clock:
        // DateFormatter is not to be shared between threads).
        let failure = Mutex<(any Error)?>(nil)
        let (root, mode) = (self.root, spool.permissions.fileMode)
        let paged = facts.filter(\.hasPage)
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, paged.count / 500))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let own = ReportClock(timeZone: timeZone)
            for index in stride(from: worker, to: paged.count, by: workers) {
                do {
                    try Self.put(
                        root + "/" + SiteLayout.interfacePage(paged[index].recent.id), Self.interfacePage(paged[index], clock: own), mode: mode)
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                    return
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        // Pages of interfaces that no longer get one (past the limit, or forgotten) are removed, not left to go stale.
        let pages = FileIO.listIfPresent(root + "/i").filter { $0.hasSuffix(".html") }
        if pages.count > paged.count {
            let kept = Set(paged.map { String(SiteLayout.interfacePage($0.recent.id).dropFirst(2)) })
            for name in pages where !kept.contains(name) {
                try? FileIO.unlink(root + "/i/" + name)
                try? FileIO.unlink(root + "/i/." + name + ".swap")
            }
        }
        try put(
            SiteLayout.runPage(analysis.run),
            HTML.page(title: "Run \(analysis.run)", root: "../", body: HTML.markdown(report)))
        let cutoff = analysis.startedAt.addingTimeInterval(-retention)
        for name in FileIO.listIfPresent(root + "/runs") where name.hasSuffix(".html") {
            if let date = RunID.date(of: String(name.dropLast(5))), date < cutoff {
                try? FileIO.unlink(root + "/runs/" + name)
                try? FileIO.unlink(root + "/runs/." + name + ".swap")
            }
        }
    }

    private func put(_ relative: String, _ text: String) throws {
        try Self.put(root + "/" + relative, text, mode: spool.permissions.fileMode)
    }

    private static func put(_ path: String, _ text: String, mode: mode_t) throws {
        try FileIO.replaceView(path, with: Array(text.utf8), mode: mode)
    }

    /// The last 30 day files (today's included), oldest first.
    private func dayNames() -> [String] {
        FileIO.listIfPresent(rollup.daysDirectory).filter { $0.hasSuffix(".ndjson") }.sorted().suffix(30).map { String($0.prefix(10)) }
    }

    /// A past day's lines for `wanted` ids (all when nil), read once and kept.
    private func pastDay(_ day: String, wanted: Set<String>?) -> PastDay {
        var cached = pastDays[day] ?? PastDay()
        let path = rollup.dayPath(day)
        if let wanted {
            if cached.complete, cached.lines.count > 4 * max(wanted.count, 1000) {
                // The pool grew past the limit: keep only what is shown.
                cached.lines = cached.lines.filter { wanted.contains($0.key) }
                cached.complete = false
                cached.scanned = wanted
            }
            let missing = cached.complete ? [] : wanted.subtracting(cached.scanned)
            if !missing.isEmpty {
                cached.lines.merge(rollup.readDay(path, wanted: missing)) { $1 }
                cached.scanned.formUnion(missing)
            }
        } else if !cached.complete {
            cached = PastDay(lines: rollup.readDay(path), complete: true, scanned: [], services: cached.services)
        }
        if cached.services == nil { cached.services = rollup.dayServices(path) ?? [:] }
        pastDays[day] = cached
        return cached
    }

    /// The facts of every interface the pass collected.
    func gather(_ collection: SiteCollection, incidents: [Incident], now: Date) -> [InterfaceFacts] {
        let today = Rollup.dayName(now)
        let names = dayNames()
        let wanted: Set<String>? = collection.partial ? Set(collection.entries.map(\.recent.id)) : nil
        var days: [(String, [String: InterfaceDay])] = []
        for day in names where day != today { days.append((day, pastDay(day, wanted: wanted).lines)) }
        pastDays = pastDays.filter { names.contains($0.key) && $0.key != today }
        let todayIndex = names.contains(today) ? days.count : nil
        if todayIndex != nil { days.append((today, [:])) }
        let incidents = Dictionary(grouping: incidents, by: \.id)
        let hour = Int(now.timeIntervalSince1970 / 3600)
        let runs = collection.runs
        return collection.entries.map { e in
            let r = e.recent
            func line(_ index: Int) -> InterfaceDay? { index == todayIndex ? e.today : days[index].1[r.id] }
            let last7 = (max(0, days.count - 7)..<days.count).compactMap(line)
            let last30 = days.indices.compactMap(line)
            func uptime(_ list: [InterfaceDay]) -> Double? {
                let runs = list.reduce(0) { $0 + $1.runs }
                return runs == 0 ? nil : 100 * Double(list.reduce(0) { $0 + $1.ok }) / Double(runs)
            }
            let histogram = last7.reduce(into: [Int](repeating: 0, count: LatencyBuckets.bounds.count)) { sum, d in
                for i in sum.indices where i < d.latency.count { sum[i] += d.latency[i] }
            }
            var facts = InterfaceFacts(
                recent: r, status: e.status, quiet: e.quiet,
                uptime24h: r.uptime24h(at: hour),
                uptime7d: uptime(last7), uptime30d: uptime(last30),
                p50: LatencyBuckets.quantile(histogram, 0.5), p95: LatencyBuckets.quantile(histogram, 0.95),
                daily: days.indices.map { i in
                    let h = line(i)?.latency ?? []
                    return (days[i].0, LatencyBuckets.quantile(h, 0.5), LatencyBuckets.quantile(h, 0.95))
                },
                incidents: Array((incidents[r.id] ?? []).suffix(20)))
            facts.firstRun = runs.isEmpty ? nil : runs[max(0, runs.count - r.strip.count)]
            facts.lastRun = runs.last
            return facts
        }
    }

    /// The index's service rows: a service's uptime is the mean of its interfaces'; past
    /// web.interface_pages_limit, over 7 and 30 days, all its runs pooled (from the day files' service totals).
    private func serviceRows(_ collection: SiteCollection, facts: [InterfaceFacts], now: Date) -> [ServiceRow] {
        func mean(_ values: [Double?]) -> Double? {
            let known = values.compactMap { $0 }
            return known.isEmpty ? nil : known.reduce(0, +) / Double(known.count)
        }
        if !collection.partial {
            return Dictionary(grouping: facts, by: \.recent.service).sorted(by: { $0.key < $1.key }).map { service, list in
                ServiceRow(
                    name: service, interfaces: list.count, failing: list.filter(\.failing).count, uptime24h: mean(list.map(\.uptime24h)),
                    uptime7d: mean(list.map(\.uptime7d)), uptime30d: mean(list.map(\.uptime30d)))
            }
        }
        let names = dayNames()
        let totals = names.map { day in pastDays[day]?.services ?? rollup.dayServices(rollup.dayPath(day)) ?? [:] }
        func pooled(_ service: String, last count: Int) -> Double? {
            let sums = totals.suffix(count).compactMap { $0[service] }.reduce([0, 0]) { [$0[0] + $1[0], $0[1] + ($1.count > 1 ? $1[1] : 0)] }
            return sums[0] == 0 ? nil : 100 * Double(sums[1]) / Double(sums[0])
        }
        return collection.services.sorted(by: { $0.key < $1.key }).map { service, t in
            ServiceRow(
                name: service, interfaces: t.interfaces, failing: t.failing,
                uptime24h: t.uptime24hCount == 0 ? nil : t.uptime24hSum / Double(t.uptime24hCount),
                uptime7d: pooled(service, last: 7), uptime30d: pooled(service, last: 30))
        }
    }

    static func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "—" }
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100) %"
    }
    static func ms(_ value: Double?) -> String { value.map { ReportRenderer.ms($0) } ?? "—" }

    private static func stateCell(_ f: InterfaceFacts, clock: ReportClock) -> String {
        guard let status = f.status else { return "<span class=\"muted\">no state yet</span>" }
        let quiet = f.quiet.map { " <span class=\"muted\">(\(HTML.escape($0)))</span>" } ?? ""
        if status.health == .failing {
            return "<span class=\"bad\">\(HTML.escape(status.outcome.kind?.label ?? "failing")): \(HTML.escape(status.outcome.summary))</span>"
                + " since \(HTML.escape(clock.format(status.since)))" + quiet
        }
        return "<span class=\"ok\">ok</span>" + quiet
    }

    /// `failingTotal`: interfaces failing now, those without a page (past web.interface_pages_limit) included.
    static func index(
        _ facts: [InterfaceFacts], count: Int, failingTotal: Int? = nil, services: [ServiceRow], pooled: Bool, analysis: RunAnalysis,
        clock: ReportClock
    ) -> String {
        var body = "<h1>Vigil status</h1>\n"
        body += "<p class=\"muted\">Updated \(HTML.escape(clock.format(analysis.finishedAt))) after run "
        body += "<a href=\"\(SiteLayout.runPage(analysis.run))\">\(HTML.escape(analysis.run))</a></p>\n"
        let failing = facts.filter(\.failing).sorted { ($0.status!.since, $0.recent.id) < ($1.status!.since, $1.recent.id) }
        let failingCount = max(failingTotal ?? 0, failing.count)
        if failing.isEmpty && failingCount == 0 {
            body += "<div class=\"card\"><strong class=\"ok\">All \(count) interfaces are ok.</strong></div>\n"
        } else {
            body += "<h2 id=\"failing\">Failing now (\(failingCount) of \(count))</h2>\n<table>\n"
            body += "<tr><th>Interface</th><th>Service</th><th>State</th></tr>\n"
            for f in failing {
                body += "<tr class=\"failing\" data-id=\"\(HTML.escape(f.recent.id))\"><td><a href=\"\(SiteLayout.interfacePage(f.recent.id))\">"
                body += "\(HTML.escape(f.recent.name))</a></td><td>\(HTML.escape(f.recent.service))</td><td>\(stateCell(f, clock: clock))</td></tr>\n"
            }
            body += "</table>\n"
            if failingCount > failing.count {
                body += "<p class=\"muted\">… and \(failingCount - failing.count) more failing, without a page of their own "
                body += "(web.interface_pages_limit): <a href=\"\(SiteLayout.runPage(analysis.run))\">the run's report</a> lists them all.</p>\n"
            }
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
        return HTML.page(title: failingCount == 0 ? "Vigil: all ok" : "Vigil: \(failingCount) failing", root: "", body: body)
    }

    /// `others`: interfaces of the service not shown (past web.interface_pages_limit, the healthy ones).
    static func servicePage(_ service: String, _ facts: [InterfaceFacts], others: Int = 0, clock: ReportClock) -> String {
        var body = "<h1>\(HTML.escape(service))</h1>\n<table>\n<tr><th>Interface</th><th>State</th><th class=\"num\">24 h</th>"
        body += "<th class=\"num wide\">7 d</th><th class=\"num wide\">30 d</th><th class=\"num\">P95</th><th class=\"wide\">Last 90 runs</th></tr>\n"
        for f in facts.sorted(by: { $0.recent.id < $1.recent.id }) {
            let name = HTML.escape(f.recent.name)
            // Past web.interface_pages_limit a healthy interface has no page: its name is not a link.
            body +=
                "<tr data-id=\"\(HTML.escape(f.recent.id))\"><td>"
                + (f.hasPage ? "<a href=\"../\(SiteLayout.interfacePage(f.recent.id))\">\(name)</a>" : name) + "</td>"
            body += "<td>\(stateCell(f, clock: clock))</td><td class=\"num uptime-24h\">\(Self.percent(f.uptime24h))</td>"
            body +=
                "<td class=\"num wide uptime-7d\">\(Self.percent(f.uptime7d))</td><td class=\"num wide uptime-30d\">\(Self.percent(f.uptime30d))</td>"
            body += "<td class=\"num\">\(Self.ms(f.p95))</td><td class=\"wide\">\(HTML.strip(f.recent.strip))</td></tr>\n"
        }
        body += "</table>\n"
        if others > 0 {
            body +=
                "<p class=\"muted\">\(others) more interface(s), none failing nor with incidents, are counted on the index but not listed "
                + "(past web.interface_pages_limit).</p>\n"
        }
        return HTML.page(title: "Vigil: \(service)", root: "../", body: body)
    }

    static func interfacePage(_ f: InterfaceFacts, clock: ReportClock) -> String {
        let r = f.recent
        var body = "<h1>\(HTML.escape(r.name))</h1>\n<p class=\"muted\">\(HTML.escape(r.id)) · <a href=\"../s/\(SiteLayout.slug(r.service)).html\">"
        body += "\(HTML.escape(r.service))</a> · <code>\(HTML.escape(r.url))</code></p>\n"
        body += "<div class=\"card\"><p>Now: \(stateCell(f, clock: clock))</p>\n<table>\n"
        body += "<tr><th>Uptime 24 h</th><td class=\"num\" id=\"uptime-24h\">\(Self.percent(f.uptime24h))</td></tr>\n"
        body += "<tr><th>Uptime 7 d</th><td class=\"num\" id=\"uptime-7d\">\(Self.percent(f.uptime7d))</td></tr>\n"
        body += "<tr><th>Uptime 30 d</th><td class=\"num\" id=\"uptime-30d\">\(Self.percent(f.uptime30d))</td></tr>\n"
        body += "<tr><th>Latency 7 d</th><td class=\"num\">P50 \(Self.ms(f.p50)) · P95 \(Self.ms(f.p95))</td></tr>\n"
        if let days = r.certDaysLeft {
            body += "<tr><th>Certificate</th><td class=\"num\(days < 14 ? " warn" : "")\">\(days) days left</td></tr>\n"
        }
        body += "</table></div>\n<h2>Last \(r.strip.count) runs</h2>\n\(HTML.strip(r.strip, width: 540))\n"
        body += "<h2>Latency per run</h2>\n"
        body += HTML.chart(
            [("latency", "#0969da", r.latencies.map { $0 < 0 ? nil : $0 })], labels: [f.firstRun ?? "", f.lastRun ?? ""], title: "latency per run"
        )
        body += "\n<h2>Latency by day</h2>\n"
        body += HTML.chart(
            [("P50", "#0969da", f.daily.map(\.1)), ("P95", "#bc4c00", f.daily.map(\.2))], labels: [f.daily.first?.0 ?? "", f.daily.last?.0 ?? ""],
            title: "P50 and P95 by day")
        body += "\n<h2>Incidents</h2>\n"
        if f.incidents.isEmpty {
            body += "<p class=\"muted\">None in the history.</p>\n"
        } else {
            body +=
                "<table id=\"incidents\">\n<tr><th>Start</th><th>End</th><th class=\"num\">Duration</th><th>Outcome</th><th class=\"wide\">Error</th></tr>\n"
            for incident in f.incidents.reversed() {
                body += "<tr class=\"incident\"><td>\(HTML.escape(clock.format(incident.start)))</td>"
                body += "<td>\(incident.end.map { HTML.escape(clock.format($0)) } ?? "<strong class=\"bad\">ongoing</strong>")</td>"
                body += "<td class=\"num\">\(incident.duration.map { HTML.escape(DurationParser.format($0)) } ?? "—")</td>"
                body += "<td>\(HTML.escape(incident.outcome.rawValue))</td><td class=\"wide\">\(HTML.escape(incident.error ?? ""))</td></tr>\n"
            }
            body += "</table>\n"
        }
        if let last = r.lastFailure {
            body += "<h2>Last failure</h2>\n<p><a href=\"../\(SiteLayout.runPage(last.run))\">\(HTML.escape(last.run))</a> · "
            body += "\(HTML.escape(clock.format(last.at))) · \(HTML.escape(last.outcome.summary))</p>\n"
            if let error = last.error { body += "<p>\(HTML.escape(error))</p>\n" }
            for (title, excerpt) in [("Request", last.request), ("Response", last.response)] {
                guard let excerpt else { continue }
                var text = excerpt.headers.fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
                if let b = excerpt.body { text += "\n\n" + b }
                body += "<h3>\(title)</h3>\n<pre>\(HTML.escape(text))</pre>\n"
            }
        }
        return HTML.page(title: "Vigil: \(r.name)", root: "../", body: body)
    }
}
