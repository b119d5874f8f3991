// Delivery order follows the runs' start times, not their names: two manual runs started in the same second
// carry random suffixes, and the later-named one may have started first.

import Foundation
import Shared
import Testing
import TestSupport

@Suite("Notifier order")
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

@Suite("Special files in the outbox")
struct OutboxSpecialFileTests {
    @Test("a FIFO and a link to /dev/zero in outbox/new and deferred/ are quarantined unread; the real alert goes out")
    func specialFiles() throws {
        let f = try NotifierFixture()
        let run = try f.publishAlert(minutes: 0)
        #expect(mkfifo(f.spool.outbox.newDirectory + "/fifo.alert.ndjson", 0o600) == 0)
        #expect(mkfifo(f.spool.outbox.newDirectory + "/x.alert@wecom.ndjson", 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: f.spool.deferredDirectory + "/z.alert@wecom.ndjson", withDestinationPath: "/dev/zero")
        let once = try f.runOnce(["--once"])
        #expect(once.exitCode == 0, "\(once.stderr)")
        #expect(f.acceptedRuns == [run])
        let notes = FileIO.listIfPresent(f.spool.quarantineDirectory).filter { $0.hasSuffix(".reason") }
        #expect(notes.count == 3, "\(notes) \(once.stderr)")
        #expect(f.deferred.isEmpty && FileIO.listIfPresent(f.spool.outbox.newDirectory).isEmpty)
    }
}
