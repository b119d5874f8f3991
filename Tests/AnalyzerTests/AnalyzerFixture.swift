// AnalyzerFixture: a spool and config for analyzer tests, with helpers that publish hand-made manifests and
// batches (real records through the real spool protocol) and run the real analyzer binary.

import Foundation
import Shared
import TestSupport
import Testing

let t0 = Date(timeIntervalSince1970: 1_795_359_600)  // 2026-11-22T15:00:00Z

struct AnalyzerFixture {
    let dir = TemporaryDirectory("analyzer")

    /// `extra`: more top-level configuration (YAML), appended as is.
    init(
        alerts: String = "mode: change\nrepeat_interval: 1h", scheduler: String = "max_runtime: 600\ngraceful_shutdown: 0", extra: String = ""
    ) throws {
        try dir.write(
            "config.yaml",
            """
            scheduler:
            \(scheduler.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            alerts:
            \(alerts.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            notify:
              timezone: Asia/Shanghai
            spool:
              dir: spool
            \(extra)
            """)
        try spool.prepare()
    }

    var spool: Spool { Spool(root: dir.url("spool")) }

    static func result(
        _ id: String, _ outcome: Outcome, run: String, shard: Shard = .whole, latency: Double = 100,
        at start: Date
    ) -> ProbeResult {
        let service = String(id.prefix { $0 != "/" })
        var result = ProbeResult(
            run: run, shard: shard, id: id, service: service, name: "Interface \(id)", method: "GET",
            url: "https://api.example.com/\(id)", outcome: outcome,
            status: [.timeout, .connection, .dns, .tls, .auth, .skipped].contains(outcome)
                ? nil
                : (outcome == .ok ? 200 : outcome == .http404 ? 404 : outcome == .http503 ? 503 : 500),
            latencyMs: outcome == .skipped ? nil : latency, attempts: outcome.isFailure ? 3 : 1,
            startedAt: start)
        if outcome.isFailure {
            result.error = result.status.map { "HTTP \($0) \(HTTPReply.reason($0))" } ?? "no complete answer within 10s"
            result.request = HTTPExcerpt(headers: ["Authorization": "Bearer ***", "User-Agent": "Vigil/1 (prober)"])
            if result.status != nil {
                result.response = HTTPExcerpt(headers: ["Content-Type": "application/json"], body: #"{"code":500,"msg":"boom ```"}"#)
            }
        }
        if outcome == .skipped { result.skippedSince = start.addingTimeInterval(-600) }
        return result
    }

    /// Publishes a batch of `results` for `shard` of `run`, with its trailer. `manifest`: first publish the run's
    /// manifest (its shard count, a deadline 600 s after `start`) when none was published for it — the analyzer
    /// reports no run without one; false for a batch of a run that never started.
    @discardableResult
    func publishBatch(
        run: String, shard: Shard = .whole, results: [ProbeResult], start: Date, corrupt: [Int: String] = [:],
        trailer: Bool = true, manifest: Bool = true
    ) throws -> String {
        if manifest, !hasManifest(run: run) {
            // The trigger the analyzer used to infer from the id, so reports read as they did.
            try publishManifest(
                run: run, shards: shard.count, start: start, deadline: start.addingTimeInterval(600),
                trigger: run.contains("-p") ? "manual" : "schedule")
        }
        var lines = try results.map { try RecordCoding.encodeString($0) }
        for (index, text) in corrupt.sorted(by: { $0.key < $1.key }) { lines.insert(text, at: index) }
        if trailer {
            lines.append(
                try RecordCoding.encodeString(
                    BatchTrailer(
                        run: run, shard: shard, count: lines.count, prober: "test:1",
                        startedAt: start, finishedAt: start.addingTimeInterval(2))))
        }
        let name = RunFileName.batch(run: run, shard: shard, program: "test").replacingOccurrences(
            of: "-\(getpid())", with: "-\(UInt32.random(in: 0 ... .max))")
        try spool.results.publish(name: name, bytes: Array((lines.joined(separator: "\n") + "\n").utf8))
        return name
    }

    func publishStub(run: String, shard: Shard, reason: String, at: Date) throws {
        let stub = ShardFailed(run: run, shard: shard, reason: reason, at: at)
        try spool.results.publish(
            name: RunFileName.batch(run: run, shard: shard, program: "orchestrator"),
            bytes: Array((try RecordCoding.encodeString(stub) + "\n").utf8))
    }

    /// Whether a manifest of `run` was published (waiting, claimed or archived).
    func hasManifest(run: String) -> Bool {
        let name = RunFileName.manifest(run: run)
        return [spool.runs.newDirectory, spool.runs.curDirectory, spool.archiveDirectory].contains { directory in
            FileIO.listIfPresent(directory).contains { $0 == name || $0.hasPrefix(name + "~") }
        }
    }

    func publishManifest(run: String, shards: Int, start: Date, deadline: Date, trigger: String = "schedule") throws {
        let manifest = RunManifest(run: run, shards: shards, startedAt: start, deadline: deadline, trigger: trigger)
        try spool.runs.publish(name: RunFileName.manifest(run: run), bytes: Array((try RecordCoding.encodeString(manifest) + "\n").utf8))
    }

    func analyzeOnce(environment: [String: String] = [:]) throws -> ProgramRun {
        try Programs.run("analyzer", ["--config", dir.url("config.yaml"), "--once"], environment: environment, timeout: 60)
    }

    func startService(stderr: LineCollector? = nil) throws -> ChildProcess {
        try Programs.start("analyzer", ["--config", dir.url("config.yaml")], stderr: stderr)
    }

    var reports: [String] { FileIO.listIfPresent(spool.reportsDirectory) }

    func report(_ run: String) throws -> String { try dir.read("spool/reports/\(run).md") }

    /// Alerts anywhere in the outbox, decoded.
    func alerts() throws -> [Alert] {
        try FileIO.listIfPresent(spool.outbox.newDirectory).sorted().map { name in
            try RecordDecoder().decode(Alert.self, from: try FileIO.read(spool.outbox.newDirectory + "/" + name).dropLast())
        }
    }

    func history() throws -> [RunSummary] {
        let path = spool.stateDirectory + "/history.ndjson"
        guard FileIO.status(path) != nil else { return [] }
        return try String(decoding: FileIO.read(path), as: UTF8.self).split(separator: "\n").map {
            try RecordDecoder().decode(RunSummary.self, from: Array($0.utf8))
        }
    }
}
