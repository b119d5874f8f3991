// The waiter wakes on a published file (inotify), on wake(), and on its rescan timer.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Waiter", .ownThread)
struct WaiterTests {
    @Test("a file linked into new/ wakes the waiter well before its rescan timeout")
    func wakesOnPublish() throws {
        let dir = TemporaryDirectory("waiter")
        let queue = try dir.spool().results
        let waiter = Waiter(directories: [queue.newDirectory])
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) {
            _ = try? queue.publish(name: "w.ndjson", bytes: [10])
        }
        let started = Date()
        #expect(waiter.wait(timeout: 30) == .files)
        #expect(Date().timeIntervalSince(started) < 20)
    }

    @Test("wake() interrupts a wait and the timer ends an idle one")
    func wakeAndTimeout() throws {
        let dir = TemporaryDirectory("waiter2")
        let queue = try dir.spool().results
        let waiter = Waiter(directories: [queue.newDirectory])
        #expect(waiter.wait(timeout: 0.05) == .timeout)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) { waiter.wake() }
        #expect(waiter.wait(timeout: 30) == .woken)
    }
}
