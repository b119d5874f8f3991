// InterfaceLine: one line of state/interfaces.ndjson — an interface's id and its InterfaceStatus — as bytes. The
// keys are InterfaceLineKey (Shared/State, where `orchestrator status` reads the same lines), written in the order
// the file has always had (`v`, `kind`, `id` first: IDLine finds the id among the first bytes); defaults (no
// pending streak, nothing unannounced) are left out. JSONDecoder reads the lines too (Decodable below).

import Foundation
import Shared

/// `{"v":1,"kind":"interface","id":…,"health":…,…}`.
struct InterfaceLine: Equatable, WireCodable {
    var id: String
    var status: InterfaceStatus

    static let wireOrder = InterfaceLineKey.allCases

    func write(_ key: InterfaceLineKey, into w: inout JSONWriter) {
        let name = key.rawValue
        switch key {
        case .v: w.field(name, RecordCoding.version)
        case .kind: w.field(name, RecordKind.interface.rawValue)
        case .id: w.field(name, id)
        case .health: w.field(name, status.health.rawValue)
        case .outcome: w.field(name, status.outcome.rawValue)
        case .since: w.field(name, status.since)
        case .run: w.field(name, status.run)
        case .runStartedAt: w.field(name, status.runStartedAt)
        case .error: w.field(name, status.error)
        case .pending: if status.pending > 0 { w.field(name, status.pending) }
        case .pendingSince: if status.pending > 0 { w.field(name, status.pendingSince) }
        case .unannounced: if status.unannounced { w.field(name, true) }
        case .before: if let before = status.before { w.object(name) { before.write(into: &$0) } }
        }
    }

    static func scan(_ s: inout JSONScanner) throws -> InterfaceLine {
        var id: String?
        var health: Health?
        var outcome: Outcome?
        var since: Date?
        var run: String?
        var started: Date?
        var status = InterfaceStatus(
            health: .ok, outcome: .ok, since: Date(timeIntervalSince1970: 0), run: "", runStartedAt: Date(timeIntervalSince1970: 0))
        try s.members(InterfaceLineKey.self) { key, s in
            guard let key else { return try s.skipValue() }
            switch key {
            // One kind of line under a header without an id: `v` and `kind` are not read per line (as ever).
            case .v, .kind: try s.skipValue()
            case .id: id = try s.string()
            case .health: health = Health(rawValue: try s.string())
            case .outcome: outcome = Outcome(rawValue: try s.string())
            case .since: since = try s.timestamp()
            case .run: run = try s.string()
            case .runStartedAt: started = try s.timestamp()
            case .error: status.error = s.null() ? nil : try s.string()
            case .pending: status.pending = try s.int()
            case .pendingSince: status.pendingSince = try s.timestamp()
            case .unannounced: status.unannounced = try s.bool()
            case .before: status.before = try StatusSnapshot.scanIfComplete(&s)
            }
        }
        guard let id, let health, let outcome, let since, let run, let started else { throw JSONScanner.Mismatch() }
        (status.health, status.outcome, status.since, status.run, status.runStartedAt) = (health, outcome, since, run, started)
        return InterfaceLine(id: id, status: status)
    }
}

extension InterfaceLine: Decodable {
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: InterfaceLineKey.self)
        guard try c.decode(String.self, forKey: .kind) == RecordKind.interface.rawValue else {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "not an interface line")
        }
        id = try c.decode(String.self, forKey: .id)
        status = InterfaceStatus(
            health: try c.decode(Health.self, forKey: .health), outcome: try c.decode(Outcome.self, forKey: .outcome),
            since: try c.decode(Date.self, forKey: .since), run: try c.decode(String.self, forKey: .run),
            runStartedAt: try c.decode(Date.self, forKey: .runStartedAt), error: try c.decodeIfPresent(String.self, forKey: .error),
            before: try c.decodeIfPresent(StatusSnapshot.self, forKey: .before),
            pending: try c.decodeIfPresent(Int.self, forKey: .pending) ?? 0,
            pendingSince: try c.decodeIfPresent(Date.self, forKey: .pendingSince),
            unannounced: try c.decodeIfPresent(Bool.self, forKey: .unannounced) ?? false)
    }
}

/// The members of an interface line's `before` object.
enum SnapshotKey: String, WireKey {
    case health, outcome, since, run, pending
    case pendingSince = "pending_since"
}

extension StatusSnapshot: WireCodable, Decodable {
    static let wireOrder = SnapshotKey.allCases

    func write(_ key: SnapshotKey, into w: inout JSONWriter) {
        let name = key.rawValue
        switch key {
        case .health: w.field(name, health.rawValue)
        case .outcome: w.field(name, outcome.rawValue)
        case .since: w.field(name, since)
        case .run: w.field(name, run)
        case .pending: if pending > 0 { w.field(name, pending) }
        case .pendingSince: if pending > 0 { w.field(name, pendingSince) }
        }
    }

    static func scan(_ s: inout JSONScanner) throws -> StatusSnapshot {
        guard let snapshot = try scanIfComplete(&s) else { throw JSONScanner.Mismatch() }
        return snapshot
    }

    /// The object at the scanner, consumed whole; nil when it lacks a member the analyzer always writes (an
    /// interface line with such a `before` is read without one, as it always was).
    static func scanIfComplete(_ s: inout JSONScanner) throws -> StatusSnapshot? {
        var health: Health?
        var outcome: Outcome?
        var since: Date?
        var run: String?
        var pending = 0
        var pendingSince: Date?
        try s.members(SnapshotKey.self) { key, s in
            switch key {
            case .health?: health = Health(rawValue: try s.string())
            case .outcome?: outcome = Outcome(rawValue: try s.string())
            case .since?: since = try s.timestamp()
            case .run?: run = try s.string()
            case .pending?: pending = try s.int()
            case .pendingSince?: pendingSince = try s.timestamp()
            case nil: try s.skipValue()
            }
        }
        guard let health, let outcome, let since, let run else { return nil }
        return StatusSnapshot(health: health, outcome: outcome, since: since, run: run, pending: pending, pendingSince: pendingSince)
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: SnapshotKey.self)
        health = try c.decode(Health.self, forKey: .health)
        outcome = try c.decode(Outcome.self, forKey: .outcome)
        since = try c.decode(Date.self, forKey: .since)
        run = try c.decode(String.self, forKey: .run)
        pending = try c.decodeIfPresent(Int.self, forKey: .pending) ?? 0
        pendingSince = try c.decodeIfPresent(Date.self, forKey: .pendingSince)
    }
}
