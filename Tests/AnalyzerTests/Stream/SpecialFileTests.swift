// Whoever can write a queue cannot stop alerting: a FIFO, a symbolic link (to /dev/zero, or to a batch outside
// the spool) or a directory in results/new or runs/new is quarantined unread with its reason, in one pass, and
// the real run beside them is reported.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Special files in the analyzer's queues", .ownThread)
struct SpecialFileTests {
    @Test("FIFO, symlinks and a directory are quarantined unread; the good batch is reported; nothing hangs")
    func specialFiles() throws {
        let f = try AnalyzerFixture()
        let run = RunID.manual(at: t0)
        try f.publishBatch(run: run, results: [AnalyzerFixture.result("svc/a", .ok, run: run, at: t0)], start: t0)
        let outside = TemporaryDirectory("outside")
        let foreign = RunID.manual(at: t0.addingTimeInterval(60))
        try f.publishBatch(run: foreign, results: [AnalyzerFixture.result("svc/b", .http500, run: foreign, at: t0)], start: t0, manifest: false)
        // Move that batch out of the spool and link it back: it must not be consumed through the link.
        let linked = try #require(FileIO.listIfPresent(f.spool.results.newDirectory).first { $0.hasPrefix(foreign) })
        try FileManager.default.moveItem(atPath: f.spool.results.newDirectory + "/" + linked, toPath: outside.url(linked))
        let results = f.spool.results.newDirectory
        let runs = f.spool.runs.newDirectory
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

@Suite("Junk in results/new", .ownThread)
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

@Suite("Garbage files in the queues", .ownThread)
struct GarbageFileTests {
    /// 50 MB of junk lines (the kind a mis-aimed `cp` or a crashed writer leaves), written in chunks.
    static func writeGarbage(_ path: String, megabytes: Int = 50) throws {
        var random = SeededRandom(seed: 50)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        #expect(fd >= 0)
        defer { close(fd) }
        for _ in 0..<megabytes {
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            for i in chunk.indices { chunk[i] = UInt8(truncatingIfNeeded: 32 + random.next() % 90) }
            for i in stride(from: 100, to: chunk.count, by: 200) { chunk[i] = 10 }
            #expect(chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == chunk.count)
        }
    }

    @Test("a 50 MB garbage file in results/new and in runs/new is quarantined in one pass, the analyzer stays under 64 MB")
    func analyzerQueues() throws {
        let f = try AnalyzerFixture()
        let run = RunID.manual(at: t0)
        try f.publishBatch(run: run, results: [AnalyzerFixture.result("svc/a", .ok, run: run, at: t0)], start: t0)
        try Self.writeGarbage(f.spool.results.newDirectory + "/garbage.ndjson")
        try Self.writeGarbage(f.spool.results.newDirectory + "/\(RunID.manual(at: t0.addingTimeInterval(60))).1of1.host.prober-9.ndjson")
        try Self.writeGarbage(f.spool.runs.newDirectory + "/garbage.run.ndjson")
        let once = try f.analyzeOnce()
        #expect(once.exitCode == 0, "\(once.stderr)")
        #expect(FileIO.listIfPresent(f.spool.results.newDirectory).isEmpty && FileIO.listIfPresent(f.spool.runs.newDirectory).isEmpty)
        let notes = FileIO.listIfPresent(f.spool.quarantineDirectory).filter { $0.hasSuffix(".reason") }
        let reasons = try notes.map { try String(contentsOfFile: f.spool.quarantineDirectory + "/" + $0, encoding: .utf8) }.joined()
        #expect(notes.count == 3, "\(notes)")
        #expect(reasons.contains("1000 unreadable lines") && reasons.contains("not a result batch"), "\(reasons)")
        #expect(reasons.contains("more than the 1MiB a consumer reads from this queue"), "\(reasons)")
        // Whole files went to quarantine intact (moved, not copied line by line).
        let sizes = FileIO.listIfPresent(f.spool.quarantineDirectory).compactMap { FileIO.status(f.spool.quarantineDirectory + "/" + $0)?.st_size }
        #expect(sizes.filter { $0 == 50 << 20 }.count == 3, "\(sizes)")
        #expect(try f.report(run).contains("All 1 interfaces answered as expected"), "the real run was reported")
        #expect(try f.alerts().isEmpty, "junk pages nobody")
        // The program reports its own high-water mark (VmHWM) in its last line.
        let peak = try #require(
            once.stderr.components(separatedBy: "analyzer stopped (peak RSS ").dropFirst().first
                .flatMap { Double($0.prefix { $0 != " " }) }, "\(once.stderr)")
        print("PROOF garbage-50MB analyzer peak_rss_mb=\(peak)")
        #expect(peak < 64, "analyzer peak RSS \(peak) MB")
    }
}
