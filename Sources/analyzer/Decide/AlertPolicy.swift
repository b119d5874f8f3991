// AlertPolicy: whether a run deserves an alert. In `change` mode: interfaces newly failing or recovered,
// a reminder every repeat_interval while some stay failed, and an incomplete run (shards missing, or blind
// gaps before it: scheduled runs that never ran) as a monitoring failure, paged once per cause and reminded
// at repeat_interval while the same cause lasts. In `every_run` mode (the seed's behaviour): every run with failures or missing shards.
// Decisions use the run's own times, never the clock, so a redone run decides the same.

import Foundation
import Shared

struct AlertDecision {
    let reason: AlertReason
    let severity: Severity
    let transitions: [Transition]
}

enum AlertPolicy {
    /// A change alert's severity: resolved without new failures; a warning when they are only certificates to
    /// renew or interface files to fix; critical when anything is down or answering errors.
    static func severity(of newFailures: [Transition]) -> Severity {
        if newFailures.isEmpty { return .resolved }
        // A certificate to renew, or an interface file to fix, is work for today, not a page.
        return newFailures.allSatisfy { $0.outcome.kind?.pages == false } ? .warning : .critical
    }

    /// `quiet`: interfaces silenced or in maintenance, which never make an alert (their changes are already out
    /// of `changes`; in every_run mode their failures do not count either).
    /// What an incomplete run misses, as a key that stays the same while the cause lasts ("shards 2/4, 3/4
    /// missing"; a blind gap is its own cause); nil for a complete run.
    static func incompleteCause(_ analysis: RunAnalysis) -> String? {
        guard analysis.monitoringIncomplete else { return nil }
        // A missing shard's text carries its reason after ": " (which may name the run); the shard is the cause.
        let shards = analysis.stats.missingShards.map { String($0.prefix { $0 != ":" }) }.sorted()
        var parts = shards.isEmpty ? [] : ["shards " + shards.joined(separator: ", ") + " missing"]
        parts += analysis.stats.gaps ?? []
        parts += analysis.poolCause
        // A blind shard's cause is its canaries failing, whatever they said this time.
        parts += analysis.blindShards.sorted { $0.index < $1.index }.map {
            "\(LocationShards.describe($0, names: analysis.locationNames)) blind"
        }
        return parts.joined(separator: "; ")
    }

    /// Whether an incomplete cause was announced and has not been said to end: the latest mark that says either.
    static func causeOpen(_ alerts: [AlertMark], before run: String) -> Bool {
        alerts.last { $0.run != run && ($0.cause != nil || $0.restored == true) }?.cause != nil
    }

    /// `lastSameCause`: the last alert sent for the same incomplete cause (nil when none). `causeWasOpen`: an
    /// incomplete cause was announced and not yet said to end (causeOpen).
    static func decide(
        _ analysis: RunAnalysis, changes: StateChanges, previousAlert: AlertMark?,
        settings: AlertSettings, quiet: [String: String] = [:], lastSameCause: AlertMark? = nil, causeWasOpen: Bool = false
    ) -> AlertDecision? {
        let newFailures = changes.transitions.filter { $0.change == .newFailure }
        let everything = changes.transitions + changes.stillFailing
        switch settings.mode {
        case .everyRun:
            let loud = analysis.failures.count > analysis.quietFailures
            guard loud || analysis.monitoringIncomplete else { return nil }
            return AlertDecision(reason: .everyRun, severity: loud ? .critical : .warning, transitions: everything)
        case .change:
            if !changes.transitions.isEmpty {
                return AlertDecision(reason: .change, severity: severity(of: newFailures), transitions: everything)
            }
            // Monitoring that could not see (shards missing, or scheduled runs that never ran) is itself news —
            // once per cause, then a reminder each repeat_interval while it lasts, never a page every run.
            if analysis.monitoringIncomplete, settings.onIncompleteRun {
                let last = lastSameCause?.at ?? .distantPast
                if analysis.startedAt.timeIntervalSince(last) >= settings.repeatInterval {
                    return AlertDecision(reason: .incomplete, severity: .warning, transitions: everything)
                }
            }
            // The monitoring problem the team was told of has ended: said once (the run is whole again).
            if causeWasOpen, settings.onIncompleteRun, incompleteCause(analysis) == nil {
                return AlertDecision(reason: .restored, severity: .resolved, transitions: changes.stillFailing)
            }
            guard !changes.stillFailing.isEmpty else { return nil }
            let last = previousAlert?.at ?? .distantPast
            guard analysis.startedAt.timeIntervalSince(last) >= settings.repeatInterval else { return nil }
            return AlertDecision(reason: .reminder, severity: .warning, transitions: changes.stillFailing)
        }
    }
}
