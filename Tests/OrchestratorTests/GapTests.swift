// No gap in monitoring goes unreported: a suspended orchestrator and a full disk each leave ticks that ran
// nothing; every one is logged, carried on the next run's manifest, named in its report and alert, and the run
// after the gap completes normally with a deadline ahead of it.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Monitoring gaps", .ownThread)
struct GapTests {
    /// The manifests written so far, decoded.
    private func manifests(_ f: OrchestratorFixture) throws -> [RunManifest] {
        try [f.spool.runs.newDirectory, f.spool.runs.curDirectory, f.spool.archiveDirectory].flatMap { dir in
            try FileIO.listIfPresent(dir).filter { $0.hasSuffix(".run.ndjson") }.sorted().map {
                try RecordDecoder().decode(RunManifest.self, from: try FileIO.read(dir + "/" + $0).dropLast())
            }
        }
    }

    private func alerts(_ f: OrchestratorFixture) throws -> [Alert] {
        try FileIO.listIfPresent(f.spool.outbox.newDirectory).sorted().map {
            try RecordDecoder().decode(Alert.self, from: try FileIO.read(f.spool.outbox.newDirectory + "/" + $0).dropLast())
        }
    }

    /// Waits (bounded) until the wall clock reaches `date`: time passing is the event a suspension is made of.
    private func wait(until date: Date) {
        _ = eventually(timeout: date.timeIntervalSinceNow + 5) { Date() >= date }
    }

    @Test("SIGSTOP across ticks, then SIGCONT: the skipped ticks are logged and carried to the report and alert; the next run completes")
    func suspended() throws {
        let f = try OrchestratorFixture(scheduler: "probers: 1\nmax_runtime: 3s", monitor: "interval: 2s")
        try f.healthyInterfaces(2)
        let errors = LineCollector()
        let service = try f.startService(stderr: errors)
        defer {
            service.signal(SIGKILL)
            _ = service.wait()
        }
        #expect(eventually(timeout: 30) { errors.text.contains("every shard published its batch") }, "\(errors.text)")
        // Stop it while it waits for the next tick (the pass that takes the finished run has written its state),
        // as a suspended machine usually finds a monitor: waiting.
        let stateFile = f.spool.stateDirectory + "/orchestrator-\(SpoolName.host).json"
        #expect(
            eventually(timeout: 30) {
                guard let text = try? String(contentsOfFile: stateFile, encoding: .utf8) else { return false }
                return text.contains("\"last_runs\":[{") && !text.contains("\"current_run\"")
            })
        service.signal(SIGSTOP)
        wait(until: Date().addingTimeInterval(10))  // several ticks, longer than max_runtime, and well past the 5 s a late wake-up may be
        service.signal(SIGCONT)
        #expect(eventually(timeout: 30) { ((try? manifests(f)) ?? []).contains { $0.gaps != nil } }, "\(errors.text)")
        #expect(eventually(timeout: 30) { errors.text.components(separatedBy: "every shard published its batch").count >= 3 }, "\(errors.text)")
        service.signal(SIGTERM)
        #expect(service.wait(timeout: 30) == .exited(0))
        let log = errors.text
        #expect(log.contains("the orchestrator was away"), "\(log)")
        #expect(log.contains("ran nothing: the orchestrator was suspended"), "\(log)")
        #expect(!log.contains("killed after"), "no run started with its deadline already past: \(log)")
        let carried = try #require(try manifests(f).first { $0.gaps != nil })
        let gap = try #require(carried.gaps?.first)
        #expect(gap.reason == .suspended && gap.runs >= 2, "\(gap)")
        #expect(carried.deadline > carried.startedAt.addingTimeInterval(2.9), "a fresh deadline")

        #expect(try f.analyzeOnce().exitCode == 0)
        let report = try f.dir.read("spool/reports/\(carried.run).md")
        #expect(report.contains("Before this run, monitoring was blind"), "\(report)")
        #expect(report.contains("not recorded: the orchestrator was suspended"), "\(report)")
        let alert = try #require(try alerts(f).first { $0.run == carried.run }, "the gap pages the team")
        #expect(alert.reason == .incomplete && alert.stats.gaps?.first?.contains("monitoring was blind") == true)
        let history = try f.dir.read("spool/state/history.ndjson")
        #expect(history.contains("not recorded: the orchestrator was suspended"), "recorded in history")
    }

    @Test(
        "the disk floor during scheduled runs: each run still has a record; when even the reserve is gone the runs are kept as a gap that the next alert names"
    )
    func diskFloor() throws {
        let f = try OrchestratorFixture(scheduler: "probers: 1", monitor: "interval: 2s")
        try f.healthyInterfaces(2)
        let base = try f.dir.read("config.yaml")
        func floor(_ bytes: UInt64) throws {
            try f.dir.write("config.yaml", base.replacingOccurrences(of: "  dir: spool", with: "  dir: spool\n  min_free: \(bytes)"))
        }
        try f.spool.prepare()
        let free = try #require(FileIO.freeBytes(f.dir.url("spool")))
        // Below the floor for batches, above the reserve for control records (a quarter of the floor).
        try floor(free * 2)
        let errors = LineCollector()
        let service = try f.startService(stderr: errors)
        defer {
            service.signal(SIGKILL)
            _ = service.wait()
        }
        #expect(eventually(timeout: 40) { ((try? f.batches()) ?? []).count >= 3 }, "\(errors.text)")
        // Nothing fits, not even a manifest: the runs are not started, and kept as a gap.
        try floor(1 << 50)
        service.signal(SIGHUP)
        #expect(eventually(timeout: 40) { errors.text.contains("not started") && errors.text.contains("monitoring is blind") }, "\(errors.text)")
        let blindFrom = Date()
        wait(until: blindFrom.addingTimeInterval(4.5))
        // Space returns.
        try floor(0)
        service.signal(SIGHUP)
        #expect(
            eventually(timeout: 40) { ((try? manifests(f)) ?? []).contains { $0.gaps?.contains { $0.reason == .diskFull } == true } },
            "\(errors.text)")
        service.signal(SIGTERM)
        #expect(service.wait(timeout: 30) == .exited(0))
        let log = errors.text
        #expect(log.components(separatedBy: "monitoring is blind").count == 2, "one line when it starts, not one per tick: \(log)")
        #expect(log.contains("the spool takes runs again"), "\(log)")

        let stubs = try f.batches().compactMap { name, end -> ShardFailed? in if case let .shardFailed(s) = end { s } else { nil } }
            .filter { !$0.reason.contains("SIGTERM") }.sorted { $0.run < $1.run }
        #expect(stubs.count >= 3, "each run below the floor still has its record")
        #expect(stubs.allSatisfy { $0.reason.contains("below the floor") }, "\(stubs.map(\.reason))")
        #expect(try f.analyzeOnce().exitCode == 0)
        for stub in stubs.prefix(3) {
            #expect(try f.dir.read("spool/reports/\(stub.run).md").contains("its interfaces were not checked"))
        }
        let carried = try #require(try manifests(f).first { $0.gaps?.contains { $0.reason == .diskFull } == true })
        let gap = try #require(carried.gaps?.first { $0.reason == .diskFull })
        #expect(gap.runs >= 2, "\(gap)")
        let alert = try #require(try alerts(f).first { $0.run == carried.run })
        let sentence = try #require(alert.stats.gaps?.first { $0.contains("disk full") })
        #expect(sentence.hasPrefix("monitoring was blind from ") && sentence.contains("runs not recorded: disk full"), "\(sentence)")
        let status = try f.run(["status"])
        #expect(status.stdout.contains("    before it: monitoring was blind from "), "\(status.stdout)")
    }
}
