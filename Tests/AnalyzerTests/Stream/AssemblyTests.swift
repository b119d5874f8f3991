// Run assembly with the real analyzer: shards in any order, missing shards past the deadline, stubs,
// corrupt lines and corrupt batches.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Analyzer run assembly", .ownThread)
struct AssemblyTests {
    @Test("shards arriving in any order, to a running service, produce one report only when all are in")
    func anyOrder() throws {
        let f = try AnalyzerFixture()
        let run = RunID.scheduled(tick: Date())
        let start = Date()
        try f.publishManifest(run: run, shards: 4, start: start, deadline: start.addingTimeInterval(600))
        let errors = LineCollector()
        let service = try f.startService(stderr: errors)
        defer {
            service.signal(SIGKILL)
            _ = service.wait()
        }
        var rng = SeededRandom(seed: 42)
        let order = Shard.all(4).shuffled(using: &rng)
        for (n, shard) in order.enumerated() {
            let results = (0..<5).map {
                AnalyzerFixture.result("svc/s\(shard.index)-\($0)", $0 == 0 ? .http500 : .ok, run: run, shard: shard, at: start)
            }
            try f.publishBatch(run: run, shard: shard, results: results, start: start)
            if n < 3 {
                #expect(eventually(timeout: 10) { f.spool.results.pending().isEmpty }, "the service claims each batch")
                #expect(f.reports.isEmpty, "no report before the last shard")
            }
        }
        #expect(eventually(timeout: 10) { f.reports == ["\(run).md"] }, "\(errors.text)")
        let report = try f.report(run)
        #expect(report.contains("**4 failed** of 20 interfaces"))
        #expect(report.contains("| Shards | 4 of 4 reported |"))
        #expect(
            eventually(timeout: 5) {
                FileIO.listIfPresent(f.spool.results.curDirectory).isEmpty && FileIO.listIfPresent(f.spool.runs.curDirectory).isEmpty
            })
        #expect(FileIO.listIfPresent(f.spool.archiveDirectory).count == 5)
        service.signal(SIGTERM)
        #expect(service.wait(timeout: 10) == .exited(0))
    }

    @Test("a shard missing past the deadline is named in the report as a monitoring failure, and alerts")
    func missingShard() throws {
        let f = try AnalyzerFixture()
        let run = RunID.scheduled(tick: t0)
        try f.publishManifest(run: run, shards: 3, start: t0, deadline: t0.addingTimeInterval(60))
        for k in 1...2 {
            try f.publishBatch(
                run: run, shard: Shard(index: k, count: 3),
                results: [AnalyzerFixture.result("svc/i\(k)", .ok, run: run, shard: Shard(index: k, count: 3), at: t0)], start: t0)
        }
        #expect(try f.analyzeOnce().exitCode == 0)
        let report = try f.report(run)
        #expect(report.contains("## Monitoring problems"))
        #expect(report.contains("- **Shard 3/3: no batch arrived by the deadline** — its interfaces were not checked in this run."))
        #expect(report.contains("| Shards | 2 of 3 reported |"))
        let alert = try #require(try f.alerts().first)
        #expect(alert.reason == .incomplete && alert.stats.missingShards == ["3/3: no batch arrived by the deadline"])
    }

    @Test("a run still waiting for shards before its deadline is not reported, and its claims are handed back")
    func waiting() throws {
        let f = try AnalyzerFixture()
        let run = RunID.scheduled(tick: Date())
        try f.publishManifest(run: run, shards: 2, start: Date(), deadline: Date().addingTimeInterval(600))
        try f.publishBatch(run: run, shard: Shard(index: 1, count: 2), results: [], start: Date())
        #expect(try f.analyzeOnce().exitCode == 0)
        #expect(f.reports.isEmpty)
        #expect(f.spool.results.pending().count == 1 && f.spool.runs.pending().count == 1, "claims handed back to new/")
    }

    @Test("a shard_failed stub names its reason; a real batch for the same shard wins over it")
    func stubs() throws {
        let f = try AnalyzerFixture()
        let run = RunID.scheduled(tick: t0)
        try f.publishManifest(run: run, shards: 3, start: t0, deadline: t0.addingTimeInterval(7200))
        try f.publishBatch(run: run, shard: Shard(index: 1, count: 3), results: [AnalyzerFixture.result("a/1", .ok, run: run, at: t0)], start: t0)
        try f.publishStub(run: run, shard: Shard(index: 2, count: 3), reason: "killed after 3600s", at: t0.addingTimeInterval(3600))
        try f.publishStub(run: run, shard: Shard(index: 3, count: 3), reason: "prober exited with status 1", at: t0)
        try f.publishBatch(run: run, shard: Shard(index: 3, count: 3), results: [AnalyzerFixture.result("a/3", .ok, run: run, at: t0)], start: t0)
        #expect(try f.analyzeOnce().exitCode == 0)
        let report = try f.report(run)
        #expect(report.contains("Shard 2/3: killed after 3600s"))
        #expect(!report.contains("prober exited with status 1"))
        #expect(report.contains("All 2 interfaces answered as expected"))
        #expect(FileIO.listIfPresent(f.spool.archiveDirectory).count == 5)
    }

    @Test("corrupt lines are quarantined with their line numbers and counted in the report")
    func corruptLines() throws {
        let f = try AnalyzerFixture()
        let run = RunID.manual(at: t0)
        let results = (0..<4).map { AnalyzerFixture.result("svc/i\($0)", .ok, run: run, at: t0) }
        let name = try f.publishBatch(run: run, results: results, start: t0, corrupt: [1: "{\"v\":1,\"kind\":\"result\",", 3: "not json at all"])
        #expect(try f.analyzeOnce().exitCode == 0)
        let report = try f.report(run)
        #expect(report.contains("All 4 interfaces answered as expected"))
        #expect(report.contains("- 2 result line(s) could not be read and were quarantined"))
        let quarantined = try f.dir.read("spool/quarantine/\(name).lines.ndjson").split(separator: "\n")
        let lines = try quarantined.map { try RecordDecoder().decode(QuarantinedLine.self, from: Array($0.utf8)).line }
        #expect(lines == [2, 4])
        #expect(try f.history().first?.stats.quarantinedLines == 2)
    }

    @Test("a batch without its trailer is quarantined whole and its shard reported missing")
    func truncatedBatch() throws {
        let f = try AnalyzerFixture()
        let run = RunID.scheduled(tick: t0)
        try f.publishManifest(run: run, shards: 2, start: t0, deadline: t0.addingTimeInterval(7200))
        try f.publishBatch(run: run, shard: Shard(index: 1, count: 2), results: [AnalyzerFixture.result("a/1", .ok, run: run, at: t0)], start: t0)
        let name = try f.publishBatch(
            run: run, shard: Shard(index: 2, count: 2),
            results: [AnalyzerFixture.result("a/2", .ok, run: run, at: t0)], start: t0, trailer: false)
        #expect(try f.analyzeOnce().exitCode == 0)
        #expect(try f.report(run).contains("Shard 2/2: batch quarantined (no trailer after 1 lines"))
        #expect(FileIO.status(f.spool.quarantineDirectory + "/" + name) != nil)
        #expect(try f.dir.read("spool/quarantine/\(name).reason").contains("no trailer"))
    }

    @Test("a second analyzer on the same spool is refused")
    func singleInstance() throws {
        let f = try AnalyzerFixture()
        let service = try f.startService()
        defer {
            service.signal(SIGKILL)
            _ = service.wait()
        }
        #expect(eventually { FileIO.status(f.spool.stateDirectory + "/analyzer.lock").map { $0.st_size > 0 } ?? false })
        let second = try Programs.run("analyzer", ["--config", f.dir.url("config.yaml")])
        #expect(second.exitCode == 1)
        #expect(second.stderr.contains("another analyzer (pid \(service.pid)) already runs"), "\(second.stderr)")
    }
}

@Suite("Exit codes on SIGTERM", .ownThread)
struct StopExitCodeTests {
    /// Starts the analyzer service and waits until its signal handling is in place ("analyzer started").
    private func started(_ f: AnalyzerFixture) throws -> (ChildProcess, LineCollector) {
        let lines = LineCollector()
        let service = try f.startService(stderr: lines)
        #expect(eventually(timeout: 30) { lines.text.contains("analyzer started") }, "\(lines.text)")
        return (service, lines)
    }

    @Test("SIGTERM from the process that manages the service (its parent, as systemd is) stops it with 0")
    func managerStop() throws {
        let f = try AnalyzerFixture()
        let (service, lines) = try started(f)
        service.signal(SIGTERM)
        #expect(service.wait(timeout: 30) == .exited(0), "\(lines.text)")
    }

    @Test("SIGTERM from anyone else stops it cleanly with 143, which Restart=on-failure restarts, and says so")
    func foreignStop() throws {
        let f = try AnalyzerFixture()
        let (service, lines) = try started(f)
        // Another process sends it (as an operator's `kill` would): not the parent.
        let killer = try ChildProcess(executable: "/bin/kill", arguments: ["-TERM", "\(service.pid)"], stdout: .discard, stderr: .discard)
        #expect(killer.wait(timeout: 30) == .exited(0))
        #expect(service.wait(timeout: 30) == .exited(143), "\(lines.text)")
        #expect(lines.text.contains("not the service manager's stop: exiting 143"), "\(lines.text)")
        #expect(lines.text.contains("analyzer stopped"), "a clean stop all the same")
    }
}

@Suite("Analyzer metrics", .ownThread)
struct MetricsTests {
    @Test("each run writes per-interface and per-run series in the text format, replaced atomically")
    func textfile() throws {
        let f = try AnalyzerFixture()
        let run = RunID.manual(at: t0)
        try f.publishBatch(
            run: run,
            results: [
                AnalyzerFixture.result("svc/up", .ok, run: run, latency: 120, at: t0),
                AnalyzerFixture.result("svc/down", .http503, run: run, at: t0),
                AnalyzerFixture.result("svc/\"quoted\"", .skipped, run: run, at: t0),
            ], start: t0)
        #expect(try f.analyzeOnce().exitCode == 0)
        let name = try #require(FileIO.listIfPresent(f.spool.metricsDirectory).first { $0.hasPrefix("vigil-analyzer-") })
        let text = try f.dir.read("spool/metrics/\(name)")
        #expect(text.contains(#"vigil_interface_up{id="svc/up",service="svc",name="Interface svc/up"} 1"#))
        #expect(text.contains(#"vigil_interface_up{id="svc/down",service="svc",name="Interface svc/down"} 0"#))
        #expect(text.contains(#"vigil_interface_latency_seconds{id="svc/up",service="svc",name="Interface svc/up"} 0.12"#))
        #expect(text.contains(#"vigil_interface_outcome{id="svc/\"quoted\"",service="svc",name="Interface svc/\"quoted\"",outcome="skipped"} 1"#))
        // Behind an open circuit an interface keeps its verdict, failing: down, and marked as not probed.
        #expect(text.contains(#"vigil_interface_up{id="svc/\"quoted\"",service="svc",name="Interface svc/\"quoted\""} 0"#))
        #expect(text.contains(#"vigil_interface_probed{id="svc/\"quoted\"",service="svc",name="Interface svc/\"quoted\""} 0"#))
        #expect(text.contains(#"vigil_interface_probed{id="svc/up",service="svc",name="Interface svc/up"} 1"#))
        #expect(text.contains("vigil_run_interfaces{result=\"failed\"} 2") && text.contains("vigil_run_interfaces{result=\"not_probed\"} 1"))
        #expect(text.contains("vigil_run_success_ratio 0.333"), "one of three interfaces ok")
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.range(of: #"^[a-z_]+(\{.*\})? [0-9.e+-]+$"#, options: .regularExpression) != nil, "bad sample line: \(line)")
        }
        #expect(FileIO.listIfPresent(f.spool.metricsDirectory).allSatisfy { !$0.hasPrefix(".") }, "no temporary file left")
    }
}
