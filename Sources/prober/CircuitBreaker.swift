// CircuitBreaker: per-interface failure counting persisted in state/breaker.json across runs. After
// `failures` consecutive failed probes an interface is skipped for `open_for`; then one trial probe
// (without retries) closes the circuit or opens it again. Several probers share the file: each reads it
// at start and, at the end, merges only its own interfaces under a lock.

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
    var kind = "breaker"
    var interfaces: [String: BreakerEntry] = [:]
}

/// What the breaker says about probing an interface now.
enum BreakerDecision: Equatable {
    case probe
    /// Half-open: one attempt, no retries.
    case trial
    case skip(since: Date, until: Date, failures: Int)
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
        guard let entry = entries[id], let until = entry.openUntil else { return .probe }
        if until > now { return .skip(since: entry.openedAt ?? until, until: until, failures: entry.failures) }
        return .trial
    }

    /// Records the final outcome of a probe (skipped and auth do not count: the target was not judged).
    mutating func record(_ id: String, outcome: Outcome, now: Date = Date()) {
        guard outcome != .skipped, outcome != .auth else { return }
        // An interface that answers and had no entry changes nothing: not remembered (with 100 000 healthy
        // interfaces, a set of every id at the end of the run was the prober's largest allocation).
        if outcome == .ok, entries[id] == nil { return }
        touched.insert(id)
        var entry = entries[id] ?? BreakerEntry(failures: 0)
        if outcome == .ok {
            if entry.openedAt != nil { Log.info("circuit of \(id) closed: trial probe succeeded") }
            entries[id] = nil
            return
        }
        entry.failures += 1
        let wasHalfOpen = entry.openUntil.map { $0 <= now } ?? false
        if wasHalfOpen || entry.failures >= threshold {
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
