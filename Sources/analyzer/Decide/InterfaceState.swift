// InterfaceState: the last known status of every interface (ok or failing, and since when) and the last
// alerts, in state/interfaces.ndjson. Applying a run is idempotent: each entry remembers the run that set it
// and what it was before, so a run redone after a crash compares against the same "before" and yields the
// same transitions. A run older than what an entry already reflects leaves that entry alone.

import Foundation
import Shared

/// Healthy or not, as the team sees it (Shared/State: `orchestrator status` reads it too).
typealias Health = InterfaceHealth

/// What an interface looked like before a run.
struct StatusSnapshot: Equatable {
    var health: Health
    var outcome: Outcome
    var since: Date
    var run: String
    /// Consecutive samples against `health` not yet enough to change it (failure/success thresholds).
    var pending = 0
    /// When the first of those samples was taken: where the change starts once confirmed.
    var pendingSince: Date?
}

/// The state of one interface after the run that last touched it (on disk: InterfaceLine).
struct InterfaceStatus: Equatable {
    var health: Health
    var outcome: Outcome
    var since: Date
    var run: String
    var runStartedAt: Date
    var error: String?
    var before: StatusSnapshot?
    var pending = 0
    /// When the first of the `pending` samples was taken (nil when none is pending).
    var pendingSince: Date?
    /// A change happened while the interface was silenced (or in maintenance): announce it once that ends.
    var unannounced = false

    var snapshot: StatusSnapshot {
        StatusSnapshot(health: health, outcome: outcome, since: since, run: run, pending: pending, pendingSince: pendingSince)
    }
}

/// A run that raised an alert.
struct AlertMark: Codable, Equatable {
    var run: String
    var at: Date
    /// For a "monitoring incomplete" alert: what was missing (AlertPolicy.incompleteCause), so the same cause is
    /// paged once and reminded at repeat_interval, not every run.
    var cause: String?
    /// For a "monitoring complete again" alert: the announced cause ended.
    var restored: Bool?
}

/// What the analyzer holds of state/interfaces.ndjson: its header's alerts. The file is a header line
/// (StateHeader), then one line per interface in id order, so that `jq` and `grep` work on it and RunPass joins
/// it with a run's results as a stream — the interface lines are never held.
struct StateFile {
    /// The most recent alerts (newest last), to time reminders.
    var alerts: [AlertMark] = []

    /// The last alert before `run` (ignoring `run`'s own, which a redo may already have recorded).
    func lastAlert(before run: String) -> AlertMark? {
        alerts.last { $0.run != run }
    }
}

/// Transitions of a run against the state, and the state after it.
struct StateChanges {
    var transitions: [Transition] = []
    /// Interfaces failing both before and after this run.
    var stillFailing: [Transition] = []
    var updated: StateFile
}

enum StateTransitions {
    /// One result against the interface's entry before the run: the entry after it and the change, if any; nil
    /// when the entry already reflects a newer run (a run older than the state leaves it alone).
    /// `thresholds`: how many consecutive failing / passing samples change its health (1: the first).
    static func step(
        _ result: ProbeResult, entry: InterfaceStatus?, run: String, runStartedAt: Date, thresholds: (failure: Int, success: Int)
    ) -> (status: InterfaceStatus, transition: Transition?)? {
        if let entry, entry.run != run, entry.runStartedAt > runStartedAt { return nil }
        let previous: StatusSnapshot? = entry.map { $0.run == run ? $0.before : $0.snapshot } ?? nil
        let (health, pending, pendingSince, changeStart) = debounce(result, previous: previous, thresholds: thresholds)
        let changed = previous?.health != health
        let since = changed ? changeStart : (previous?.since ?? result.startedAt)
        let outcome = result.outcome == .skipped ? (previous?.outcome ?? .skipped) : result.outcome
        let status = InterfaceStatus(
            health: health, outcome: outcome, since: since, run: run, runStartedAt: runStartedAt,
            error: result.error, before: previous, pending: pending, pendingSince: pendingSince, unannounced: entry?.unannounced ?? false)
        let change = change(from: previous, to: health, result: result, pending: pending)
        guard let change else { return (status, nil) }
        var transition = Transition(
            id: result.id, service: result.service, name: result.name, method: result.method,
            url: result.url, change: change, outcome: result.outcome,
            previousOutcome: previous?.outcome, status: result.status, error: result.error,
            since: since)
        if change == .recovered { transition.downSince = previous?.since }
        return (status, transition)
    }

    /// The health after one sample: a sample against the current health changes it only after `threshold` of them
    /// in a row (debounce); a new interface counts as ok until a failure is confirmed. A confirmed change is dated
    /// from its streak's first sample (with failure_threshold 2 an incident starts when it broke, not one interval
    /// later). A skipped probe is no sample: the verdict stands.
    private static func debounce(_ result: ProbeResult, previous: StatusSnapshot?, thresholds: (failure: Int, success: Int))
        -> (health: Health, pending: Int, pendingSince: Date?, changeStart: Date)
    {
        if result.outcome == .skipped {
            return (previous?.health ?? .failing, previous?.pending ?? 0, previous?.pendingSince, result.startedAt)
        }
        let sample: Health = result.outcome == .ok ? .ok : .failing
        let current = previous?.health ?? .ok
        if sample == current { return (current, 0, nil, result.startedAt) }
        let pending = (previous?.pending ?? 0) + 1
        let streakStart = pending > 1 ? (previous?.pendingSince ?? result.startedAt) : result.startedAt
        if pending >= (sample == .failing ? thresholds.failure : thresholds.success) {
            return (sample, 0, nil, streakStart)
        }
        return (current, pending, streakStart, result.startedAt)
    }

    /// What the team hears of going from `previous` to `health` with this result, if anything.
    private static func change(from previous: StatusSnapshot?, to health: Health, result: ProbeResult, pending: Int) -> StateChange? {
        switch (previous?.health, health) {
        case (.failing?, .ok): return .recovered
        case (.failing?, .failing) where previous?.outcome.kind?.pages == false && result.outcome.kind?.pages == true:
            // From a certificate, a file to fix or one location's view to an outage: news, paged now.
            return .newFailure
        case (.failing?, .failing): return .stillFailing
        case (_, .failing) where result.outcome != .skipped && pending == 0: return .newFailure
        default: return nil
        }
    }
}
