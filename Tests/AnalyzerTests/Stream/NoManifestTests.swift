// NoManifestTests: no run without a manifest. Well-formed batches of a run that never started on this spool wait
// a bounded time for its manifest, then go to quarantine with that reason: no report, no alert, no state change.
// A manifest arriving in time joins its batches; a prober run by hand publishes its own.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("No run without a manifest", .ownThread)
struct NoManifestTests {
    /// The real runs every fixture gets: a first one, and a second one with svc/b failing.
    private func realRun(_ f: AnalyzerFixture, _ index: Int) throws -> String {
        let at = t0.addingTimeInterval(Double(index) * 60)
        let run = RunID.scheduled(tick: at)
        try f.publishBatch(
            run: run,
            results: [
                AnalyzerFixture.result("svc/a", .ok, run: run, at: at),
                AnalyzerFixture.result("svc/b", index == 0 ? .ok : .http500, run: run, at: at),
            ], start: at)
        return run
    }

    @Test("batches of an unknown run (plain, a future record version, a NUL line) are quarantined, unreported, state unchanged")
    func unknownRunsQuarantined() throws {
        let f = try AnalyzerFixture()
        let control = try AnalyzerFixture()
        for fixture in [f, control] {
            _ = try realRun(fixture, 0)
            #expect(try fixture.analyzeOnce().exitCode == 0)
        }
        let unknown = ["x", "y", "z"].enumerated().map { RunID.manual(at: t0.addingTimeInterval(90 + Double($0.offset))) }
        let lines: [[Int: String]] = [[:], [1: #"{"v":9,"kind":"result","run":"r"}"#], [1: "\u{0}\u{0}"]]
        for (index, run) in unknown.enumerated() {
            try f.publishBatch(
                run: run,
                results: [AnalyzerFixture.result("svc/x", .http500, run: run, at: t0), AnalyzerFixture.result("svc/y", .ok, run: run, at: t0)],
                start: t0, corrupt: lines[index], manifest: false)
        }
        let second = try realRun(f, 1)
        #expect(try realRun(control, 1) == second)
        let once = try f.analyzeOnce()
        #expect(once.exitCode == 0, "\(once.stderr)")
        #expect(try control.analyzeOnce().exitCode == 0)

        // The real run is reported as usual, and everything it wrote is what it writes without the strays.
        #expect(try f.report(second).contains("svc/b"), "the real run was reported")
        #expect(f.reports.sorted() == control.reports.sorted(), "no report of an unknown run: \(f.reports)")
        let state = "spool/state/interfaces.ndjson"
        #expect(try f.dir.read(state) == control.dir.read(state), "the interface state is the one the real runs make")
        #expect(try !f.dir.read(state).contains("svc/x"))
        #expect(try f.history().map(\.run) == control.history().map(\.run))
        #expect(try f.alerts().allSatisfy { !unknown.contains($0.run) } && f.alerts().count == control.alerts().count)

        let quarantine = FileIO.listIfPresent(f.spool.quarantineDirectory)
        for run in unknown {
            let batch = try #require(quarantine.first { $0.hasPrefix(run) && !$0.hasSuffix(".reason") }, "\(run): \(quarantine)")
            let reason = try f.dir.read("spool/quarantine/\(batch).reason")
            #expect(reason.contains("no run manifest: run \(run) never started on this spool (waited"), "\(reason)")
            #expect(once.stderr.components(separatedBy: "run \(run): 1 batch(es) quarantined").count == 2, "logged once: \(once.stderr)")
        }
        #expect(FileIO.listIfPresent(f.spool.results.newDirectory).isEmpty && FileIO.listIfPresent(f.spool.results.curDirectory).isEmpty)
    }

    @Test("a batch whose manifest arrives within the bound waits for it and is then reported normally")
    func lateManifest() throws {
        let f = try AnalyzerFixture()
        // Now: a batch just finished waits scheduler.max_runtime + grace for its manifest.
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let run = RunID.manual(at: now)
        try f.publishBatch(run: run, results: [AnalyzerFixture.result("svc/a", .http500, run: run, at: now)], start: now, manifest: false)
        let waiting = try f.analyzeOnce()
        #expect(waiting.exitCode == 0, "\(waiting.stderr)")
        #expect(f.reports.isEmpty && FileIO.listIfPresent(f.spool.quarantineDirectory).isEmpty, "it waits")
        #expect(f.spool.results.pending().count == 1, "handed back to wait")

        try f.publishManifest(run: run, shards: 1, start: now, deadline: now.addingTimeInterval(600), trigger: "manual")
        let reported = try f.analyzeOnce()
        #expect(reported.exitCode == 0, "\(reported.stderr)")
        #expect(try f.report(run).contains("svc/a"))
        #expect(try f.alerts().map(\.run) == [run])
        #expect(FileIO.listIfPresent(f.spool.quarantineDirectory).isEmpty)
    }

    @Test("a prober run by hand publishes its run's manifest, and its run is reported")
    func proberByHand() throws {
        let server = try TestServer()
        server.route("/ping", reply: .text(200, "pong"))
        let dir = TemporaryDirectory("byhand")
        try dir.write(
            "config.yaml",
            """
            monitor:
              interface_pool: pool
              timeout: 2
            services:
              svc:
                base_url: \(server.baseURL)
            spool:
              dir: spool
            """)
        try dir.write("pool/svc/ping.yaml", "name: ping\nurl: /ping\n")
        let prober = try Programs.run("prober", ["--config", dir.url("config.yaml")], timeout: 60)
        #expect(prober.exitCode == 0, "\(prober.stderr)")
        let spool = Spool(root: dir.url("spool"))
        let manifests = spool.runs.pending()
        #expect(manifests.count == 1 && manifests.allSatisfy { $0.hasSuffix(".run.ndjson") }, "\(manifests)")

        let analyzer = try Programs.run("analyzer", ["--config", dir.url("config.yaml"), "--once"], timeout: 60)
        #expect(analyzer.exitCode == 0, "\(analyzer.stderr)")
        let reports = FileIO.listIfPresent(spool.reportsDirectory)
        let report = try #require(reports.first, "the run by hand was reported")
        #expect(report.contains("-p") && reports.count == 1)
        let text = try dir.read("spool/reports/\(report)")
        #expect(text.contains("All 1 interfaces answered as expected") && text.contains("| Trigger | manual |"), "\(text)")
        #expect(FileIO.listIfPresent(spool.quarantineDirectory).isEmpty)
    }
}
