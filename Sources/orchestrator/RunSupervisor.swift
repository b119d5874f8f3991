// RunSupervisor: one run on this host. It publishes the run manifest, starts one prober per local shard
// (argv only, never a shell), relays their stderr into the log with the shard in front, and enforces the
// deadline: SIGTERM at scheduler.max_runtime, SIGKILL graceful_shutdown later. Every local shard ends in
// exactly one batch: the prober's own, or a shard_failed stub written here with the reason.

import Foundation
import Shared
import Synchronization

/// What a run is to do.
struct RunPlan: Sendable {
    let run: String
    /// schedule | manual
    let trigger: String
    let shardCount: Int
    let localShards: [Shard]
    let startedAt: Date
    let deadline: Date
    /// Skipped ticks to carry on the manifest.
    var gaps: [MonitoringGap] = []
    /// The pool snapshot the probers probe (nil when none could be made: the probers then say why).
    var pool: PoolSnapshot?
    /// This host's location (`locations:`), nil with one location.
    var location: String?
}

/// How one shard ended.
struct ShardOutcome: Codable, Sendable, Equatable {
    let shard: Shard
    let published: Bool
    let reason: String?
}

/// `{"v":1,"kind":"orchestrator_run",…}`: a line of state/orchestrator-runs.ndjson.
struct RunRecord: Codable, Sendable, Equatable {
    var v = 1
    var kind = RecordKind.orchestratorRun.rawValue
    let run: String
    let trigger: String
    let host: String
    let shards: Int
    let startedAt: Date
    let finishedAt: Date
    let outcomes: [ShardOutcome]
    /// Why the run was not started: its manifest could not be written (nil when it was).
    var notStarted: String?
    /// Whether that was for want of space (the floor, ENOSPC, a quota).
    var notStartedForSpace: Bool?

    var failedShards: [ShardOutcome] { outcomes.filter { !$0.published } }

    enum CodingKeys: String, CodingKey {
        case v, kind, run, trigger, host, shards
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case outcomes
        case notStarted = "not_started"
        case notStartedForSpace = "not_started_for_space"
    }
}

final class RunSupervisor: Sendable {
    let plan: RunPlan
    private let deployment: Deployment
    private let children = Mutex<[Shard: ChildProcess]>([:])
    private let lastErrors = Mutex<[Shard: String]>([:])
    /// Why children were told to stop (deadline or shutdown), for the shard_failed reason.
    private let stopReason = Mutex<String?>(nil)

    init(plan: RunPlan, deployment: Deployment) {
        self.plan = plan
        self.deployment = deployment
    }

    /// Runs the plan to the end and returns its record (also appended to the run history).
    func execute() async -> RunRecord {
        if let notStarted = publishManifest() { return notStarted }
        Log.info(
            "run \(plan.run) (\(plan.trigger)) started: shards \(plan.localShards.map(\.description).joined(separator: ", ")) "
                + "of \(plan.shardCount), deadline \(Timestamp.format(plan.deadline))")
        var outcomes: [ShardOutcome] = []
        let spawnFailures = startProbers()
        let enforcer = Task { await enforceDeadline() }
        let running = children.withLock { $0 }
        var terminations: [Shard: Termination] = [:]
        for (shard, child) in running { terminations[shard] = await child.exit() }
        enforcer.cancel()
        for shard in plan.localShards {
            outcomes.append(settle(shard, termination: terminations[shard], spawnFailure: spawnFailures[shard]))
        }
        let record = RunRecord(
            run: plan.run, trigger: plan.trigger, host: SpoolName.host, shards: plan.shardCount,
            startedAt: plan.startedAt, finishedAt: Date(), outcomes: outcomes)
        appendHistory(record)
        let failed = record.failedShards
        Log.info(
            "run \(plan.run) finished in \(String(format: "%.1f", record.finishedAt.timeIntervalSince(plan.startedAt)))s: "
                + (failed.isEmpty
                    ? "every shard published its batch"
                    : "\(failed.count) shard(s) failed: "
                        + failed.map { "\($0.shard) (\($0.reason ?? "?"))" }.joined(separator: "; ")))
        return record
    }

    /// Publishes the run's manifest; nil when it is out, else the record of a run that was not started (also
    /// appended to the run history).
    private func publishManifest() -> RunRecord? {
        var manifest = RunManifest(
            run: plan.run, shards: plan.shardCount, startedAt: plan.startedAt, deadline: plan.deadline,
            trigger: plan.trigger, gaps: plan.gaps.isEmpty ? nil : plan.gaps)
        manifest.pool = plan.pool
        manifest.locations = deployment.config.locations?.names
        do {
            // Every host of a multi-host run publishes the same manifest; the first one stays. It is a control
            // record: it may use the reserve below spool.min_free that batches cannot.
            try deployment.spool.runs.publish(
                name: RunFileName.manifest(run: plan.run), bytes: try RecordCoding.encode(manifest) + [10], control: true)
            return nil
        } catch {
            // Without its manifest nobody would learn of the run: it is not started, and the service records it
            // as a gap to carry on the next manifest it can write.
            var record = RunRecord(
                run: plan.run, trigger: plan.trigger, host: SpoolName.host, shards: plan.shardCount,
                startedAt: plan.startedAt, finishedAt: Date(), outcomes: [])
            record.notStarted = "cannot publish the manifest: \(error)"
            record.notStartedForSpace = (error as? SpoolError)?.isOutOfSpace ?? false
            appendHistory(record)
            return record
        }
    }

    /// Starts one prober per local shard; returns why each shard whose prober could not start did not.
    private func startProbers() -> [Shard: String] {
        var spawnFailures: [Shard: String] = [:]
        for shard in plan.localShards {
            do {
                let child = try ChildProcess(
                    executable: Programs.path("prober"),
                    arguments: deployment.childArguments + ["--run", plan.run, "--shard", shard.description]
                        + (plan.pool.map { ["--pool-snapshot", $0.id] } ?? []) + (plan.location.map { ["--location", $0] } ?? []),
                    environment: childEnvironment(), stdout: .discard,
                    stderr: .lines { [self] line in relay(line, from: shard) })
                children.withLock { $0[shard] = child }
            } catch {
                spawnFailures[shard] = "cannot start prober: \(error)"
            }
        }
        return spawnFailures
    }

    /// Tells the probers to stop now (service shutdown), and kills them `grace` seconds later.
    func terminate(grace: TimeInterval, reason: String) async {
        stopReason.withLock { if $0 == nil { $0 = reason } }
        signalAll(SIGTERM)
        let end = Date().addingTimeInterval(grace)
        while Date() < end, children.withLock({ $0.values.contains { $0.termination == nil } }) {
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
        signalAll(SIGKILL)
    }

    private func enforceDeadline() async {
        let wait = plan.deadline.timeIntervalSinceNow
        if wait > 0 { try? await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
        guard !Task.isCancelled else { return }
        let maxRuntime = Int(plan.deadline.timeIntervalSince(plan.startedAt).rounded())
        Log.warning("run \(plan.run) reached its deadline (max_runtime \(maxRuntime)s): stopping its probers")
        await terminate(grace: deployment.config.scheduler.gracefulShutdown, reason: "killed after \(maxRuntime)s (scheduler.max_runtime)")
    }

    private func signalAll(_ number: Int32) {
        for child in children.withLock({ Array($0.values) }) where child.termination == nil { child.signal(number) }
    }

    /// Decides whether the shard published, and writes its shard_failed stub if not.
    private func settle(_ shard: Shard, termination: Termination?, spawnFailure: String?) -> ShardOutcome {
        let spool = deployment.spool
        // Only a batch of this host's prober counts, never a name that merely starts with the run and shard: a
        // shard_failed stub, or another host's file for the same shard, is not this shard's batch.
        let prefix = RunFileName.batchPrefix(run: plan.run, shard: shard) + SpoolName.host + ".prober-"
        // The prober is gone: whatever it left in tmp/ will never be completed. That includes a batch it had
        // linked into new/ when it was killed (at the end of graceful_shutdown) before it could unlink the
        // tmp name: the published batch stands, its leftover name goes.
        if termination != nil {
            for name in FileIO.listIfPresent(spool.results.tmpDirectory) where name.hasPrefix(prefix) {
                try? FileIO.unlink(spool.results.tmpDirectory + "/" + name)
            }
        }
        if termination == .exited(0) { return ShardOutcome(shard: shard, published: true, reason: nil) }
        // A prober killed after it published is fine: its batch stands.
        if spool.results.contains(prefix: prefix, alsoIn: [spool.archiveDirectory]) {
            return ShardOutcome(shard: shard, published: true, reason: nil)
        }
        var reason = spawnFailure ?? stopReason.withLock { $0 } ?? termination.map { "prober \($0)" } ?? "prober did not run"
        if spawnFailure == nil, stopReason.withLock({ $0 }) == nil, let last = lastErrors.withLock({ $0[shard] }) {
            reason += ": " + last
        }
        var stub = ShardFailed(run: plan.run, shard: shard, reason: reason, at: Date())
        stub.location = plan.location
        do {
            try spool.results.publish(
                name: RunFileName.batch(run: plan.run, shard: shard, program: "orchestrator"),
                bytes: try RecordCoding.encode(stub) + [10], control: true)
        } catch {
            Log.error("run \(plan.run) shard \(shard): cannot write its shard_failed stub: \(error)")
        }
        Log.warning("run \(plan.run) shard \(shard) failed: \(reason)")
        return ShardOutcome(shard: shard, published: false, reason: reason)
    }

    /// The children log with `<N>` priorities (as under journald) so their levels survive the relay.
    private func childEnvironment() -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["JOURNAL_STREAM"] = "vigil-orchestrator-relay"
        env.removeValue(forKey: "NOTIFY_SOCKET")
        env.removeValue(forKey: "WATCHDOG_USEC")
        env.removeValue(forKey: "WATCHDOG_PID")
        return env
    }

    private func relay(_ line: String, from shard: Shard) {
        var level = LogLevel.info
        var text = Substring(line)
        if text.hasPrefix("<"), let close = text.firstIndex(of: ">"), let n = Int(text[text.index(after: text.startIndex)..<close]),
            let parsed = LogLevel(rawValue: n)
        {
            level = parsed
            text = text[text.index(after: close)...]
            if let colon = text.firstIndex(of: ":"), LogLevel(name: String(text[..<colon])) != nil {
                text = text[text.index(after: colon)...].drop { $0 == " " }
            }
        }
        if level >= .error { lastErrors.withLock { $0[shard] = String(text) } }
        Log.write(level) { "[\(plan.run) shard \(shard)] \(text)" }
    }

    private func appendHistory(_ record: RunRecord) {
        let path = deployment.runHistory
        do {
            let fd = try FileIO.open(path, O_WRONLY | O_CREAT | O_APPEND, mode: 0o600)
            defer { close(fd) }
            try FileIO.writeAll(fd, try RecordCoding.encode(record) + [10], path: path)
            try FileIO.fsync(fd, path: path)
        } catch {
            Log.error("cannot append to \(path): \(error)")
        }
    }
}
