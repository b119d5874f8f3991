// Analyzer: one pass of the service — check that it still owns the analyzer role, take what arrived, report every
// run that is complete or past its deadline, prune old reports and archives — and the hand-back of claims when it
// stops. An analyzer that lost its role (Ownership: another host took over) commits nothing more and stops.

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

    /// The analyzer role's owner record (nil: not checked, as in tests of a single pass).
    let ownership: Ownership?
    /// Claims of reported runs that could neither be archived nor handed back (an I/O error): archived next pass.
    private var unarchived: [(run: String, claims: [ClaimedFile])] = []
    private var archiveBackOff = RetryBackOff()

    init(config: Config, spool: Spool, ownership: Ownership? = nil) {
        self.config = config
        self.spool = spool
        self.ownership = ownership
        history = History(path: spool.historyPath)
        site = SiteWriter(spool: spool, rollup: Rollup(spool: spool, retention: config.history.retention), directory: config.web.directory)
    }

    private var grace: TimeInterval { config.scheduler.gracefulShutdown + 30 }
    private var intake: Intake { Intake(spool: spool, locations: config.locations?.names) }
    /// Intake after a transient error (EIO, a file system gone): when to take files again.
    private var intakeBackOff = RetryBackOff()
    private let startedAt = Date()

    /// Start-up recovery: this host's claims whose process is gone go back to new/, and so do those of the owner
    /// of another host this analyzer took the role over from (gone: its heartbeat stopped), not after the lease.
    func recover() {
        for queue in [spool.runs, spool.results] {
            let requeued = queue.requeueOrphanedClaims()
            if !requeued.isEmpty { Log.notice("recovered \(requeued.count) claim(s) of a previous analyzer in \(queue.name)/cur") }
            recoverPreviousOwnersClaims(in: queue, at: Date())
        }
        // An alert half-written by an analyzer that was killed will never be finished (the run is redone).
        let dropped = spool.outbox.removeOrphanedTemporaries()
        if !dropped.isEmpty { Log.notice("removed \(dropped.count) unfinished file(s) of dead writers from outbox/tmp") }
    }

    /// The claims a previous owner on another host left in `queue`'s cur/ go back to new/; one that cannot be handed
    /// back now (an I/O error on a remounting client) is said with its error and tried again at each pass for
    /// `spool.lease` — never left for the janitor's lease in silence.
    private func recoverPreviousOwnersClaims(in queue: Queue, at now: Date) {
        guard let previous = ownership?.previousOnOtherHost, now.timeIntervalSince(startedAt) < config.spool.lease else { return }
        let claims = queue.claims(of: previous)
        guard !claims.isEmpty else { return }
        var released = 0
        for claim in claims {
            do {
                try queue.release(claim)
                released += 1
            } catch SpoolError.alreadyExists {
                // Another host's manifest of the same run waits in new/ under its name: this one is taken over here.
                let history = self.history
                do {
                    try intake.adopt(claim, from: queue, into: &assembly, reported: { history.contains($0) })
                    released += 1
                } catch {
                    Log.warning(
                        "cannot take over \((claim.path as NSString).lastPathComponent) of the previous owner \(previous): \(error); tried again next pass"
                    )
                }
            } catch {
                Log.warning(
                    "cannot hand back \((claim.path as NSString).lastPathComponent) of the previous owner \(previous): \(error); tried again next pass"
                )
            }
        }
        if released > 0 {
            Log.notice("recovered \(released) of \(claims.count) claim(s) of the previous owner \(previous) in \(queue.name)/cur")
        }
    }

    func reload(_ newConfig: Config) {
        config = newConfig
        Log.notice("configuration reloaded")
    }

    /// Whether this analyzer may work now: it owns its role (Ownership.mayWork).
    private func mayWork(now: Date) -> Bool {
        ownership?.mayWork(now: now, otherwise: "this pass is skipped") ?? true
    }

    /// The ownership check before a commit (RunReporter.fence).
    private var fence: () throws -> Void {
        { [ownership] in try ownership?.verify() }
    }

    /// One pass; returns how long to sleep at most before the next one.
    func pass(now: Date = Date(), stopping: () -> Bool = { false }) -> TimeInterval? {
        guard mayWork(now: now) else { return ownership?.lost != nil ? nil : Ownership.heartbeatInterval }
        for queue in [spool.runs, spool.results] { recoverPreviousOwnersClaims(in: queue, at: now) }
        archiveLeftovers(now: now)
        let history = self.history
        _ = intake.collect(into: &assembly, backOff: &intakeBackOff, reported: { history.contains($0) })
        quarantineOrphans(now: now)
        let reporter = RunReporter(spool: spool, config: config, intake: intake, site: site, fence: fence)
        for ready in assembly.ready(now: now, maxRuntime: config.scheduler.maxRuntime, grace: grace) {
            if stopping() { break }
            if let failed = failedRuns[ready.id], failed.retryAt > now { continue }
            var pending = ready
            defer { if assembly.runs[pending.id] != nil { assembly.update(pending) } }
            do {
                let left = try reporter.report(&pending, history: &self.history)
                if !left.isEmpty {
                    unarchived.append((pending.id, left))
                    _ = archiveBackOff.failed(at: Date(), error: "archive")  // tried again in 5 s, then less often
                }
                assembly.remove(pending.id)
                if let failed = failedRuns.removeValue(forKey: pending.id) {
                    Log.notice("run \(pending.id) reported after \(failed.attempts) failed attempt(s)")
                }
            } catch let error as OwnershipError where error.isLost {
                // Another host owns the role now: commit nothing more; main stops the service (claims handed back).
                Log.error("run \(pending.id) not reported here: \(error)")
                break
            } catch {
                retryLater(pending.id, error: error, now: now)
            }
        }
        if ownership?.lost != nil { return nil }
        pruneOld(now: now)
        // A run waiting for its retry wakes the loop at its retry time, not at its (past) deadline: no spinning.
        let next = [
            assembly.nextDeadline(maxRuntime: config.scheduler.maxRuntime, grace: grace, excluding: Set(failedRuns.keys)),
            failedRuns.values.map(\.retryAt).min(),
            intakeBackOff.retryAt,
            unarchived.isEmpty ? nil : archiveBackOff.retryAt,
        ]
        .compactMap { $0 }.min()
        return next.map { max(0.05, $0.timeIntervalSince(Date())) }
    }

    /// A run that could not be reported: back off (30 s doubling to 10 min) and log once per distinct error, not
    /// once per retry.
    private func retryLater(_ run: String, error: Error, now: Date) {
        let attempts = (failedRuns[run]?.attempts ?? 0) + 1
        let wait = min(600, 30 * pow(2, Double(min(attempts - 1, 5))))
        let text = "\(error)"
        if failedRuns[run]?.error != text {
            Log.error(
                "cannot report run \(run): \(text); its batches stay claimed, retrying with back-off "
                    + "(next in \(Int(wait)) s; logged again only if the error changes)")
        } else {
            Log.debug("cannot report run \(run) (attempt \(attempts)): \(text); next in \(Int(wait)) s")
        }
        failedRuns[run] = (now.addingTimeInterval(wait), attempts, text)
    }

    /// Reports and archived batches past spool.retention, removed once an hour.
    private func pruneOld(now: Date) {
        guard now.timeIntervalSince(lastPrune) > 3600 else { return }
        lastPrune = now
        let old =
            spool.prune(spool.reportsDirectory, olderThan: config.spool.retention, now: now)
            + spool.prune(spool.archiveDirectory, olderThan: config.spool.retention, now: now)
        if !old.isEmpty {
            Log.info("retention: removed \(old.count) report(s) and archived batch(es) older than \(DurationParser.format(config.spool.retention))")
        }
    }

    /// Claims of reported runs left in cur/ by an I/O error: archived (or handed back) once the back-off allows.
    private func archiveLeftovers(now: Date) {
        guard !unarchived.isEmpty, archiveBackOff.mayTry(at: now) else { return }
        let intake = self.intake
        unarchived = unarchived.compactMap { run, claims in
            let left = intake.archiveReported(claims, run: run, retry: TransientRetry(attempts: 1))
            return left.isEmpty ? nil : (run, left)
        }
        if unarchived.isEmpty {
            archiveBackOff.succeeded()
        } else {
            _ = archiveBackOff.failed(at: now, error: "archive")
        }
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

    /// Hands every claim back to new/ (clean stop: a restarted analyzer takes them again; an analyzer that lost its
    /// role gives them to the new owner). Claims of reported runs go back too: the next owner archives them.
    func handBack() {
        for (_, claims) in unarchived {
            for claim in claims {
                let queue = claim.path.hasPrefix(spool.runs.curDirectory) ? spool.runs : spool.results
                do {
                    try queue.release(claim)
                } catch {
                    Log.error("\(queue.name)/\(claim.name): cannot hand it back to new/ (\(error)); it waits in cur/ for this host's next analyzer")
                }
            }
        }
        unarchived = []
        for run in assembly.runs.values {
            for claim in run.allClaims {
                let queue = claim.path.hasPrefix(spool.runs.curDirectory) ? spool.runs : spool.results
                try? queue.release(claim)
            }
        }
        assembly = RunAssembly()
    }
}
