// Ownership in process, on a real temporary spool: when a role may be taken (none, released, the owner's process
// gone from this host, a stale heartbeat) and when not (a fresh heartbeat, one from a clock ahead), the generation
// bump, verify after another host wrote the record or removed it, the heartbeat thread, and a clean release.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Owner records")
struct OwnershipTests {
    private static func record(
        host: String, pid: Int32 = 4242, age: TimeInterval, released: Bool = false, namespace: String? = nil, now: Date
    ) -> OwnerRecord {
        var r = OwnerRecord(
            role: "analyzer", host: host, pid: pid, startedAt: now.addingTimeInterval(-3600), heartbeat: now.addingTimeInterval(-age), generation: 7)
        if released { r.released = true }
        if let namespace { r.pidNamespace = namespace }
        return r
    }

    @Test(
        "who may take the role over, and why",
        arguments: [
            ("no record", nil as OwnerRecord?, true),
            ("another host, heartbeat 3 s old", record(host: "host-b", age: 3, now: Date()), false),
            ("another host, heartbeat 29 s old", record(host: "host-b", age: 29, now: Date()), false),
            ("another host, heartbeat 31 s old", record(host: "host-b", age: 31, now: Date()), true),
            ("another host whose clock is 60 s ahead", record(host: "host-b", age: -60, now: Date()), false),
            ("another host, released", record(host: "host-b", age: 1, released: true, now: Date()), true),
            ("this host, a pid that does not run", record(host: SpoolName.host, pid: Int32.max - 1, age: 1, now: Date()), true),
            (
                "this host name, another pid namespace (a container): judged by its heartbeat",
                record(host: SpoolName.host, pid: Int32.max - 1, age: 1, namespace: "pid:[1]", now: Date()), false
            ),
            (
                "this host, a live process started at another time (pid reused)", record(host: SpoolName.host, pid: getppid(), age: 1, now: Date()),
                true
            ),
        ])
    func takeOver(_ label: String, _ current: OwnerRecord?, _ may: Bool) {
        let reason = Ownership.takeOverReason(from: current, now: Date(), staleAfter: 30)
        #expect((reason != nil) == may, "\(label): \(reason ?? "held")")
    }

    @Test("acquire bumps the generation, refuses while a fresh owner lives, and verify sees a takeover and a removal")
    func lifecycle() throws {
        let dir = TemporaryDirectory("owner")
        let spool = Spool(root: dir.url("spool"))
        try spool.prepare()
        let path = Ownership.path(role: "analyzer", spool: spool)
        let now = Date()
        try FileIO.replaceAtomically(path, with: try RecordCoding.encode(Self.record(host: "host-b", age: 40, now: now)) + [10])
        let mine = try Ownership.acquire(role: "analyzer", spool: spool, now: now)
        #expect(mine.generation == 8 && mine.record.host == SpoolName.host && mine.record.pid == getpid())
        try mine.verify()

        try FileIO.replaceAtomically(path, with: try RecordCoding.encode(Self.record(host: "host-b", age: 0, now: Date())) + [10])
        #expect(throws: OwnershipError.self) { try mine.verify() }
        #expect(mine.lost?.isLost == true && "\(mine.lost!)".contains("now host host-b pid 4242 generation 7"))
        #expect(throws: OwnershipError.self, "a lost role stays lost") { try mine.beat() }
        mine.release()
        #expect(
            try Ownership.read(path)?.host == "host-b" && Ownership.read(path)?.released == nil,
            "a lost role's release leaves the new owner's record alone")
        do {
            _ = try Ownership.acquire(role: "analyzer", spool: spool)
            Issue.record("acquired while host-b's heartbeat is fresh")
        } catch let error as OwnershipError {
            #expect(
                "\(error)".contains("another analyzer owns") && "\(error)".contains("host host-b pid 4242 generation 7, heartbeat 0 s ago"),
                "\(error)")
        }

        try FileIO.unlink(path)
        let again = try Ownership.acquire(role: "analyzer", spool: spool)
        #expect(again.generation == 1, "no record: the first generation")
        try FileIO.unlink(path)
        // Missing for a moment (a remount): not lost, nothing committed until it is back.
        do {
            try again.verify()
            Issue.record("verify passed with the record removed")
        } catch let error as OwnershipError {
            #expect(!error.isLost && "\(error)".contains("is missing since"), "\(error)")
        }
        #expect(throws: OwnershipError.self) { try again.beat() }
        #expect(again.lost == nil, "a record missing for a moment does not end the role")
        // Missing as long as a heartbeat may be silent: lost, and it stays lost.
        let later = Date().addingTimeInterval(Ownership.defaultStaleAfter + 1)
        do {
            try again.verify(now: later)
            Issue.record("verify passed with the record missing for longer than staleAfter")
        } catch let error as OwnershipError {
            #expect(error.isLost && "\(error)".contains("is gone"), "\(error)")
        }
    }

    @Test("the heartbeat thread keeps the record fresh; a clean release lets the next instance take over at once")
    func heartbeatAndRelease() throws {
        let dir = TemporaryDirectory("owner")
        let spool = Spool(root: dir.url("spool"))
        try spool.prepare()
        let path = Ownership.path(role: "notifier", spool: spool)
        let mine = try Ownership.acquire(role: "notifier", spool: spool)
        let first = try #require(try Ownership.read(path)).heartbeat
        mine.startHeartbeats(every: 0.05) { error in Issue.record("lost: \(error)") }
        #expect(try eventually(timeout: 10) { try Ownership.read(path).map { $0.heartbeat > first } ?? false }, "the heartbeat advances")
        mine.release()
        let released = try #require(try Ownership.read(path))
        #expect(released.released == true && released.generation == 1)
        #expect(Ownership.takeOverReason(from: released, now: Date(), staleAfter: 30) == "it stopped cleanly")
    }
}
