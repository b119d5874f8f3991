// Crash safety of the analyzer: a real analyzer process is SIGKILLed at each step of reporting a run;
// restarted, it ends with exactly one report (identical to an uninterrupted run's), one alert, one history
// line, and nothing left claimed.

import Foundation
import Shared
import Testing
import TestSupport

private func publishRun(_ f: AnalyzerFixture) throws -> String {
    let run = RunID.scheduled(tick: t0)
    try f.publishManifest(run: run, shards: 2, start: t0, deadline: t0.addingTimeInterval(3600))
    for k in 1...2 {
        let shard = Shard(index: k, count: 2)
        try f.publishBatch(run: run, shard: shard, results: [
            AnalyzerFixture.result("svc/ok-\(k)", .ok, run: run, shard: shard, at: t0),
            AnalyzerFixture.result("svc/bad-\(k)", .http500, run: run, shard: shard, at: t0),
        ], start: t0)
    }
    return run
}

@Suite("Analyzer crash safety")
struct CrashTests {
    @Test("killed at any step and restarted: one report, one alert, nothing lost", arguments: [
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
