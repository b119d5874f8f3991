// Batch records: the trailer that closes every result batch (so a copied or hand-made file can be checked:
// a file without it, or whose count is wrong, is incomplete), and the `shard_failed` stub the orchestrator
// writes as the whole batch of a shard whose prober died or overran.

import Foundation

/// `{"v":1,"kind":"batch",…}`: the last line of a result batch.
public struct BatchTrailer: Codable, Sendable, Equatable {
    public var v = RecordCoding.version
    public var kind = RecordKind.batch.rawValue
    public var run: String
    public var shard: Shard
    /// Number of result lines before this trailer.
    public var count: Int
    /// `host:pid` of the prober.
    public var prober: String
    public var startedAt: Date
    public var finishedAt: Date
    /// The prober was told to stop (SIGTERM) and published what it had measured.
    public var interrupted: Bool?
    /// Interfaces of the shard not probed because of the interruption.
    public var notProbed: Int?
    /// What the prober's canaries (monitor.canaries) said, when it has some.
    public var canaries: CanaryReport?
    /// The location whose prober wrote the batch (`locations:`), absent with one location.
    public var location: String?
    /// Results that failed to reach their target (connection, dns, timeout, tls): a location that fails most of
    /// them while the others reach the same interfaces is blind, not the targets down.
    public var networkFailures: Int?

    public init(
        run: String, shard: Shard, count: Int, prober: String, startedAt: Date, finishedAt: Date,
        interrupted: Bool? = nil, notProbed: Int? = nil
    ) {
        self.run = run
        self.shard = shard
        self.count = count
        self.prober = prober
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.interrupted = interrupted
        self.notProbed = notProbed
    }

    enum CodingKeys: String, CodingKey {
        case v, kind, run, shard, count, prober
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case interrupted
        case notProbed = "not_probed"
        case canaries, location
        case networkFailures = "network_failures"
    }
}

/// A prober's canaries for one run: URLs that should always answer. More than half failing means the prober could
/// not reach the network, not that the targets are down: the shard is blind for the run.
public struct CanaryReport: Codable, Sendable, Equatable {
    public var checked: Int
    /// "https://gateway.example/health: connection failed: …" (query values masked), one per canary that failed.
    public var failures: [String]

    public init(checked: Int, failures: [String]) {
        self.checked = checked
        self.failures = failures
    }

    /// More than half of the canaries failed.
    public var blind: Bool { checked > 0 && failures.count * 2 > checked }
}

/// `{"v":1,"kind":"shard_failed",…}`: a shard that produced no batch of its own.
public struct ShardFailed: Codable, Sendable, Equatable {
    public var v = RecordCoding.version
    public var kind = RecordKind.shardFailed.rawValue
    public var run: String
    public var shard: Shard
    public var reason: String
    public var at: Date
    /// The location whose shard it is (`locations:`), absent with one location.
    public var location: String?

    public init(run: String, shard: Shard, reason: String, at: Date) {
        self.run = run
        self.shard = shard
        self.reason = reason
        self.at = at
    }
}

/// `{"v":1,"kind":"run",…}`: the manifest of a scheduled or manual run.
public struct RunManifest: Codable, Sendable, Equatable {
    public var v = RecordCoding.version
    public var kind = RecordKind.run.rawValue
    public var run: String
    public var shards: Int
    public var startedAt: Date
    /// After this time the run is reported with whatever shards arrived.
    public var deadline: Date
    /// `schedule` or `manual`.
    public var trigger: String
    /// Ticks skipped since the previous run manifest this orchestrator published (absent when none).
    public var gaps: [MonitoringGap]?
    /// The pool snapshot the probers probe (absent from older orchestrators and runs by hand of older probers):
    /// its id, the files that failed to load, and whether the pool could not be read at all.
    public var pool: PoolSnapshot?
    /// The locations that probe the run (`locations.names`), each with `shards` shards; absent with one location.
    public var locations: [String]?

    public init(run: String, shards: Int, startedAt: Date, deadline: Date, trigger: String, gaps: [MonitoringGap]? = nil) {
        self.run = run
        self.shards = shards
        self.startedAt = startedAt
        self.deadline = deadline
        self.trigger = trigger
        self.gaps = gaps
    }

    enum CodingKeys: String, CodingKey {
        case v, kind, run, shards
        case startedAt = "started_at"
        case deadline, trigger, gaps, pool, locations
    }
}

/// The spool file names of a run's inputs and outputs, all derived from the run id so that a repeated step
/// finds what it did before.
public enum RunFileName {
    /// `<run>.<k>of<N>.<host>.<program>-<pid>.ndjson`: a batch (or shard_failed stub) of shard k.
    public static func batch(run: String, shard: Shard, program: String) -> String {
        "\(run).\(shard.fileTag).\(SpoolName.host).\(program)-\(getpid()).ndjson"
    }

    /// The prefix shared by every batch of `shard` of `run`.
    public static func batchPrefix(run: String, shard: Shard) -> String {
        "\(run).\(shard.fileTag)."
    }

    /// The shard in a batch name (`<run>.<k>of<N>.…`), if it has one.
    public static func shard(of name: String) -> Shard? {
        let parts = name.split(separator: ".")
        guard parts.count > 1 else { return nil }
        let tag = parts[1].split(separator: "o")
        guard tag.count == 2, tag[1].hasPrefix("f"), let k = Int(tag[0]), let n = Int(tag[1].dropFirst()), k >= 1, k <= n else { return nil }
        return Shard(index: k, count: n)
    }

    /// `<run>.run.ndjson`: the manifest (one per run even with several hosts: the second link fails).
    public static func manifest(run: String) -> String { "\(run).run.ndjson" }

    /// `<run>.alert.ndjson`: the alert of a run.
    public static func alert(run: String) -> String { "\(run).alert.ndjson" }

    /// `<run>.md`: the Markdown report.
    public static func report(run: String) -> String { "\(run).md" }

    /// The run id at the start of a derived name (everything before the first `.`), if it looks like one.
    public static func run(of name: String) -> String? {
        guard let dot = name.firstIndex(of: "."), RunID.isValid(String(name[..<dot])) else { return nil }
        return String(name[..<dot])
    }
}

/// Run ids: `20261122T150000Z-tick` for a scheduled tick (the same on every host), `…-m7f3a` for a manual
/// run, `…-p7f3a` for a prober started by hand. They sort by start time.
public enum RunID {
    public static func scheduled(tick: Date) -> String { Timestamp.compact(tick) + "-tick" }

    public static func manual(at date: Date = Date()) -> String { Timestamp.compact(date) + "-m" + randomTag() }

    public static func byHand(at date: Date = Date()) -> String { Timestamp.compact(date) + "-p" + randomTag() }

    /// The time in the id.
    public static func date(of run: String) -> Date? {
        Timestamp.parse(String(run.prefix(16)))
    }

    /// A run id is a compact timestamp, a dash and a tag of letters and digits, 64 characters at most.
    public static func isValid(_ text: String) -> Bool {
        guard text.utf8.count > 17, text.utf8.count <= 64, Timestamp.parse(String(text.prefix(16))) != nil,
            text[text.index(text.startIndex, offsetBy: 16)] == "-"
        else { return false }
        return text.dropFirst(17).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    private static func randomTag() -> String {
        String(UInt16.random(in: .min ... .max), radix: 16).leftPadded(to: 4)
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
