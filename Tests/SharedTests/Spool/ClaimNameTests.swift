// Claim names on a real temporary spool: every claim gets its own name (`~host.pid.seq`), so two claims of one
// name (two hosts' manifests of a run) never replace each other; claims named the older way (`~host.pid`) are
// still read and recovered.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Spool claim names", .ownThread)
struct ClaimNameTests {
    @Test("two claims of the same name by the same process get different claim names and neither replaces the other")
    func sameNameTwice() throws {
        let dir = TemporaryDirectory("claimnames")
        let queue = try dir.spool().runs
        let name = "20261122T150000Z.run.ndjson"
        try queue.publish(name: name, bytes: Array("host A\n".utf8))
        let first = try #require(try queue.claim(name))
        // new/ no longer holds the name: the second host's publish succeeds, and this process claims it too.
        #expect(try queue.publish(name: name, bytes: Array("host B\n".utf8)) == .published(queue.newDirectory + "/" + name))
        let second = try #require(try queue.claim(name))

        #expect(first.path != second.path)
        #expect(first.name == name && second.name == name)
        #expect(try FileIO.read(first.path) == Array("host A\n".utf8), "the first claim is still there, unchanged")
        #expect(try FileIO.read(second.path) == Array("host B\n".utf8))
        #expect(Set(queue.claims(of: .current).map(\.path)) == [first.path, second.path])
        #expect(queue.pending().isEmpty)
        // Both can be archived: neither path went missing.
        try queue.move(first, to: dir.url("archive"), as: name + ".1")
        try queue.move(second, to: dir.url("archive"), as: name + ".2")
        #expect(FileIO.listIfPresent(queue.curDirectory).isEmpty)
    }

    @Test("a claim never renames over an existing claim of the same name")
    func neverOverAnExistingClaim() throws {
        let dir = TemporaryDirectory("noreplace")
        let queue = try dir.spool().runs
        try queue.publish(name: "a.ndjson", bytes: Array("new\n".utf8))
        // Squat the claim names the next sequences would give this process (other tests may take some of them).
        let owner = ClaimOwner.current
        let next = SpoolName.nextSequence()
        let squatted = (next + 1...next + 20).map { queue.curDirectory + "/a.ndjson" + owner.claimSuffix(sequence: $0) }
        for path in squatted { try Data("held\n".utf8).write(to: URL(fileURLWithPath: path)) }
        let claim = try #require(try queue.claim("a.ndjson"))
        #expect(!squatted.contains(claim.path))
        #expect(try FileIO.read(claim.path) == Array("new\n".utf8))
        for path in squatted { #expect(try FileIO.read(path) == Array("held\n".utf8), "\(path) was not replaced") }
    }

    @Test("claim names parse with and without the sequence; malformed tails are no claims")
    func parsing() {
        let owner = ClaimOwner(host: "web-1", pid: 4242)
        #expect(ClaimOwner.parse(claimedName: "x.run.ndjson" + owner.claimSuffix(sequence: 17))?.owner == owner)
        #expect(ClaimOwner.parse(claimedName: "x.run.ndjson" + owner.claimSuffix(sequence: 17))?.name == "x.run.ndjson")
        #expect(ClaimOwner.parse(claimedName: "x.run.ndjson~web-1.4242")?.owner == owner, "a claim named before sequences")
        #expect(ClaimOwner.parse(claimedName: "x.run.ndjson~web-1.4242")?.name == "x.run.ndjson")
        for bad in ["x.ndjson", "x~web-1", "x~web-1.abc", "x~web-1.4242.", "x~web-1.4242.z", "x~web-1.4242.1.2"] {
            #expect(ClaimOwner.parse(claimedName: bad) == nil, "\(bad)")
        }
    }

    @Test("claims of a dead process are requeued at start-up, named the old way or the new")
    func recoveryOfBothForms() throws {
        let dir = TemporaryDirectory("recoverforms")
        let queue = try dir.spool().outbox
        let victim = try ChildProcess(executable: "/bin/sleep", arguments: ["60"])
        let owner = ClaimOwner(host: SpoolName.host, pid: victim.pid)
        try queue.publish(name: "new-form.ndjson", bytes: Array("a\n".utf8))
        let claimed = try #require(try queue.claim("new-form.ndjson", by: owner))
        let entry = String(claimed.path.dropFirst(queue.curDirectory.count + 1))
        #expect(entry.hasPrefix("new-form.ndjson~\(SpoolName.host).\(victim.pid).") && ClaimOwner.parse(claimedName: entry)?.owner == owner)
        try Data("b\n".utf8).write(to: URL(fileURLWithPath: queue.curDirectory + "/old-form.ndjson" + owner.suffix))
        victim.signal(SIGKILL)
        #expect(victim.wait() == .signaled(SIGKILL))

        #expect(Set(queue.requeueOrphanedClaims()) == ["new-form.ndjson", "old-form.ndjson"])
        #expect(Set(queue.pending()) == ["new-form.ndjson", "old-form.ndjson"])
        #expect(FileIO.listIfPresent(queue.curDirectory).isEmpty)
    }
}
