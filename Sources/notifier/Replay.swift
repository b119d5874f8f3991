// Replay: an operator's "send these now". Deferred deliveries become due at once; failed ones go back to
// deferred/ (their .reason note removed); with --sent, delivered ones are queued again with a fresh state.
// The running service is woken (SIGUSR1); without one, `notifier replay` delivers them itself.

import Foundation
import Shared

enum Replay {
    /// `notifier replay`: queues the selection and says, on stdout, what became of each argument; false when
    /// nothing was queued (or the spool could not be changed, which is logged).
    static func run(spool: Spool, selection: [String], all: Bool, sent: Bool, mention: Bool) -> Bool {
        do {
            let chosen = try prepare(spool: spool, selection: selection, all: all, sent: sent, mention: mention)
            for key in selection { print(describe(key, spool: spool, chosen: chosen, sent: sent)) }
            print("\(chosen.count) alert(s) queued for delivery now" + (chosen.isEmpty ? "" : ":\n  " + chosen.joined(separator: "\n  ")))
            return !chosen.isEmpty
        } catch {
            Log.error("replay failed: \(error)")
            return false
        }
    }

    /// Whether the delivery file `name` is what `key` names (file name, run id or alert id).
    static func matches(_ name: String, _ key: String) -> Bool {
        name == key || name.hasPrefix(key + ".") || name.hasPrefix(key + "@")
            || (key.hasPrefix("alert-") && name.hasPrefix(String(key.dropFirst(6)) + ".alert"))
    }

    /// What replay did with one argument, in a sentence.
    static func describe(_ key: String, spool: Spool, chosen: [String], sent: Bool) -> String {
        if chosen.contains(where: { matches($0, key) }) { return "\(key): queued" }
        let delivered = spool.deliveries.sent.contains { matches($0, key) }
        if delivered, !sent { return "\(key): already delivered (use --sent to send it again)" }
        return "\(key): unknown (no such alert in deferred/, failed/ or sent/)"
    }

    /// Marks the selected deliveries due now; returns their names.
    static func prepare(spool: Spool, selection: [String], all: Bool, sent: Bool, mention: Bool = false) throws -> [String] {
        func matches(_ name: String) -> Bool { all || selection.contains { Replay.matches(name, $0) } }
        let now = Date()
        let deliveries = spool.deliveries
        var chosen: [String] = []
        if sent {
            for name in deliveries.sent where matches(name) {
                var delivery = try Delivery.read(spool.sentDirectory + "/" + name, name: name)
                let first = delivery.state.firstDeliveredAt ?? delivery.state.deliveredAt
                var log = delivery.state.log ?? []
                log.append(AttemptRecord(at: now, result: "replayed", error: nil))
                delivery.state = DeliveryState(channel: delivery.state.channel)
                delivery.state.log = Array(log.suffix(50))
                delivery.state.note = "replayed from sent/ at \(Timestamp.format(now))"
                delivery.state.replayedAt = now
                delivery.state.firstDeliveredAt = first
                delivery.state.mention = mention
                try deliveries.postpone(name, bytes: try delivery.bytes(), until: now)
                chosen.append(name)
            }
            return chosen
        }
        for name in deliveries.failed where matches(name) {
            guard try deliveries.restore(name, now: now) else { continue }
            chosen.append(name)
        }
        for name in deliveries.deferred where matches(name) && !chosen.contains(name) {
            try deliveries.makeDue(name, now: now)
            chosen.append(name)
        }
        // Not yet taken by a notifier: nothing to change, it goes with this delivery (or the service's next pass).
        for name in spool.outbox.pending() where matches(name) { chosen.append(name) }
        return chosen
    }

    /// Why this replay cannot deliver by itself (no notifier is running and keys of the channels were left out
    /// for unset variables), with exactly what to run; nil when it can.
    static func undeliverable(_ config: Config) -> String? {
        let missing = config.unresolved.filter { $0.key.hasPrefix("notify.") }
        guard !missing.isEmpty else { return nil }
        return "queued, but not delivered: no notifier is running, and this environment lacks "
            + Set(missing.map(\.variable)).sorted().joined(separator: ", ") + " ("
            + missing.map(\.description).joined(separator: "; ") + ").\n"
            + "Start the service (systemctl start vigil-notifier), or deliver with its variables: "
            + "notifier replay --all --env-file /etc/vigil/vigil.env" + (config.source.map { " --config \($0)" } ?? "")
    }
}

enum Listing {
    /// Prints what waits and what was sent recently.
    static func print(spool: Spool) {
        var out = ""
        let new = spool.outbox.pending()
        out += "outbox/new: \(new.count)\n"
        for name in new { out += "  \(name)\n" }
        let deliveries = spool.deliveries
        let deferred = deliveries.deferred
        out += "outbox/deferred: \(deferred.count)\n"
        for name in deferred {
            let path = spool.deferredDirectory + "/" + name
            let next = deliveries.nextAttempt(of: name).map(Timestamp.format) ?? "?"
            guard Spool.isPlainFile(path, limit: Spool.fileLimit(of: "outbox")) else {
                out += "  \(name)  (not a regular file: quarantined at its next attempt)\n"
                continue
            }
            if let d = try? Delivery.read(path, name: name) {
                out += "  \(name)  attempts \(d.state.attempts)  next \(next)  last error: \(d.state.lastError ?? "-")\n"
            } else {
                out += "  \(name)  (unreadable)\n"
            }
        }
        let failed = deliveries.failed
        out += "outbox/failed: \(failed.count)\n"
        for name in failed { out += "  \(name)  \(deliveries.failureReason(of: name) ?? "?")\n" }
        let sent = deliveries.sent
        out += "outbox/sent: \(sent.count) (last 10)\n"
        for name in sent.suffix(10) where Spool.isPlainFile(spool.sentDirectory + "/" + name, limit: Spool.fileLimit(of: "outbox")) {
            if let d = try? Delivery.read(spool.sentDirectory + "/" + name, name: name) {
                let when = d.state.deliveredAt.map(Timestamp.format) ?? "?"
                out += "  \(name)  \(d.state.delivered == false ? "printed only (no channel)" : "delivered") \(when)\n"
            }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
