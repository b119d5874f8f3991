// Decide: the pure rules for one interface in one run, which the streaming join (RunPass) calls once per
// interface and the decision tables (TransitionDeciderTests) call directly — one path, so a rule cannot be wrong
// in production and green in the tests. Which results count (Judging: a blind shard's never, several locations'
// as one verdict), the thresholds that apply, the transition (StateTransitions.step), and the quiet rules
// (silences, maintenance, a failure never announced never recovers aloud). No files, no clock.

import Foundation
import Shared

/// Silences and maintenance windows that apply at a run's start.
struct QuietRules {
    private let active: [Silence]
    private let open: [(MaintenanceWindow, Date)]
    /// Times for people: in notify.timezone, the zone named.
    private let clock: LocalClock

    init(silences: [Silence], windows: [MaintenanceWindow], at date: Date, timeZone: TimeZone) {
        active = silences.filter { $0.isActive(at: date) }
        open = windows.compactMap { w in w.openSince(date).map { (w, $0) } }
        clock = LocalClock(timeZone: timeZone)
    }

    /// Why an interface is quiet ("silenced until <its end, in notify.timezone>: <reason>"), nil when it is not.
    func reason(for result: ProbeResult) -> String? {
        guard !active.isEmpty || !open.isEmpty else { return nil }
        if let s = active.first(where: { $0.covers(id: result.id, service: result.service) }) {
            return "silenced until \(clock.format(s.until)): \(s.reason)" + (s.by.map { " (\($0))" } ?? "")
        }
        if let (w, start) = open.first(where: { $0.0.covers(id: result.id, service: result.service) }) {
            return "maintenance until \(clock.format(start.addingTimeInterval(w.duration))): \(w.reason)"
        }
        return nil
    }
}

/// What the team hears of a run, interface by interface, in id order.
struct HeardChanges {
    var newFailures: [Transition] = []
    var recovered: [Transition] = []
    var stillFailing: [Transition] = []
}

/// The rules that decide an interface's state and its announcement in one run.
struct InterfaceRules {
    let run: String
    let runStartedAt: Date
    /// Only the thresholds of each service: looking a service's whole settings up per result copied them each time.
    private let serviceThresholds: [String: (failure: Int?, success: Int?)]
    private let defaults: (failure: Int, success: Int)
    let quiet: QuietRules

    init(run: String, runStartedAt: Date, alerting: AlertSettings, services: [String: ServiceSettings], quiet: QuietRules) {
        self.run = run
        self.runStartedAt = runStartedAt
        serviceThresholds = services.mapValues { (failure: $0.failureThreshold, success: $0.successThreshold) }
        defaults = (alerting.failureThreshold, alerting.successThreshold)
        self.quiet = quiet
    }

    /// The thresholds for `result`: its interface's, else its service's, else alerts'.
    func thresholds(_ result: ProbeResult) -> (failure: Int, success: Int) {
        let service = serviceThresholds[result.service]
        return (
            result.failureThreshold ?? service?.failure ?? defaults.failure,
            result.successThreshold ?? service?.success ?? defaults.success
        )
    }

    /// The interface's state after `results` (nil: `previous` stands) and why it is quiet; what the team hears goes
    /// to `heard`. Quiet: a silenced or maintained interface's changes leave the alert (remembered as not announced);
    /// one still failing whose quiet has ended, and never announced, is announced now; a failure never announced
    /// never recovers aloud.
    func decide(_ results: [ProbeResult], previous: InterfaceStatus?, into heard: inout HeardChanges) -> (latest: InterfaceStatus?, quiet: String?) {
        var latest: InterfaceStatus?
        var quietReason: String?
        for result in results {
            guard
                var (next, transition) = StateTransitions.step(
                    result, entry: previous, run: run, runStartedAt: runStartedAt, thresholds: thresholds(result))
            else { continue }
            if let reason = quiet.reason(for: result) {
                quietReason = reason
                if let t = transition, t.change != .stillFailing { next.unannounced = true }
                transition = nil
            } else {
                if var t = transition, t.change == .stillFailing, next.unannounced {
                    t.change = .newFailure
                    transition = t
                } else if let t = transition, t.change == .recovered, next.unannounced {
                    // The failure began while quiet and was never announced: the team never heard it was
                    // down, so it hears of no recovery either.
                    transition = nil
                }
                next.unannounced = false
            }
            latest = next
            if let t = transition {
                switch t.change {
                case .newFailure: heard.newFailures.append(t)
                case .recovered: heard.recovered.append(t)
                case .stillFailing: heard.stillFailing.append(t)
                }
            }
        }
        return (latest, quietReason)
    }
}

/// Which of an interface's results count in a run: a blind shard's never (its own network failed); with several
/// locations, one verdict from every location's (LocationVerdict: failing on the quorum, degraded below it).
struct Judging {
    let blindShards: Set<Shard>
    let locationNames: [String]?
    let locations: LocationSettings?
    let services: [String: ServiceSettings]

    /// Leaves in `results` what counts; the degraded sentence when fewer locations than the quorum saw a failure.
    func judge(_ results: inout [ProbeResult]) -> String? {
        if !blindShards.isEmpty {
            results.removeAll { LocationShards.key($0.shard, location: $0.location, names: locationNames).map(blindShards.contains) ?? false }
        }
        guard let names = locationNames, !results.isEmpty else { return nil }
        let quorum = locations?.of(services[results[0].service]).quorum ?? names.count / 2 + 1
        let (verdict, degraded) = LocationVerdict.combine(results, quorum: quorum, order: names)
        results = [verdict]
        return degraded
    }
}
