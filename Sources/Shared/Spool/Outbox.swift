// Outbox: the notifier's side rooms beside outbox/{tmp,new,cur} — deferred/, failed/ and sent/ — and the one
// rule they follow: a deferred delivery's file mtime is its next attempt. The notifier postpones, fails and
// marks sent through it; `notifier replay` and `orchestrator spool requeue` make deliveries due and restore
// failed ones through it, so the rule lives in one place.

import Foundation

public struct Outbox: Sendable {
    public let spool: Spool

    public init(spool: Spool) {
        self.spool = spool
    }

    private var mode: mode_t { spool.permissions.fileMode }
    public var deferredDirectory: String { spool.deferredDirectory }
    public var failedDirectory: String { spool.failedDirectory }
    public var sentDirectory: String { spool.sentDirectory }

    /// Deliveries waiting in deferred/, failed/ and sent/ (file names, sorted; `.reason` notes left out).
    public var deferred: [String] { Self.deliveries(in: spool.deferredDirectory) }
    public var failed: [String] { Self.deliveries(in: spool.failedDirectory) }
    public var sent: [String] { Self.deliveries(in: spool.sentDirectory) }

    private static func deliveries(in directory: String) -> [String] {
        FileIO.listIfPresent(directory).filter { $0.hasSuffix(".ndjson") }
    }

    /// Writes a delivery to deferred/ with `next` as its next attempt (the file's mtime).
    public func postpone(_ name: String, bytes: [UInt8], until next: Date) throws {
        let target = spool.deferredDirectory + "/" + name
        try FileIO.replaceAtomically(target, with: bytes, mode: mode)
        try FileIO.setModificationTime(target, to: next)
    }

    /// The next attempt of a deferred delivery.
    public func nextAttempt(of name: String) -> Date? {
        FileIO.status(spool.deferredDirectory + "/" + name)?.modificationDate
    }

    /// Deferred deliveries whose next attempt has come (a millisecond of slack: a time written to an mtime
    /// comes back rounded, and "due now" must read as due).
    public func due(now: Date) -> [String] {
        deferred.filter { nextAttempt(of: $0).map { $0 <= now.addingTimeInterval(0.001) } ?? false }
    }

    /// Makes a deferred delivery due now.
    public func makeDue(_ name: String, now: Date = Date()) throws {
        try FileIO.setModificationTime(spool.deferredDirectory + "/" + name, to: now)
    }

    /// Writes a delivery to failed/ with its `.reason` note (the note first: a failed file always explains itself).
    public func fail(_ name: String, bytes: [UInt8], note: String) throws {
        let target = spool.failedDirectory + "/" + name
        try FileIO.replaceAtomically(target + ".reason", with: Array(note.utf8), mode: mode)
        try FileIO.replaceAtomically(target, with: bytes, mode: mode)
    }

    /// The `reason:` line of a failed delivery's note.
    public func failureReason(of name: String) -> String? {
        guard let note = try? FileIO.read(spool.failedDirectory + "/" + name + ".reason") else { return nil }
        return String(decoding: note, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("reason: ") }.map { String($0.dropFirst(8)) }
    }

    /// Moves a failed delivery back to deferred/, due now, its note removed; false if it was not there.
    @discardableResult
    public func restore(_ name: String, now: Date = Date()) throws -> Bool {
        guard try FileIO.rename(spool.failedDirectory + "/" + name, spool.deferredDirectory + "/" + name) else { return false }
        try? FileIO.unlink(spool.failedDirectory + "/" + name + ".reason")
        try makeDue(name, now: now)
        return true
    }

    /// Writes the audit copy of a delivered alert to sent/.
    public func markSent(_ name: String, bytes: [UInt8]) throws {
        try FileIO.replaceAtomically(spool.sentDirectory + "/" + name, with: bytes, mode: mode)
    }
}

/// Where the alert of each run is now, in words (`orchestrator status`): an alert is "sent" only once a
/// delivery of it is in sent/, never because the analyzer published it.
public struct AlertWhereabouts: Sendable {
    private let waiting: [String], claimed: [String], deferred: [String], failed: [String], sent: [String]

    /// One listing of every room of `spool`'s outbox.
    public init(_ spool: Spool) {
        let outbox = spool.deliveries
        waiting = spool.outbox.pending()
        claimed = FileIO.listIfPresent(spool.outbox.curDirectory)
        deferred = outbox.deferred
        failed = outbox.failed
        sent = outbox.sent
    }

    /// `waiting in outbox/new (…)`, `being delivered`, `deferred (2 of 3 channels)`, `sent`, … for the alert of
    /// `run`; "not found" when retention removed it or an operator purged it.
    public func describe(run: String) -> String {
        func count(_ names: [String]) -> Int { names.filter { $0.hasPrefix(run + ".") }.count }
        let (new, cur, late, refused, done) = (count(waiting), count(claimed), count(deferred), count(failed), count(sent))
        var parts: [String] = []
        if new > 0 { parts.append("waiting in outbox/new (is the notifier running?)") }
        if cur > 0 { parts.append("being delivered") }
        if late > 0 { parts.append("deferred for \(late) channel(s) (notifier list)") }
        if refused > 0 { parts.append("failed for \(refused) channel(s), waiting for an operator (notifier replay)") }
        if done > 0 { parts.append(parts.isEmpty ? "sent" : "sent to \(done) channel(s)") }
        return parts.isEmpty ? "not in the outbox (pruned or purged)" : parts.joined(separator: "; ")
    }
}

extension Spool {
    /// deferred/, failed/ and sent/ of the outbox, with their rules.
    public var deliveries: Outbox { Outbox(spool: self) }
}
