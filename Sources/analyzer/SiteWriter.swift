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

    var failing: Bool { status?.health == .failing }
}

final class SiteWriter {
    let spool: Spool
    private let rollup: Rollup
    /// Day files that no longer change (every day but today), parsed once.
    private var pastDays: [String: [String: InterfaceDay]] = [:]

    init(spool: Spool, rollup: Rollup) {
        self.spool = spool
        self.rollup = rollup
    }

    var root: String { spool.root + "/site" }

    /// Writes every page for the state after `analysis`.
    /// Whether an interface gets a page of its own (web.interface_pages): past the limit, only those failing now
    /// or with incidents in the history — the ones an alert links to.
    static func hasPage(_ f: InterfaceFacts, count: Int, settings: WebSettings) -> Bool {
        switch settings.interfacePages {
        case .all: return true
        case .auto where count <= settings.interfacePagesLimit: return true
        case .auto, .failing: return f.failing || !f.incidents.isEmpty
        }
    }

    func write(
        _ analysis: RunAnalysis, state: StateFile, quiet: [String: String], report: String, retention: TimeInterval, timeZone: TimeZone,
        web: WebSettings = WebSettings(), snapshot: Rollup.Snapshot? = nil
    ) throws {
        let clock = ReportClock(timeZone: timeZone)
        var gathered = gather(state: state, quiet: quiet, now: analysis.startedAt, snapshot: snapshot)
        for i in gathered.indices { gathered[i].hasPage = Self.hasPage(gathered[i], count: gathered.count, settings: web) }
        let facts = gathered
        for directory in ["", "/i", "/s", "/runs"] { try FileIO.makeDirectory(root + directory, mode: spool.permissions.directoryMode) }
        try put("index.html", Self.index(facts, analysis: analysis, clock: clock))
        for (service, list) in Dictionary(grouping: facts, by: \.recent.service) {
            try put(SiteLayout.servicePage(service), Self.servicePage(service, list, clock: clock))
        }
        // Interface pages are independent: rendered and written on every core (each worker with its own clock:
        // DateFormatter is not to be shared between threads).
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, facts.count / 500))
        let failure = Mutex<(any Error)?>(nil)
        let (root, mode) = (self.root, spool.permissions.fileMode)
        let paged = facts.filter(\.hasPage)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let own = ReportClock(timeZone: timeZone)
            for index in stride(from: worker, to: paged.count, by: workers) {
                do {
                    try Self.put(
                        root + "/" + SiteLayout.interfacePage(facts[index].recent.id), Self.interfacePage(facts[index], clock: own), mode: mode)
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                    return
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        if paged.count < facts.count {
            // Pages of interfaces that no longer get one are removed, not left to go stale.
            let kept = Set(paged.map { String(SiteLayout.interfacePage($0.recent.id).dropFirst(2)) })
            for name in FileIO.listIfPresent(root + "/i") where name.hasSuffix(".html") && !kept.contains(name) {
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

    /// The facts of every interface in the rollup.
    /// `snapshot`: what the rollup has just written (today's lines, recent, incidents), used instead of reading
    /// the files back.
    func gather(state: StateFile, quiet: [String: String], now: Date, snapshot: Rollup.Snapshot? = nil) -> [InterfaceFacts] {
        let recent = snapshot?.recent ?? rollup.readRecent()
        let today = Rollup.dayName(now)
        var days: [(String, [String: InterfaceDay])] = []
        let names = FileIO.listIfPresent(rollup.daysDirectory).filter { $0.hasSuffix(".ndjson") }.sorted().suffix(30)
        for name in names {
            let day = String(name.prefix(10))
            if day != today, let cached = pastDays[day] {
                days.append((day, cached))
                continue
            }
            let lines = snapshot.flatMap { $0.day == day ? $0.dayLines : nil } ?? rollup.readDay(rollup.daysDirectory + "/" + name, day: day).1
            if day != today { pastDays[day] = lines }
            days.append((day, lines))
        }
        pastDays = pastDays.filter { entry in names.contains { $0.hasPrefix(entry.key) } }
        let incidents = Dictionary(grouping: snapshot?.incidents ?? rollup.readLines(rollup.incidentsPath, as: Incident.self), by: \.id)
        let hour = Int(now.timeIntervalSince1970 / 3600)
        return recent.map { r in
            let hours = r.hours.filter { $0[0] > hour - 24 }
            let last7 = days.suffix(7).compactMap { $0.1[r.id] }
            let last30 = days.compactMap { $0.1[r.id] }
            func uptime(_ list: [InterfaceDay]) -> Double? {
                let runs = list.reduce(0) { $0 + $1.runs }
                return runs == 0 ? nil : 100 * Double(list.reduce(0) { $0 + $1.ok }) / Double(runs)
            }
            let histogram = last7.reduce(into: [Int](repeating: 0, count: LatencyBuckets.bounds.count)) { sum, d in
                for i in sum.indices where i < d.latency.count { sum[i] += d.latency[i] }
            }
            let total = hours.reduce(0) { $0 + $1[2] }
            return InterfaceFacts(
                recent: r, status: state.interfaces[r.id], quiet: quiet[r.id],
                uptime24h: total == 0 ? nil : 100 * Double(hours.reduce(0) { $0 + $1[1] }) / Double(total),
                uptime7d: uptime(last7), uptime30d: uptime(last30),
                p50: LatencyBuckets.quantile(histogram, 0.5), p95: LatencyBuckets.quantile(histogram, 0.95),
                daily: days.map { day, lines in
                    let h = lines[r.id]?.latency ?? []
                    return (day, LatencyBuckets.quantile(h, 0.5), LatencyBuckets.quantile(h, 0.95))
                },
                incidents: Array((incidents[r.id] ?? []).suffix(20)))
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

    static func index(_ facts: [InterfaceFacts], analysis: RunAnalysis, clock: ReportClock) -> String {
        var body = "<h1>Vigil status</h1>\n"
        body += "<p class=\"muted\">Updated \(HTML.escape(clock.format(analysis.finishedAt))) after run "
        body += "<a href=\"\(SiteLayout.runPage(analysis.run))\">\(HTML.escape(analysis.run))</a></p>\n"
        let failing = facts.filter(\.failing).sorted { ($0.status!.since, $0.recent.id) < ($1.status!.since, $1.recent.id) }
        if failing.isEmpty {
            body += "<div class=\"card\"><strong class=\"ok\">All \(facts.count) interfaces are ok.</strong></div>\n"
        } else {
            body += "<h2 id=\"failing\">Failing now (\(failing.count) of \(facts.count))</h2>\n<table>\n"
            body += "<tr><th>Interface</th><th>Service</th><th>State</th></tr>\n"
            for f in failing {
                body += "<tr class=\"failing\" data-id=\"\(HTML.escape(f.recent.id))\"><td><a href=\"\(SiteLayout.interfacePage(f.recent.id))\">"
                body += "\(HTML.escape(f.recent.name))</a></td><td>\(HTML.escape(f.recent.service))</td><td>\(stateCell(f, clock: clock))</td></tr>\n"
            }
            body += "</table>\n"
        }
        body += "<h2>Services</h2>\n<table>\n<tr><th>Service</th><th class=\"num\">Interfaces</th><th class=\"num\">Failing</th>"
        body += "<th class=\"num\">24 h</th><th class=\"num wide\">7 d</th><th class=\"num wide\">30 d</th></tr>\n"
        for (service, list) in Dictionary(grouping: facts, by: \.recent.service).sorted(by: { $0.key < $1.key }) {
            func mean(_ values: [Double?]) -> Double? {
                let known = values.compactMap { $0 }
                return known.isEmpty ? nil : known.reduce(0, +) / Double(known.count)
            }
            let down = list.filter(\.failing).count
            body += "<tr><td><a href=\"s/\(SiteLayout.slug(service)).html\">\(HTML.escape(service))</a></td>"
            body += "<td class=\"num\">\(list.count)</td><td class=\"num\(down > 0 ? " bad" : "")\">\(down)</td>"
            body += "<td class=\"num\">\(Self.percent(mean(list.map(\.uptime24h))))</td>"
            body += "<td class=\"num wide\">\(Self.percent(mean(list.map(\.uptime7d))))</td>"
            body += "<td class=\"num wide\">\(Self.percent(mean(list.map(\.uptime30d))))</td></tr>\n"
        }
        body += "</table>\n<p class=\"muted\">Uptime: runs answered as expected over all runs — 24 h by the hour, 7 d and 30 d by UTC day; "
        body += "a service's figure is the mean of its interfaces'.</p>\n"
        return HTML.page(title: failing.isEmpty ? "Vigil: all ok" : "Vigil: \(failing.count) failing", root: "", body: body)
    }

    static func servicePage(_ service: String, _ facts: [InterfaceFacts], clock: ReportClock) -> String {
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
        return HTML.page(title: "Vigil: \(service)", root: "../", body: body + "</table>\n")
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
            [("latency", "#0969da", r.latencies.map { $0 < 0 ? nil : $0 })], labels: [r.runs.first ?? "", r.runs.last ?? ""], title: "latency per run"
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
