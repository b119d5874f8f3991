// RunReporter: turns an assembled run into its outputs, in an order that makes a crash at any point safe:
// report (replaced atomically, same bytes on a redo), alert (published once: skipped if any outbox stage
// already has it), interface state, history line, metrics, and only then the inputs are archived. Killed
// anywhere and restarted, the analyzer redoes the run and ends with one report and at most one alert.

import Foundation
import Shared

struct RunReporter {
    let spool: Spool
    let config: Config
    let intake: Intake
    var site: SiteWriter?

    var statePath: String { spool.stateDirectory + "/interfaces.ndjson" }

    /// Ids seen for the first time, and (after a complete run) ids the state knows that the run no longer has:
    /// state follows ids, so a renamed interface starts afresh, and the log says so.
    private func logIdentityChanges(_ analysis: RunAnalysis, state: StateFile) {
        guard !state.interfaces.isEmpty else { return }
        let ids = Set(analysis.results.map(\.id))
        let known = Set(state.interfaces.keys)
        let new = ids.subtracting(known).sorted()
        let gone = analysis.isIncomplete ? [] : known.subtracting(ids).sorted()
        for (word, list) in [("new", new), ("no longer reported", gone)] where !list.isEmpty {
            Log.notice(
                "run \(analysis.run): interfaces \(word) (\(list.count)): " + list.prefix(20).joined(separator: ", ")
                    + (list.count > 20 ? ", … (\(list.count - 20) more)" : ""))
        }
    }

    /// Reports `pending`; throws (leaving its claims in place for a retry) if an output cannot be written.
    func report(_ pending: PendingRun, history: inout History) throws {
        let analysis = RunAnalysis(pending, timeZone: config.notify.timeZone)
        let state = StateFile.load(statePath)
        let alerts = config.alerts
        let services = config.services
        var changes = StateTransitions.apply(analysis.results, run: analysis.run, runStartedAt: analysis.startedAt, to: state) { result in
            let service = services[result.service]
            return (
                result.failureThreshold ?? service?.failureThreshold ?? alerts.failureThreshold,
                result.successThreshold ?? service?.successThreshold ?? alerts.successThreshold
            )
        }
        logIdentityChanges(analysis, state: state)
        let quiet = Quieting(
            results: analysis.results, silences: Silence.load(spool.stateDirectory + "/silences"),
            windows: config.maintenance, at: analysis.startedAt)
        quiet.apply(to: &changes)
        let text = ReportRenderer.render(analysis, changes: changes, quiet: quiet.reasons, timeZone: config.notify.timeZone)
        let reportPath = spool.reportsDirectory + "/" + RunFileName.report(run: analysis.run)
        CrashPoint.hit("before-report")
        try FileIO.replaceAtomically(reportPath, with: Array(text.utf8), mode: spool.permissions.fileMode)
        CrashPoint.hit("after-report")

        var alertName: String?
        if let decision = AlertPolicy.decide(
            analysis, changes: changes, previousAlert: state.lastAlert(before: analysis.run),
            settings: config.alerts, quiet: quiet.reasons)
        {
            let name = RunFileName.alert(run: analysis.run)
            let prefix = analysis.run + ".alert"
            if spool.outbox.contains(prefix: prefix, alsoIn: [spool.deferredDirectory, spool.sentDirectory, spool.failedDirectory]) {
                Log.info("alert for run \(analysis.run) already in the outbox; not publishing it again")
            } else {
                let alert = Alert(
                    run: analysis.run, createdAt: analysis.finishedAt, severity: decision.severity,
                    reason: decision.reason, transitions: decision.transitions, stats: analysis.stats,
                    reportPath: reportPath, report: text)
                var bytes = try RecordCoding.encode(alert)
                bytes.append(10)
                try spool.outbox.publish(name: name, bytes: bytes, control: true)
                Log.notice(
                    "alert for run \(analysis.run) published (\(decision.reason.rawValue), \(decision.severity.rawValue), "
                        + "\(decision.transitions.count) interface(s))")
            }
            alertName = name
            if !changes.updated.alerts.contains(where: { $0.run == analysis.run }) {
                changes.updated.alerts.append(AlertMark(run: analysis.run, at: analysis.startedAt))
                changes.updated.alerts = Array(changes.updated.alerts.suffix(10))
            }
        }
        CrashPoint.hit("after-alert")
        try changes.updated.save(statePath)
        CrashPoint.hit("after-state")
        try history.append(RunSummary(run: analysis.run, stats: analysis.stats, report: reportPath, alert: alertName))
        CrashPoint.hit("after-history")
        Metrics.write(analysis, spool: spool, directory: config.spool.metricsDirectory, settings: config.metrics)
        // History and the status site are views: a failure is logged, and the run is reported all the same.
        do {
            let began = Date()
            let snapshot = try Rollup(spool: spool, retention: config.history.retention).record(
                analysis, changes: changes, mode: spool.permissions.fileMode)
            let rolled = Date()
            try site?.write(
                analysis, state: changes.updated, quiet: quiet.reasons, report: text, retention: config.spool.retention,
                timeZone: config.notify.timeZone, web: config.web, snapshot: snapshot)
            Log.info(
                "run \(analysis.run): history rollup in \(String(format: "%.2f", rolled.timeIntervalSince(began))) s, status site in "
                    + "\(String(format: "%.2f", Date().timeIntervalSince(rolled))) s (\(analysis.results.count) interfaces)")
        } catch {
            Log.error("run \(analysis.run): history or status site not written: \(error)")
        }
        intake.archive(pending.allClaims)
        CrashPoint.hit("after-ack")
        let s = analysis.stats
        Log.info(
            "run \(analysis.run) reported: \(s.interfaces) interfaces, \(s.ok) ok, \(s.failed) failed, \(s.skipped) skipped"
                + (analysis.isIncomplete ? ", \(analysis.missingShards.count) shard(s) missing" : "")
                + (analysis.gaps.isEmpty
                    ? "" : "; before it " + analysis.gaps.map { $0.sentence(in: config.notify.timeZone) }.joined(separator: "; "))
                + " → reports/\(RunFileName.report(run: analysis.run))")
    }
}
