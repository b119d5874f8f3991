// One notifier per spool across hosts (issue 33): real notifier processes under two host names (VIGIL_HOST) on
// one spool and a loopback WeCom receiver — a second one refused while the owner lives, a standby taking over
// after a kill -9, an owner whose record another host took delivering nothing more — and a real I/O error (FUSE)
// while a delivery is recorded in outbox/sent.

import Foundation
import Shared
import TestSupport
import Testing

/// Writes an owner record for `host` into the notifier's owner file, as that host's notifier would.
private func writeForeignOwner(_ spool: Spool, host: String = "host-b", pid: Int32 = 4242, generation: Int) throws {
    let now = Date()
    let record = OwnerRecord(role: "notifier", host: host, pid: pid, startedAt: now, heartbeat: now, generation: generation)
    try FileIO.replaceAtomically(Ownership.path(role: "notifier", spool: spool), with: try RecordCoding.encode(record) + [10])
}

@Suite("Notifier ownership across hosts", .ownThread)
struct NotifierOwnershipTests {
    private func start(_ f: NotifierFixture, host: String, _ extra: [String] = [], stderr: LineCollector) throws -> ChildProcess {
        try Programs.start("notifier", ["--config", f.dir.url("config.yaml")] + extra, environment: ["VIGIL_HOST": host], stderr: stderr)
    }

    @Test("a second notifier from another host, the flock lost, is refused and names the owner; --once there defers to it")
    func refused() throws {
        let f = try NotifierFixture()
        let errors = LineCollector()
        let a = try start(f, host: "host-a", stderr: errors)
        defer {
            a.signal(SIGKILL)
            _ = a.wait()
        }
        #expect(eventually(timeout: 20) { errors.text.contains("notifier started") }, "\(errors.text)")
        try FileIO.unlink(f.spool.stateDirectory + "/notifier.lock")
        let second = try Programs.run("notifier", ["--config", f.dir.url("config.yaml")], environment: ["VIGIL_HOST": "host-b"], timeout: 30)
        #expect(second.exitCode == 1, "\(second.stderr)")
        #expect(
            second.stderr.contains("another notifier owns") && second.stderr.contains("host host-a pid \(a.pid) generation 1, heartbeat"),
            "\(second.stderr)")
        let once = try Programs.run(
            "notifier", ["--config", f.dir.url("config.yaml"), "--once"], environment: ["VIGIL_HOST": "host-b"], timeout: 30)
        #expect(once.exitCode == 0 && once.stderr.contains("the notifier owner (host host-a, pid \(a.pid)) delivers the outbox"), "\(once.stderr)")
        #expect(a.termination == nil, "the owner keeps running")
    }

    @Test("kill -9 the owner: a standby on another host takes over within 31 s of its last heartbeat and delivers its claimed alert")
    func standbyTakesOver() throws {
        let f = try NotifierFixture()
        let errorsA = LineCollector()
        let errorsB = LineCollector()
        let a = try start(f, host: "host-a", stderr: errorsA)
        #expect(eventually(timeout: 20) { errorsA.text.contains("notifier started") }, "\(errorsA.text)")
        let b = try start(f, host: "host-b", ["--standby"], stderr: errorsB)
        defer {
            b.signal(SIGKILL)
            _ = b.wait()
        }
        #expect(eventually(timeout: 20) { errorsB.text.contains("standby: another notifier holds") }, "\(errorsB.text)")
        a.signal(SIGKILL)
        _ = a.wait()
        let killed = Date()
        let lastBeat = try #require(try Ownership.read(Ownership.path(role: "notifier", spool: f.spool))).heartbeat
        // An alert the dead owner had claimed: the new owner recovers it at its start, not after the 1 h lease.
        let run = try f.publishAlert(minutes: 0)
        for name in f.spool.outbox.pending() {
            #expect(try FileIO.rename(f.spool.outbox.newDirectory + "/" + name, f.spool.outbox.curDirectory + "/" + name + "~host-a.\(a.pid).1"))
        }
        #expect(eventually(timeout: 45) { errorsB.text.contains("taking over the notifier role from host host-a pid \(a.pid)") }, "\(errorsB.text)")
        let sinceBeat = Date().timeIntervalSince(lastBeat)
        print(
            String(
                format: "PROOF notifier standby takeover: %.1f s after kill -9, %.1f s after the last heartbeat", Date().timeIntervalSince(killed),
                sinceBeat))
        #expect(
            sinceBeat >= Ownership.defaultStaleAfter && sinceBeat <= Ownership.defaultStaleAfter + 3,
            "took over \(sinceBeat) s after the last heartbeat")
        #expect(eventually(timeout: 15) { f.acceptedRuns == [run] }, "\(errorsB.text)")
        #expect(errorsB.text.contains("recovered") && f.spool.outbox.pending().isEmpty, "\(errorsB.text)")
    }

    @Test("an owner whose record another host took over stops (exit 1) and delivers nothing more")
    func superseded() throws {
        let f = try NotifierFixture()
        let errors = LineCollector()
        let a = try f.startService(stderr: errors)
        defer {
            a.signal(SIGKILL)
            _ = a.wait()
        }
        #expect(eventually(timeout: 20) { errors.text.contains("notifier started") }, "\(errors.text)")
        try writeForeignOwner(f.spool, generation: 2)
        try f.publishAlert(minutes: 0)
        #expect(a.wait(timeout: 20) == .exited(1), "\(errors.text)")
        #expect(errors.text.contains("no longer the notifier owner (now host host-b pid 4242 generation 2"), "\(errors.text)")
        #expect(f.server.hits("/cgi-bin/webhook/send") == 0, "nothing delivered")
        #expect(f.spool.outbox.pending().count == 1 && FileIO.listIfPresent(f.spool.outbox.curDirectory).isEmpty, "the alert waits for the new owner")
        #expect(f.sent.isEmpty)
    }

    @Test(
        "a real I/O error recording a delivery in sent/: tried again in place; one that lasts hands it back to outbox/new, never left in cur/",
        .enabled(if: FaultyFileSystem.available, "needs root, /dev/fuse, fusermount and python3-fusepy"))
    func sentIOError() throws {
        let f = try NotifierFixture()
        let fs = try FaultyFileSystem(backing: f.spool.root, mountPoint: f.dir.url("mnt"), rules: f.dir.url("faults"))
        defer { fs.unmount() }
        let once = { try f.runOnce(["--once", "--spool", fs.mountPoint]) }
        let first = try f.publishAlert(minutes: 0)
        try fs.fail("rename", "/outbox/sent/", times: 2)
        let brief = try once()
        #expect(brief.exitCode == 0 && brief.stderr.contains("done at try 3 of 4"), "\(brief.stderr)")
        #expect(fs.failures.lines.filter { $0.hasPrefix("EIO rename /outbox/sent/") }.count == 2, "\(fs.failures.text)")
        #expect(f.acceptedRuns == [first] && f.sent.count == 1 && FileIO.listIfPresent(f.spool.outbox.curDirectory).isEmpty)

        let second = try f.publishAlert(minutes: 15)
        try fs.fail("rename", "/outbox/sent/", times: 1000)
        let lasting = try once()
        #expect(lasting.exitCode == 0 && lasting.stderr.contains("handed back to outbox/new (it may be delivered once more)"), "\(lasting.stderr)")
        #expect(FileIO.listIfPresent(f.spool.outbox.curDirectory).isEmpty, "nothing left in outbox/cur for the lease")
        #expect(f.spool.outbox.pending().count == 1 && f.sent.count == 1)

        try fs.heal()
        let healed = try once()
        #expect(healed.exitCode == 0, "\(healed.stderr)")
        // Better twice than never: the delivery whose record was lost goes out again.
        #expect(f.acceptedRuns == [first, second, second] && f.sent.count == 2 && f.spool.outbox.pending().isEmpty)
        #expect(FileIO.listIfPresent(f.spool.outbox.curDirectory).isEmpty)
    }
}
