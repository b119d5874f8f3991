// Deferral: what happens to a delivery that did not go through. Transient failures wait in outbox/deferred/
// with the file's mtime set to the next attempt: 30 s doubling up to 30 min (notify.backoff_min/max), with
// ±20 % jitter so a recovered webhook is not hit by the whole backlog at once; a rate limit waits what the
// peer asked. A misconfigured channel waits the longest back-off and is logged as an error each time.
// Refused content and alerts older than notify.max_age go to outbox/failed/ with a .reason note.

import Foundation
import Shared

struct Deferral {
    let spool: Spool
    let settings: NotifySettings

    /// The wait before the next attempt after the `deferrals`-th deferral.
    func backoff(deferrals: Int, retryAfter: TimeInterval? = nil) -> TimeInterval {
        if let retryAfter, retryAfter > 0 { return min(retryAfter, settings.backoffMax) }
        let base = settings.backoffMin * pow(2, Double(max(0, deferrals - 1)))
        return min(settings.backoffMax, base) * Double.random(in: 0.8...1.2)
    }

    /// Writes `delivery` to deferred/ with its next attempt time as mtime, then removes `claimed`.
    func postpone(_ delivery: Delivery, until next: Date, claimed: String?) throws {
        var delivery = delivery
        delivery.state.nextAttemptAt = next
        try spool.deliveries.postpone(delivery.name, bytes: try delivery.bytes(), until: next)
        if let claimed { try FileIO.unlink(claimed) }
    }

    /// Writes `delivery` to sent/ (the audit copy), then removes `claimed`.
    func markSent(_ delivery: Delivery, claimed: String?) throws {
        try spool.deliveries.markSent(delivery.name, bytes: try delivery.bytes())
        if let claimed { try FileIO.unlink(claimed) }
    }

    /// Writes `delivery` to failed/ with a `.reason` note, then removes `claimed`.
    func fail(_ delivery: Delivery, reason: String, claimed: String?) throws {
        let note =
            "alert: \(delivery.alert.id)\nchannel: \(delivery.state.channel)\nreason: \(reason)\nat: \(Timestamp.format(Date()))\n"
            + "bring it back with: notifier replay \(delivery.name)\n"
        try spool.deliveries.fail(delivery.name, bytes: try delivery.bytes(), note: note)
        if let claimed { try FileIO.unlink(claimed) }
        Log.error("alert \(delivery.alert.id) for \(delivery.state.channel) moved to outbox/failed/: \(reason)")
    }

    /// Deferred deliveries whose next attempt has come, oldest alert first.
    func due(now: Date) -> [String] { spool.deliveries.due(now: now) }

    /// The earliest next attempt of each channel with deferred deliveries.
    func nextAttempts() -> [String: Date] {
        var out: [String: Date] = [:]
        let deliveries = spool.deliveries
        for name in deliveries.deferred {
            guard let channel = Delivery.channel(of: name), let next = deliveries.nextAttempt(of: name) else { continue }
            out[channel] = min(out[channel] ?? .distantFuture, next)
        }
        return out
    }
}
