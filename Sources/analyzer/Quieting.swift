// Quieting: silences (state/silences/) and maintenance windows (config) applied to a run's changes. A quiet
// interface is probed and reported as usual, marked with why; its changes and reminders leave the alert, and
// its state remembers that something was not announced, so that the first run after the quiet ends alerts an
// interface that is still failing (and says nothing about one that recovered meanwhile).

import Foundation
import Shared

struct Quieting {
    /// Why each quiet interface of the run is quiet ("silenced until …: reason").
    let reasons: [String: String]

    init(results: [ProbeResult], silences: [Silence], windows: [MaintenanceWindow], at date: Date) {
        let active = silences.filter { $0.isActive(at: date) }
        let open = windows.compactMap { w in w.openSince(date).map { (w, $0) } }
        var reasons: [String: String] = [:]
        guard !active.isEmpty || !open.isEmpty else {
            self.reasons = [:]
            return
        }
        for result in results {
            if let s = active.first(where: { $0.covers(id: result.id, service: result.service) }) {
                reasons[result.id] = "silenced until \(Timestamp.format(s.until)): \(s.reason)" + (s.by.map { " (\($0))" } ?? "")
            } else if let (w, start) = open.first(where: { $0.0.covers(id: result.id, service: result.service) }) {
                reasons[result.id] = "maintenance until \(Timestamp.format(start.addingTimeInterval(w.duration))): \(w.reason)"
            }
        }
        self.reasons = reasons
    }

    /// Takes quiet interfaces out of the alerting changes (marking what they did not announce), and brings back
    /// as new failures the interfaces whose quiet ended while they still fail.
    func apply(to changes: inout StateChanges) {
        for t in changes.transitions + changes.stillFailing where reasons[t.id] != nil {
            if t.change != .stillFailing { changes.updated.interfaces[t.id]?.unannounced = true }
        }
        changes.transitions.removeAll { reasons[$0.id] != nil }
        changes.stillFailing.removeAll { reasons[$0.id] != nil }
        var resumed: [Transition] = []
        for (i, t) in changes.stillFailing.enumerated().reversed() where changes.updated.interfaces[t.id]?.unannounced == true {
            var failure = t
            failure.change = .newFailure
            resumed.append(failure)
            changes.stillFailing.remove(at: i)
        }
        for (id, status) in changes.updated.interfaces where status.unannounced && reasons[id] == nil {
            changes.updated.interfaces[id]?.unannounced = false
        }
        changes.transitions = (resumed + changes.transitions).sorted {
            ($0.change == .newFailure ? 0 : 1, $0.id) < ($1.change == .newFailure ? 0 : 1, $1.id)
        }
    }
}
