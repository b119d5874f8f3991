// Service: the orchestrator as a long-running service. Ticks come from the schedule, computed from the clock
// each time (never by adding sleeps), so there is no drift; no run starts within start_delay of start-up;
// a tick that comes while a run is still going is skipped and logged, never overlapped. Every tick is
// accounted for: one that runs nothing (overlap, start-up delay, the orchestrator not running or suspended, a
// manifest the full disk refused) is logged and kept as a gap that the next run's manifest carries to the
// report, the history and the alert. A late tick starts with a fresh deadline, never one already past. Manual triggers
// (files in state/trigger/, plus SIGUSR1) start a run as soon as none is going. The janitor hands back
// expired claims and removes stale temporaries. SIGTERM stops the probers within graceful_shutdown.

import Foundation
import Shared
import Synchronization

/// The orchestrator's service loop. Unchecked Sendable: its `var`s are touched only by the service loop
/// (ServiceMain.run calls pass, reload, status and stop one after another); a run's task gets its own
/// supervisor and reaches back only through `finished` (a Mutex) and `wake`.
final class Service: @unchecked Sendable {
    private(set) var deployment: Deployment
    /// The pool as runs probe it: validated and copied when it changes (a broken file costs only its interfaces).
    private var snapshotter: PoolSnapshotter
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
    /// Skipped ticks not yet on a published manifest, and those on the manifest of the run in progress.
    private var gaps: [MonitoringGap] = []
    private var gapsInFlight: [MonitoringGap] = []
    /// When the last pass ended (wall clock and monotonic uptime) and the longest it meant to sleep.
    private var lastPass: (wall: Date, uptime: TimeInterval, sleep: TimeInterval, took: TimeInterval)?
    /// Since when runs cannot be recorded (one log line when it starts and one when it ends).
    private var unrecordedSince: Date?
    /// Wakes the service loop (set by main once the runner exists).
    var wake: @Sendable () -> Void = {}

    init(deployment: Deployment, options: Options) {
        self.deployment = deployment
        snapshotter = deployment.snapshotter()
        self.options = options
        state = ServiceState(
            host: SpoolName.host, pid: getpid(), startedAt: startedAt, running: true,
            schedule: deployment.config.monitor.schedule.summary, hosts: options.hosts,
            hostIndex: options.hostIndex, location: options.location, updatedAt: startedAt)
        nextTick = firstTick()
        if let previous = ServiceState.read(deployment.stateFile) {
            state.lastRuns = previous.lastRuns
            gaps = previous.gaps ?? []
            // Ticks that came while no orchestrator ran here.
            if let missed = previous.nextRun, missed < startedAt {
                skip(
                    from: missed, before: min(startedAt, nextTick ?? startedAt), reason: .notRunning,
                    detail: "down since \(Timestamp.format(previous.updatedAt))")
            }
        }
        if let first = schedule.next(after: startedAt.addingTimeInterval(-0.001)), let nextTick, first < nextTick {
            skip(
                from: first, before: nextTick, reason: .startDelay,
                detail: "scheduler.start_delay \(DurationParser.format(deployment.config.scheduler.startDelay))")
        }
        Log.info(
            "schedule: \(deployment.config.monitor.schedule.summary); next run \(nextTick.map(Timestamp.format) ?? "never")"
                + (options.hosts > 1 ? "; host \(options.hostIndex) of \(options.hosts)" : ""))
    }

    private var schedule: ScheduleSetting { deployment.config.monitor.schedule }

    /// Records the ticks in [from, before) as skipped for `reason`, with one log line.
    private func skip(from: Date, before: Date, reason: MonitoringGap.Reason, detail: String? = nil) {
        var tick: Date? = from
        var count = 0
        var last = from
        while let t = tick, t < before, count < 100_000 {
            MonitoringGap.record(t, reason: reason, detail: detail, into: &gaps)
            last = t
            count += 1
            tick = schedule.next(after: t)
        }
        guard count > 0 else { return }
        let gap = MonitoringGap(reason: reason, from: from, to: last, runs: count, detail: detail)
        Log.warning(
            "\(count == 1 ? "tick \(Timestamp.format(from))" : "\(count) ticks from \(Timestamp.format(from)) to \(Timestamp.format(last))") "
                + "ran nothing: \(gap.reasonText)\(detail.map { " (\($0))" } ?? ""); the next run's report and alert say so")
    }

    private func firstTick() -> Date? {
        // No run within start_delay of start-up.
        schedule.next(after: startedAt.addingTimeInterval(deployment.config.scheduler.startDelay - 0.001))
    }

    func reload(_ options: Options) {
        do {
            deployment = try Deployment.load(options, needsPool: false)
            try deployment.spool.prepare()
            // The pool is checked with the new config (its services) when the next run takes its snapshot.
            let before = snapshotter.current
            let previous = snapshotter
            snapshotter = deployment.snapshotter()
            snapshotter.inherit(from: previous)
            let after = snapshotter.snapshot()
            nextTick = schedule.next(after: Date())
            state.schedule = schedule.summary
            Log.notice(
                "configuration reloaded: \(after.map { "\($0.interfaces) interfaces" } ?? "no interface pool") "
                    + "(was \(before.map { "\($0.interfaces)" } ?? "none")), schedule \(schedule.summary), "
                    + "next run \(nextTick.map(Timestamp.format) ?? "never")")
        } catch {
            Log.configurationProblems(error, "reload failed, keeping the old configuration")
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
        let uptime = ProcessInfo.processInfo.systemUptime
        let away = timeAway(now: now, uptime: uptime)
        settleFinishedRun()
        if now.timeIntervalSince(lastJanitor) >= 60 {
            lastJanitor = now
            Janitor(spool: deployment.spool, config: deployment.config).sweep(now: now)
        }
        takeManualTriggers()
        if let tick = nextTick, now >= tick { runTicks(from: tick, now: now, away: away) }
        if manualQueued, active == nil {
            manualQueued = false
            // A manual run is this host's alone: it runs every shard here.
            start(run: RunID.manual(at: now), trigger: "manual", shards: Shard.all(deployment.config.scheduler.probers), startedAt: now)
        }
        publishState(now: now)
        let untilTick = nextTick.map { $0.timeIntervalSince(Date()) } ?? 3600
        let sleep = max(0.01, min(untilTick, 60))
        let end = Date()
        lastPass = (end, ProcessInfo.processInfo.systemUptime, sleep, end.timeIntervalSince(now))
        return sleep
    }

    /// Records the run that finished since the last look (its task leaves the record in the mailbox).
    private func settleFinishedRun() {
        if let record = finished.record.withLock({ state -> RunRecord? in
            defer { state = nil }
            return state
        }) {
            active = nil
            settle(record)
        }
    }

    /// How long the process was away (not scheduled) since the last pass, logged; 0 when it was not.
    private func timeAway(now: Date, uptime: TimeInterval) -> TimeInterval {
        guard let last = lastPass else { return 0 }
        // Stopped in the middle of the previous pass: it began long before it ended.
        if last.took > 5 {
            Log.warning("the orchestrator was away \(Int(last.took)) s during its last pass (suspended, stopped with SIGSTOP, or starved)")
            return last.took
        }
        // Woken later than it meant to sleep: the process was not scheduled (SIGSTOP, a suspended VM).
        let late = now.timeIntervalSince(last.wall) - last.sleep
        let jump = now.timeIntervalSince(last.wall) - (uptime - last.uptime)
        guard late > 5 else { return 0 }
        Log.warning(
            "the orchestrator was away \(Int(late)) s longer than it meant to sleep (suspended, stopped with SIGSTOP, "
                + "or starved)"
                + (jump > 5
                    ? "; the wall clock moved \(Int(jump)) s more than the monotonic clock (the machine "
                        + "was suspended, or the clock was set)" : ""))
        return late
    }

    /// Files in state/trigger/ ask for a manual run: each is removed, and one run is queued for them all.
    private func takeManualTriggers() {
        for name in FileIO.listIfPresent(deployment.triggerDirectory) {
            try? FileIO.unlink(deployment.triggerDirectory + "/" + name)
            if !manualQueued { Log.notice("manual run requested (orchestrator trigger)") }
            manualQueued = true
        }
    }

    /// Every tick that has come since `tick`: the oldest whose deadline is still ahead runs (hosts sharing the
    /// schedule pick the same one); those older (stale) and any after it were missed while the loop did not
    /// run, and are recorded as such.
    private func runTicks(from tick: Date, now: Date, away: TimeInterval) {
        var come: [Date] = []
        var next: Date? = tick
        while let t = next, t <= now, come.count < 100_000 {
            come.append(t)
            next = schedule.next(after: t)
        }
        let due = come.last ?? tick
        let runnable = come.first { $0.addingTimeInterval(deployment.config.scheduler.maxRuntime) > now }
        let detail = away > 0 ? "away \(Int(away)) s" : "the loop ran \(Int(now.timeIntervalSince(tick))) s late"
        if let runnable {
            skip(from: tick, before: runnable, reason: .suspended, detail: detail)
            if let after = schedule.next(after: runnable) {
                skip(from: after, before: due.addingTimeInterval(0.001), reason: .suspended, detail: detail)
            }
            startScheduled(runnable, now: now)
        } else {
            skip(from: tick, before: due.addingTimeInterval(0.001), reason: .suspended, detail: detail)
        }
        nextTick = schedule.next(after: max(now, due))
    }

    /// Starts the run of a scheduled tick, or records it as skipped while another run is still going.
    private func startScheduled(_ runnable: Date, now: Date) {
        if let run = active?.supervisor.plan.run {
            skip(from: runnable, before: runnable.addingTimeInterval(0.001), reason: .overlap, detail: "run \(run) still going")
        } else {
            // A late tick starts now, with a fresh deadline: never one that has already passed.
            let late = now.timeIntervalSince(runnable)
            if late > 1 { Log.notice("tick \(Timestamp.format(runnable)) starts \(Int(late)) s late, with a fresh deadline") }
            start(
                run: RunID.scheduled(tick: runnable), trigger: "schedule",
                shards: options.localShards(of: deployment.config.scheduler.probers), startedAt: late > 1 ? now : runnable)
        }
    }

    /// Takes a finished run's record: its gaps were delivered with its manifest, or — when the manifest could
    /// not be written — go back to wait for the next one, with this run's tick added.
    private func settle(_ record: RunRecord) {
        state.lastRuns.append(
            RunBrief(
                run: record.run, trigger: record.trigger, startedAt: record.startedAt,
                finishedAt: record.finishedAt,
                failedShards: record.notStarted.map { ["not started: \($0)"] }
                    ?? record.failedShards.map { "\($0.shard): \($0.reason ?? "?")" }))
        state.lastRuns = Array(state.lastRuns.suffix(10))
        guard let reason = record.notStarted else {
            gapsInFlight = []
            if let since = unrecordedSince {
                Log.notice(
                    "run \(record.run) recorded: the spool takes runs again after refusing them since \(Timestamp.format(since)); "
                        + "its report and alert name the gap")
                unrecordedSince = nil
            }
            return
        }
        gaps = gapsInFlight + gaps
        gapsInFlight = []
        if record.trigger == "schedule", let tick = RunID.date(of: record.run) {
            let disk = record.notStartedForSpace == true
            MonitoringGap.record(tick, reason: disk ? .diskFull : .unrecorded, detail: disk ? nil : reason, into: &gaps)
            gaps.sort { $0.from < $1.from }
        }
        if unrecordedSince == nil {
            unrecordedSince = record.startedAt
            Log.error(
                "run \(record.run) not started: \(reason); monitoring is blind until runs can be recorded again "
                    + "(each one skipped is kept, and named in the next report and alert)")
        } else {
            Log.debug("run \(record.run) not started either: \(reason)")
        }
    }

    private func start(run: String, trigger: String, shards: [Shard], startedAt: Date) {
        var plan = RunPlan(
            run: run, trigger: trigger, shardCount: deployment.config.scheduler.probers, localShards: shards,
            startedAt: startedAt, deadline: startedAt.addingTimeInterval(deployment.config.scheduler.maxRuntime))
        // The gaps so far travel on this run's manifest.
        plan.gaps = gaps
        plan.pool = snapshotter.snapshot()
        plan.location = options.location
        gapsInFlight = gaps
        gaps = []
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
        let pending = gapsInFlight + gaps
        state.gaps = pending.isEmpty ? nil : pending
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
            // Only the stopped run is recorded: a whole pass here started the next run when its tick fell within
            // the grace period, and left its probers behind, orphaned, when the process exited.
            settleFinishedRun()
        }
        state.running = false
        state.currentRun = nil
        state.updatedAt = Date()
        state.write(deployment.stateFile)
    }
}

/// The janitor's rounds (Maildir's and Postfix's rules): expired claims go back to new/, writers' temporaries
/// (and rsync's `.NAME.XXXXXX` left in new/) older than 36 hours are removed.
struct Janitor {
    let spool: Spool
    let config: Config

    func sweep(now: Date) {
        for queue in [spool.runs, spool.results, spool.outbox] {
            let requeued = queue.requeueExpiredClaims(lease: config.spool.lease, now: now)
            if !requeued.isEmpty {
                Log.warning(
                    "janitor: \(requeued.count) claim(s) in \(queue.name)/cur older than the lease "
                        + "(\(DurationParser.format(config.spool.lease))) handed back to new/: \(requeued.prefix(3).joined(separator: ", "))")
            }
            let removed = queue.removeStaleTemporaries(now: now)
            if !removed.isEmpty { Log.warning("janitor: removed \(removed.count) stale file(s) from \(queue.name)/tmp (older than 36h)") }
            let copies = queue.removeStaleTransferTemporaries(now: now)
            if !copies.isEmpty { Log.warning("janitor: removed \(copies.count) rsync temporaries from \(queue.name)/new (older than 36h)") }
            let orphaned = queue.removeOrphanedTemporaries()
            if !orphaned.isEmpty {
                Log.warning(
                    "janitor: removed \(orphaned.count) file(s) from \(queue.name)/tmp whose writer is gone: "
                        + orphaned.prefix(3).joined(separator: ", "))
            }
        }
    }
}

extension Service {
    /// `orchestrator` without a command: check what the service needs, take the host's lock, run until stopped;
    /// returns the exit status.
    static func main(_ options: Options) async throws(Exit) -> Int32 {
        let deployment: Deployment
        do {
            // The pool is not required to load whole: each run probes a snapshot in which a broken file costs only
            // its own interfaces (reported, with file:line, as not loaded).
            deployment = try Deployment.load(options, needsPool: false)
            try deployment.spool.prepare()
        } catch {
            Log.configurationProblems(error, "not started")
            throw Exit(2)
        }
        if let missing = Programs.missing(["prober"]) {
            Log.error(missing)
            throw Exit(2)
        }
        // Another host's live orchestrator on the same shards would double the probing: refuse, saying which.
        if let problem = LocationSettings.problem(options.location, config: deployment.config) {
            Log.error(problem + "; not started")
            throw Exit(2)
        }
        let conflicts = ServiceState.conflicts(
            in: deployment.spool.stateDirectory, hosts: options.hosts, hostIndex: options.hostIndex, location: options.location)
        if !conflicts.isEmpty {
            for conflict in conflicts { Log.error(conflict) }
            throw Exit(1)
        }
        guard case let .success(lock) = ServiceMain.lock(deployment.lockFile) else {
            let pid = ServiceState.read(deployment.stateFile)?.pid.description ?? "?"
            Log.error("another orchestrator (pid \(pid)) already runs on this host for \(deployment.spool.root)")
            throw Exit(1)
        }
        try? FileIO.makeDirectory(deployment.triggerDirectory, mode: deployment.spool.permissions.directoryMode)
        for leftover in FileIO.listIfPresent(deployment.triggerDirectory) { try? FileIO.unlink(deployment.triggerDirectory + "/" + leftover) }

        let service = Service(deployment: deployment, options: options)
        let main = ServiceMain(name: "orchestrator", watching: [deployment.triggerDirectory])
        service.wake = { main.runner.wake() }
        if let idle = deployment.config.monitor.schedule.idleWarning(after: Date()) { Log.warning(idle) }
        let snapshot = service.snapshotter.snapshot()
        Log.info("orchestrator started on \(deployment.spool.root) with \(snapshot.map { "\($0.interfaces)" } ?? "no") interfaces")
        return await main.run(
            once: false, lock: lock, reload: { service.reload(options) }, status: { service.statusLine },
            pass: { await service.pass() }, stop: { await service.shutdown() })
    }
}
