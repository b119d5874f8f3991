// StatusCommand: `orchestrator status` from files alone — each host's service state (pid, up since, current
// and next run, last runs), who owns the analyzer and notifier roles (state/owner-<role>.json: host, pid,
// heartbeat age, generation, stale), the analyzer's last reported runs, and the depth of every queue: new/ and cur/
// per queue, deferred and failed alerts, quarantined files and lines. Times are in notify.timezone, the zone
// named (LocalClock); --json keeps ISO 8601 UTC. Reads files only and needs no secret.

import Foundation
import Shared

enum StatusCommand {
    /// One queue's depth, and the files in its new/ nobody takes.
    struct QueueDepth {
        let name: String
        let new: Int, claimed: Int, beingWritten: Int
        let stale: [String], hidden: [String]
    }

    /// The analyzer or notifier of this host, from its lock file.
    struct ServiceFacts {
        let name: String
        let pid: Int32?
        let running: Bool
        let since: Date?
    }

    /// Everything status shows, read from the spool's files once; the text and the JSON are two views of it.
    struct Facts {
        let spool: Spool
        let lease: Double
        let now: Date
        let states: [ServiceState]
        let services: [ServiceFacts]
        let owners: [OwnerRecord]
        let pools: [(host: String, snapshot: PoolSnapshot)]
        let interfaces: AnalyzerState.Health
        let silences: [Silence]
        /// The last reported runs, oldest first.
        let reported: [RunSummary]
        let queues: [QueueDepth]
        let alerts: (deferred: Int, failed: Int, sent: Int)
        let quarantine: (files: Int, lines: Int)
        let reports: Int
    }

    static func run(_ options: Options, json: Bool = false) -> Int32 {
        guard let deployment = Deployment.loadOrReport(options, needsPool: false) else { return 2 }
        let spool = deployment.spool
        if Startup.spoolIsMissing(spool) { return 1 }
        let facts = gather(spool, lease: deployment.config.spool.lease)
        if json {
            FileHandle.standardOutput.write(Data(self.json(facts) + [10]))
        } else {
            print(text(facts, timeZone: deployment.config.notify.timeZone), terminator: "")
        }
        return 0
    }

    /// Reads every file status shows (no lock taken, nothing written).
    static func gather(_ spool: Spool, lease: Double) -> Facts {
        let analyzerState = AnalyzerState(spool)
        let deliveries = spool.deliveries
        return Facts(
            spool: spool, lease: lease, now: Date(),
            states: FileIO.listIfPresent(spool.stateDirectory).filter { $0.hasPrefix("orchestrator-") && $0.hasSuffix(".json") }
                .compactMap { ServiceState.read(spool.stateDirectory + "/" + $0) },
            services: ["analyzer", "notifier"].map { serviceFacts($0, spool) },
            owners: Ownership.records(in: spool),
            pools: PoolSnapshot.current(in: spool),
            interfaces: analyzerState.health(),
            silences: Silence.load(spool.stateDirectory + "/silences").filter { $0.until > Date() },
            reported: analyzerState.reportedRuns(last: 5),
            queues: [spool.runs, spool.results, spool.outbox].map { queueDepth($0, lease: lease) },
            alerts: (deferred: deliveries.deferred.count, failed: deliveries.failed.count, sent: deliveries.sent.count),
            quarantine: spool.quarantine.counts(),
            reports: FileIO.listIfPresent(spool.reportsDirectory).count)
    }

    /// A queue's files per directory, and those in new/ nobody takes.
    private static func queueDepth(_ queue: Queue, lease: Double) -> QueueDepth {
        let pending = queue.pending()
        // Files no consumer has taken for longer than the lease: one that cannot be claimed waits forever.
        let stale = pending.filter { name in
            FileIO.status(queue.newDirectory + "/" + name).map { Date().timeIntervalSince($0.modificationDate) > lease } ?? false
        }
        return QueueDepth(
            name: queue.name, new: pending.count, claimed: FileIO.listIfPresent(queue.curDirectory).count,
            beingWritten: FileIO.listIfPresent(queue.tmpDirectory).count, stale: stale, hidden: FileIO.hidden(queue.newDirectory))
    }

    // MARK: - JSON

    /// `status --json`: the facts as one object, times in ISO 8601 UTC.
    static func json(_ facts: Facts) -> [UInt8] {
        JSONWriter.object { w in
            w.field("spool", facts.spool.root)
            writeHosts(facts, into: &w)
            writeInterfaces(facts, into: &w)
            writeSpool(facts, into: &w)
        }
    }

    /// orchestrators, owners, pool_snapshots, services.
    private static func writeHosts(_ facts: Facts, into w: inout JSONWriter) {
        w.array("orchestrators", facts.states) { s, o in
            o.field("host", s.host)
            o.field("pid", Int(s.pid))
            o.field("state", liveness(s))
            o.field("schedule", s.schedule)
            o.field("started_at", s.startedAt)
            o.field("heartbeat", s.updatedAt)
            o.field("next_run", s.nextRun)
            o.field("current_run", s.currentRun)
            o.field("unreported_gaps", s.gaps?.count ?? 0)
        }
        w.array("owners", facts.owners) { r, o in
            o.field("role", r.role)
            o.field("host", r.host)
            o.field("pid", Int(r.pid))
            o.field("generation", r.generation)
            o.field("started_at", r.startedAt)
            o.field("heartbeat", r.heartbeat)
            o.field("heartbeat_age_s", Int(r.age(now: facts.now).rounded()))
            o.field("state", ownerState(r, now: facts.now))
        }
        w.array("pool_snapshots", facts.pools) { p, o in
            o.field("host", p.host)
            o.field("id", p.snapshot.id)
            o.field("created_at", p.snapshot.createdAt)
            o.field("interfaces", p.snapshot.interfaces)
            o.field("files", p.snapshot.files)
            o.array("not_loaded", p.snapshot.broken) { b, o in
                o.field("file", b.file)
                o.field("reason", b.reason)
                o.field("interfaces", b.held)
            }
        }
        w.array("services", facts.services) { f, o in
            o.field("name", f.name)
            o.field("running", f.running)
            o.field("pid", f.pid.map(Int.init))
            o.field("since", f.since)
        }
    }

    /// interfaces (failing now, silences) and last_runs.
    private static func writeInterfaces(_ facts: Facts, into w: inout JSONWriter) {
        w.object("interfaces") { o in
            o.field("total", facts.interfaces.total)
            o.field("failing", facts.interfaces.failing.count)
            o.array("failing_now", facts.interfaces.failing) { f, o in
                o.field("id", f.id)
                o.field("outcome", f.outcome.rawValue)
                o.field("since", f.since)
            }
            o.array("silences", facts.silences) { x, o in
                o.field("id", x.id)
                o.field("match", x.match)
                o.field("until", x.until)
                o.field("reason", x.reason)
            }
        }
        w.array("last_runs", facts.reported.reversed()) { r, o in
            o.field("run", r.run)
            o.field("interfaces", r.stats.interfaces)
            o.field("ok", r.stats.ok)
            o.field("failed", r.stats.failed)
            o.field("missing_shards", r.stats.missingShards.count)
            o.field("gaps", r.stats.gaps?.count ?? 0)
            if let blind = r.stats.blind { o.array("blind", blind) { text, o in o.field("why", text) } }
            o.field("alert", r.alert)
        }
    }

    /// queues, alerts, quarantine, reports.
    private static func writeSpool(_ facts: Facts, into w: inout JSONWriter) {
        w.array("queues", facts.queues) { q, o in
            o.field("queue", q.name)
            o.field("new", q.new)
            o.field("claimed", q.claimed)
            o.field("being_written", q.beingWritten)
            o.field("stale", q.stale.count)
            o.field("hidden", q.hidden.count)
        }
        w.object("alerts") { o in
            o.field("deferred", facts.alerts.deferred)
            o.field("failed", facts.alerts.failed)
            o.field("sent", facts.alerts.sent)
        }
        w.object("quarantine") { o in
            o.field("files", facts.quarantine.files)
            o.field("lines", facts.quarantine.lines)
        }
        w.field("reports", facts.reports)
    }

    // MARK: - Text

    /// `status`: the facts for a person, times in `timeZone` (notify.timezone).
    static func text(_ facts: Facts, timeZone: TimeZone) -> String {
        let clock = LocalClock(timeZone: timeZone)
        var out = "spool: \(facts.spool.root)\n"
        out += orchestratorLines(facts.states, clock, timeZone: timeZone)
        out += serviceLines(facts, clock)
        out += interfaceLines(facts, clock)
        out += reportedRunLines(facts.reported, AlertWhereabouts(facts.spool))
        out += queueLines(facts)
        return out
    }

    /// Each host's orchestrator: liveness, schedule, current and next run, unreported gaps, last runs.
    private static func orchestratorLines(_ states: [ServiceState], _ clock: LocalClock, timeZone: TimeZone) -> String {
        var out = ""
        if states.isEmpty { out += "orchestrator: never started on this spool\n" }
        for s in states {
            out +=
                "orchestrator on \(s.host): \(liveness(s, clock)), pid \(s.pid), up since \(clock.format(s.startedAt))"
                + (s.hosts > 1 ? ", host \(s.hostIndex) of \(s.hosts)" : "") + "\n"
            out += "  schedule: \(s.schedule)\n"
            if let run = s.currentRun { out += "  current run: \(run) since \(clock.format(s.currentRunStartedAt, none: "?"))\n" }
            if s.isAlive || s.host != SpoolName.host { out += "  next run: \(clock.format(s.nextRun, none: "none"))\n" }
            for gap in s.gaps ?? [] {
                out += "  not yet reported: \(gap.sentence(in: timeZone)) (the next run's manifest carries it)\n"
            }
            for run in s.lastRuns.suffix(5).reversed() {
                let duration = String(format: "%.1fs", run.finishedAt.timeIntervalSince(run.startedAt))
                out +=
                    "  run \(run.run) (\(run.trigger)) \(duration): "
                    + (run.failedShards.isEmpty ? "all shards published" : run.failedShards.joined(separator: "; ")) + "\n"
            }
        }
        return out
    }

    /// This host's analyzer and notifier, the owners of their roles, and each host's interface pool.
    private static func serviceLines(_ facts: Facts, _ clock: LocalClock) -> String {
        var out = ""
        for f in facts.services {
            guard let pid = f.pid, let since = f.since else {
                out += "\(f.name): never started on this spool\n"
                continue
            }
            out +=
                "\(f.name): "
                + (f.running
                    ? "running, pid \(pid), up since \(clock.format(since))"
                    : "not running (last pid \(pid), started \(clock.format(since)))") + "\n"
        }
        for r in facts.owners {
            let age = Int(r.age(now: facts.now).rounded())
            out +=
                "\(r.role) owner: host \(r.host), pid \(r.pid), generation \(r.generation), heartbeat \(age) s ago "
                + "(\(clock.format(r.heartbeat))): \(ownerState(r, now: facts.now))"
                + (ownerState(r, now: facts.now) == "stale"
                    ? " — a standby takes over after \(Int(Ownership.defaultStaleAfter)) s without a heartbeat" : "") + "\n"
        }
        for (host, pool) in facts.pools {
            out +=
                "interface pool (\(host)): snapshot \(pool.id) of \(clock.format(pool.createdAt)), \(pool.interfaces) interfaces from "
                + "\(pool.files) file(s)" + (pool.broken.isEmpty ? "" : "; \(pool.broken.count) file(s) not loaded:") + "\n"
            for problem in pool.broken { out += "  \(problem.sentence)\n" }
        }
        return out
    }

    /// How many interfaces are ok and failing, the first 20 failing (oldest first), and the active silences.
    private static func interfaceLines(_ facts: Facts, _ clock: LocalClock) -> String {
        let total = facts.interfaces.total
        let failing = facts.interfaces.failing
        var out = total == 0 ? "interfaces: no analyzed run yet\n" : "interfaces: \(total - failing.count) ok, \(failing.count) failing now\n"
        for f in failing.prefix(20) {
            let since = clock.format(f.since)
            // Health stays failing until recovery_threshold passes in a row: the last probe may already be ok.
            out +=
                f.outcome == .ok
                ? "  \(f.id): failing since \(since); the last probe passed (recovery not yet confirmed)\n"
                : "  \(f.id): \(f.outcome.rawValue) since \(since)\n"
        }
        if failing.count > 20 { out += "  … \(failing.count - 20) more (state/interfaces.ndjson)\n" }
        for x in facts.silences {
            out += "silence \(x.id): \(x.match) until \(clock.format(x.until))" + (x.reason.isEmpty ? "" : " — \(x.reason)") + "\n"
        }
        return out
    }

    /// The last runs the analyzer reported, newest first, and where each one's alert is.
    private static func reportedRunLines(_ reported: [RunSummary], _ whereabouts: AlertWhereabouts) -> String {
        var out = "last reported runs:\n"
        if reported.isEmpty { out += "  none yet\n" }
        for summary in reported.reversed() {
            let s = summary.stats
            // A run with no interfaces measured nothing: no success rate to show.
            out +=
                "  \(summary.run): "
                + (s.interfaces == 0
                    ? "no interfaces"
                    : "\(s.ok) ok, \(s.failed) failed"
                        + (s.skipped > 0 ? " (\(s.skipped) not probed)" : "") + " of \(s.interfaces)"
                        + String(format: " (%.1f %%)", s.successRate))
                + (s.missingShards.isEmpty ? "" : ", \(s.missingShards.count) shard(s) missing")
                + (summary.alert != nil ? ", alert " + whereabouts.describe(run: summary.run) : "") + "\n"
            for gap in s.gaps ?? [] { out += "    before it: \(gap)\n" }
            for blind in s.blind ?? [] { out += "    blind: \(blind)\n" }
            for problem in s.pool ?? [] { out += "    pool: \(problem)\n" }
        }
        return out
    }

    /// Each queue's depth (and what waits in its new/ too long or unseen), the alerts, quarantine and reports.
    private static func queueLines(_ facts: Facts) -> String {
        var out = "queues:\n"
        for q in facts.queues {
            out += "  \(q.name): \(q.new) new, \(q.claimed) claimed, \(q.beingWritten) being written\n"
            if !q.stale.isEmpty {
                out +=
                    "    \(q.stale.count) file(s) in \(q.name)/new older than the lease (\(DurationParser.format(facts.lease))): "
                    + "is its consumer running, and can it claim them? (its log says why not): " + q.stale.prefix(3).joined(separator: ", ") + "\n"
            }
            // Hidden files are never taken (Maildir): say so, or they wait unseen forever.
            if !q.hidden.isEmpty {
                out +=
                    "    \(q.hidden.count) hidden file(s) in \(q.name)/new are never processed (rename or remove them): "
                    + q.hidden.prefix(3).joined(separator: ", ") + "\n"
            }
        }
        out += "  alerts: \(facts.alerts.deferred) deferred, \(facts.alerts.failed) failed (waiting for an operator), \(facts.alerts.sent) sent\n"
        out += "  quarantine: \(facts.quarantine.files) file(s), \(facts.quarantine.lines) line(s)\n"
        out += "  reports: \(facts.reports)\n"
        return out
    }

    /// An orchestrator's state in words: this host's by its process, another host's by its heartbeat.
    private static func liveness(_ s: ServiceState, _ clock: LocalClock? = nil) -> String {
        if s.host == SpoolName.host { return s.isAlive ? "running" : "not running" }
        if !s.running { return "stopped" }
        let heartbeat = clock?.format(s.updatedAt) ?? Timestamp.format(s.updatedAt)
        return Date().timeIntervalSince(s.updatedAt) < 120
            ? "running (other host, heartbeat \(heartbeat))"
            : "silent since \(heartbeat) (other host: presumed gone, or its clock is off)"
    }

    /// An owner record in one word: `released` (stopped cleanly), `gone` (a process of this host that no longer
    /// runs), `stale` (no heartbeat for longer than a standby waits), or `owner`.
    private static func ownerState(_ r: OwnerRecord, now: Date) -> String {
        if r.released == true { return "released" }
        if r.isGoneFromThisHost { return "gone" }
        return r.age(now: now) >= Ownership.defaultStaleAfter ? "stale" : "owner"
    }

    /// The analyzer or notifier of this host: running or not, from its lock file's pid and the process table
    /// (status never takes their locks: a service starting at that moment must not lose it).
    private static func serviceFacts(_ name: String, _ spool: Spool) -> ServiceFacts {
        let lock = spool.stateDirectory + "/\(name).lock"
        guard let st = FileIO.status(lock), let pid = Int32(Startup.holder(of: lock)) else {
            return ServiceFacts(name: name, pid: nil, running: false, since: nil)
        }
        let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        let running = FileIO.processExists(pid) && comm.map { name.hasPrefix($0) } ?? false
        return ServiceFacts(name: name, pid: pid, running: running, since: st.modificationDate)
    }
}
