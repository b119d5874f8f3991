// InterfaceHealthLine: what programs other than the analyzer read of one line of state/interfaces.ndjson —
// the interface's id, its health (ok or failing, after the thresholds), its last outcome and since when. The
// line's keys are InterfaceLineKey, spelled once here for the analyzer's writer and scanner
// (Sources/analyzer/Decide/InterfaceLine.swift) and this reader; members are read as JSON, never matched as bytes
// (a recovered line's `before` says failing).

import Foundation

/// The members of a line of state/interfaces.ndjson, in the order the analyzer writes them (`id` early, where
/// IDLine looks for it).
public enum InterfaceLineKey: String, WireKey {
    case v, kind, id, health, outcome, since, run
    case runStartedAt = "run_started_at"
    case error, pending
    case pendingSince = "pending_since"
    case unannounced, before
}

/// Healthy or not, as the analyzer last decided for an interface.
public enum InterfaceHealth: String, Codable, Sendable, Equatable {
    case ok
    case failing
}

/// One interface's line of state/interfaces.ndjson, as far as `orchestrator status` needs it.
public struct InterfaceHealthLine: Sendable, Equatable {
    /// The interface id (`service/name`).
    public var id: String
    /// Its own health: not the `before` snapshot's, which a recovery still carries.
    public var health: InterfaceHealth
    /// The outcome of the last probe (a failing interface's last probe may already be `ok`).
    public var outcome: Outcome
    /// When the interface entered `health`.
    public var since: Date

    public init(id: String, health: InterfaceHealth, outcome: Outcome, since: Date) {
        self.id = id
        self.health = health
        self.outcome = outcome
        self.since = since
    }

    /// The line's interface, or nil for another kind of line (the header, `"kind":"interface_state"`) and for a
    /// line that is not one the analyzer writes (torn, or missing a member).
    public static func scan(_ bytes: some Collection<UInt8>) -> InterfaceHealthLine? {
        JSONScanner.scan(bytes) { s -> InterfaceHealthLine? in
            var isInterface = false
            var id: String?
            var health: InterfaceHealth?
            var outcome: Outcome?
            var since: Date?
            try s.members(InterfaceLineKey.self) { key, s in
                switch key {
                case .kind?: isInterface = try s.string() == RecordKind.interface.rawValue
                case .id?: id = try s.string()
                case .health?: health = InterfaceHealth(rawValue: try s.string())
                case .outcome?: outcome = Outcome(rawValue: try s.string())
                case .since?: since = try s.timestamp()
                case .v?, .run?, .runStartedAt?, .error?, .pending?, .pendingSince?, .unannounced?, .before?, nil: try s.skipValue()
                }
            }
            guard isInterface, let id, let health, let outcome, let since else { return nil }
            return InterfaceHealthLine(id: id, health: health, outcome: outcome, since: since)
        } ?? nil
    }
}
