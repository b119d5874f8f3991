// Ownership: the single-instance guard of the analyzer and the notifier that holds across hosts sharing a spool.
// flock on state/<role>.lock stays the fast local guard, but on a shared file system (GlusterFS after a brick or
// client restart, NFS on lease expiry) a lock is lost without its holder noticing. So the role is also held in
// state/owner-<role>.json (OwnerRecord): a starting instance refuses while another owner's heartbeat is fresh and
// otherwise takes over with the generation + 1; the owner rewrites its heartbeat every 5 s from its own thread
// (a long pass does not let it age); before each pass and before every commit it reads the record again (verify)
// and stops, committing nothing more, once the record names another owner.

import Foundation
import Synchronization

/// This process's hold on a single-instance role of a spool.
public final class Ownership: Sendable {
    /// How often the owner rewrites its heartbeat.
    public static let heartbeatInterval: TimeInterval = 5
    /// A heartbeat older than this means the owner is gone: another host may take over. Six heartbeats: a slow
    /// write on a shared file system is not a death, and hosts' clocks (NTP) agree far better than that.
    public static let defaultStaleAfter: TimeInterval = 30

    public let role: String
    /// state/owner-<role>.json
    public let path: String
    public let staleAfter: TimeInterval
    private let mode: mode_t
    private struct State {
        var record: OwnerRecord
        /// When this instance last wrote its heartbeat (its own clock).
        var lastBeat: Date
        var lost: OwnershipError?
        var stopped = false
        var beating = false
        var lastProblem: String?
        /// Since when the record has been missing (a remount shows an empty directory for a moment).
        var missingSince: Date?
        /// The last reason the role could not be checked (`mayWork`), so it is logged once, not every pass.
        var unverifiable: String?
    }

    private let state: Mutex<State>
    /// The owner this instance took the role from, when it was a process of another host: its claims left in
    /// `cur/` can be recovered now (it is gone, or will stop at its next check), not after the janitor's lease.
    public let previousOnOtherHost: ClaimOwner?
    private let wake = DispatchSemaphore(value: 0)
    /// Signalled when the heartbeat thread has ended (release waits for it: a beat must not follow the release).
    private let ended = DispatchSemaphore(value: 0)

    private init(record: OwnerRecord, path: String, staleAfter: TimeInterval, mode: mode_t, previous: OwnerRecord?) {
        role = record.role
        previousOnOtherHost = previous.flatMap { $0.host == record.host ? nil : ClaimOwner(host: $0.host, pid: $0.pid) }
        self.path = path
        self.staleAfter = staleAfter
        self.mode = mode
        state = Mutex(State(record: record, lastBeat: record.heartbeat))
    }

    /// The owner record file of `role` in `spool`.
    public static func path(role: String, spool: Spool) -> String { spool.stateDirectory + "/owner-\(role).json" }

    /// The generation this instance holds.
    public var generation: Int { state.withLock { $0.record.generation } }

    /// This instance's record as last written.
    public var record: OwnerRecord { state.withLock { $0.record } }

    /// Why this instance lost its role, once it has (then it must stop without committing).
    public var lost: OwnershipError? { state.withLock { $0.lost } }

    // MARK: Taking the role

    /// Whether the role may be taken from `current` at `now`, and why (for the log); nil while it is held.
    public static func takeOverReason(from current: OwnerRecord?, now: Date, staleAfter: TimeInterval) -> String? {
        guard let current else { return "no owner yet" }
        if current.released == true { return "it stopped cleanly" }
        if current.host == SpoolName.host && current.pid == getpid() { return "it is this process" }
        if current.isGoneFromThisHost { return "its process is gone from this host" }
        let age = current.age(now: now)
        return age >= staleAfter ? "its heartbeat is \(Int(age)) s old (stale after \(Int(staleAfter)) s)" : nil
    }

    /// Takes `role` of `spool` for this process: refused (`OwnershipError.held`) while another owner's heartbeat
    /// is fresh; otherwise writes this process's record with the generation + 1, reads it back (two instances that
    /// took over at the same moment: the later write wins, the other is refused here or at its next check) and
    /// logs a takeover. Call `startHeartbeats` next.
    public static func acquire(
        role: String, spool: Spool, staleAfter: TimeInterval = defaultStaleAfter, now: Date = Date()
    ) throws -> Ownership {
        let path = path(role: role, spool: spool)
        let current = try read(path)
        let reason = takeOverReason(from: current, now: now, staleAfter: staleAfter)
        if let current, reason == nil { throw OwnershipError.held(current, path: path, staleAfter: staleAfter) }
        let mine = OwnerRecord(
            role: role, host: SpoolName.host, pid: getpid(), startedAt: FileIO.processStartTime(getpid()) ?? now, heartbeat: now,
            generation: (current?.generation ?? 0) + 1)
        let ownership = Ownership(record: mine, path: path, staleAfter: staleAfter, mode: spool.permissions.fileMode, previous: current)
        try ownership.write(mine)
        guard let after = try read(path), after.names(mine) else {
            throw OwnershipError.held(try read(path) ?? mine, path: path, staleAfter: staleAfter)
        }
        if let current, current.released != true, !current.isGoneFromThisHost {
            Log.warning("taking over the \(role) role from \(current.identity): \(reason ?? "?"); this is generation \(mine.generation)")
        } else {
            Log.info("\(role) role: \(mine.identity) (\(reason ?? "?"))" + (current.map { "; before: \($0.identity)" } ?? ""))
        }
        return ownership
    }

    // MARK: Keeping it

    /// Checks that the record still names this instance (before a pass, before every commit). Throws
    /// `.superseded` or `.removed` (missing for staleAfter) when the role is lost (remembered: every later check
    /// throws it too), and
    /// `.unverifiable` when the record cannot be read now or this instance's own heartbeat has not been written
    /// for longer than staleAfter less one heartbeat (another host could take over any moment).
    public func verify(now: Date = Date()) throws {
        let (mine, lastBeat, lost) = state.withLock { ($0.record, $0.lastBeat, $0.lost) }
        if let lost { throw lost }
        try check(try Self.read(path), mine: mine, now: now)
        let silent = now.timeIntervalSince(lastBeat)
        if silent > staleAfter - Self.heartbeatInterval {
            throw OwnershipError.unverifiable(
                path: path,
                reason: "this instance's heartbeat was last written \(Int(silent)) s ago (another host takes over after \(Int(staleAfter)) s)")
        }
    }

    /// Whether this instance may work now (before a pass, before a commit): `verify`, logged as a service needs it.
    /// A lost role is logged and false (the service ends: `lost`); a role that cannot be checked now (an I/O error)
    /// is logged once with `consequence` and false until it can, which is logged once too.
    public func mayWork(now: Date = Date(), otherwise consequence: String) -> Bool {
        do {
            try verify(now: now)
            if let past = state.withLock({ state in
                defer { state.unverifiable = nil }
                return state.unverifiable
            }) {
                Log.notice("the \(role) role can be checked again (the error before was: \(past))")
            }
            return true
        } catch let error as OwnershipError where error.isLost {
            Log.error("\(error)")
            return false
        } catch {
            let text = "\(error)"
            if state.withLock({ state in
                defer { state.unverifiable = text }
                return state.unverifiable != text
            }) {
                Log.error("\(text); \(consequence)")
            }
            return false
        }
    }

    /// Rewrites the heartbeat if the record still names this instance (throws as `verify` does otherwise).
    public func beat(now: Date = Date()) throws {
        var mine = state.withLock { $0.record }
        if let lost { throw lost }
        try check(try Self.read(path), mine: mine, now: now)
        mine.heartbeat = now
        try write(mine)
        state.withLock {
            $0.record = mine
            $0.lastBeat = now
        }
    }

    /// Rewrites the heartbeat every `heartbeatInterval` on a thread of its own, so that a long pass never lets it
    /// grow stale. `onLost` is called once if the record names another owner; write errors are logged once each.
    public func startHeartbeats(every interval: TimeInterval = heartbeatInterval, onLost: @escaping @Sendable (OwnershipError) -> Void) {
        state.withLock { $0.beating = true }
        let thread = Thread { [self] in
            defer { ended.signal() }
            while true {
                _ = wake.wait(timeout: .now() + interval)
                if state.withLock({ $0.stopped }) { return }
                do {
                    try beat()
                    if let past = state.withLock({ s -> String? in
                        defer { s.lastProblem = nil }
                        return s.lastProblem
                    }) {
                        Log.notice("\(role) heartbeat written again (the error before was: \(past))")
                    }
                } catch let error as OwnershipError where error.isLost {
                    onLost(error)
                    return
                } catch {
                    let text = "\(error)"
                    let new = state.withLock { s -> Bool in
                        defer { s.lastProblem = text }
                        return s.lastProblem != text
                    }
                    if new { Log.error("\(role) heartbeat not written: \(text)") }
                }
            }
        }
        thread.name = "\(role)-heartbeat"
        thread.start()
    }

    /// Stops the heartbeats and, if the record still names this instance, marks it released so that a standby
    /// takes over at once (a clean stop). A lost role is left alone.
    public func release(now: Date = Date()) {
        let beating = state.withLock { s -> Bool in
            s.stopped = true
            return s.beating
        }
        wake.signal()
        // A beat in progress (a slow write) ends first, so that it cannot overwrite the released record.
        if beating, ended.wait(timeout: .now() + 10) == .timedOut {
            Log.warning("the \(role) heartbeat is still being written after 10 s; releasing the role all the same")
        }
        guard lost == nil,
            var mine = try? { () throws -> OwnerRecord in
                let mine = state.withLock { $0.record }
                try check(try Self.read(path), mine: mine, now: now)
                return mine
            }()
        else { return }
        mine.heartbeat = now
        mine.released = true
        do {
            try write(mine)
        } catch {
            Log.warning("cannot mark the \(role) role released in \(path): \(error); a standby takes over when its heartbeat is stale")
        }
    }

    // MARK: The record file

    /// Throws (and remembers) a lost role when `current` is not this instance's record.
    private func check(_ current: OwnerRecord?, mine: OwnerRecord, now: Date) throws {
        let error: OwnershipError
        if let current {
            state.withLock { $0.missingSince = nil }
            if current.names(mine) { return }
            error = .superseded(current, path: path, mine: mine)
        } else {
            // Missing for a moment (a client remounting shows an empty directory) is not lost: nothing is committed
            // until it is back, or until another instance takes over (its record then says so). Missing for as
            // long as a heartbeat may be silent, it is lost: this instance stops, and a new one takes the role.
            let since = state.withLock { state in
                if state.missingSince == nil { state.missingSince = now }
                return state.missingSince!
            }
            guard now.timeIntervalSince(since) >= staleAfter else {
                throw OwnershipError.unverifiable(
                    path: path,
                    reason: "it is missing since \(Int(now.timeIntervalSince(since))) s (a remount, or removed by hand); nothing is committed "
                        + "until it is back, and after \(Int(staleAfter)) s this instance stops")
            }
            error = .removed(path: path, mine: mine)
        }
        state.withLock { if $0.lost == nil { $0.lost = error } }
        throw error
    }

    private func write(_ record: OwnerRecord) throws {
        do {
            let writer = try AtomicFileWriter(path: path, mode: mode)
            try writer.line(try RecordCoding.encode(record))
            try writer.commit()
        } catch {
            throw OwnershipError.unverifiable(path: path, reason: "cannot write it: \(error)")
        }
    }

    /// The record at `path`; nil when there is none. An I/O error throws `.unverifiable`; a record that does not
    /// parse (edited by hand) reads as none, with a warning.
    public static func read(_ path: String) throws -> OwnerRecord? {
        let bytes: [UInt8]
        do {
            bytes = try FileIO.read(path)
        } catch let SpoolError.system(_, _, code) where code == ENOENT {
            return nil
        } catch {
            throw OwnershipError.unverifiable(path: path, reason: "cannot read it: \(error)")
        }
        do {
            return try RecordDecoder().decode(OwnerRecord.self, from: bytes.last == 10 ? bytes.dropLast() : bytes[...])
        } catch {
            Log.warning("\(path): not an owner record (\(error)); treated as no owner")
            return nil
        }
    }

    /// Every role's owner record in `spool` (for `orchestrator status`), by role.
    public static func records(in spool: Spool) -> [OwnerRecord] {
        FileIO.listIfPresent(spool.stateDirectory).filter { $0.hasPrefix("owner-") && $0.hasSuffix(".json") }.sorted()
            .compactMap { try? read(spool.stateDirectory + "/" + $0) }
    }
}
