// Whoever can write a queue cannot stop alerting: a FIFO, a symbolic link (to /dev/zero, or to a batch outside
// the spool) or a directory in results/new or runs/new is quarantined unread with its reason, in one pass, and
// the real run beside them is reported.

import Foundation
import Shared
import Testing
import TestSupport

@Suite("Special files in the analyzer's queues")
struct SpecialFileTests {
    @Test("FIFO, symlinks and a directory are quarantined unread; the good batch is reported; nothing hangs")
    func specialFiles() throws {
        let f = try AnalyzerFixture()
        let run = RunID.manual(at: t0)
        try f.publishBatch(run: run, results: [AnalyzerFixture.result("svc/a", .ok, run: run, at: t0)], start: t0)
        let outside = TemporaryDirectory("outside")
        let foreign = RunID.manual(at: t0.addingTimeInterval(60))
        try f.publishBatch(run: foreign, results: [AnalyzerFixture.result("svc/b", .http500, run: foreign, at: t0)], start: t0)
        // Move that batch out of the spool and link it back: it must not be consumed through the link.
        let linked = try #require(FileIO.listIfPresent(f.spool.results.newDirectory).first { $0.hasPrefix(foreign) })
        try FileManager.default.moveItem(atPath: f.spool.results.newDirectory + "/" + linked, toPath: outside.url(linked))
        let results = f.spool.results.newDirectory, runs = f.spool.runs.newDirectory
        #expect(mkfifo(results + "/\(RunID.manual(at: t0)).1of1.host.prober-1.ndjson", 0o600) == 0)
        #expect(mkfifo(runs + "/fifo.ndjson", 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: results + "/zero.ndjson", withDestinationPath: "/dev/zero")
        try FileManager.default.createSymbolicLink(atPath: runs + "/zero.ndjson", withDestinationPath: "/dev/zero")
        try FileManager.default.createSymbolicLink(atPath: results + "/" + linked, withDestinationPath: outside.url(linked))
        try FileManager.default.createDirectory(atPath: results + "/dir.ndjson", withIntermediateDirectories: false)
        let long = String(repeating: "n", count: 244) + ".ndjson"
        _ = FileManager.default.createFile(atPath: results + "/" + long, contents: Data("x\n".utf8))

        let once = try f.analyzeOnce()
        #expect(once.exitCode == 0, "\(once.stderr)")
        #expect(FileIO.listIfPresent(results).isEmpty && FileIO.listIfPresent(runs).isEmpty, "everything left new/ in one pass")
        let notes = FileIO.listIfPresent(f.spool.quarantineDirectory).filter { $0.hasSuffix(".reason") }
        #expect(notes.count == 7, "\(notes)")
        let reasons = try notes.map { try String(contentsOfFile: f.spool.quarantineDirectory + "/" + $0, encoding: .utf8) }.joined()
        #expect(reasons.contains("a FIFO, not a file") && reasons.contains("a symbolic link, not a file") && reasons.contains("a directory"))
        #expect(reasons.contains("a name of 251 bytes leaves no room for the claim suffix"))
        #expect(FileIO.status(outside.url(linked)) != nil, "the file outside the spool was not touched")
        #expect(try f.report(run).contains("All 1 interfaces answered as expected"), "the real run was reported")
        #expect((try? f.report(foreign)) == nil, "the linked batch was not consumed")
    }
}

@Suite("Junk in results/new")
struct JunkBatchTests {
    @Test("junk named like a batch of an unknown run is quarantined, and makes no report and no alert")
    func junkOfUnknownRun() throws {
        let f = try AnalyzerFixture()
        let unknown = RunID.manual(at: t0)
        _ = try f.dir.write("spool/results/new/\(unknown).2of4.host.prober-7.ndjson", "garbage, not a batch\n")
        let once = try f.analyzeOnce()
        #expect(once.exitCode == 0, "\(once.stderr)")
        #expect(FileIO.listIfPresent(f.spool.quarantineDirectory).contains { $0.hasSuffix(".reason") })
        #expect((try? f.report(unknown)) == nil, "no report for a run nobody started")
        #expect(try f.alerts().isEmpty, "no alert")
    }
}
