// Crash safety of the analyzer: a real analyzer process is SIGKILLed at each step of reporting a run;
// restarted, it ends with exactly one report (identical to an uninterrupted run's), one alert, one history
// line, and nothing left claimed.

import Foundation
import Shared
import TestSupport
import Testing

private func publishRun(_ f: AnalyzerFixture) throws -> String {
    let run = RunID.scheduled(tick: t0)
    try f.publishManifest(run: run, shards: 2, start: t0, deadline: t0.addingTimeInterval(3600))
    for k in 1...2 {
        let shard = Shard(index: k, count: 2)
        try f.publishBatch(
            run: run, shard: shard,
            results: [
                AnalyzerFixture.result("svc/ok-\(k)", .ok, run: run, shard: shard, at: t0),
                AnalyzerFixture.result("svc/bad-\(k)", .http500, run: run, shard: shard, at: t0),
            ], start: t0)
    }
    return run
}

@Suite("Analyzer crash safety", .ownThread)
struct CrashTests {
    @Test(
        "killed at any step and restarted: one report, one alert, nothing lost",
        arguments: [
            "before-report", "after-report", "after-alert", "after-state", "after-history", "after-ack",
        ])
    func killAndRestart(_ point: String) throws {
        let reference = try AnalyzerFixture()
        let run = try publishRun(reference)
        #expect(try reference.analyzeOnce().exitCode == 0)
        let expectedReport = try reference.report(run)

        let f = try AnalyzerFixture()
        _ = try publishRun(f)
        let crashed = try f.analyzeOnce(environment: ["VIGIL_CRASH_AT": point])
        #expect(crashed.termination == .signaled(SIGKILL), "the analyzer died at \(point): \(crashed.stderr)")
        let restarted = try f.analyzeOnce()
        #expect(restarted.exitCode == 0, "\(restarted.stderr)")
        #expect(f.reports == ["\(run).md"])
        #expect(try f.report(run) == expectedReport, "the redone report is the same")
        let alerts = try f.alerts()
        #expect(alerts.count == 1)
        #expect(alerts.first?.transitions.map(\.change) == [.newFailure, .newFailure], "the redo compares against the same state")
        #expect(try f.history().map(\.run) == [run])
        #expect(FileIO.listIfPresent(f.spool.results.curDirectory).isEmpty && FileIO.listIfPresent(f.spool.runs.curDirectory).isEmpty)
        #expect(f.spool.results.pending().isEmpty)
        #expect(FileIO.listIfPresent(f.spool.archiveDirectory).count == 3)
        #expect(FileIO.listIfPresent(f.spool.reportsDirectory).allSatisfy { !$0.hasPrefix(".tmp") })
    }
}

@Suite("A run that cannot be reported", .ownThread)
struct ReportRetryTests {
    @Test("an overdue run whose report cannot be written is retried with back-off: one error line, no busy loop")
    func backOff() throws {
        let f = try AnalyzerFixture()
        let run = RunID.manual(at: t0)
        try f.publishManifest(run: run, shards: 1, start: t0, deadline: t0.addingTimeInterval(60))
        // A directory where the report goes: every attempt to write the report fails (EISDIR), whoever runs the analyzer.
        try FileManager.default.createDirectory(
            atPath: f.spool.reportsDirectory + "/" + RunFileName.report(run: run),
            withIntermediateDirectories: true)
        let socket = f.dir.url("notify.sock")
        let receiver = try DatagramReceiver(socket)
        let errors = LineCollector()
        let service = try Programs.start(
            "analyzer", ["--config", f.dir.url("config.yaml")], environment: ["NOTIFY_SOCKET": socket],
            stderr: errors)
        defer {
            service.signal(SIGKILL)
            _ = service.wait()
        }
        #expect(eventually(timeout: 30) { errors.text.contains("cannot report run \(run)") }, "\(errors.text)")
        // Observe three seconds: a pass sends one STATUS; a loop spinning on the overdue run would send dozens.
        var statuses = 0
        let end = Date().addingTimeInterval(3)
        while Date() < end { if receiver.receive(timeout: end.timeIntervalSinceNow)?.hasPrefix("STATUS=") == true { statuses += 1 } }
        #expect(statuses <= 3, "\(statuses) passes in 3 s")
        #expect(errors.lines.filter { $0.contains("cannot report run") }.count == 1, "\(errors.text)")
        #expect(errors.text.contains("retrying with back-off (next in 30 s"), "\(errors.text)")
        service.signal(SIGTERM)
        #expect(service.wait(timeout: 30) == .exited(0))
    }
}
