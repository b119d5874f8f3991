// RunReporter: turns an assembled run into its outputs, in an order that makes a crash at any point safe:
// report (replaced atomically, same bytes on a redo), alert (published once: skipped if any outbox stage
// already has it), interface state, history line, metrics, and only then the inputs are archived. Killed
// anywhere and restarted, the analyzer redoes the run and ends with one report and at most one alert. Before each
// of those commits it checks that it still owns the analyzer role (`fence`, Ownership.verify): an analyzer that
// lost it to another host stops there.

import Foundation
import Shared

struct RunReporter {
    let spool: Spool
    let config: Config
    let intake: Intake
    var site: SiteWriter?
    /// Throws when this analyzer may not commit (it no longer owns the role, or cannot tell now).
    var fence: () throws -> Void = {}

    var statePath: String { spool.stateDirectory + "/interfaces.ndjson" }

    /// How much of the report an alert and the run's page carry (the e-mail channel's own cut is the same).
    static let embeddedReportLimit = 1 << 20

    /// Ids seen for the first time, and (after a complete run) ids the state knows that the run no longer has:
    /// state follows ids, so a renamed interface starts afresh, and the log says so.
    private func logIdentityChanges(_ out: PassOutput) {
        let forgotten = "forgotten (no result for longer than history.retention, \(DurationParser.format(config.history.retention)))"
        for (word, list, count) in [
            ("new", out.newIDs, out.newCount), ("no longer reported", out.goneIDs, out.goneCount),
            (forgotten, out.forgottenIDs, out.forgottenCount),
        ] where count > 0 {
            Log.notice(
                "run \(out.analysis.run): interfaces \(word) (\(count)): " + list.joined(separator: ", ")
                    + (count > 20 ? ", … (\(count - 20) more)" : ""))
        }
    }

    /// Streams the run once (again if a file turns out out of order, or a batch unusable as a whole).
    private func pass(_ pending: inout PendingRun, incidentIDs: Set<String>) throws -> PassOutput {
        var sortFiles: Set<String> = []
        while true {
            do {
                return try RunPass(spool: spool, config: config, statePath: statePath).run(
                    pending, sortFiles: sortFiles, incidentIDs: incidentIDs)
            } catch let PassRestart.unsortedFile(path) where !sortFiles.contains(path) {
                Log.warning("\(path): lines not in id order (written by hand or by an older version?); reading it whole to sort it")
                sortFiles.insert(path)
            } catch let PassRestart.invalidBatch(shard, reason) {
                guard let batch = pending.batches[shard] else { throw PassRestart.invalidBatch(shard, reason) }
                intake.quarantine(batch.claim, reason: reason)
                pending.batches[shard] = nil
                pending.quarantined[shard] = reason
            }
        }
    }

    /// Reports `pending`; throws (leaving its claims in place for a retry) if an output cannot be written.
    /// `pending` loses the batches found unusable while they were read (they are in quarantine). Returns the claims
    /// that could neither be archived nor handed back (an I/O error), for the next pass to archive. The commits
    /// come in the order the file's header gives, each behind the fence and named by a crash point.
    func report(_ pending: inout PendingRun, history: inout History) throws -> [ClaimedFile] {
        let began = Date()
        let rollup = Rollup(spool: spool, retention: config.history.retention)
        let incidentsBefore = rollup.readLines(rollup.incidentsPath, as: Incident.self)
        let out = try pass(&pending, incidentIDs: Set(incidentsBefore.map(\.id)))
        let passed = Date()
        for (claim, lines) in out.badLines {
            try spool.quarantine.lines(lines, source: "results/cur/" + claim.name, name: claim.name)
        }
        let analysis = out.analysis
        var changes = out.changes
        logIdentityChanges(out)
        let (report, text) = try commitReport(out)
        let alertName = try publishAlert(out, changes: &changes, reportPath: report.path, text: text)
        CrashPoint.hit("after-alert")
        let state = try AtomicFileWriter(path: statePath)
        try state.line(try RecordCoding.encode(StateHeader(alerts: changes.updated.alerts)))
        try out.stateBody.copy(into: state)
        try fence()
        try state.commit()
        CrashPoint.hit("after-state")
        try fence()
        try history.append(RunSummary(run: analysis.run, stats: analysis.stats, report: report.path, alert: alertName))
        CrashPoint.hit("after-history")
        out.metrics.write(analysis)
        writeViews(out, changes: changes, rollup: rollup, incidentsBefore: incidentsBefore, report: report, text: text)
        try fence()
        let unarchived = intake.archiveReported(pending.allClaims, run: analysis.run)
        CrashPoint.hit("after-ack")
        logReported(analysis, path: report.path, began: began, passed: passed)
        return unarchived
    }

    /// The report, streamed into its file and committed; with the text an alert carries (its first MiB).
    private func commitReport(_ out: PassOutput) throws -> (ReportFile, String) {
        let reportPath = spool.reportsDirectory + "/" + RunFileName.report(run: out.analysis.run)
        // Streamed into its file; the beginning is kept for the alert and the run's page.
        let report = try ReportFile(path: reportPath, mode: spool.permissions.fileMode, keep: Self.embeddedReportLimit + 1)
        try ReportRenderer.write(out.analysis, changes: out.changes, quiet: out.quiet, timeZone: config.notify.timeZone, into: report.append)
        CrashPoint.hit("before-report")
        try fence()
        try report.commit()
        CrashPoint.hit("after-report")
        return (report, ReportRenderer.excerpt(head: report.head, total: report.total, limit: Self.embeddedReportLimit, path: reportPath))
    }

    /// The run's alert, when AlertPolicy says there is one: published once (not again when any outbox stage has it)
    /// and marked in the state's alerts. Its file name, or nil without an alert.
    private func publishAlert(_ out: PassOutput, changes: inout StateChanges, reportPath: String, text: String) throws -> String? {
        let analysis = out.analysis
        let cause = AlertPolicy.incompleteCause(analysis)
        let lastSameCause = cause.flatMap { cause in changes.updated.alerts.last { $0.cause == cause && $0.run != analysis.run } }
        let causeWasOpen = AlertPolicy.causeOpen(changes.updated.alerts, before: analysis.run)
        guard
            let decision = AlertPolicy.decide(
                analysis, changes: changes, previousAlert: changes.updated.lastAlert(before: analysis.run),
                settings: config.alerts, quiet: out.quiet, lastSameCause: lastSameCause, causeWasOpen: causeWasOpen)
        else { return nil }
        let name = RunFileName.alert(run: analysis.run)
        let prefix = analysis.run + ".alert"
        if spool.outbox.contains(prefix: prefix, alsoIn: [spool.deferredDirectory, spool.sentDirectory, spool.failedDirectory]) {
            Log.info("alert for run \(analysis.run) already in the outbox; not publishing it again")
        } else {
            // A mass outage lists the first transitions of each service and counts the rest (Alert.capped).
            let (listed, omitted) = Alert.capped(decision.transitions)
            var alert = Alert(
                run: analysis.run, createdAt: analysis.finishedAt, severity: decision.severity,
                reason: decision.reason, transitions: listed, stats: analysis.stats,
                reportPath: reportPath, report: text)
            alert.omitted = omitted
            var bytes = try RecordCoding.encode(alert)
            bytes.append(10)
            try fence()
            try spool.outbox.publish(name: name, bytes: bytes, control: true)
            Log.notice(
                "alert for run \(analysis.run) published (\(decision.reason.rawValue), \(decision.severity.rawValue), "
                    + "\(decision.transitions.count) interface(s))")
        }
        if !changes.updated.alerts.contains(where: { $0.run == analysis.run }) {
            changes.updated.alerts.append(
                AlertMark(
                    run: analysis.run, at: analysis.startedAt, cause: decision.reason == .incomplete ? cause : nil,
                    // Any alert of a whole run after an announced cause ends it (it goes out instead of the restored one).
                    restored: causeWasOpen && cause == nil ? true : nil))
            changes.updated.alerts = Array(changes.updated.alerts.suffix(10))
        }
        return name
    }

    /// History and the status site: views, so a failure is logged and the run is reported all the same.
    private func writeViews(
        _ out: PassOutput, changes: StateChanges, rollup: Rollup, incidentsBefore: [Incident], report: ReportFile, text: String
    ) {
        let analysis = out.analysis
        do {
            try fence()
            let viewsBegan = Date()
            var incidents = incidentsBefore
            if let day = out.day, let recent = out.recent {
                try day.commit()
                try recent.commit()
                incidents = rollup.incidents(after: changes, at: analysis.startedAt)
                try rollup.writeIncidents(incidents, mode: spool.permissions.fileMode)
                rollup.prune(at: analysis.startedAt)
            }
            let rolled = Date()
            try site?.write(
                analysis, collection: out.site, incidents: incidents,
                report: report.total > Self.embeddedReportLimit
                    ? ReportRenderer.excerpt(
                        head: report.head, total: report.total, limit: Self.embeddedReportLimit,
                        path: "reports/" + RunFileName.report(run: analysis.run))
                    : text,
                retention: config.spool.retention, timeZone: config.notify.timeZone, schedule: config.monitor.schedule)
            Log.info(
                "run \(analysis.run): history rollup in \(String(format: "%.2f", rolled.timeIntervalSince(viewsBegan))) s, status site in "
                    + "\(String(format: "%.2f", Date().timeIntervalSince(rolled))) s (\(out.site.count) interfaces)")
        } catch {
            Log.error("run \(analysis.run): history or status site not written: \(error)")
        }
    }

    private func logReported(_ analysis: RunAnalysis, path: String, began: Date, passed: Date) {
        let s = analysis.stats
        Log.info(
            "run \(analysis.run) reported: \(s.interfaces) interfaces, \(s.ok) ok, \(s.failed) failed, \(s.skipped) skipped"
                + (analysis.isIncomplete ? ", \(analysis.missingShards.count) shard(s) missing" : "")
                + (analysis.gaps.isEmpty
                    ? "" : "; before it " + analysis.gaps.map { $0.sentence(in: config.notify.timeZone) }.joined(separator: "; "))
                + " → reports/\(RunFileName.report(run: analysis.run)) in \(String(format: "%.2f", Date().timeIntervalSince(began))) s"
                + " (reading and joining \(String(format: "%.2f", passed.timeIntervalSince(began))) s)")
    }
}

/// A report streamed into its file (replaced atomically on commit), its first `keep` bytes kept.
final class ReportFile {
    let path: String
    private let writer: AtomicFileWriter
    private let keep: Int
    private(set) var head: [UInt8] = []
    private(set) var total = 0

    init(path: String, mode: mode_t, keep: Int) throws {
        self.path = path
        writer = try AtomicFileWriter(path: path, mode: mode)
        self.keep = keep
    }

    func append(_ piece: String) throws {
        var piece = piece
        try piece.withUTF8 { bytes in
            try writer.write(bytes)
            if head.count < keep { head.append(contentsOf: bytes.prefix(keep - head.count)) }
            total += bytes.count
        }
    }

    func commit() throws { try writer.commit() }
}
