// The Maildir protocol on a real temporary spool: competing consumers, requeue after a real process died,
// half-written files never visible, no-clobber publishing, janitor rules, retention.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Spool queue protocol", .ownThread)
struct QueueTests {
    @Test("two consumers competing for 1 000 files claim each exactly once")
    func competingConsumers() throws {
        let dir = TemporaryDirectory("compete")
        let queue = try dir.spool().results
        for i in 0..<1000 {
            try queue.publish(name: SpoolName.unique(program: "test"), bytes: Array("line \(i)\n".utf8))
        }
        #expect(queue.pending().count == 1000)
        let claimed = ClaimLedger()
        DispatchQueue.concurrentPerform(iterations: 2) { consumer in
            let owner = ClaimOwner(host: "consumer\(consumer)", pid: getpid())
            // Each consumer scans and claims until nothing is left, like a real one does.
            while true {
                let names = queue.pending()
                if names.isEmpty { break }
                for name in names {
                    if let file = try? queue.claim(name, by: owner) { claimed.add(file.name, by: consumer) }
                }
            }
        }
        #expect(claimed.total == 1000, "every file is claimed")
        #expect(claimed.duplicates.isEmpty, "no file is claimed twice: \(claimed.duplicates.prefix(3))")
        #expect(claimed.perConsumer.values.allSatisfy { $0 > 0 }, "both consumers took part: \(claimed.perConsumer)")
        #expect(FileIO.listIfPresent(queue.curDirectory).count == 1000)
    }

    @Test("a claim left in cur/ by a killed process is requeued at start-up")
    func requeueAfterKill() throws {
        let dir = TemporaryDirectory("requeue")
        let queue = try dir.spool().outbox
        try queue.publish(name: "a.ndjson", bytes: Array("x\n".utf8))
        // A real process that is SIGKILLed holds the claim.
        let victim = try ChildProcess(executable: "/bin/sleep", arguments: ["60"])
        let owner = ClaimOwner(host: SpoolName.host, pid: victim.pid)
        let claimed = try #require(try queue.claim("a.ndjson", by: owner))
        victim.signal(SIGKILL)
        #expect(victim.wait() == .signaled(SIGKILL))
        // A live claim of this host must stay.
        try queue.publish(name: "b.ndjson", bytes: Array("y\n".utf8))
        let alive = try #require(try queue.claim("b.ndjson", by: .current))

        let requeued = queue.requeueOrphanedClaims()
        #expect(requeued == ["a.ndjson"])
        #expect(queue.pending() == ["a.ndjson"])
        #expect(FileIO.status(claimed.path) == nil)
        #expect(FileIO.status(alive.path) != nil, "the live process keeps its claim")
    }

    @Test("a half-written file in tmp/ is never seen by a consumer")
    func halfWrittenInvisible() throws {
        let dir = TemporaryDirectory("tmp")
        let queue = try dir.spool().results
        let writer = try queue.writer(name: "partial.ndjson")
        try writer.write(Array(String(repeating: "{\"v\":1}\n", count: 100_000).utf8))
        #expect(queue.pending().isEmpty, "nothing in new/ before commit")
        // A name without its writer in it gets the writer's ~host.pid in tmp/ (two hosts may write the same one).
        #expect(FileIO.listIfPresent(queue.tmpDirectory) == ["partial.ndjson" + ClaimOwner.current.suffix])
        try writer.commit()
        #expect(queue.pending() == ["partial.ndjson"])
        #expect(FileIO.listIfPresent(queue.tmpDirectory).isEmpty, "the tmp name is removed after the link")
        let size = FileIO.status(queue.newDirectory + "/partial.ndjson")?.st_size ?? 0
        #expect(size == 800_000, "the published file is complete")
    }

    @Test("a writer killed mid-file leaves nothing in new/, and the janitor removes its tmp file after 36 h")
    func killedWriterLeavesOnlyTmp() throws {
        let dir = TemporaryDirectory("killedwriter")
        let queue = try dir.spool().results
        let writer = try queue.writer(name: "dying.ndjson")
        try writer.write(Array("{\"v\":1,\"kind\":\"result\"}\n".utf8))
        // Simulate the process dying here: the object is leaked, nothing is committed or abandoned.
        _ = Unmanaged.passRetained(writer)
        #expect(queue.pending().isEmpty)
        #expect(queue.removeStaleTemporaries(olderThan: 36 * 3600).isEmpty, "a fresh tmp file is left alone")
        let old = Date().addingTimeInterval(-37 * 3600)
        try FileIO.setModificationTime(writer.tmpPath, to: old)
        #expect(queue.removeStaleTemporaries(olderThan: 36 * 3600) == ["dying.ndjson" + ClaimOwner.current.suffix])
    }

    @Test("publishing never replaces an existing name: a derived output is published once")
    func noClobber() throws {
        let dir = TemporaryDirectory("noclobber")
        let queue = try dir.spool().outbox
        let first = try queue.publish(name: "R.alert.ndjson", bytes: Array("first\n".utf8))
        let second = try queue.publish(name: "R.alert.ndjson", bytes: Array("second\n".utf8))
        #expect(first == .published(queue.newDirectory + "/R.alert.ndjson"))
        #expect(second == .alreadyExists(queue.newDirectory + "/R.alert.ndjson"))
        #expect(try dir.read("spool/outbox/new/R.alert.ndjson") == "first\n")
        #expect(FileIO.listIfPresent(queue.tmpDirectory).isEmpty)
        #expect(queue.contains(prefix: "R.alert"))
    }

    @Test("claims of another host older than the lease go back to new/, younger ones stay")
    func expiredClaims() throws {
        let dir = TemporaryDirectory("lease")
        let queue = try dir.spool().results
        try queue.publish(name: "x.ndjson", bytes: Array("x\n".utf8))
        _ = try queue.claim("x.ndjson", by: ClaimOwner(host: "otherhost", pid: 1))
        #expect(queue.requeueExpiredClaims(lease: 3600).isEmpty)
        #expect(queue.requeueExpiredClaims(lease: 3600, now: Date().addingTimeInterval(3700)) == ["x.ndjson"])
        #expect(queue.pending() == ["x.ndjson"])
    }

    @Test("files are created 0600 and directories 0700; the root 0710 and metrics/ 0750 for the group that reads metrics")
    func modes() throws {
        let dir = TemporaryDirectory("modes")
        let spool = try dir.spool()
        try spool.results.publish(name: "m.ndjson", bytes: [10])
        let file = try #require(FileIO.status(spool.results.newDirectory + "/m.ndjson"))
        #expect(file.st_mode & 0o777 == 0o600)
        for path in [spool.results.newDirectory, spool.tokensDirectory, spool.quarantineDirectory, spool.stateDirectory] {
            #expect((FileIO.status(path)?.st_mode ?? 0) & 0o777 == 0o700, "\(path)")
        }
        #expect((FileIO.status(spool.root)?.st_mode ?? 0) & 0o777 == 0o710)
        #expect((FileIO.status(spool.metricsDirectory)?.st_mode ?? 0) & 0o777 == 0o750)
        TextfileCollector.write("vigil_x 1\n", to: spool.metricsDirectory, name: "m.prom")
        #expect((FileIO.status(spool.metricsDirectory + "/m.prom")?.st_mode ?? 0) & 0o777 == 0o640)
    }

    @Test("the free-space floor refuses to start a file")
    func diskFloor() throws {
        let dir = TemporaryDirectory("floor")
        let spool = Spool(root: dir.url("spool"), floorBytes: UInt64.max)
        try spool.prepare()
        #expect(throws: SpoolError.self) { try spool.results.publish(name: "f.ndjson", bytes: [10]) }
        #expect(spool.results.pending().isEmpty)
        #expect(FileIO.listIfPresent(spool.results.tmpDirectory).isEmpty)
    }

    @Test("retention prunes files older than the limit and keeps the rest")
    func retention() throws {
        let dir = TemporaryDirectory("retention")
        let spool = try dir.spool()
        try dir.write("spool/reports/old.md", "old")
        try dir.write("spool/reports/new.md", "new")
        try FileIO.setModificationTime(spool.reportsDirectory + "/old.md", to: Date().addingTimeInterval(-8 * 86_400))
        #expect(spool.prune(spool.reportsDirectory, olderThan: 7 * 86_400) == ["old.md"])
        #expect(FileIO.listIfPresent(spool.reportsDirectory) == ["new.md"])
    }

    @Test("unique names sort by age and carry host, program and pid")
    func uniqueNames() {
        let a = SpoolName.unique(program: "prober", now: Date(timeIntervalSince1970: 1_700_000_000.5))
        let b = SpoolName.unique(program: "prober", now: Date(timeIntervalSince1970: 1_700_000_001.25))
        #expect(a < b)
        #expect(a.hasPrefix("1700000000.500000.\(SpoolName.host).prober-\(getpid())."))
        #expect(!a.contains("/") && !a.contains(":") && !a.contains("~"))
        let parsed = ClaimOwner.parse(claimedName: a + ClaimOwner.current.suffix)
        #expect(parsed?.name == a)
        #expect(parsed?.owner == .current)
    }
}

/// Thread-safe record of which consumer claimed what. Unchecked Sendable: every stored `var` is read and
/// written only while holding `lock`.
final class ClaimLedger: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [String: Int] = [:]
    private(set) var duplicates: [String] = []
    private(set) var perConsumer: [Int: Int] = [:]

    func add(_ name: String, by consumer: Int) {
        lock.lock()
        defer { lock.unlock() }
        if seen[name] != nil { duplicates.append(name) }
        seen[name] = consumer
        perConsumer[consumer, default: 0] += 1
    }

    var total: Int {
        lock.lock()
        defer { lock.unlock() }
        return seen.count
    }
}

@Suite("Orphaned temporaries", .ownThread)
struct OrphanedTemporaryTests {
    @Test("tmp files of dead writers on this host are removed; live writers' and other hosts' are kept")
    func orphans() throws {
        let dir = TemporaryDirectory("orphans")
        let spool = Spool(root: dir.url("spool"))
        try spool.prepare()
        let tmp = spool.results.tmpDirectory
        let host = SpoolName.host
        let dead = "20261122T150000Z-tick.1of2.\(host).prober-2147483646.ndjson"
        let live = "20261122T150000Z-tick.2of2.\(host).prober-\(getpid()).ndjson"
        let other = "20261122T150000Z-tick.1of2.another-host.prober-2147483646.ndjson"
        for name in [dead, live, other, "20261122T150000Z-tick.alert.ndjson"] {
            _ = FileManager.default.createFile(atPath: tmp + "/" + name, contents: Data("partial".utf8))
        }
        #expect(spool.results.removeOrphanedTemporaries() == [dead])
        #expect(Set(FileIO.listIfPresent(tmp)) == [live, other, "20261122T150000Z-tick.alert.ndjson"])
    }

    @Test("two writers of one shared name (a run manifest from two hosts) never collide in tmp/; the first link wins")
    func sharedNameWriters() throws {
        let dir = TemporaryDirectory("shared")
        let queue = try dir.spool().runs
        let first = try queue.writer(name: "R.run.ndjson")
        // The other host's writer: the same name, another ~host.pid in tmp/.
        let other = queue.tmpDirectory + "/R.run.ndjson~other-host.4242"
        _ = FileManager.default.createFile(atPath: other, contents: Data("theirs\n".utf8))
        try first.write(Array("ours\n".utf8))
        #expect(try first.commit() == .published(queue.newDirectory + "/R.run.ndjson"))
        #expect(try dir.read("spool/runs/new/R.run.ndjson") == "ours\n")
        // Another host's tmp file is never taken for an orphan of this host.
        #expect(queue.removeOrphanedTemporaries().isEmpty && FileIO.status(other) != nil)
    }
}

@Suite("Outbox rooms", .ownThread)
struct OutboxTests {
    @Test("a deferred delivery's mtime is its next attempt; due, make due, fail with a note and restore follow that one rule")
    func nextAttemptRule() throws {
        let dir = TemporaryDirectory("outbox-rooms")
        let spool = try dir.spool()
        let rooms = spool.deliveries
        let now = Date()
        try rooms.postpone("A.alert@wecom.ndjson", bytes: Array("a\n".utf8), until: now.addingTimeInterval(600))
        try rooms.postpone("B.alert@wecom.ndjson", bytes: Array("b\n".utf8), until: now.addingTimeInterval(-1))
        #expect(rooms.deferred == ["A.alert@wecom.ndjson", "B.alert@wecom.ndjson"])
        #expect(rooms.due(now: now) == ["B.alert@wecom.ndjson"])
        #expect(abs((rooms.nextAttempt(of: "A.alert@wecom.ndjson") ?? .distantPast).timeIntervalSince(now.addingTimeInterval(600))) < 1)
        try rooms.makeDue("A.alert@wecom.ndjson", now: now)
        #expect(rooms.due(now: now).count == 2)

        try rooms.fail("C.alert@wecom.ndjson", bytes: Array("c\n".utf8), note: "alert: alert-C\nreason: HTTP 404: bad key\n")
        #expect(rooms.failed == ["C.alert@wecom.ndjson"] && rooms.failureReason(of: "C.alert@wecom.ndjson") == "HTTP 404: bad key")
        #expect(try rooms.restore("C.alert@wecom.ndjson", now: now))
        #expect(rooms.failed.isEmpty && rooms.due(now: now).contains("C.alert@wecom.ndjson"))
        #expect(FileIO.status(spool.failedDirectory + "/C.alert@wecom.ndjson.reason") == nil, "the note goes with it")
        #expect(try !rooms.restore("C.alert@wecom.ndjson"), "restoring what is not in failed/ does nothing")
    }
}
