// Transient errors and the back-off consumers take after one, in process on an injected clock: which errors
// say nothing about a file's content (never quarantine), and how long a consumer waits before trying again.

import Foundation
import Shared
import Testing

@Suite("Transient errors and back-off, in process")
struct RetryBackOffTests {
    @Test(
        "no space, the disk floor, EIO, a file system gone and a lock are transient; content and a refused path are not",
        arguments: [
            (SpoolError.diskFull(path: "/s", freeBytes: 1, floorBytes: 2), true),
            (SpoolError.system(operation: "write", path: "/s", errno: ENOSPC), true),
            (SpoolError.system(operation: "read", path: "/s", errno: EIO), true),
            (SpoolError.system(operation: "open", path: "/s", errno: ENOTCONN), true),
            (SpoolError.system(operation: "open", path: "/s", errno: ESTALE), true),
            (SpoolError.system(operation: "flock", path: "/s", errno: ENOLCK), true),
            (SpoolError.system(operation: "open", path: "/s", errno: ENOENT), false),
            (SpoolError.system(operation: "open", path: "/s", errno: EACCES), false),
            (SpoolError.invalidFile(path: "/s", reason: "no trailer"), false),
        ])
    func transient(_ error: SpoolError, _ expected: Bool) {
        #expect(SpoolError.isTransient(error) == expected, "\(error)")
    }

    @Test("a content error from another area is never transient")
    func otherErrors() {
        struct Garbled: Error {}
        #expect(!SpoolError.isTransient(Garbled()))
    }

    @Test("the wait doubles from 5 s to at most 5 min, a repeated error is not new, and a pass that works resets it")
    func backOff() {
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        var b = RetryBackOff()
        #expect(b.mayTry(at: now) && b.retryAt == nil)
        var waits: [TimeInterval] = []
        for i in 0..<9 { waits.append(b.failed(at: now.addingTimeInterval(Double(i)), error: "ENOSPC")) }
        #expect(waits == [5, 10, 20, 40, 80, 160, 300, 300, 300])
        #expect(!b.isNewError, "the same error again is logged once")
        #expect(!b.mayTry(at: now.addingTimeInterval(8 + 299)) && b.mayTry(at: now.addingTimeInterval(8 + 300)))
        _ = b.failed(at: now, error: "EIO")
        #expect(b.isNewError, "another error is new")
        #expect(b.succeeded() == "EIO")
        #expect(b.retryAt == nil && b.mayTry(at: now) && b.succeeded() == nil)
    }
}
