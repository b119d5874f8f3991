// The prober as a program: the breaker across runs (one attempt per run while open), SIGTERM mid-run,
// config errors, sharding.

import Foundation
import Shared
import TestSupport
import Testing

@testable import prober

@Suite("Prober runs", .ownThread)
struct RunTests {
    // The open period passes by moving the breaker's recorded times back (the prober reads them at start).
    @Test("an open circuit probes once per run without retries, sees the recovery in the first run after the fix")
    func breakerAcrossRuns() throws {
        let f = try ProberFixture(monitor: "retry_attempts: 2\ncircuit_breaker: {failures: 2, open_for: 1h}")
        let healthy = ManagedFlag()
        f.server.route("/flaky") { _ in healthy.value ? .text(200, "ok") : .text(500, "down") }
        try f.interface("svc/flaky", "name: flaky\nurl: /flaky\n")
        for _ in 0..<2 { #expect(try f.runProber().exitCode == 0) }
        #expect(f.server.hits("/flaky") == 6, "closed: the first try and its 2 retries, twice")
        for run in 1...2 {
            #expect(try f.runProber().exitCode == 0)
            let open = try #require(try f.latestResults()["svc/flaky"])
            #expect(open.outcome == .http500 && open.status == 500 && open.attempts == 1, "the real outcome, not skipped")
            #expect(open.circuitOpenSince != nil && open.skippedSince == nil)
            #expect(f.server.hits("/flaky") == 6 + run, "exactly one request per run reaches the server while open")
        }
        // After open_for, a run with retries; it fails too, so the circuit opens again.
        try f.ageBreaker(by: 3601)
        #expect(try f.runProber().exitCode == 0)
        #expect(try f.latestResults()["svc/flaky"]?.circuitOpenSince == nil)
        #expect(f.server.hits("/flaky") == 11)
        #expect(try f.runProber().exitCode == 0)
        #expect(try f.latestResults()["svc/flaky"]?.circuitOpenSince != nil && f.server.hits("/flaky") == 12)
        healthy.value = true
        // The first run after the fix sees it: ok (probed under the open circuit, which it closes).
        #expect(try f.runProber().exitCode == 0)
        let recovered = try #require(try f.latestResults()["svc/flaky"])
        #expect(recovered.outcome == .ok && recovered.attempts == 1 && recovered.circuitOpenSince != nil)
        #expect(try f.runProber().exitCode == 0)
        #expect(try f.latestResults()["svc/flaky"].map { $0.outcome == .ok && $0.circuitOpenSince == nil } == true, "closed again")
        #expect(f.server.hits("/flaky") == 14)
        let state = try RecordDecoder().decode(BreakerFile.self, from: try FileIO.read(f.spool.stateDirectory + "/breaker.json"))
        #expect(state.interfaces.isEmpty)
    }

    @Test("SIGTERM mid-run publishes what was measured with the trailer marked interrupted")
    func sigterm() throws {
        let f = try ProberFixture(monitor: "concurrency: 3\ntimeout: 10")
        f.server.route("/slow", reply: .text(200, "ok", delay: 1.5))
        for i in 0..<9 { try f.interface("svc/s\(i)", "name: s\(i)\nurl: /slow?i=\(i)\n") }
        let errors = LineCollector()
        let child = try f.startProber(stderr: errors)
        #expect(eventually(timeout: 10) { f.server.hits("/slow") >= 3 })
        child.signal(SIGTERM)
        #expect(child.wait(timeout: 15) == .exited(0), "\(errors.text)")
        let batch = try #require(try f.batches().first)
        #expect(batch.trailer.interrupted == true)
        #expect(batch.results.count == 3, "the three in flight finished and were published")
        #expect(batch.trailer.notProbed == 6)
        #expect(batch.results.allSatisfy { $0.outcome == .ok })
        #expect(FileIO.listIfPresent(f.spool.results.tmpDirectory).isEmpty)
    }

    @Test("a broken interface file is named with file and line and costs only itself; a config error exits 2 and publishes nothing")
    func configError() throws {
        let f = try ProberFixture()
        try f.interface("svc/bad", "name: bad\nmethod: FETCH\nurl: /x\n")
        let run = try f.runProber()
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(run.stderr.contains("pool/svc/bad.yaml:2: method: expected one of GET"), "\(run.stderr)")
        let manifest = try #require(f.spool.runs.pending().first)
        let published = try RecordDecoder().decode(RunManifest.self, from: try FileIO.read(f.spool.runs.newDirectory + "/" + manifest).dropLast())
        #expect(published.pool?.broken.map(\.file) == ["svc/bad.yaml"], "the run's manifest says which file was not loaded")
        try FileIO.unlink(f.spool.runs.newDirectory + "/" + manifest)
        for name in f.spool.results.pending() { try FileIO.unlink(f.spool.results.newDirectory + "/" + name) }

        let config = try f.dir.read("config.yaml")
        try f.dir.write("config.yaml", config.replacingOccurrences(of: "timeout: 2", with: "timeout: ten"))
        let wrong = try f.runProber()
        #expect(wrong.exitCode == 2, "\(wrong.stderr)")
        #expect(wrong.stderr.contains("config.yaml:") && wrong.stderr.contains("monitor.timeout"), "\(wrong.stderr)")
        #expect(f.spool.results.pending().isEmpty && f.spool.runs.pending().isEmpty)
    }

    @Test("shards split the pool without overlap, and --only narrows it")
    func sharding() throws {
        let f = try ProberFixture()
        f.server.route("/x", reply: .text(200, "ok"))
        for i in 0..<30 { try f.interface("svc/i\(i)", "name: i\(i)\nurl: /x?i=\(i)\n") }
        let run = RunID.manual()
        for k in 1...3 { #expect(try f.runProber(["--run", run, "--shard", "\(k)/3"]).exitCode == 0) }
        let batches = try f.batches()
        #expect(batches.map(\.trailer.shard).sorted() == Shard.all(3))
        let ids = batches.flatMap(\.results).map(\.id)
        #expect(ids.count == 30 && Set(ids).count == 30)
        #expect(batches.allSatisfy { batch in batch.results.allSatisfy { batch.trailer.shard.contains(id: $0.id) } })
        #expect(batches.allSatisfy { $0.trailer.run == run })
        #expect(try f.runProber(["--only", "svc/i1"]).exitCode == 0)
        #expect(Set(try f.latestResults().keys) == Set(["svc/i1"] + (10...19).map { "svc/i\($0)" }))
    }
}

extension RunTests {
    @Test("timer-started probers (--shard KofN --run tick) agree on the scheduled run id")
    func timerStyle() throws {
        let f = try ProberFixture(monitor: "interval: 1h")
        f.server.route("/x", reply: .text(200, "ok"))
        for i in 0..<8 { try f.interface("svc/i\(i)", "name: i\(i)\nurl: /x?i=\(i)\n") }
        for k in 1...2 { #expect(try f.runProber(["--shard", "\(k)of2", "--run", "tick"]).exitCode == 0) }
        let runs = Set(try f.batches().map(\.trailer.run))
        #expect(runs.count == 1)
        let run = try #require(runs.first)
        #expect(run.hasSuffix("-tick"))
        let tick = try #require(RunID.date(of: run))
        #expect(Date().timeIntervalSince(tick) >= 0 && Date().timeIntervalSince(tick) < 3600, "the latest hourly tick")
    }
}
