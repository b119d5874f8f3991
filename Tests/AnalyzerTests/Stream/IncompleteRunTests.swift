// Monitoring that could not see is told honestly and once: a run that probed nothing never reads "success
// 100 %", and "monitoring incomplete" is paged once per cause, reminded at repeat_interval, not every run.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Incomplete runs", .ownThread)
struct IncompleteRunTests {
    /// Run `n` (15 minutes apart) of two shards in which only `present` published; analyzed at once (its
    /// deadline is long past). Returns the alerts it added.
    private func run(_ f: AnalyzerFixture, _ n: Int, present: [Int], seen: inout Int, base: Date = t0) throws -> [Alert] {
        let start = base.addingTimeInterval(Double(n) * 900)
        let run = RunID.scheduled(tick: start)
        try f.publishManifest(run: run, shards: 2, start: start, deadline: start.addingTimeInterval(300))
        for index in present {
            let shard = Shard(index: index, count: 2)
            try f.publishBatch(
                run: run, shard: shard, results: [AnalyzerFixture.result("s/\(index)", .ok, run: run, shard: shard, at: start)], start: start)
        }
        let result = try f.analyzeOnce()
        #expect(result.exitCode == 0, "\(result.stderr)")
        let all = try f.alerts()
        defer { seen = all.count }
        return Array(all.dropFirst(seen))
    }

    @Test("the same missing shard is paged once and reminded at repeat_interval; another cause is paged at once; its end is said once")
    func oncePerCause() throws {
        let f = try AnalyzerFixture(alerts: "mode: change\nrepeat_interval: 1h")
        var seen = 0
        let first = try run(f, 0, present: [1], seen: &seen)
        #expect(first.map(\.reason) == [.incomplete], "shard 2 missing: paged")
        for n in 1...3 { #expect(try run(f, n, present: [1], seen: &seen).isEmpty, "run \(n): the same cause within the hour") }
        #expect(try run(f, 4, present: [1], seen: &seen).map(\.reason) == [.incomplete], "an hour later: reminded")
        #expect(try run(f, 5, present: [2], seen: &seen).map(\.reason) == [.incomplete], "shard 1 missing instead: a new cause")
        let whole = try run(f, 6, present: [1, 2], seen: &seen)
        #expect(whole.map(\.reason) == [.restored], "complete again: said once")
        #expect(whole.first?.headline == "monitoring complete again" && whole.first?.tone == .green, "\(whole.map(\.headline))")
        #expect(try run(f, 7, present: [1, 2], seen: &seen).isEmpty, "then nothing to say")
    }

    @Test("a run that probed nothing says so and why: report, chat headline line, runs page and metrics, never success 100 %")
    func nothingProbed() throws {
        let f = try AnalyzerFixture()
        var seen = 0
        // Now, to the second: the notifier delivers no alert older than notify.max_age. The deadline (start + 5 min)
        // must be past for the run to be reported, so the run started 10 minutes ago.
        let start = Date(timeIntervalSince1970: Date().addingTimeInterval(-600).timeIntervalSince1970.rounded(.down))
        let alerts = try run(f, 0, present: [], seen: &seen, base: start)
        #expect(alerts.count == 1 && alerts.first?.stats.nothingProbed == "2 shard(s) missing and no result from any other")
        let runID = RunID.scheduled(tick: start)
        let report = try f.report(runID)
        #expect(report.contains("**Nothing probed**: 2 shard(s) missing and no result from any other."), "\(report)")
        #expect(!report.contains("100.0"), "no success rate for a run that measured nothing")
        let metrics = try f.dir.read("spool/metrics/vigil-analyzer-\(SpoolName.host).prom")
        #expect(metrics.contains("vigil_run_success_ratio NaN\n") && metrics.contains("vigil_run_interfaces{result=\"ok\"} 0\n"))
        // The chat message (no channel configured: printed, and kept in sent/).
        let notifier = try Programs.run("notifier", ["--config", f.dir.url("config.yaml"), "--once"])
        #expect(notifier.stdout.contains("nothing probed: 2 shard(s) missing"), "\(notifier.stdout) \(notifier.stderr)")
        #expect(!notifier.stdout.contains("success 100.0%") && !notifier.stdout.contains("0/0 ok"), "\(notifier.stdout)")
        let runs = try f.dir.read("spool/site/runs.html")
        #expect(runs.contains("nothing probed: 2 shard(s) missing") && !runs.contains("100.0 %"), "\(runs)")
    }
}
