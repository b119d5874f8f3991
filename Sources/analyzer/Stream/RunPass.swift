// RunPass: one streaming pass over a run. The results of its batches (merged in id order) are joined with the
// files the run rewrites — the interface state, today's day file and recent.ndjson, all kept in id order —
// and every interface is handled once, in order: its new state line, its transition (quiet or not), its
// metric series, its rollup lines, what the status site needs of it. Each output goes record by record into
// a temporary file; nothing is renamed into place here (RunReporter commits them in its crash-safe order), so
// a pass that has to start again — a file found out of order, a batch unusable — leaves nothing behind.
// Memory holds the failures, the ten slowest, the latencies (8 bytes a result) and, for the site, at most
// web.interface_pages_limit interfaces — never the run's results nor the state.

import Foundation
import Shared

/// What the status site needs of a run: the interfaces it shows in full (all of them up to
/// web.interface_pages_limit; past it, those failing or with incidents) and every service's totals.
struct SiteCollection {
    struct Entry {
        let recent: InterfaceRecent
        let today: InterfaceDay?
        let status: InterfaceStatus?
        let quiet: String?
    }
    struct ServiceTotals {
        var interfaces = 0
        var failing = 0
        var uptime24hSum = 0.0
        var uptime24hCount = 0
    }

    let settings: WebSettings
    let hour: Int
    /// recent.ndjson's runs (oldest first), for the charts' labels.
    var runs: [String] = []
    /// Ids with incidents in the history (they keep a page).
    let withIncidents: Set<String>
    private(set) var entries: [Entry] = []
    private(set) var services: [String: ServiceTotals] = [:]
    private(set) var count = 0
    /// Interfaces failing now, kept or not.
    private(set) var failing = 0
    /// Whether healthy interfaces were left out (past the limit).
    private(set) var partial = false

    init(settings: WebSettings, hour: Int, withIncidents: Set<String>) {
        self.settings = settings
        self.hour = hour
        self.withIncidents = withIncidents
        partial = settings.interfacePages == .failing
    }

    /// Counts an interface, and keeps it if the site shows it in full.
    mutating func add(recent: consuming InterfaceRecent, today: consuming InterfaceDay?, status: consuming InterfaceStatus?, quiet: String?) {
        count += 1
        let failing = status?.health == .failing
        if failing { self.failing += 1 }
        let up = recent.uptime24h(at: hour)
        services[recent.service, default: ServiceTotals()].record(failing: failing, uptime24h: up)
        if !partial, settings.interfacePages == .auto, count > settings.interfacePagesLimit {
            partial = true
            let incidents = withIncidents
            entries.removeAll { !($0.status?.health == .failing || incidents.contains($0.recent.id)) }
        }
        // Past the limit, those failing or with incidents — but never more than the limit: in a mass outage of
        // a huge pool the site stays the size the limit says (the report lists every failure).
        if !partial || ((failing || withIncidents.contains(recent.id)) && entries.count < settings.interfacePagesLimit) {
            entries.append(Entry(recent: recent, today: today, status: status, quiet: quiet))
        }
    }
}

extension SiteCollection.ServiceTotals {
    mutating func record(failing: Bool, uptime24h: Double?) {
        interfaces += 1
        if failing { self.failing += 1 }
        if let uptime24h {
            uptime24hSum += uptime24h
            uptime24hCount += 1
        }
    }
}

/// Outputs of a pass, written to temporary files, committed by the reporter.
final class PassOutput {
    var analysis: RunAnalysis
    var changes = StateChanges(updated: StateFile())
    var quiet: [String: String] = [:]
    /// The state lines (under a header the reporter writes once the alert is decided).
    let stateBody: SpillFile
    /// Today's day file and recent.ndjson, nil when the run is already in the rollup (a redo).
    let day: AtomicFileWriter?
    let recent: AtomicFileWriter?
    let metrics: MetricsStream
    var site: SiteCollection
    var badLines: [(claim: ClaimedFile, lines: [BadLine])] = []
    var newIDs: [String] = []
    var newCount = 0
    var goneIDs: [String] = []
    var goneCount = 0
    /// Interfaces without a result for longer than history.retention, dropped from the state and history.
    var forgottenIDs: [String] = []
    var forgottenCount = 0
    var stateWasEmpty = true

    init(
        analysis: RunAnalysis, stateBody: SpillFile, day: AtomicFileWriter?, recent: AtomicFileWriter?, metrics: MetricsStream,
        site: SiteCollection
    ) {
        self.analysis = analysis
        self.stateBody = stateBody
        self.day = day
        self.recent = recent
        self.metrics = metrics
        self.site = site
    }
}

struct RunPass {
    let spool: Spool
    let config: Config
    let statePath: String

    /// Streams `pending` once. Throws `PassRestart` when it must be done again differently.
    func run(_ pending: PendingRun, sortFiles: Set<String>, incidentIDs: Set<String>) throws -> PassOutput {
        let analysis = RunAnalysis(pending, timeZone: config.notify.timeZone, scratch: spool.stateDirectory)
        let run = analysis.run
        let rollup = Rollup(spool: spool, retention: config.history.retention)
        let dayName = Rollup.dayName(analysis.startedAt)
        let dayHeader = rollup.dayHeader(dayName)
        let rolling = !dayHeader.runs.contains(run)
        try FileIO.makeDirectory(rollup.daysDirectory, mode: 0o700)
        let mode = spool.permissions.fileMode
        let hour = Int(analysis.startedAt.timeIntervalSince1970 / 3600)

        // Each file is read and parsed on a thread of its own, ahead of the join.
        let state = try IDLines(path: statePath, header: true, inMemory: sortFiles.contains(statePath)) { InterfaceLine.scan(line: $0)?.status }
        defer { state.stop() }
        let days = try IDLines(path: rollup.dayPath(dayName), header: false, inMemory: sortFiles.contains(rollup.dayPath(dayName))) {
            InterfaceDay.scan(line: $0)
        }
        defer { days.stop() }
        let recents = try IDLines(path: rollup.recentPath, header: false, inMemory: sortFiles.contains(rollup.recentPath)) {
            InterfaceRecent.scan(line: $0)
        }
        defer { recents.stop() }
        let batches = pending.batches.map { ($0.key, $0.value.claim) }
        let results = PrefetchedResults(batches)
        defer { results.stop() }

        let announced = pending.batches.values.reduce(0) { sum, batch in
            if case let .trailer(t) = batch.end { return sum + t.count }
            return sum
        }
        let out = PassOutput(
            analysis: analysis, stateBody: try SpillFile(directory: spool.stateDirectory),
            day: rolling ? try AtomicFileWriter(path: rollup.dayPath(dayName), mode: mode) : nil,
            recent: rolling ? try AtomicFileWriter(path: rollup.recentPath, mode: mode) : nil,
            metrics: try MetricsStream(
                settings: config.metrics, announced: announced, directory: config.spool.metricsDirectory ?? spool.metricsDirectory),
            site: SiteCollection(settings: config.web, hour: hour, withIncidents: incidentIDs))
        if let header = state.header {
            if let decoded = try? RecordDecoder().decode(StateHeader.self, from: header) {
                out.changes.updated.alerts = decoded.alerts
            } else {
                Log.error("\(statePath):1: unreadable interface state header; the last alerts are forgotten")
            }
        }
        out.stateWasEmpty = try state.peek() == nil

        if let day = out.day {
            var header = dayHeader
            header.runs.append(run)
            try day.line(try RecordCoding.encode(header))
        }
        // The runs the strips end with: this one folded in, or (a redo) as they are.
        let recentRuns = rollup.recentHeader().runs
        out.site.runs = rolling ? Array((recentRuns + [run]).suffix(Rollup.stripLength)) : recentRuns
        if let recent = out.recent { try recent.line(try RecordCoding.encode(RecentHeader(runs: out.site.runs))) }

        let rules = InterfaceRules(
            run: run, runStartedAt: analysis.startedAt, alerting: config.alerts, services: config.services,
            quiet: QuietRules(
                silences: Silence.load(spool.stateDirectory + "/silences"), windows: config.maintenance, at: analysis.startedAt,
                timeZone: config.notify.timeZone))
        let judging = Judging(
            blindShards: analysis.blindShards, locationNames: analysis.locationNames, locations: config.locations, services: config.services)
        var heard = HeardChanges()
        var dayTotals: [String: [Int]] = [:]
        // An interface with no result since before the history's window (renamed, deleted) is forgotten, after
        // a complete run only: a missing shard never makes anything forgotten.
        let forgetBefore = analysis.startedAt.addingTimeInterval(-config.history.retention)

        while true {
            let next = IDOrder.first(IDOrder.first(try results.peek(), try state.peek()), IDOrder.first(try days.peek(), try recents.peek()))
            guard let id = next else { break }
            var rs = try results.take(id)
            // Which results count: a blind shard's never; several locations' as one verdict (Decide).
            if let degraded = judging.judge(&rs) { out.analysis.degraded.append((id, rs[0].name, degraded)) }
            // Records are moved out of the entries (`take`), never copied: a copy retains each of their texts.
            var stateEntry = try state.take(id)
            var dayEntry = try days.take(id)
            var recentEntry = try recents.take(id)

            // Interface state and transitions.
            // (Fields are read through `?.`: binding a whole entry with `if let` would copy it.)
            var previous: InterfaceStatus? = stateEntry?.parsed.take()
            if !previous.isPresent, let number = stateEntry?.number {
                Log.error("\(statePath):\(number): unreadable interface state line; that interface starts afresh")
            }
            var latest: InterfaceStatus?
            var forgotten = false
            if rs.isEmpty {
                forgotten =
                    !out.analysis.isIncomplete && !out.analysis.poolIncomplete && !out.analysis.isBlind
                    && (previous?.runStartedAt ?? .distantFuture) < forgetBefore
                if forgotten {
                    out.forgottenCount += 1
                    if out.forgottenIDs.count < 20 { out.forgottenIDs.append(id) }
                } else if previous.isPresent, let bytes = stateEntry?.bytes {
                    try out.stateBody.line(bytes)
                }
                if previous.isPresent, !forgotten, !out.stateWasEmpty, !out.analysis.isIncomplete, !out.analysis.poolIncomplete, !out.analysis.isBlind
                {
                    out.goneCount += 1
                    if out.goneIDs.count < 20 { out.goneIDs.append(id) }
                }
            } else {
                if !previous.isPresent, !out.stateWasEmpty {
                    out.newCount += 1
                    if out.newIDs.count < 20 { out.newIDs.append(id) }
                }
                for result in rs {
                    out.analysis.add(result)
                    try out.metrics.add(result)
                }
                // The interface's new state and what the team hears of it: the rules in Decide, nothing else here.
                let decided = rules.decide(rs, previous: previous, into: &heard)
                latest = decided.latest
                if let reason = decided.quiet { out.quiet[id] = reason }
                if out.quiet[id] != nil {
                    out.analysis.quietFailures += rs.count { $0.outcome.isFailure || $0.outcome == .skipped }
                }
                if latest.isPresent {
                    try out.stateBody.line { InterfaceLine(id: id, status: latest!).write(into: &$0) }
                } else if previous.isPresent, let bytes = stateEntry?.bytes {
                    try out.stateBody.line(bytes)
                }
            }

            // Rollup: today's line and the recent line, folded in (or copied as they are).
            var today = dayEntry?.parsed.take()
            var recent = forgotten ? nil : recentEntry?.parsed.take()
            if rolling, !rs.isEmpty {
                if !today.isPresent { today = InterfaceDay(id: id, day: dayName) }
                if !recent.isPresent { recent = InterfaceRecent(id: id, service: rs[0].service, name: rs[0].name, url: rs[0].url) }
                for result in rs {
                    today!.add(result)
                    try recent!.add(result, run: run, hour: hour)
                }
                try out.day?.line { today!.write(into: &$0) }
                try out.recent?.line { recent!.write(into: &$0) }
            } else if rolling, !forgotten {
                if let bytes = dayEntry?.bytes { try out.day?.line(bytes) }
                if let bytes = recentEntry?.bytes { try out.recent?.line(bytes) }
            }
            if today.isPresent, let service = recent?.service {
                dayTotals[service, default: [0, 0]][0] += today!.runs
                dayTotals[service, default: [0, 0]][1] += today!.ok
            }
            if let recent = recent.take() {
                let status = latest.take() ?? previous.take()
                out.site.add(recent: recent, today: today.take(), status: status, quiet: out.quiet[id])
            }
        }
        if let day = out.day { try day.line(try RecordCoding.encode(DayServices(services: dayTotals))) }
        for number in state.unreadable {
            Log.error("\(statePath):\(number): unreadable interface state line; that interface starts afresh")
        }
        out.badLines = results.badLines
        out.changes.transitions = heard.newFailures + heard.recovered
        out.changes.stillFailing = heard.stillFailing
        out.analysis.finish(quarantinedLines: results.badLines.reduce(0) { $0 + $1.lines.count })
        return out
    }
}

extension Optional {
    /// Whether there is a value. `!= nil` on an optional record compiles to copies of both sides (Equatable's
    /// comparison of optionals), which on every interface of a pass added up.
    var isPresent: Bool {
        if case .some = self { return true }
        return false
    }
}

/// The state file's first line.
struct StateHeader: Codable {
    var v = 1
    var kind = RecordKind.interfaceState.rawValue
    var alerts: [AlertMark]
}
