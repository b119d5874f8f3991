// Analyzer: one pass of the service — take what arrived, report every run that is complete or past its
// deadline, prune old reports and archives — and the hand-back of claims when it stops.

import Foundation
import Shared

final class Analyzer {
    private(set) var config: Config
    let spool: Spool
    private var assembly = RunAssembly()
    private var history: History
    /// The status site, with the day files it has already read.
    private let site: SiteWriter
    private var lastPrune = Date.distantPast
    /// Runs whose report failed: when to try again, how many tries so far, and the last error (logged once).
    private var failedRuns: [String: (retryAt: Date, attempts: Int, error: String)] = [:]

    init(config: Config, spool: Spool) {
        self.config = config
        self.spool = spool
        history = History(path: spool.historyPath)
        site = SiteWriter(spool: spool, rollup: Rollup(spool: spool, retention: config.history.retention))
    }

    private var grace: TimeInterval { config.scheduler.gracefulShutdown + 30 }
    private var intake: Intake { Intake(spool: spool) }
    /// Intake after a transient error (EIO, a file system gone): when to take files again.
    private var intakeBackOff = RetryBackOff()

    /// Start-up recovery: this host's claims whose process is gone go back to new/.
    func recover() {
        for queue in [spool.runs, spool.results] {
            let requeued = queue.requeueOrphanedClaims()
            if !requeued.isEmpty { Log.notice("recovered \(requeued.count) claim(s) of a previous analyzer in \(queue.name)/cur") }
        }
        // An alert half-written by an analyzer that was killed will never be finished (the run is redone).
        let dropped = spool.outbox.removeOrphanedTemporaries()
        if !dropped.isEmpty { Log.notice("removed \(dropped.count) unfinished file(s) of dead writers from outbox/tmp") }
    }

    func reload(_ newConfig: Config) {
        config = newConfig
        Log.notice("configuration reloaded")
    }

    /// One pass; returns how long to sleep at most before the next one.
    func pass(now: Date = Date(), stopping: () -> Bool = { false }) -> TimeInterval? {
        let history = self.history
        _ = intake.collect(into: &assembly, backOff: &intakeBackOff, reported: { history.contains($0) })
        quarantineOrphans(now: now)
        let reporter = RunReporter(spool: spool, config: config, intake: intake, site: site)
        for ready in assembly.ready(now: now, maxRuntime: config.scheduler.maxRuntime, grace: grace) {
            if stopping() { break }
            if let failed = failedRuns[ready.id], failed.retryAt > now { continue }
            var pending = ready
            defer { if assembly.runs[pending.id] != nil { assembly.update(pending) } }
            do {
                try reporter.report(&pending, history: &self.history)
                assembly.remove(pending.id)
                if let failed = failedRuns.removeValue(forKey: pending.id) {
                    Log.notice("run \(pending.id) reported after \(failed.attempts) failed attempt(s)")
                }
            } catch {
                // Back off (30 s doubling to 10 min) and log once per distinct error, not once per retry.
                let attempts = (failedRuns[pending.id]?.attempts ?? 0) + 1
                let wait = min(600, 30 * pow(2, Double(min(attempts - 1, 5))))
                let text = "\(error)"
                if failedRuns[pending.id]?.error != text {
                    Log.error(
                        "cannot report run \(pending.id): \(text); its batches stay claimed, retrying with back-off "
                            + "(next in \(Int(wait)) s; logged again only if the error changes)")
                } else {
                    Log.debug("cannot report run \(pending.id) (attempt \(attempts)): \(text); next in \(Int(wait)) s")
                }
                failedRuns[pending.id] = (now.addingTimeInterval(wait), attempts, text)
            }
        }
        if now.timeIntervalSince(lastPrune) > 3600 {
            lastPrune = now
            let old =
                spool.prune(spool.reportsDirectory, olderThan: config.spool.retention, now: now)
                + spool.prune(spool.archiveDirectory, olderThan: config.spool.retention, now: now)
            if !old.isEmpty {
                Log.info(
                    "retention: removed \(old.count) report(s) and archived batch(es) older than \(DurationParser.format(config.spool.retention))")
            }
        }
        // A run waiting for its retry wakes the loop at its retry time, not at its (past) deadline: no spinning.
        let next = [
            assembly.nextDeadline(maxRuntime: config.scheduler.maxRuntime, grace: grace, excluding: Set(failedRuns.keys)),
            failedRuns.values.map(\.retryAt).min(),
            intakeBackOff.retryAt,
        ]
        .compactMap { $0 }.min()
        return next.map { max(0.05, $0.timeIntervalSince(Date())) }
    }

    /// Batches whose run's manifest did not come in time go to quarantine, with the reason; logged once per run.
    private func quarantineOrphans(now: Date) {
        let bound = config.scheduler.maxRuntime + grace
        for orphan in assembly.orphans(now: now, maxRuntime: config.scheduler.maxRuntime, grace: grace) {
            let claims = orphan.allClaims
            let reason =
                "no run manifest: run \(orphan.id) never started on this spool (waited \(DurationParser.format(bound)) "
                + "= scheduler.max_runtime + grace after its batch finished)"
            for claim in claims { intake.quarantine(claim, reason: reason) }
            assembly.remove(orphan.id)
            if !claims.isEmpty {
                Log.warning("run \(orphan.id): \(claims.count) batch(es) quarantined, not reported: \(reason)")
            }
        }
    }

    /// Runs still waiting for shards.
    var waitingRuns: Int { assembly.runs.count }

    /// Hands every claim back to new/ (clean stop: a restarted analyzer takes them again).
    func handBack() {
        for run in assembly.runs.values {
            for claim in run.allClaims {
                let queue = claim.path.hasPrefix(spool.runs.curDirectory) ? spool.runs : spool.results
                try? queue.release(claim)
            }
        }
        assembly = RunAssembly()
    }
}
