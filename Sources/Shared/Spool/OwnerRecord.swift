// OwnerRecord: who holds a single-instance role (analyzer, notifier) of a spool, in state/owner-<role>.json —
// host, pid, process start, heartbeat, generation — and OwnershipError, what an instance is told when the role
// is not (or no longer) its own. Ownership keeps the record; `orchestrator status` reads it.

import Foundation

/// `{"v":1,"kind":"owner","role":"analyzer","host":…,"pid":…,"started_at":…,"heartbeat":…,"generation":3}`
public struct OwnerRecord: Codable, Sendable, Equatable {
    public var v = 1
    public var kind = RecordKind.owner.rawValue
    /// The role held: `analyzer` or `notifier`.
    public var role: String
    public var host: String
    public var pid: Int32
    /// When the owning process started (tells a live owner from a later process that reuses its pid).
    public var startedAt: Date
    /// The owner's last sign of life; rewritten every `Ownership.heartbeatInterval`.
    public var heartbeat: Date
    /// One more at every change of owner: an instance whose generation is no longer the record's has lost the role.
    public var generation: Int
    /// Set by a clean stop: the role is free at once, nobody has to wait for the heartbeat to grow old.
    public var released: Bool?
    /// The owner's pid namespace (`pid:[4026531836]`): two containers that share a host name do not judge each
    /// other's pids.
    public var pidNamespace: String?

    enum CodingKeys: String, CodingKey {
        case v, kind, role, host, pid
        case startedAt = "started_at"
        case heartbeat, generation, released
        case pidNamespace = "pid_namespace"
    }

    /// This process's pid namespace, nil where /proc does not say.
    public static let currentPidNamespace: String? = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")

    /// An owner record for this process.
    public init(role: String, host: String, pid: Int32, startedAt: Date, heartbeat: Date, generation: Int) {
        self.role = role
        self.host = host
        self.pid = pid
        self.startedAt = startedAt
        self.heartbeat = heartbeat
        self.generation = generation
        pidNamespace = host == SpoolName.host && pid == getpid() ? Self.currentPidNamespace : nil
    }

    /// Seconds since the heartbeat, on the reader's clock (negative when the writer's clock is ahead).
    public func age(now: Date = Date()) -> TimeInterval { now.timeIntervalSince(heartbeat) }

    /// Whether the record names the same owner (host, pid and generation) as `other`.
    public func names(_ other: OwnerRecord) -> Bool {
        host == other.host && pid == other.pid && generation == other.generation
    }

    /// "host B pid 4242 generation 3" — for messages.
    public var identity: String { "host \(host) pid \(pid) generation \(generation)" }

    /// Whether the owner is gone for sure: released, or a process of this host (and pid namespace) that no longer
    /// runs (the pid is gone, or reused by a process started later). Another host's process can only be judged by
    /// its heartbeat.
    public var isGoneFromThisHost: Bool {
        if released == true { return true }
        guard host == SpoolName.host, pidNamespace == nil || pidNamespace == Self.currentPidNamespace else { return false }
        guard FileIO.processExists(pid) else { return true }
        guard let started = FileIO.processStartTime(pid) else { return false }
        return abs(started.timeIntervalSince(startedAt)) > 2
    }
}

/// Why an instance may not (or may no longer) act for its role.
public enum OwnershipError: Error, CustomStringConvertible, Sendable {
    /// Another owner's heartbeat is fresh: this instance must not start.
    case held(OwnerRecord, path: String, staleAfter: TimeInterval)
    /// The record names another owner now: this instance has lost the role and must stop without committing.
    case superseded(OwnerRecord, path: String, mine: OwnerRecord)
    /// The record is gone (removed by hand, or a file system that lost it): the role is no longer provably ours.
    case removed(path: String, mine: OwnerRecord)
    /// The record cannot be read or written now (an I/O error, a file system gone), or this instance's heartbeat
    /// has not been written for too long: commit nothing until it can be checked again.
    case unverifiable(path: String, reason: String)

    /// Whether this instance has lost its role for good (it must stop), rather than for now.
    public var isLost: Bool {
        switch self {
        case .superseded, .removed: return true
        case .held, .unverifiable: return false
        }
    }

    public var description: String {
        switch self {
        case let .held(owner, path, staleAfter):
            return "another \(owner.role) owns \(path): \(owner.identity), heartbeat \(Self.age(owner)); one \(owner.role) per spool "
                + "(it is taken over once its heartbeat is older than \(Int(staleAfter)) s, or at once when it stops cleanly)"
        case let .superseded(owner, path, mine):
            return "no longer the \(mine.role) owner (now \(owner.identity), heartbeat \(Self.age(owner)); this one was "
                + "\(mine.identity)) in \(path): stopping without committing anything more"
        case let .removed(path, mine):
            return "\(path) is gone: the \(mine.role) role is no longer provably this one's (\(mine.identity)); "
                + "stopping without committing anything more"
        case let .unverifiable(path, reason):
            return "cannot check the owner record \(path): \(reason); committing nothing until it can be checked"
        }
    }

    private static func age(_ owner: OwnerRecord, now: Date = Date()) -> String {
        let age = owner.age(now: now)
        if owner.released == true { return "released \(Int(age)) s ago" }
        return age < 0 ? "\(Int(-age)) s in the future (is a clock off?)" : "\(Int(age)) s ago"
    }
}
