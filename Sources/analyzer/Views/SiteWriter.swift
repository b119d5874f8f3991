// SiteWriter: the status site under spool/site/, written after each run from the rollup and the interface
// state (never from the result archive, which retention empties):
//   index.html          what is failing now (since when, silenced or in maintenance), then every service
//                       with its uptime and how many of its interfaces fail
//   s/<service>.html    the service's interfaces: state, uptime 24 h / 7 d / 30 d, P95, the last 90 runs
//   i/<id>.html         one interface: latency charts, outcome strip, incidents, the last failure's excerpts
//   runs/<run>.html     the run's report as HTML
//   runs.html           every run kept, newest first, each linked to its page
// Every page is replaced atomically; run pages older than spool.retention are removed. Pages reload at the
// run interval; times are in notify.timezone (SiteClock). The pages are rendered in SitePages.swift,
// SiteInterfacePage.swift and SiteRuns.swift, their SVG in SiteCharts.swift.

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
    /// Past day files (every day but today), parsed once: all their lines, or — past
    /// web.interface_pages_limit — the lines of the interfaces the site shows in full.
    private struct PastDay {
        var lines: [String: InterfaceDay] = [:]
        var complete = false
        var scanned: Set<String> = []
        var services: [String: [Int]]?
    }
    private var pastDays: [String: PastDay] = [:]

    /// `directory`: web.dir (nil: the spool's site/).
    init(spool: Spool, rollup: Rollup, directory: String? = nil) {
        self.spool = spool
        self.rollup = rollup
        root = directory ?? spool.root + "/site"
    }

    let root: String

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

    /// Writes every page for the state after `analysis`, from what the run's pass collected. Pages reload at
    /// the interval of `schedule`.
    func write(
        _ analysis: RunAnalysis, collection: SiteCollection, incidents: [Incident], report: String, retention: TimeInterval,
        timeZone: TimeZone, schedule: ScheduleSetting? = nil
    ) throws {
        let web = collection.settings
        var gathered = gather(collection, incidents: incidents, now: analysis.startedAt)
        for i in gathered.indices { gathered[i].hasPage = Self.hasPage(gathered[i], count: collection.count, settings: web) }
        let facts = gathered
        let rows = serviceRows(collection, facts: facts, now: analysis.startedAt)
        for directory in ["", "/i", "/s", "/runs"] { try FileIO.makeDirectory(root + directory, mode: spool.permissions.directoryMode) }
        let kept = try writeRunPage(analysis, report: report, retention: retention)
        let clock = SiteClock(timeZone: timeZone)
        let context = SitePageContext(
            clock: clock, refresh: schedule.map { Self.refresh($0, at: analysis.startedAt) }, runs: RunLabels(collection.runs, clock: clock),
            kept: kept)
        let summaries = Self.summaries(at: spool.historyPath, kept: kept)
        try put(HTML.runsPage, Self.runsPage(summaries, others: Array(kept.subtracting(summaries.map(\.run))), context: context))
        try put(
            "index.html",
            Self.index(
                facts, count: collection.count, failingTotal: collection.failing, services: rows, pooled: collection.partial,
                analysis: analysis, recentRuns: Array(summaries.suffix(Rollup.stripLength)), context: context))
        let byService = Dictionary(grouping: facts, by: \.recent.service)
        for row in rows {
            let list = byService[row.name] ?? []
            try put(SiteLayout.servicePage(row.name), Self.servicePage(row.name, list, others: row.interfaces - list.count, context: context))
        }
        // Interface pages are independent: rendered and written on every core (each worker with its own clock:
        // DateFormatter is not to be shared between threads).
        let failure = Mutex<(any Error)?>(nil)
        let (root, mode) = (self.root, spool.permissions.fileMode)
        let paged = facts.filter(\.hasPage)
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, paged.count / 500))
        let (refresh, runs) = (context.refresh, context.runs)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let own = SitePageContext(clock: SiteClock(timeZone: timeZone), refresh: refresh, runs: runs, kept: kept)
            for index in stride(from: worker, to: paged.count, by: workers) {
                do {
                    try Self.put(
                        root + "/" + SiteLayout.interfacePage(paged[index].recent.id), Self.interfacePage(paged[index], context: own), mode: mode)
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
    }

    /// Writes the run's page and removes those older than `retention`; returns the runs whose page is kept.
    private func writeRunPage(_ analysis: RunAnalysis, report: String, retention: TimeInterval) throws -> Set<String> {
        try put(SiteLayout.runPage(analysis.run), HTML.page(title: "Run \(analysis.run)", root: "../", body: HTML.markdown(report)))
        let cutoff = analysis.startedAt.addingTimeInterval(-retention)
        var kept: Set<String> = []
        for name in FileIO.listIfPresent(root + "/runs") where name.hasSuffix(".html") && !name.hasPrefix(".") {
            let run = String(name.dropLast(5))
            if let date = RunID.date(of: run), date < cutoff {
                try? FileIO.unlink(root + "/runs/" + name)
                try? FileIO.unlink(root + "/runs/." + name + ".swap")
            } else if RunID.isValid(run) {
                kept.insert(run)
            }
        }
        return kept
    }

    /// Seconds between runs around `date` (the interval, or a cron expression's gap there), at least 30: how
    /// often a page reloads on a wall screen.
    static func refresh(_ schedule: ScheduleSetting, at date: Date) -> Int {
        if case let .interval(seconds) = schedule { return max(30, Int(seconds.rounded())) }
        guard let next = schedule.next(after: date), let previous = schedule.latest(atOrBefore: date) else { return 900 }
        return max(30, Int(next.timeIntervalSince(previous).rounded()))
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
            return InterfaceFacts(
                recent: r, status: e.status, quiet: e.quiet,
                uptime24h: r.uptime24h(at: hour),
                uptime7d: uptime(last7), uptime30d: uptime(last30),
                p50: LatencyBuckets.quantile(histogram, 0.5), p95: LatencyBuckets.quantile(histogram, 0.95),
                daily: days.indices.map { i in
                    let h = line(i)?.latency ?? []
                    return (days[i].0, LatencyBuckets.quantile(h, 0.5), LatencyBuckets.quantile(h, 0.95))
                },
                incidents: Array((incidents[r.id] ?? []).suffix(20)))
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
}
