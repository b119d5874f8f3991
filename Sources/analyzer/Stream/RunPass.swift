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
        let rollup = Rollup(spool: spool, retention: config.history.retention)
        let day = RollupDay(rollup: rollup, startedAt: analysis.startedAt, run: analysis.run)
        try FileIO.makeDirectory(rollup.daysDirectory, mode: 0o700)
        // Each file is read and parsed on a thread of its own, ahead of the join.
        let sources = try PassSources(
            statePath: statePath, rollup: rollup, dayName: day.name, sortFiles: sortFiles, batches: pending.batches.map { ($0.key, $0.value.claim) })
        defer { sources.stop() }
        let out = try output(analysis, pending: pending, rollup: rollup, day: day, state: sources.state, incidentIDs: incidentIDs)
        var join = PassJoin(
            rules: InterfaceRules(
                run: analysis.run, runStartedAt: analysis.startedAt, alerting: config.alerts, services: config.services,
                quiet: QuietRules(
                    silences: Silence.load(spool.stateDirectory + "/silences"), windows: config.maintenance, at: analysis.startedAt,
                    timeZone: config.notify.timeZone)),
            judging: Judging(
                blindShards: analysis.blindShards, locationNames: analysis.locationNames, locations: config.locations, services: config.services),
            day: day, statePath: statePath, out: out,
            // An interface with no result since before the history's window (renamed, deleted) is forgotten, after
            // a complete run only: a missing shard never makes anything forgotten.
            forgetBefore: analysis.startedAt.addingTimeInterval(-config.history.retention),
            runComplete: !analysis.isIncomplete && !analysis.poolIncomplete && !analysis.isBlind)
        while let id = try sources.nextID() { try join.interface(id, sources) }

        if let writer = out.day { try writer.line(try RecordCoding.encode(DayServices(services: join.dayTotals))) }
        for number in sources.state.unreadable {
            Log.error("\(statePath):\(number): unreadable interface state line; that interface starts afresh")
        }
        out.badLines = sources.results.badLines
        out.changes.transitions = join.heard.newFailures + join.heard.recovered
        out.changes.stillFailing = join.heard.stillFailing
        out.analysis.finish(quarantinedLines: sources.results.badLines.reduce(0) { $0 + $1.lines.count })
        return out
    }

    /// The pass's outputs, opened: the state header's alerts read, the day and recent files' headers written.
    private func output(
        _ analysis: RunAnalysis, pending: PendingRun, rollup: Rollup, day: RollupDay, state: IDLines<InterfaceStatus>, incidentIDs: Set<String>
    ) throws -> PassOutput {
        let mode = spool.permissions.fileMode
        let announced = pending.batches.values.reduce(0) { sum, batch in
            if case let .trailer(t) = batch.end { return sum + t.count }
            return sum
        }
        let out = PassOutput(
            analysis: analysis, stateBody: try SpillFile(directory: spool.stateDirectory),
            day: day.rolling ? try AtomicFileWriter(path: rollup.dayPath(day.name), mode: mode) : nil,
            recent: day.rolling ? try AtomicFileWriter(path: rollup.recentPath, mode: mode) : nil,
            metrics: try MetricsStream(
                settings: config.metrics, announced: announced, directory: config.spool.metricsDirectory ?? spool.metricsDirectory),
            site: SiteCollection(settings: config.web, hour: day.hour, withIncidents: incidentIDs))
        if let header = state.header {
            if let decoded = try? RecordDecoder().decode(StateHeader.self, from: header) {
                out.changes.updated.alerts = decoded.alerts
            } else {
                Log.error("\(statePath):1: unreadable interface state header; the last alerts are forgotten")
            }
        }
        out.stateWasEmpty = try state.peek() == nil
        if let writer = out.day {
            var header = day.header
            header.runs.append(analysis.run)
            try writer.line(try RecordCoding.encode(header))
        }
        // The runs the strips end with: this one folded in, or (a redo) as they are.
        let recentRuns = rollup.recentHeader().runs
        out.site.runs = day.rolling ? Array((recentRuns + [analysis.run]).suffix(Rollup.stripLength)) : recentRuns
        if let recent = out.recent { try recent.line(try RecordCoding.encode(RecentHeader(runs: out.site.runs))) }
        return out
    }
}

/// The day a run is folded into, and whether it still has to be (a redone run is already in the day's header).
struct RollupDay {
    let run: String
    let name: String
    let header: DayHeader
    let rolling: Bool
    /// The run's hour since 1970 (the recent lines' hourly buckets).
    let hour: Int

    init(rollup: Rollup, startedAt: Date, run: String) {
        self.run = run
        name = Rollup.dayName(startedAt)
        header = rollup.dayHeader(name)
        rolling = !header.runs.contains(run)
        hour = Int(startedAt.timeIntervalSince1970 / 3600)
    }
}

/// What a pass joins, each in id order and read ahead on a thread of its own: the run's results, the interface
/// state, today's day file and recent.ndjson.
final class PassSources {
    let state: IDLines<InterfaceStatus>
    let days: IDLines<InterfaceDay>
    let recents: IDLines<InterfaceRecent>
    let results: PrefetchedResults

    init(statePath: String, rollup: Rollup, dayName: String, sortFiles: Set<String>, batches: [(Shard, ClaimedFile)]) throws {
        state = try IDLines(path: statePath, header: true, inMemory: sortFiles.contains(statePath)) { InterfaceLine.scan(line: $0)?.status }
        let dayPath = rollup.dayPath(dayName)
        days = try IDLines(path: dayPath, header: false, inMemory: sortFiles.contains(dayPath)) { InterfaceDay.scan(line: $0) }
        recents = try IDLines(path: rollup.recentPath, header: false, inMemory: sortFiles.contains(rollup.recentPath)) {
            InterfaceRecent.scan(line: $0)
        }
        results = PrefetchedResults(batches)
    }

    /// The next id any source holds (IDOrder), nil once all are read.
    func nextID() throws -> String? {
        IDOrder.first(IDOrder.first(try results.peek(), try state.peek()), IDOrder.first(try days.peek(), try recents.peek()))
    }

    /// Lets the reading threads end, however the pass ends.
    func stop() {
        state.stop()
        days.stop()
        recents.stop()
        results.stop()
    }
}

/// The join, interface by interface: its state line and transition (the rules are Decide's), its rollup lines,
/// what the site keeps of it.
struct PassJoin {
    let rules: InterfaceRules
    let judging: Judging
    let day: RollupDay
    let statePath: String
    let out: PassOutput
    let forgetBefore: Date
    /// No shard missing, the whole pool loaded, no prober blind: only then may an id be gone or forgotten.
    let runComplete: Bool
    var heard = HeardChanges()
    /// Per service, today's runs and ok results (the day file's last line).
    var dayTotals: [String: [Int]] = [:]

    mutating func interface(_ id: String, _ sources: PassSources) throws {
        var rs = try sources.results.take(id)
        // Which results count: a blind shard's never; several locations' as one verdict (Decide).
        if let degraded = judging.judge(&rs) { out.analysis.degraded.append((id, rs[0].name, degraded)) }
        // Records are moved out of the entries (`take`), never copied: a copy retains each of their texts.
        // (Fields are read through `?.`: binding a whole entry with `if let` would copy it.)
        var stateEntry = try sources.state.take(id)
        var previous: InterfaceStatus? = stateEntry?.parsed.take()
        if !previous.isPresent, let number = stateEntry?.number {
            Log.error("\(statePath):\(number): unreadable interface state line; that interface starts afresh")
        }
        let identity = Identity.change(
            hasResults: !rs.isEmpty, knownSince: previous?.runStartedAt, stateWasEmpty: out.stateWasEmpty,
            runComplete: runComplete, forgetBefore: forgetBefore)
        note(identity, id)
        let forgotten = identity == .forgotten
        var latest: InterfaceStatus?
        if rs.isEmpty {
            if previous.isPresent, !forgotten, let line = stateEntry?.bytes { try out.stateBody.line(line) }
        } else {
            latest = try probed(id, rs, previous: previous, line: stateEntry?.bytes)
        }
        var dayEntry = try sources.days.take(id)
        var recentEntry = try sources.recents.take(id)
        var today = dayEntry?.parsed.take()
        var recent = forgotten ? nil : recentEntry?.parsed.take()
        try fold(id, rs, forgotten: forgotten, today: &today, recent: &recent, dayLine: dayEntry?.bytes, recentLine: recentEntry?.bytes)
        if let recent = recent.take() {
            let status = latest.take() ?? previous.take()
            out.site.add(recent: recent, today: today.take(), status: status, quiet: out.quiet[id])
        }
    }

    /// Counts an identity change for the log (the first 20 ids of each).
    private func note(_ change: IdentityChange?, _ id: String) {
        switch change {
        case .new?:
            out.newCount += 1
            if out.newIDs.count < 20 { out.newIDs.append(id) }
        case .gone?:
            out.goneCount += 1
            if out.goneIDs.count < 20 { out.goneIDs.append(id) }
        case .forgotten?:
            out.forgottenCount += 1
            if out.forgottenIDs.count < 20 { out.forgottenIDs.append(id) }
        case nil:
            break
        }
    }

    /// An interface with results: measured, decided (Decide's rules, nothing else here), its state line written.
    /// Its new status.
    private mutating func probed(_ id: String, _ rs: [ProbeResult], previous: InterfaceStatus?, line: ArraySlice<UInt8>?) throws
        -> InterfaceStatus?
    {
        for result in rs {
            out.analysis.add(result)
            try out.metrics.add(result)
        }
        let decided = rules.decide(rs, previous: previous, into: &heard)
        if let reason = decided.quiet { out.quiet[id] = reason }
        if out.quiet[id] != nil {
            out.analysis.quietFailures += rs.count { $0.outcome.isFailure || $0.outcome == .skipped }
        }
        if let latest = decided.latest {
            try out.stateBody.line { InterfaceLine(id: id, status: latest).write(into: &$0) }
        } else if previous.isPresent, let line {
            try out.stateBody.line(line)
        }
        return decided.latest
    }

    /// Rollup: today's line and the recent line, folded in (or copied as they are); the service's day totals.
    private mutating func fold(
        _ id: String, _ rs: [ProbeResult], forgotten: Bool, today: inout InterfaceDay?, recent: inout InterfaceRecent?,
        dayLine: ArraySlice<UInt8>?, recentLine: ArraySlice<UInt8>?
    ) throws {
        if day.rolling, !rs.isEmpty {
            if !today.isPresent { today = InterfaceDay(id: id, day: day.name) }
            if !recent.isPresent { recent = InterfaceRecent(id: id, service: rs[0].service, name: rs[0].name, url: rs[0].url) }
            for result in rs {
                today!.add(result)
                try recent!.add(result, run: day.run, hour: day.hour)
            }
            try out.day?.line { today!.write(into: &$0) }
            try out.recent?.line { recent!.write(into: &$0) }
        } else if day.rolling, !forgotten {
            if let dayLine { try out.day?.line(dayLine) }
            if let recentLine { try out.recent?.line(recentLine) }
        }
        if today.isPresent, let service = recent?.service {
            dayTotals[service, default: [0, 0]][0] += today!.runs
            dayTotals[service, default: [0, 0]][1] += today!.ok
        }
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
