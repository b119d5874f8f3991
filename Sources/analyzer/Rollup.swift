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

/// One letter per outcome, for strips and compact history.
enum OutcomeLetter {
    static let letters: [Outcome: Character] = [
        .ok: "o", .http500: "5", .http404: "4", .http503: "3", .http4xx: "x", .http5xx: "y", .timeout: "t", .dns: "d",
        .connection: "c", .tls: "s", .assertion: "a", .certExpiring: "e", .auth: "u", .skipped: "k",
    ]
    static let outcomes = Dictionary(uniqueKeysWithValues: letters.map { ($1, $0) })

    static func letter(_ outcome: Outcome) -> Character { letters[outcome] ?? "?" }
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
    var kind = "interface_day"
    let id: String
    let day: String
    var runs = 0
    var ok = 0
    /// Failed runs by outcome.
    var outcomes: [String: Int] = [:]
    /// Answered requests per latency bucket (LatencyBuckets.bounds).
    var latency = [Int](repeating: 0, count: LatencyBuckets.bounds.count)
}

extension InterfaceDay {
    /// The line, written and read without Foundation's coders (a day file holds a line per interface, and the
    /// site reads 30 of them).
    func line() -> [UInt8] {
        var w = JSONWriter()
        w.field("v", 1)
        w.field("kind", "interface_day")
        w.field("id", id)
        w.field("day", day)
        w.field("runs", runs)
        w.field("ok", ok)
        // Outcome names are plain words: no escaping needed.
        w.raw("outcomes", Array(("{" + outcomes.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}").utf8))
        w.raw("latency", Array(("[" + latency.map(String.init).joined(separator: ",") + "]").utf8))
        return w.finish()
    }

    static func scan(_ bytes: some Collection<UInt8>) -> InterfaceDay? {
        JSONScanner.scan(bytes) { s -> InterfaceDay? in
            var id: String?
            var day = ""
            var runs = 0
            var ok = 0
            var outcomes: [String: Int] = [:]
            var latency: [Int] = []
            try s.object { key, s in
                switch key {
                case "id": id = try s.string()
                case "day": day = try s.string()
                case "runs": runs = try s.int()
                case "ok": ok = try s.int()
                case "outcomes": try s.object { outcome, s in outcomes[outcome] = try s.int() }
                case "latency": try s.array { s in latency.append(try s.int()) }
                default: try s.skipValue()
                }
            }
            guard let id else { return nil }
            var d = InterfaceDay(id: id, day: day, runs: runs, ok: ok, outcomes: outcomes)
            for (i, n) in latency.prefix(d.latency.count).enumerated() { d.latency[i] = n }
            return d
        } ?? nil
    }
}

struct DayHeader: Codable {
    var v = 1
    var kind = "history_day"
    let day: String
    var runs: [String]
}

struct InterfaceRecent: Codable, Equatable {
    var v = 1
    var kind = "interface_recent"
    var id: String
    var service: String
    var name: String
    var url: String
    /// The last 90 runs' outcomes, oldest first, one letter each (OutcomeLetter).
    var strip = ""
    /// Their latencies in ms (-1: no answer), and when each run started.
    var latencies: [Double] = []
    var runs: [String] = []
    /// [hour since 1970, ok, total] for the last 25 hours.
    var hours: [[Int]] = []
    var lastFailure: LastFailure?
    var certDaysLeft: Int?

    struct LastFailure: Codable, Equatable {
        var run: String
        var at: Date
        var outcome: Outcome
        var error: String?
        var request: HTTPExcerpt?
        var response: HTTPExcerpt?
    }

    enum CodingKeys: String, CodingKey {
        case v, kind, id, service, name, url, strip, latencies, runs, hours
        case lastFailure = "last_failure"
        case certDaysLeft = "cert_days_left"
    }
}

extension InterfaceRecent {
    /// The line, written and read without Foundation's coders for all but the rare last failure.
    func line() throws -> [UInt8] {
        var w = JSONWriter(capacity: 1024)
        w.field("v", 1)
        w.field("kind", "interface_recent")
        w.field("id", id)
        w.field("service", service)
        w.field("name", name)
        w.field("url", url)
        w.field("strip", strip)
        w.raw("latencies", Array(("[" + latencies.map(HTML.format).joined(separator: ",") + "]").utf8))
        var runList: [UInt8] = [UInt8(ascii: "[")]
        for (i, run) in runs.enumerated() {
            if i > 0 { runList.append(UInt8(ascii: ",")) }
            JSONWriter.quote(run, into: &runList)
        }
        w.raw("runs", runList + [UInt8(ascii: "]")])
        w.raw("hours", Array(("[" + hours.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }.joined(separator: ",") + "]").utf8))
        if let lastFailure { w.raw("last_failure", try RecordCoding.encode(lastFailure)) }
        w.field("cert_days_left", certDaysLeft)
        return w.finish()
    }

    static func scan(_ bytes: some Collection<UInt8>) -> InterfaceRecent? {
        JSONScanner.scan(bytes) { s -> InterfaceRecent? in
            var r = InterfaceRecent(id: "", service: "", name: "", url: "")
            var failure: [UInt8]?
            try s.object { key, s in
                switch key {
                case "id": r.id = try s.string()
                case "service": r.service = try s.string()
                case "name": r.name = try s.string()
                case "url": r.url = try s.string()
                case "strip": r.strip = try s.string()
                case "latencies": try s.array { r.latencies.append(try $0.double()) }
                case "runs": try s.array { r.runs.append(try $0.string()) }
                case "hours":
                    try s.array { s in
                        var hour: [Int] = []
                        try s.array { hour.append(try $0.int()) }
                        if hour.count == 3 { r.hours.append(hour) }
                    }
                case "last_failure": failure = try s.rawValue()
                case "cert_days_left": r.certDaysLeft = s.null() ? nil : try s.int()
                default: try s.skipValue()
                }
            }
            if let failure { r.lastFailure = try? RecordDecoder().decode(LastFailure.self, from: failure) }
            return r.id.isEmpty ? nil : r
        } ?? nil
    }
}

struct Incident: Codable, Equatable {
    var v = 1
    var kind = "incident"
    let id: String
    let start: Date
    var end: Date?
    var outcome: Outcome
    var error: String?

    var duration: TimeInterval? { end.map { $0.timeIntervalSince(start) } }
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

    /// What `record` has just written, so the status site need not read it back.
    struct Snapshot {
        let day: String
        let dayLines: [String: InterfaceDay]
        let recent: [InterfaceRecent]
        let incidents: [Incident]
    }

    /// Folds a reported run in (once) and prunes what is older than the retention. Returns what it wrote; nil
    /// when the run was already in (a redone run).
    @discardableResult
    func record(_ analysis: RunAnalysis, changes: StateChanges, mode: mode_t) throws -> Snapshot? {
        try FileIO.makeDirectory(daysDirectory, mode: 0o700)
        let day = Self.dayName(analysis.startedAt)
        let dayPath = daysDirectory + "/\(day).ndjson"
        var (header, days) = readDay(dayPath, day: day)
        guard !header.runs.contains(analysis.run) else { return nil }
        header.runs.append(analysis.run)
        var recent = Dictionary(readRecent().map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        let hour = Int(analysis.startedAt.timeIntervalSince1970 / 3600)
        for result in analysis.results {
            var d = days[result.id] ?? InterfaceDay(id: result.id, day: day)
            d.runs += 1
            if result.outcome == .ok { d.ok += 1 } else { d.outcomes[result.outcome.rawValue, default: 0] += 1 }
            if let ms = result.latencyMs, result.status != nil { d.latency[LatencyBuckets.index(ms)] += 1 }
            days[result.id] = d

            var r = recent[result.id] ?? InterfaceRecent(id: result.id, service: result.service, name: result.name, url: result.url)
            r.service = result.service
            r.name = result.name
            r.url = result.url
            r.strip = String((r.strip + String(OutcomeLetter.letter(result.outcome))).suffix(Self.stripLength))
            r.latencies = Array((r.latencies + [result.status != nil ? (result.latencyMs ?? -1) : -1]).suffix(Self.stripLength))
            r.runs = Array((r.runs + [analysis.run]).suffix(Self.stripLength))
            if let last = r.hours.last, last[0] == hour {
                r.hours[r.hours.count - 1] = [hour, last[1] + (result.outcome == .ok ? 1 : 0), last[2] + 1]
            } else {
                r.hours.append([hour, result.outcome == .ok ? 1 : 0, 1])
            }
            r.hours = r.hours.filter { $0[0] > hour - 25 }
            if result.outcome.isFailure, result.outcome != .skipped {
                r.lastFailure = .init(
                    run: analysis.run, at: result.startedAt, outcome: result.outcome, error: result.error, request: result.request,
                    response: result.response)
            }
            if let days = result.tls?.earliestNotAfter.map({ Int(($0.timeIntervalSince(result.startedAt) / 86_400).rounded(.down)) }) {
                r.certDaysLeft = days
            }
            recent[result.id] = r
        }
        var incidents = readLines(incidentsPath, as: Incident.self)
        for t in changes.transitions {
            if t.change == .newFailure {
                incidents.append(Incident(id: t.id, start: t.since, outcome: t.outcome, error: t.error))
            } else if t.change == .recovered, let open = incidents.lastIndex(where: { $0.id == t.id && $0.end == nil }) {
                incidents[open].end = t.since
            }
        }
        let cutoff = analysis.startedAt.addingTimeInterval(-retention)
        incidents.removeAll { ($0.end ?? .distantFuture) < cutoff }

        var dayBytes = try RecordCoding.encode(header) + [10]
        for d in days.values.sorted(by: { $0.id < $1.id }) { dayBytes += d.line() + [10] }
        try FileIO.replaceAtomically(dayPath, with: dayBytes, mode: mode)
        let recentList = recent.values.sorted(by: { $0.id < $1.id })
        var recentBytes: [UInt8] = []
        for r in recentList { recentBytes += try r.line() + [10] }
        try FileIO.replaceAtomically(recentPath, with: recentBytes, mode: mode)
        try write(incidentsPath, incidents, mode: mode)
        for name in FileIO.listIfPresent(daysDirectory) where name.hasSuffix(".ndjson") && String(name.prefix(10)) < Self.dayName(cutoff) {
            try? FileIO.unlink(daysDirectory + "/" + name)
        }
        return Snapshot(day: day, dayLines: days, recent: recentList, incidents: incidents)
    }

    func readDay(_ path: String, day: String) -> (DayHeader, [String: InterfaceDay]) {
        guard let reader = try? LineReader(path: path), let first = try? reader.next(),
            let header = try? RecordDecoder().decode(DayHeader.self, from: first.bytes)
        else { return (DayHeader(day: day, runs: []), [:]) }
        var days: [String: InterfaceDay] = [:]
        while let line = try? reader.next() {
            if let d = InterfaceDay.scan(line.bytes) { days[d.id] = d }
        }
        return (header, days)
    }

    func readRecent() -> [InterfaceRecent] {
        guard let reader = try? LineReader(path: recentPath) else { return [] }
        var out: [InterfaceRecent] = []
        while let line = try? reader.next() {
            if let r = InterfaceRecent.scan(line.bytes) { out.append(r) }
        }
        return out
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

    private func write(_ path: String, _ records: [any Encodable], mode: mode_t) throws {
        var bytes: [UInt8] = []
        for record in records {
            bytes += try RecordCoding.encode(record)
            bytes.append(10)
        }
        try FileIO.replaceAtomically(path, with: bytes, mode: mode)
    }
}
