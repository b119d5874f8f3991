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
        let target = spool.deferredDirectory + "/" + delivery.name
        try FileIO.replaceAtomically(target, with: try delivery.bytes(), mode: spool.permissions.fileMode)
        try FileIO.setModificationTime(target, to: next)
        if let claimed { try FileIO.unlink(claimed) }
    }

    /// Writes `delivery` to sent/ (the audit copy), then removes `claimed`.
    func markSent(_ delivery: Delivery, claimed: String?) throws {
        try FileIO.replaceAtomically(spool.sentDirectory + "/" + delivery.name, with: try delivery.bytes(), mode: spool.permissions.fileMode)
        if let claimed { try FileIO.unlink(claimed) }
    }

    /// Writes `delivery` to failed/ with a `.reason` note, then removes `claimed`.
    func fail(_ delivery: Delivery, reason: String, claimed: String?) throws {
        let target = spool.failedDirectory + "/" + delivery.name
        let note = "alert: \(delivery.alert.id)\nchannel: \(delivery.state.channel)\nreason: \(reason)\nat: \(Timestamp.format(Date()))\n"
            + "bring it back with: notifier replay \(delivery.name)\n"
        try FileIO.replaceAtomically(target + ".reason", with: Array(note.utf8), mode: spool.permissions.fileMode)
        try FileIO.replaceAtomically(target, with: try delivery.bytes(), mode: spool.permissions.fileMode)
        if let claimed { try FileIO.unlink(claimed) }
        Log.error("alert \(delivery.alert.id) for \(delivery.state.channel) moved to outbox/failed/: \(reason)")
    }

    /// Deferred deliveries whose next attempt has come, oldest alert first.
    func due(now: Date) -> [String] {
        FileIO.listIfPresent(spool.deferredDirectory).filter { name in
            guard name.hasSuffix(".ndjson"), let st = FileIO.status(spool.deferredDirectory + "/" + name) else { return false }
            return st.modificationDate <= now
        }
    }

    /// The earliest next attempt of each channel with deferred deliveries.
    func nextAttempts() -> [String: Date] {
        var out: [String: Date] = [:]
        for name in FileIO.listIfPresent(spool.deferredDirectory) where name.hasSuffix(".ndjson") {
            guard let channel = Delivery.channel(of: name), let st = FileIO.status(spool.deferredDirectory + "/" + name) else { continue }
            out[channel] = min(out[channel] ?? .distantFuture, st.modificationDate)
        }
        return out
    }
}
