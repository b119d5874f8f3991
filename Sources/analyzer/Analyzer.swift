// Analyzer: one pass of the service — take what arrived, report every run that is complete or past its
// deadline, prune old reports and archives — and the hand-back of claims when it stops.

import Foundation
import Shared

final class Analyzer {
    private(set) var config: Config
    let spool: Spool
    private var assembly = RunAssembly()
    private var history: History
    private var lastPrune = Date.distantPast
    private var failedRuns: [String: Date] = [:]

    init(config: Config, spool: Spool) {
        self.config = config
        self.spool = spool
        history = History(path: spool.historyPath)
    }

    private var grace: TimeInterval { config.scheduler.gracefulShutdown + 30 }
    private var intake: Intake { Intake(spool: spool) }

    /// Start-up recovery: this host's claims whose process is gone go back to new/.
    func recover() {
        for queue in [spool.runs, spool.results] {
            let requeued = queue.requeueOrphanedClaims()
            if !requeued.isEmpty { Log.notice("recovered \(requeued.count) claim(s) of a previous analyzer in \(queue.name)/cur") }
        }
    }

    func reload(_ newConfig: Config) {
        config = newConfig
        Log.notice("configuration reloaded")
    }

    /// One pass; returns how long to sleep at most before the next one.
    func pass(now: Date = Date(), stopping: () -> Bool = { false }) -> TimeInterval? {
        let history = self.history
        _ = intake.collect(into: &assembly, reported: { history.contains($0) })
        let reporter = RunReporter(spool: spool, config: config, intake: intake)
        for pending in assembly.ready(now: now, maxRuntime: config.scheduler.maxRuntime, grace: grace) {
            if stopping() { break }
            if let retry = failedRuns[pending.id], retry > now { continue }
            do {
                try reporter.report(pending, history: &self.history)
                assembly.remove(pending.id)
                failedRuns[pending.id] = nil
            } catch {
                Log.error("cannot report run \(pending.id): \(error); its batches stay claimed, retrying in 30s")
                failedRuns[pending.id] = now.addingTimeInterval(30)
            }
        }
        if now.timeIntervalSince(lastPrune) > 3600 {
            lastPrune = now
            let old = spool.prune(spool.reportsDirectory, olderThan: config.spool.retention, now: now)
                + spool.prune(spool.archiveDirectory, olderThan: config.spool.retention, now: now)
            if !old.isEmpty { Log.info("retention: removed \(old.count) report(s) and archived batch(es) older than \(DurationParser.format(config.spool.retention))") }
        }
        let next = [assembly.nextDeadline(maxRuntime: config.scheduler.maxRuntime, grace: grace), failedRuns.values.min()]
            .compactMap { $0 }.min()
        return next.map { max(0.05, $0.timeIntervalSince(Date())) }
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
