// spool.rescan and watches that survive remounts: the rescan deadline counts from a pass's start, a watched
// directory replaced under the waiter is watched again, and listing errors are rate-limited.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Rescan and re-watching", .ownThread)
struct RescanTests {
    @Test("the rescan deadline is counted from the start of a pass, not from its end")
    func deadlineFromPassStart() {
        let start = Date()
        // A 4 s pass with a 30 s rescan leaves 26 s, not 30.
        #expect(ServiceRunner.sleepTimeout(passStarted: start, now: start + 4, rescan: 30, requested: nil) == 26)
        // A pass longer than the rescan period rescans at once.
        #expect(ServiceRunner.sleepTimeout(passStarted: start, now: start + 45, rescan: 30, requested: nil) == 0)
        // A pass's own earlier wake-up wins; a later one is capped by the rescan deadline.
        #expect(ServiceRunner.sleepTimeout(passStarted: start, now: start + 1, rescan: 3, requested: 0.5) == 0.5)
        #expect(ServiceRunner.sleepTimeout(passStarted: start, now: start + 1, rescan: 3, requested: 60) == 2)
    }

    @Test("spool.rescan is read as a duration within 200ms–1h, 30 s by default")
    func configKey() throws {
        let dir = TemporaryDirectory("rescan-config")
        let good = try dir.write("good.yaml", "spool:\n  dir: spool\n  rescan: 3s\n")
        #expect(try ConfigLoader.load(path: good, environment: [:]).spool.rescan == 3)
        let plain = try dir.write("plain.yaml", "spool:\n  dir: spool\n")
        #expect(try ConfigLoader.load(path: plain, environment: [:]).spool.rescan == 30)
        let fast = try dir.write("fast.yaml", "spool:\n  dir: spool\n  rescan: 250ms\n")
        #expect(try ConfigLoader.load(path: fast, environment: [:]).spool.rescan == 0.25)
        let tooFast = try dir.write("too-fast.yaml", "spool:\n  dir: spool\n  rescan: 50ms\n")
        #expect(throws: ConfigError.self) { try ConfigLoader.load(path: tooFast, environment: [:]) }
        let bad = try dir.write("bad.yaml", "spool:\n  dir: spool\n  rescan: 2h\n")
        let error = try #require(throws: ConfigError.self) { try ConfigLoader.load(path: bad, environment: [:]) }
        #expect("\(error)".contains("spool.rescan"), "\(error)")
    }

    @Test("a watched directory replaced by another (as a remount does) is watched again, and its files wake the waiter")
    func rewatchesReplacedDirectory() throws {
        let dir = TemporaryDirectory("rewatch")
        let queue = try dir.spool().results
        let waiter = Waiter(directories: [queue.newDirectory])
        #expect(waiter.refreshWatches().isEmpty, "nothing changed yet")
        try FileIO.rename(queue.newDirectory, queue.newDirectory + ".old")
        try FileIO.makeDirectory(queue.newDirectory, mode: 0o700)
        #expect(waiter.refreshWatches() == [queue.newDirectory])
        #expect(waiter.refreshWatches().isEmpty, "watched again once, not at every rescan")
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) {
            _ = try? queue.publish(name: "w.ndjson", bytes: [10])
        }
        #expect(waiter.wait(timeout: 30) == .files, "the new directory's watch sees the file")
    }

    @Test("a listing error other than 'not found' is logged once a minute per error and reads as empty")
    func listingErrorsRateLimited() throws {
        let limiter = ListingErrors(period: 60)
        let now = Date()
        #expect(limiter.shouldLog("cannot list a: ENOTCONN", now: now))
        #expect(!limiter.shouldLog("cannot list a: ENOTCONN", now: now + 30))
        #expect(limiter.shouldLog("cannot list a: EIO", now: now + 30), "another error is logged on its own")
        #expect(limiter.shouldLog("cannot list a: ENOTCONN", now: now + 61))
        let dir = TemporaryDirectory("listing")
        let file = try dir.write("not-a-directory", "x")
        #expect(FileIO.listReportingErrors(file).isEmpty)
        #expect(FileIO.listReportingErrors(dir.url("missing")).isEmpty)
    }
}
