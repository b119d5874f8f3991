// LocationVerdict: with several locations, each interface has a result from every location that probed it;
// the verdict is theirs together. Failing when at least the quorum of locations saw it fail, degraded (reported,
// never paged) when some did but fewer, ok otherwise — and the words say who saw what, with each location's
// timing: "down from bj (connection failure), sh (timeout); ok from sg (120 ms)".

import Foundation
import Shared

enum LocationVerdict {
    /// The one result the state and the report take for an interface (`results` is not empty), and the degraded
    /// sentence when fewer than `quorum` locations saw a failure (the result's outcome is then `degraded`).
    /// `order`: locations.names (results are told in that order).
    static func combine(_ results: [ProbeResult], quorum: Int, order: [String]) -> (result: ProbeResult, degraded: String?) {
        let sorted = results.sorted { rank($0.location, order) < rank($1.location, order) }
        let failing = sorted.filter { $0.outcome.isFailure }
        let passing = sorted.filter { !$0.outcome.isFailure }
        guard !failing.isEmpty else { return (sorted[0], nil) }
        let words = sentence(failing: failing, passing: passing)
        if failing.count >= quorum {
            var verdict = failing[0]
            verdict.error = words + (failing[0].error.map { " — \(failing[0].location ?? "?"): \($0)" } ?? "")
            return (verdict, nil)
        }
        // Fewer than the quorum: degraded — its own outcome, never paged as down (routable: outcomes: [degraded]) —
        // also when no location saw it pass (the others blind or late).
        var verdict = failing[0]
        verdict.outcome = .degraded
        verdict.error = words + " (fewer than the quorum of \(quorum): not an outage everyone sees)"
        return (verdict, verdict.error)
    }

    /// "down from bj (connection failure), sh (timeout); ok from sg (120 ms)".
    static func sentence(failing: [ProbeResult], passing: [ProbeResult]) -> String {
        let kinds = Set(failing.compactMap(\.outcome.kind))
        let word = kinds.count == 1 ? kinds.first!.label : "failing"
        var out = "\(word) from " + failing.map { "\($0.location ?? "?") (\($0.outcome.summary))" }.joined(separator: ", ")
        if !passing.isEmpty {
            out +=
                "; ok from "
                + passing.map { r in "\(r.location ?? "?")" + (r.latencyMs.map { " (\(Int($0.rounded())) ms)" } ?? "") }
                .joined(separator: ", ")
        }
        return out
    }

    private static func rank(_ location: String?, _ order: [String]) -> Int {
        location.flatMap { order.firstIndex(of: $0) } ?? order.count
    }
}
