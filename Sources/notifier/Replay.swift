// Replay: an operator's "send these now". Deferred deliveries become due at once; failed ones go back to
// deferred/ (their .reason note removed); with --sent, delivered ones are queued again with a fresh state.
// The running service is woken (SIGUSR1); without one, `notifier replay` delivers them itself.

import Foundation
import Shared

enum Replay {
    /// Marks the selected deliveries due now; returns their names.
    static func matches(_ name: String, _ key: String) -> Bool {
        name == key || name.hasPrefix(key + ".") || name.hasPrefix(key + "@")
            || (key.hasPrefix("alert-") && name.hasPrefix(String(key.dropFirst(6)) + ".alert"))
    }

    /// What replay did with one argument, in a sentence.
    static func describe(_ key: String, spool: Spool, chosen: [String], sent: Bool) -> String {
        if chosen.contains(where: { matches($0, key) }) { return "\(key): queued" }
        let delivered = FileIO.listIfPresent(spool.sentDirectory).contains { $0.hasSuffix(".ndjson") && matches($0, key) }
        if delivered, !sent { return "\(key): already delivered (use --sent to send it again)" }
        return "\(key): unknown (no such alert in deferred/, failed/ or sent/)"
    }

    static func prepare(spool: Spool, selection: [String], all: Bool, sent: Bool, mention: Bool = false) throws -> [String] {
        func matches(_ name: String) -> Bool { all || selection.contains { Replay.matches(name, $0) } }
        let now = Date()
        var chosen: [String] = []
        if sent {
            for name in FileIO.listIfPresent(spool.sentDirectory) where name.hasSuffix(".ndjson") && matches(name) {
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
                try FileIO.replaceAtomically(spool.deferredDirectory + "/" + name, with: try delivery.bytes(), mode: spool.permissions.fileMode)
                try FileIO.setModificationTime(spool.deferredDirectory + "/" + name, to: now)
                chosen.append(name)
            }
            return chosen
        }
        for name in FileIO.listIfPresent(spool.failedDirectory) where name.hasSuffix(".ndjson") && matches(name) {
            guard try FileIO.rename(spool.failedDirectory + "/" + name, spool.deferredDirectory + "/" + name) else { continue }
            try? FileIO.unlink(spool.failedDirectory + "/" + name + ".reason")
            try FileIO.setModificationTime(spool.deferredDirectory + "/" + name, to: now)
            chosen.append(name)
        }
        for name in FileIO.listIfPresent(spool.deferredDirectory) where name.hasSuffix(".ndjson") && matches(name) && !chosen.contains(name) {
            try FileIO.setModificationTime(spool.deferredDirectory + "/" + name, to: now)
            chosen.append(name)
        }
        return chosen
    }
}

enum Listing {
    /// Prints what waits and what was sent recently.
    static func print(spool: Spool) {
        var out = ""
        let new = spool.outbox.pending()
        out += "outbox/new: \(new.count)\n"
        for name in new { out += "  \(name)\n" }
        let deferred = FileIO.listIfPresent(spool.deferredDirectory).filter { $0.hasSuffix(".ndjson") }
        out += "outbox/deferred: \(deferred.count)\n"
        for name in deferred {
            let path = spool.deferredDirectory + "/" + name
            let next = FileIO.status(path).map { Timestamp.format($0.modificationDate) } ?? "?"
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
        let failed = FileIO.listIfPresent(spool.failedDirectory).filter { $0.hasSuffix(".ndjson") }
        out += "outbox/failed: \(failed.count)\n"
        for name in failed {
            let reason = (try? FileIO.read(spool.failedDirectory + "/" + name + ".reason")).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let line = reason.split(separator: "\n").first { $0.hasPrefix("reason: ") }.map { String($0.dropFirst(8)) } ?? "?"
            out += "  \(name)  \(line)\n"
        }
        let sent = FileIO.listIfPresent(spool.sentDirectory).filter { $0.hasSuffix(".ndjson") }
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
