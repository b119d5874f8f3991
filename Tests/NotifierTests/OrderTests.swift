// Delivery order follows the runs' start times, not their names: two manual runs started in the same second
// carry random suffixes, and the later-named one may have started first.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Notifier order", .ownThread)
struct OrderTests {
    @Test("two runs started in the same second are delivered in the order they started")
    func sameSecond() throws {
        let f = try NotifierFixture()
        let second = Date(timeIntervalSince1970: 1_795_359_600)
        // By name "maaaa" sorts first, but it started 800 ms after "mzzzz".
        let later = try f.publishAlert(minutes: 0, run: Timestamp.compact(second) + "-maaaa", startedAt: second.addingTimeInterval(0.9))
        let earlier = try f.publishAlert(minutes: 0, run: Timestamp.compact(second) + "-mzzzz", startedAt: second.addingTimeInterval(0.1))
        let run = try f.runOnce(["--once"])
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(f.acceptedRuns == [earlier, later], "\(f.acceptedRuns)")
    }
}

@Suite("Special files in the outbox", .ownThread)
struct OutboxSpecialFileTests {
    @Test(
        "a FIFO, links to /dev/zero and out of the spool, a directory and a 250-byte name in outbox/new and deferred/ are quarantined unread in one pass; the real alert goes out; a dotfile is left and shown by status"
    )
    func specialFiles() throws {
        let f = try NotifierFixture()
        let run = try f.publishAlert(minutes: 0)
        let new = f.spool.outbox.newDirectory
        #expect(mkfifo(new + "/fifo.alert.ndjson", 0o600) == 0)
        #expect(mkfifo(new + "/x.alert@wecom.ndjson", 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: f.spool.deferredDirectory + "/z.alert@wecom.ndjson", withDestinationPath: "/dev/zero")
        // An alert of another spool, linked in: never delivered through the link, never touched.
        let outside = TemporaryDirectory("outside")
        let real = try #require(FileIO.listIfPresent(new).first { $0.hasSuffix(".alert.ndjson") })
        let foreign = try outside.write("foreign.alert.ndjson", String(decoding: try FileIO.read(new + "/" + real), as: UTF8.self))
        try FileManager.default.createSymbolicLink(atPath: new + "/foreign.alert.ndjson", withDestinationPath: foreign)
        try FileManager.default.createDirectory(atPath: new + "/dir.alert.ndjson", withIntermediateDirectories: false)
        _ = FileManager.default.createFile(atPath: new + "/" + String(repeating: "n", count: 244) + ".ndjson", contents: Data("x\n".utf8))
        _ = FileManager.default.createFile(atPath: new + "/.half-copied.alert.ndjson", contents: Data("x".utf8))
        let once = try f.runOnce(["--once"])
        #expect(once.exitCode == 0, "\(once.stderr)")
        #expect(f.acceptedRuns == [run], "one delivery: the real alert, not the linked copy")
        let notes = FileIO.listIfPresent(f.spool.quarantineDirectory).filter { $0.hasSuffix(".reason") }
        #expect(notes.count == 6, "\(notes) \(once.stderr)")
        let reasons = try notes.map { try String(contentsOfFile: f.spool.quarantineDirectory + "/" + $0, encoding: .utf8) }.joined()
        #expect(reasons.contains("a symbolic link, not a file") && reasons.contains("a directory") && reasons.contains("a FIFO"), "\(reasons)")
        #expect(reasons.contains("a name of 251 bytes leaves no room for the claim suffix"), "\(reasons)")
        #expect(FileIO.status(foreign) != nil, "the file outside the spool was not touched")
        #expect(f.deferred.isEmpty && FileIO.listIfPresent(new) == [], "everything but the dotfile left new/ (listing skips dotfiles)")
        #expect(FileIO.hidden(new) == [".half-copied.alert.ndjson"])
        let status = try Programs.run("orchestrator", ["status", "--config", f.dir.url("config.yaml")])
        #expect(status.stdout.contains("1 hidden file(s) in outbox/new are never processed"), "\(status.stdout)")
    }
}
