// Service: the orchestrator as a long-running service. Ticks come from the schedule, computed from the clock
// each time (never by adding sleeps), so there is no drift; no run starts within start_delay of start-up;
// a tick that comes while a run is still going is skipped and logged, never overlapped. Manual triggers
// (files in state/trigger/, plus SIGUSR1) start a run as soon as none is going. The janitor hands back
// expired claims and removes stale temporaries. SIGTERM stops the probers within graceful_shutdown.

import Foundation
import Shared
import Synchronization

final class Service: @unchecked Sendable {
    private(set) var deployment: Deployment
    private let options: Options
    private let startedAt = Date()
    private var nextTick: Date?
    private var active: (supervisor: RunSupervisor, task: Task<RunRecord, Never>)?
    /// Where a finished run's record waits for the loop (the run task sets it, the next pass takes it).
    private final class Mailbox: Sendable {
        let record = Mutex<RunRecord?>(nil)
    }

    private let finished = Mailbox()
    private var manualQueued = false
    private var lastJanitor = Date.distantPast
    private var state: ServiceState
    /// Wakes the service loop (set by main once the runner exists).
    var wake: @Sendable () -> Void = {}

    init(deployment: Deployment, options: Options) {
        self.deployment = deployment
        self.options = options
        state = ServiceState(host: SpoolName.host, pid: getpid(), startedAt: startedAt, running: true,
                             schedule: deployment.config.monitor.schedule.summary, hosts: options.hosts,
                             hostIndex: options.hostIndex, updatedAt: startedAt)
        if let previous = ServiceState.read(deployment.stateFile) { state.lastRuns = previous.lastRuns }
        nextTick = firstTick()
        Log.info("schedule: \(deployment.config.monitor.schedule.summary); next run \(nextTick.map(Timestamp.format) ?? "never")"
            + (options.hosts > 1 ? "; host \(options.hostIndex) of \(options.hosts)" : ""))
    }

    private var schedule: ScheduleSetting { deployment.config.monitor.schedule }

    private func firstTick() -> Date? {
        // No run within start_delay of start-up.
        schedule.next(after: startedAt.addingTimeInterval(deployment.config.scheduler.startDelay - 0.001))
    }

    func reload(_ options: Options) {
        do {
            let before = Set(deployment.pool.interfaces.map(\.id))
            deployment = try Deployment.load(options)
            try deployment.spool.prepare()
            // State and alerts follow ids: say which ones came and went, so a rename is not mistaken for a fix.
            let after = Set(deployment.pool.interfaces.map(\.id))
            for (word, ids) in [("new", after.subtracting(before)), ("gone", before.subtracting(after))] where !ids.isEmpty {
                let sorted = ids.sorted()
                Log.notice("interfaces \(word) after reload (\(ids.count)): " + sorted.prefix(20).joined(separator: ", ")
                    + (ids.count > 20 ? ", … (\(ids.count - 20) more)" : ""))
            }
            nextTick = schedule.next(after: Date())
            state.schedule = schedule.summary
            Log.notice("configuration reloaded: \(deployment.pool.interfaces.count) interfaces, schedule \(schedule.summary), "
                + "next run \(nextTick.map(Timestamp.format) ?? "never")")
        } catch {
            Log.error("configuration reload failed, keeping the old one:\n\(error)")
        }
    }

    var statusLine: String {
        var parts: [String] = []
        if let run = active?.supervisor.plan.run { parts.append("running \(run)") }
        if let last = state.lastRuns.last {
            parts.append("last \(last.run) " + (last.failedShards.isEmpty ? "ok" : "\(last.failedShards.count) shard(s) failed"))
        }
        parts.append("next \(nextTick.map(Timestamp.format) ?? "never")")
        return parts.joined(separator: "; ")
    }

    /// One pass of the loop; returns how long it may sleep.
    func pass(now: Date = Date()) async -> TimeInterval? {
        if let record = finished.record.withLock({ state -> RunRecord? in defer { state = nil }; return state }) {
            active = nil
            state.lastRuns.append(RunBrief(run: record.run, trigger: record.trigger, startedAt: record.startedAt,
                                           finishedAt: record.finishedAt,
                                           failedShards: record.failedShards.map { "\($0.shard): \($0.reason ?? "?")" }))
            state.lastRuns = Array(state.lastRuns.suffix(10))
        }
        if now.timeIntervalSince(lastJanitor) >= 60 {
            lastJanitor = now
            Janitor(spool: deployment.spool, config: deployment.config).sweep(now: now)
        }
        for name in FileIO.listIfPresent(deployment.triggerDirectory) {
            try? FileIO.unlink(deployment.triggerDirectory + "/" + name)
            if !manualQueued { Log.notice("manual run requested (orchestrator trigger)") }
            manualQueued = true
        }
        if let tick = nextTick, now >= tick {
            if let run = active?.supervisor.plan.run {
                Log.warning("tick \(Timestamp.format(tick)) skipped: run \(run) is still going (runs never overlap)")
            } else {
                start(run: RunID.scheduled(tick: tick), trigger: "schedule", shards: options.localShards(of: deployment.config.scheduler.probers),
                      startedAt: tick)
            }
            nextTick = schedule.next(after: max(now, tick))
        }
        if manualQueued, active == nil {
            manualQueued = false
            // A manual run is this host's alone: it runs every shard here.
            start(run: RunID.manual(at: now), trigger: "manual", shards: Shard.all(deployment.config.scheduler.probers), startedAt: now)
        }
        publishState(now: now)
        let untilTick = nextTick.map { $0.timeIntervalSince(Date()) } ?? 3600
        return max(0.01, min(untilTick, 60))
    }

    private func start(run: String, trigger: String, shards: [Shard], startedAt: Date) {
        let plan = RunPlan(run: run, trigger: trigger, shardCount: deployment.config.scheduler.probers, localShards: shards,
                           startedAt: startedAt, deadline: startedAt.addingTimeInterval(deployment.config.scheduler.maxRuntime))
        let supervisor = RunSupervisor(plan: plan, deployment: deployment)
        let finished = self.finished
        let wake = self.wake
        let task = Task {
            let record = await supervisor.execute()
            finished.record.withLock { $0 = record }
            wake()
            return record
        }
        active = (supervisor, task)
    }

    private func publishState(now: Date) {
        state.nextRun = nextTick
        state.currentRun = active?.supervisor.plan.run
        state.currentRunStartedAt = active?.supervisor.plan.startedAt
        state.updatedAt = now
        state.write(deployment.stateFile)
    }

    /// Shutdown: stop the run in progress within graceful_shutdown, record it, mark the service stopped.
    func shutdown() async {
        if let (supervisor, task) = active {
            Log.notice("stopping: run \(supervisor.plan.run) gets \(Int(deployment.config.scheduler.gracefulShutdown))s to publish what it has")
            await supervisor.terminate(grace: deployment.config.scheduler.gracefulShutdown, reason: "stopped with the orchestrator (SIGTERM)")
            _ = await task.value
            _ = await pass()
        }
        state.running = false
        state.currentRun = nil
        state.updatedAt = Date()
        state.write(deployment.stateFile)
    }
}

/// The janitor's rounds (Maildir's and Postfix's rules): expired claims go back to new/, writers' temporaries
/// older than 36 hours are removed.
struct Janitor {
    let spool: Spool
    let config: Config

    func sweep(now: Date) {
        for queue in [spool.runs, spool.results, spool.outbox] {
            let requeued = queue.requeueExpiredClaims(lease: config.spool.lease, now: now)
            if !requeued.isEmpty {
                Log.warning("janitor: \(requeued.count) claim(s) in \(queue.name)/cur older than the lease "
                    + "(\(DurationParser.format(config.spool.lease))) handed back to new/: \(requeued.prefix(3).joined(separator: ", "))")
            }
            let removed = queue.removeStaleTemporaries(now: now)
            if !removed.isEmpty { Log.warning("janitor: removed \(removed.count) stale file(s) from \(queue.name)/tmp (older than 36h)") }
            let orphaned = queue.removeOrphanedTemporaries()
            if !orphaned.isEmpty {
                Log.warning("janitor: removed \(orphaned.count) file(s) from \(queue.name)/tmp whose writer is gone: "
                    + orphaned.prefix(3).joined(separator: ", "))
            }
        }
    }
}
