// CircuitBreaker: per-interface counting, persisted in state/breaker.json across runs, of the failures it
// exists for: the target could not be reached (connection, dns, tls, timeout) or answered 5xx. After
// `failures` of them in a row the circuit opens: each run still probes the interface once, without retries
// (the breaker spares the backend the retries, never the monitor its eyes); after `open_for` one run probes
// with its retries again. Several probers share the file: each reads it at start and, at the end, merges
// only its own interfaces under a lock.

import Foundation
import Shared

/// The breaker state of one interface.
struct BreakerEntry: Codable, Sendable, Equatable {
    var failures: Int
    /// Set while open (and while half-open: then `openUntil` is in the past).
    var openedAt: Date?
    var openUntil: Date?

    enum CodingKeys: String, CodingKey {
        case failures
        case openedAt = "opened_at"
        case openUntil = "open_until"
    }
}

/// The whole breaker file.
struct BreakerFile: Codable, Sendable {
    var v = 1
    var kind = RecordKind.breaker.rawValue
    var interfaces: [String: BreakerEntry] = [:]
}

/// What the breaker says about probing an interface now.
enum BreakerDecision: Equatable {
    /// Closed (or open for `open_for` already, half-open): an attempt and its retries.
    case probe
    /// Open: one attempt, no retries; the result is the real outcome, marked with `since`.
    case once(since: Date, until: Date, failures: Int)
}

struct CircuitBreaker {
    let path: String
    let threshold: Int
    let openFor: TimeInterval
    private(set) var entries: [String: BreakerEntry]
    private var touched: Set<String> = []

    init(stateDirectory: String, threshold: Int, openFor: TimeInterval) {
        path = stateDirectory + "/breaker.json"
        self.threshold = threshold
        self.openFor = openFor
        entries = CircuitBreaker.read(path).interfaces
    }

    private static func read(_ path: String) -> BreakerFile {
        guard let bytes = try? FileIO.read(path) else { return BreakerFile() }
        do {
            return try RecordDecoder().decode(BreakerFile.self, from: bytes)
        } catch {
            Log.warning("\(path): unreadable breaker state (\(error)); starting with all circuits closed")
            return BreakerFile()
        }
    }

    func decision(for id: String, now: Date = Date()) -> BreakerDecision {
        guard let entry = entries[id], let until = entry.openUntil, until > now else { return .probe }
        return .once(since: entry.openedAt ?? until, until: until, failures: entry.failures)
    }

    /// What an outcome says to the breaker: true, a failure it counts (the target could not be reached or
    /// answered 5xx); false, the target answered (a 4xx, a failed assertion, an expiring certificate: retries
    /// and a breaker would not change them), which closes the circuit; nil, nothing (`auth`: no request was
    /// sent; `skipped`, `not_loaded`: not probed; `degraded` is the analyzer's verdict, never a prober's). An
    /// exhaustive switch: a new outcome does not compile until the breaker knows what it says.
    static func counts(_ outcome: Outcome) -> Bool? {
        switch outcome {
        case .connection, .dns, .tls, .timeout, .http500, .http503, .http5xx: return true
        case .ok, .assertion, .certExpiring, .http404, .http4xx: return false
        case .auth, .skipped, .notLoaded, .degraded: return nil
        }
    }

    /// Records the final outcome of a probe.
    mutating func record(_ id: String, outcome: Outcome, now: Date = Date()) {
        guard let counted = CircuitBreaker.counts(outcome) else { return }
        // An interface that answers and had no entry changes nothing: not remembered (with 100 000 healthy
        // interfaces, a set of every id at the end of the run was the prober's largest allocation).
        if !counted, entries[id] == nil { return }
        touched.insert(id)
        var entry = entries[id] ?? BreakerEntry(failures: 0)
        if !counted {
            // An answer arrived, so the target is reachable: the failures the breaker counts are no longer
            // consecutive, and an open circuit closes (the answer itself is judged as usual).
            if entry.openedAt != nil { Log.info("circuit of \(id) closed: the target answered (\(outcome.rawValue))") }
            entries[id] = nil
            return
        }
        entry.failures += 1
        let open = entry.openUntil.map { $0 > now } ?? false
        // Opened at the threshold, or again after `open_for` when the run with retries failed too; a failure
        // while open leaves `open_until` as it is (each run probes once, so it would never come otherwise).
        if !open, entry.openedAt != nil || entry.failures >= threshold {
            if entry.openedAt == nil { Log.notice("circuit of \(id) opened after \(entry.failures) consecutive failures") }
            entry.openedAt = entry.openedAt ?? now
            entry.openUntil = now.addingTimeInterval(openFor)
        }
        entries[id] = entry
    }

    /// Merges this prober's entries into the file under a lock (other shards' entries are kept).
    func save() throws {
        guard !touched.isEmpty else { return }
        let lock = try FileLock.acquire(path + ".lock")
        defer { lock.unlock() }
        var file = CircuitBreaker.read(path)
        for id in touched { file.interfaces[id] = entries[id] }
        try FileIO.replaceAtomically(path, with: try RecordCoding.encode(file) + [10])
    }
}
