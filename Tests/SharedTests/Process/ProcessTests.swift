// Child processes and sd_notify, against real processes and a real Unix datagram socket.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Processes and systemd", .ownThread)
struct ProcessTests {
    @Test("a child's exit code, stdout and stderr lines are reported")
    func childOutput() throws {
        let lines = LineCollector()
        let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "echo out; echo err1 >&2; echo err2 >&2; exit 3"],
            stdout: .capture, stderr: .lines { lines.append($0) })
        #expect(child.wait() == .exited(3))
        #expect(child.output() == "out\n")
        #expect(lines.lines == ["err1", "err2"])
    }

    @Test("a claim's holder is a live process that started before the claim: a reused pid is not the holder")
    func claimHolder() throws {
        let claimedLongAgo = Date().addingTimeInterval(-3600)
        let child = try ChildProcess(executable: "/bin/sleep", arguments: ["30"])
        defer {
            child.signal(SIGKILL)
            _ = child.wait()
        }
        let started = try #require(FileIO.processStartTime(child.pid))
        #expect(abs(started.timeIntervalSinceNow) < 60, "\(started)")
        #expect(FileIO.processHolds(child.pid, claimedAt: Date().addingTimeInterval(5)), "started before the claim: the holder")
        #expect(!FileIO.processHolds(child.pid, claimedAt: claimedLongAgo), "started an hour after the claim: a reused pid")
        #expect(FileIO.processHolds(getpid(), claimedAt: Date()))
        child.signal(SIGKILL)
        _ = child.wait()
        #expect(!FileIO.processHolds(child.pid, claimedAt: Date()), "gone")
    }

    @Test("a child does not inherit the parent's ignored SIGTERM")
    func signalDispositionsReset() throws {
        let watcher = SignalWatcher([SIGTERM])  // the parent now ignores SIGTERM
        let ready = LineCollector()
        // The shell says when it runs (past exec), then becomes sleep with the dispositions it inherited.
        let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "echo ready >&2; exec sleep 30"],
            stderr: .lines { ready.append($0) })
        #expect(eventually(timeout: 10) { ready.lines == ["ready"] })
        child.signal(SIGTERM)
        #expect(child.wait(timeout: 5) == .signaled(SIGTERM))
        _ = watcher
    }

    @Test("sd_notify datagrams arrive on a path socket and on an abstract socket", arguments: [false, true])
    func notify(abstract: Bool) throws {
        let dir = TemporaryDirectory("notify")
        let name = abstract ? "@vigil-test-\(getpid())-\(UInt32.random(in: 0 ... .max))" : dir.url("notify.sock")
        let receiver = try DatagramReceiver(name)
        let notifier = try #require(SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": name, "WATCHDOG_USEC": "2000000"]))
        #expect(notifier.watchdogInterval == 1.0)
        notifier.ready(status: "started")
        notifier.watchdog()
        notifier.status("last run ok\nnext 15:15")
        notifier.stopping()
        #expect(receiver.receive() == "READY=1\nSTATUS=started")
        #expect(receiver.receive() == "WATCHDOG=1")
        #expect(receiver.receive() == "STATUS=last run ok\\nnext 15:15")
        #expect(receiver.receive() == "STOPPING=1")
    }

    @Test("the watchdog is off when WATCHDOG_PID names another process")
    func watchdogPid() {
        let n = SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "1000", "WATCHDOG_PID": "1"])
        #expect(n?.watchdogInterval == nil)
        #expect(SystemdNotifier.fromEnvironment([:]) == nil)
    }
}
