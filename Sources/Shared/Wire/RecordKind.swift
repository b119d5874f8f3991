// RecordKind: every `kind` a line of the spool can have, as one closed set. Records take their `kind` from it and
// readers dispatch on it, so a kind is spelled once; docs/spool-protocol.md's table lists the same names.

/// The `kind` of a spool record line.
public enum RecordKind: String, Sendable, CaseIterable {
    // Queues and their stubs.
    case result, batch, run, alert
    case shardFailed = "shard_failed"
    case delivery
    case quarantinedLine = "quarantined_line"
    // State the programs keep.
    case runSummary = "run_summary"
    case silence, owner, breaker, token
    case interface
    case interfaceState = "interface_state"
    case interfaceDay = "interface_day"
    case historyDay = "history_day"
    case historyRecent = "history_recent"
    case interfaceRecent = "interface_recent"
    case historyDayServices = "history_day_services"
    case incident
    case orchestratorState = "orchestrator_state"
    case orchestratorRun = "orchestrator_run"

    /// Whether a line of this kind ends a batch (its trailer, or the orchestrator's stub for it).
    public var endsBatch: Bool { self == .batch || self == .shardFailed }
}
