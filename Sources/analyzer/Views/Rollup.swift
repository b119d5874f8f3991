// Rollup: history that lasts and stays small. After each run the analyzer folds every interface's result into
//   state/history/days/YYYY-MM-DD.ndjson   one line per interface per UTC day: runs, ok, outcomes, a latency
//                                           histogram (P50/P95 come from it) — kept history.retention (90 d)
//   state/history/recent.ndjson             per interface: the last 90 runs (one letter each), their
//                                           latencies, 25 hourly ok/total buckets (uptime over 24 h), the
//                                           last failure with its excerpts, the certificate's days left
//   state/history/incidents.ndjson          failures with their start, end and duration
// Each file is replaced atomically; a day file's first line lists the runs it holds, so a run redone after a
// crash is counted once. 10 000 interfaces × 90 days stay under 200 MB (Benchmarks/site-bench.sh).

import Foundation
import Shared

/// One letter per outcome, for strips and compact history: an exhaustive switch, so a new outcome does not compile
/// until it has a letter (docs/spool-protocol.md lists them).
enum OutcomeLetter {
    static func letter(_ outcome: Outcome) -> Character {
        switch outcome {
        case .ok: "o"
        case .http500: "5"
        case .http404: "4"
        case .http503: "3"
        case .http4xx: "x"
        case .http5xx: "y"
        case .timeout: "t"
        case .dns: "d"
        case .connection: "c"
        case .tls: "s"
        case .assertion: "a"
        case .certExpiring: "e"
        case .auth: "u"
        case .skipped: "k"
        case .notLoaded: "l"
        case .degraded: "g"
        }
    }

    static let outcomes = Dictionary(uniqueKeysWithValues: Outcome.allCases.map { (letter($0), $0) })

    static func outcome(_ letter: Character) -> Outcome? { outcomes[letter] }
}

/// Latency histogram buckets: upper bounds in milliseconds (the last catches everything slower).
enum LatencyBuckets {
    static let bounds: [Double] = [5, 10, 20, 35, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10_000, 30_000, .infinity]

    static func index(_ ms: Double) -> Int { bounds.firstIndex { ms <= $0 } ?? bounds.count - 1 }

    /// The bucket bound under which `fraction` of the samples fall (nil without samples).
    static func quantile(_ counts: [Int], _ fraction: Double) -> Double? {
        let total = counts.reduce(0, +)
        guard total > 0 else { return nil }
        var seen = 0
        for (i, n) in counts.enumerated() {
            seen += n
            if Double(seen) >= fraction * Double(total) { return bounds[min(i, bounds.count - 2)] }
        }
        return bounds[bounds.count - 2]
    }
}

struct InterfaceDay: Codable, Equatable {
    var v = 1
    var kind = RecordKind.interfaceDay.rawValue
    let id: String
    let day: String
    var runs = 0
    var ok = 0
    /// Failed runs by outcome.
    var outcomes: [String: Int] = [:]
    /// Answered requests per latency bucket (LatencyBuckets.bounds).
    var latency = [Int](repeating: 0, count: LatencyBuckets.bounds.count)

    /// The line's members in the order they are written (RollupLines.swift).
    enum CodingKeys: String, WireKey {
        case v, kind, id, day, runs, ok, outcomes, latency
    }
}

struct DayHeader: Codable {
    var v = 1
    var kind = RecordKind.historyDay.rawValue
    let day: String
    var runs: [String]
}

/// recent.ndjson's first line: the runs the strips cover (the last 90), oldest first — once for the file
/// rather than once per interface.
struct RecentHeader: Codable {
    var v = 1
    var kind = RecordKind.historyRecent.rawValue
    var runs: [String]
}

struct InterfaceRecent: Equatable {
    var id: String
    var service: String
    var name: String
    var url: String
    /// The last 90 runs' outcomes, oldest first, one letter each (OutcomeLetter).
    var strip = ""
    /// Their latencies in ms (-1: no answer), comma-separated as written: a run appends one and drops the
    /// oldest without reading the others.
    var latencyText: [UInt8] = []
    /// ok and total runs per hour since 1970, for the last 25 hours (`[hour, ok, total]` in the file).
    var hours: [Hour] = []

    struct Hour: Equatable {
        var hour: Int
        var ok: Int
        var total: Int
    }
    /// The last failure with its excerpts, as JSON (decoded for a page only).
    var lastFailureJSON: [UInt8]?
    var certDaysLeft: Int?

    struct LastFailure: Codable, Equatable {
        var run: String
        var at: Date
        var outcome: Outcome
        /// The request's method and URL (absent in lines of an older analyzer).
        var method: String?
        var url: String?
        var error: String?
        var request: HTTPExcerpt?
        var response: HTTPExcerpt?
    }

    var latencies: [Double] {
        latencyText.split(separator: UInt8(ascii: ",")).compactMap { Double(String(decoding: $0, as: UTF8.self)) }
    }

    var lastFailure: LastFailure? { lastFailureJSON.flatMap { try? RecordDecoder().decode(LastFailure.self, from: $0) } }

    /// ok / runs over the last 24 hours in percent (nil without runs), at `hour` since 1970.
    func uptime24h(at hour: Int) -> Double? {
        var ok = 0
        var total = 0
        for h in hours where h.hour > hour - 24 {
            ok += h.ok
            total += h.total
        }
        return total == 0 ? nil : 100 * Double(ok) / Double(total)
    }
}

struct Incident: Codable, Equatable {
    var v = 1
    var kind = RecordKind.incident.rawValue
    let id: String
    let start: Date
    var end: Date?
    var outcome: Outcome
    var error: String?

    var duration: TimeInterval? { end.map { $0.timeIntervalSince(start) } }
}

/// Per service, the runs and ok results of a day (the last line of a day file): service uptime over 7 and
/// 30 days for pools too large to keep every interface's days in memory.
struct DayServices: Codable {
    var v = 1
    var kind = RecordKind.historyDayServices.rawValue
    var services: [String: [Int]]
}

struct Rollup {
    let directory: String
    let retention: TimeInterval
    static let stripLength = 90

    init(spool: Spool, retention: TimeInterval) {
        directory = spool.stateDirectory + "/history"
        self.retention = retention
    }

    var daysDirectory: String { directory + "/days" }
    var recentPath: String { directory + "/recent.ndjson" }
    var incidentsPath: String { directory + "/incidents.ndjson" }

    static func dayName(_ date: Date) -> String { String(Timestamp.format(date).prefix(10)) }

    func dayPath(_ day: String) -> String { daysDirectory + "/\(day).ndjson" }

    /// The first line of a day file: the runs already in it (a redone run is not counted twice).
    func dayHeader(_ day: String) -> DayHeader {
        guard let reader = try? LineReader(path: dayPath(day)), let first = try? reader.next(),
            let header = try? RecordDecoder().decode(DayHeader.self, from: first.bytes)
        else { return DayHeader(day: day, runs: []) }
        return header
    }

    /// recent.ndjson's header (no runs for a file without one, as written before the header existed).
    func recentHeader() -> RecentHeader {
        guard let reader = try? LineReader(path: recentPath), let first = try? reader.next(),
            let header = try? RecordDecoder().decode(RecentHeader.self, from: first.bytes), header.kind == RecordKind.historyRecent.rawValue
        else { return RecentHeader(runs: []) }
        return header
    }

    /// A day file's lines, all of them or only those of `wanted` ids.
    func readDay(_ path: String, wanted: Set<String>? = nil) -> [String: InterfaceDay] {
        guard let reader = try? LineReader(path: path) else { return [:] }
        var days: [String: InterfaceDay] = [:]
        while let line = try? reader.next() {
            if let wanted {
                guard let id = IDLine.id(of: line.bytes), wanted.contains(id) else { continue }
            }
            if let d = InterfaceDay.scan(line: line.bytes) { days[d.id] = d }
        }
        return days
    }

    /// A day file's per-service totals (its last line), nil for a file written before they existed.
    func dayServices(_ path: String) -> [String: [Int]]? {
        guard let last = FileIO.lastLine(path) else { return nil }
        return (try? RecordDecoder().decode(DayServices.self, from: last))?.services
    }

    /// Incidents opened and closed by the run's changes; those ended before the retention are dropped.
    func incidents(after changes: StateChanges, at date: Date) -> [Incident] {
        var incidents = readLines(incidentsPath, as: Incident.self)
        for t in changes.transitions {
            if t.change == .newFailure {
                incidents.append(Incident(id: t.id, start: t.since, outcome: t.outcome, error: t.error))
            } else if t.change == .recovered, let open = incidents.lastIndex(where: { $0.id == t.id && $0.end == nil }) {
                incidents[open].end = t.since
            }
        }
        let cutoff = date.addingTimeInterval(-retention)
        incidents.removeAll { ($0.end ?? .distantFuture) < cutoff }
        return incidents
    }

    func writeIncidents(_ incidents: [Incident], mode: mode_t) throws {
        var bytes: [UInt8] = []
        for incident in incidents {
            bytes += try RecordCoding.encode(incident)
            bytes.append(10)
        }
        try FileIO.replaceAtomically(incidentsPath, with: bytes, mode: mode)
    }

    /// Removes day files older than the retention.
    func prune(at date: Date) {
        let cutoff = Self.dayName(date.addingTimeInterval(-retention))
        for name in FileIO.listIfPresent(daysDirectory) where name.hasSuffix(".ndjson") && String(name.prefix(10)) < cutoff {
            try? FileIO.unlink(daysDirectory + "/" + name)
        }
    }

    func readLines<T: Decodable>(_ path: String, as type: T.Type) -> [T] {
        guard let reader = try? LineReader(path: path) else { return [] }
        let decoder = RecordDecoder()
        var out: [T] = []
        while let line = try? reader.next() {
            if let value = try? decoder.decode(T.self, from: line.bytes) { out.append(value) }
        }
        return out
    }
}
