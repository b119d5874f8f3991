// Outages: while the receiver fails in any way, alerts pile up in deferred/ and none is lost; when it
// recovers, all arrive in their original order. Misconfigured and refused deliveries, expiry, replay, and
// SIGKILL during delivery.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Notifier deferral and replay", .ownThread)
struct DeferralTests {
    @Test(
        "during an outage alerts wait in deferred/, then all arrive in order",
        arguments: [
            ReceiverMode.Behaviour.status(500), .hang, .close, .errcode(45009), .status(429),
        ])
    func outageThenRecovery(_ failure: ReceiverMode.Behaviour) throws {
        let f = try NotifierFixture()
        f.mode.set(failure)
        let errors = LineCollector()
        let service = try f.startService(stderr: errors)
        defer {
            service.signal(SIGKILL)
            _ = service.wait()
        }
        var runs: [String] = []
        for minute in stride(from: 0, to: 75, by: 15) {
            runs.append(try f.publishAlert(minutes: minute))
            usleep(150_000)
        }
        #expect(eventually(timeout: 20) { f.deferred.count == 5 }, "all five wait in deferred/: \(f.deferred) \(errors.text)")
        #expect(f.sent.isEmpty && f.acceptedRuns.isEmpty)
        f.mode.set(.ok)
        #expect(eventually(timeout: 20) { f.sent.count == 5 }, "\(errors.text)")
        #expect(f.acceptedRuns == runs, "delivered in the original order")
        #expect(f.deferred.isEmpty && f.spool.outbox.pending().isEmpty)
        service.signal(SIGTERM)
        #expect(service.wait(timeout: 10) == .exited(0))
    }

    @Test("at start-up a file half-written by a dead notifier or analyzer is removed from outbox/tmp; a live writer's is kept")
    func deadWritersTemporaries() throws {
        let f = try NotifierFixture()
        let gone = try ChildProcess(executable: "/bin/true", arguments: [])
        _ = gone.wait()
        let dead = "20261122T150000Z-tick.alert@wecom.ndjson~\(SpoolName.host).\(gone.pid)"
        let live = "20261122T151500Z-tick.alert@wecom.ndjson~\(SpoolName.host).\(getpid())"
        try f.dir.write("spool/outbox/tmp/" + dead, "{\"v\":1,\"kind\":\"alert\"")
        try f.dir.write("spool/outbox/tmp/" + live, "{\"v\":1")
        let run = try f.runOnce(["--once"])
        #expect(run.stderr.contains("removed 1 unfinished file(s) of dead writers from outbox/tmp"), "\(run.stderr)")
        #expect(FileIO.listIfPresent(f.spool.outbox.tmpDirectory) == [live])
    }

    @Test("an invalid webhook key (93000) keeps alerts deferred and says so loudly; fixing it and replaying delivers")
    func misconfigured() throws {
        let f = try NotifierFixture(notify: "backoff_max: 1h")
        f.mode.set(.errcode(93000))
        let run = try f.publishAlert(minutes: 0)
        let first = try f.runOnce(["--once"])
        #expect(first.stderr.contains("error: channel wecom is misconfigured: errcode 93000"), "\(first.stderr)")
        #expect(f.deferred == ["\(run).alert@wecom.ndjson"] && f.failed.isEmpty)
        f.mode.set(.ok)
        #expect(try f.runOnce(["--once"]).exitCode == 0)
        #expect(f.sent.isEmpty, "not due for an hour")
        let replay = try f.run(["replay", "--all"])
        #expect(replay.exitCode == 0, "\(replay.stderr)")
        #expect(replay.stdout.contains("1 alert(s) queued"))
        #expect(f.sent == ["\(run).alert@wecom.ndjson"], "replay delivers at once")
    }

    @Test("refused content goes to failed/ with a reason, and replay brings it back")
    func refused() throws {
        let f = try NotifierFixture()
        f.mode.set(.errcode(40008))
        let run = try f.publishAlert(minutes: 0)
        #expect(try f.runOnce(["--once"]).exitCode == 0)
        #expect(f.failed == ["\(run).alert@wecom.ndjson"])
        #expect(try f.dir.read("spool/outbox/failed/\(run).alert@wecom.ndjson.reason").contains("errcode 40008"))
        let list = try f.run(["list"])
        #expect(list.stdout.contains("outbox/failed: 1") && list.stdout.contains("errcode 40008"))
        f.mode.set(.ok)
        #expect(try f.run(["replay", "alert-\(run)"]).exitCode == 0)
        #expect(f.sent == ["\(run).alert@wecom.ndjson"] && f.failed.isEmpty)
    }

    @Test("an alert older than notify.max_age goes to failed/ instead of being sent")
    func expired() throws {
        let f = try NotifierFixture(notify: "max_age: 1d")
        try f.publishAlert(minutes: 0, createdAt: Date().addingTimeInterval(-2 * 86_400))
        #expect(try f.runOnce(["--once"]).exitCode == 0)
        #expect(f.failed.count == 1 && f.server.hits("/cgi-bin/webhook/send") == 0)
    }

    @Test("replay wakes a running service, which sends at once; --sent sends a delivered alert again")
    func replayWithService() throws {
        let f = try NotifierFixture(notify: "backoff_min: 1h\nbackoff_max: 2h")
        f.mode.set(.status(502))
        let service = try f.startService()
        defer {
            service.signal(SIGKILL)
            _ = service.wait()
        }
        let run = try f.publishAlert(minutes: 0)
        #expect(eventually(timeout: 10) { f.deferred.count == 1 })
        f.mode.set(.ok)
        let replay = try f.run(["replay", run])
        #expect(replay.stdout.contains("the notifier service (pid \(service.pid)) is delivering them now"), "\(replay.stdout)")
        #expect(eventually(timeout: 10) { f.sent.count == 1 })
        let again = try f.run(["replay", "--sent", run])
        #expect(again.exitCode == 0)
        #expect(eventually(timeout: 10) { f.acceptedRuns.count == 2 })
    }

    @Test("SIGKILL after the webhook accepted but before sent/ repeats the delivery and loses nothing")
    func killBeforeSent() throws {
        let f = try NotifierFixture()
        let run = try f.publishAlert(minutes: 0)
        let killed = try f.runOnce(["--once"], environment: ["VIGIL_CRASH_AT": "before-sent"])
        #expect(killed.termination == .signaled(SIGKILL))
        #expect(f.sent.isEmpty && f.acceptedRuns == [run])
        #expect(try f.runOnce(["--once"]).exitCode == 0)
        #expect(f.sent == ["\(run).alert@wecom.ndjson"])
        #expect(f.acceptedRuns == [run, run], "delivered twice at most, never lost")
        #expect(FileIO.listIfPresent(f.spool.outbox.curDirectory).isEmpty)
    }

    @Test("SIGKILL while a request is in flight loses nothing")
    func killInFlight() throws {
        let f = try NotifierFixture(notify: "timeout: 30s")
        f.mode.set(.hang)
        let run = try f.publishAlert(minutes: 0)
        let service = try f.startService()
        #expect(eventually(timeout: 10) { f.server.hits("/cgi-bin/webhook/send") == 1 })
        service.signal(SIGKILL)
        #expect(service.wait() == .signaled(SIGKILL))
        #expect(FileIO.listIfPresent(f.spool.outbox.curDirectory).count == 1, "the delivery was held in cur/")
        f.mode.set(.ok)
        #expect(try f.runOnce(["--once"]).exitCode == 0)
        #expect(f.sent == ["\(run).alert@wecom.ndjson"])
        #expect(FileIO.listIfPresent(f.spool.outbox.curDirectory).isEmpty)
    }
}
