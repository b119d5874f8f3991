// StatusCommand: `orchestrator status` from files alone — each host's service state (pid, up since, current
// and next run, last runs), the analyzer's last reported runs, and the depth of every queue: new/ and cur/
// per queue, deferred and failed alerts, quarantined files and lines.

import Foundation
import Shared

enum StatusCommand {
    static func run(_ options: Options) -> Int32 {
        guard let deployment = Deployment.loadOrReport(options, needsPool: false) else { return 2 }
        let spool = deployment.spool
        if Startup.spoolIsMissing(spool) { return 1 }
        var out = "spool: \(spool.root)\n"
        let states = FileIO.listIfPresent(spool.stateDirectory).filter { $0.hasPrefix("orchestrator-") && $0.hasSuffix(".json") }
            .compactMap { ServiceState.read(spool.stateDirectory + "/" + $0) }
        if states.isEmpty { out += "orchestrator: never started on this spool\n" }
        for s in states {
            let fresh = Date().timeIntervalSince(s.updatedAt) < 120
            let liveness = s.host == SpoolName.host ? (s.isAlive ? "running" : "not running")
                : !s.running ? "stopped"
                : fresh ? "running (other host, heartbeat \(Timestamp.format(s.updatedAt)))"
                : "silent since \(Timestamp.format(s.updatedAt)) (other host: presumed gone, or its clock is off)"
            out += "orchestrator on \(s.host): \(liveness), pid \(s.pid), up since \(Timestamp.format(s.startedAt))"
                + (s.hosts > 1 ? ", host \(s.hostIndex) of \(s.hosts)" : "") + "\n"
            out += "  schedule: \(s.schedule)\n"
            if let run = s.currentRun { out += "  current run: \(run) since \(s.currentRunStartedAt.map(Timestamp.format) ?? "?")\n" }
            if s.isAlive || s.host != SpoolName.host { out += "  next run: \(s.nextRun.map(Timestamp.format) ?? "none")\n" }
            for gap in s.gaps ?? [] {
                out += "  not yet reported: \(gap.sentence(in: deployment.config.notify.timeZone)) (the next run's manifest carries it)\n"
            }
            for run in s.lastRuns.suffix(5).reversed() {
                let duration = String(format: "%.1fs", run.finishedAt.timeIntervalSince(run.startedAt))
                out += "  run \(run.run) (\(run.trigger)) \(duration): "
                    + (run.failedShards.isEmpty ? "all shards published" : run.failedShards.joined(separator: "; ")) + "\n"
            }
        }
        out += services(spool)
        out += failingNow(spool)
        out += "last reported runs:\n"
        let reported = RunSummary.history(at: spool.historyPath, last: 5)
        if reported.isEmpty { out += "  none yet\n" }
        for summary in reported.reversed() {
            let s = summary.stats
            // A run with no interfaces measured nothing: no success rate to show.
            out += "  \(summary.run): " + (s.interfaces == 0 ? "no interfaces" : "\(s.ok) ok, \(s.failed) failed"
                + (s.skipped > 0 ? " (\(s.skipped) not probed: circuit open)" : "") + " of \(s.interfaces)"
                + String(format: " (%.1f %%)", s.successRate)) + (s.missingShards.isEmpty ? "" : ", \(s.missingShards.count) shard(s) missing")
                + (summary.alert != nil ? ", alert sent" : "") + "\n"
            for gap in s.gaps ?? [] { out += "    before it: \(gap)\n" }
        }
        out += "queues:\n"
        for queue in [spool.runs, spool.results, spool.outbox] {
            out += "  \(queue.name): \(queue.pending().count) new, \(FileIO.listIfPresent(queue.curDirectory).count) claimed, "
                + "\(FileIO.listIfPresent(queue.tmpDirectory).count) being written\n"
            // Files no consumer has taken for longer than the lease: one that cannot be claimed waits forever.
            let stale = queue.pending().filter { name in
                FileIO.status(queue.newDirectory + "/" + name).map { Date().timeIntervalSince1970 - Double($0.st_mtim.tv_sec) > deployment.config.spool.lease } ?? false
            }
            if !stale.isEmpty {
                out += "    \(stale.count) file(s) in \(queue.name)/new older than the lease (\(DurationParser.format(deployment.config.spool.lease))): "
                    + "is its consumer running, and can it claim them? (its log says why not): " + stale.prefix(3).joined(separator: ", ") + "\n"
            }
            // Hidden files are never taken (Maildir): say so, or they wait unseen forever.
            let hidden = FileIO.hidden(queue.newDirectory)
            if !hidden.isEmpty {
                out += "    \(hidden.count) hidden file(s) in \(queue.name)/new are never processed (rename or remove them): "
                    + hidden.prefix(3).joined(separator: ", ") + "\n"
            }
        }
        out += "  alerts: \(spool.deliveries.deferred.count) deferred, \(spool.deliveries.failed.count) failed (waiting for an operator), "
            + "\(spool.deliveries.sent.count) sent\n"
        let q = spool.quarantine.counts()
        out += "  quarantine: \(q.files) file(s), \(q.lines) line(s)\n"
        out += "  reports: \(FileIO.listIfPresent(spool.reportsDirectory).count)\n"
        print(out, terminator: "")
        return 0
    }

    /// The analyzer and notifier of this host: running (pid, up since) or not, from their lock files' pid and
    /// the process table (status never takes their locks: a service starting at that moment must not lose it).
    private static func services(_ spool: Spool) -> String {
        var out = ""
        for name in ["analyzer", "notifier"] {
            let lock = spool.stateDirectory + "/\(name).lock"
            guard let st = FileIO.status(lock), let pid = Int32(Startup.holder(of: lock)) else {
                out += "\(name): never started on this spool\n"
                continue
            }
            let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            let running = FileIO.processExists(pid) && comm.map { name.hasPrefix($0) } ?? false
            out += "\(name): " + (running ? "running, pid \(pid), up since \(Timestamp.format(st.modificationDate))"
                : "not running (last pid \(pid), started \(Timestamp.format(st.modificationDate)))") + "\n"
        }
        return out
    }

    /// Interfaces failing right now (the analyzer's state), with since when, and the silences in force.
    private static func failingNow(_ spool: Spool) -> String {
        var failing: [(id: String, since: String, outcome: String)] = []
        var total = 0
        if let reader = try? LineReader(path: spool.stateDirectory + "/interfaces.ndjson") {
            while let line = try? reader.next() {
                let text = String(decoding: line.bytes, as: UTF8.self)
                guard text.contains("\"kind\":\"interface\"") else { continue }
                total += 1
                guard text.contains("\"health\":\"failing\""), let node = try? JSONDocument.parse(text) else { continue }
                let value = JSONValue(node: node)
                failing.append((value.value(at: "id")?.text ?? "?", value.value(at: "since")?.text ?? "?", value.value(at: "outcome")?.text ?? "?"))
            }
        }
        var out = total == 0 ? "interfaces: no analyzed run yet\n" : "interfaces: \(total - failing.count) ok, \(failing.count) failing now\n"
        for f in failing.sorted(by: { $0.since < $1.since }).prefix(20) { out += "  \(f.id): \(f.outcome) since \(f.since)\n" }
        if failing.count > 20 { out += "  … \(failing.count - 20) more (state/interfaces.ndjson)\n" }
        let silences = Silence.load(spool.stateDirectory + "/silences").filter { $0.until > Date() }
        for silence in silences {
            out += "silence \(silence.id): \(silence.match) until \(Timestamp.format(silence.until))" + (silence.reason.isEmpty ? "" : " — \(silence.reason)") + "\n"
        }
        return out
    }
}
