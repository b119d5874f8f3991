// Silence: an operator's "we know, stop paging" for an interface, a service or a glob of ids, until a time.
// Stored one per file under state/silences/ (one JSON line: `cat` and `jq` read it). Silenced interfaces are
// still probed and reported; they neither alert nor remind, and when the silence ends on something still
// failing, the next run alerts it. Maintenance windows from the config have the same effect while open.

import Foundation

/// One silence.
public struct Silence: Codable, Sendable, Equatable {
    public var v = RecordCoding.version
    public var kind = RecordKind.silence.rawValue
    public var id: String
    /// An interface id, a service name, or a glob over ids (`pay/*`, `*/health`).
    public var match: String
    public var createdAt: Date
    public var until: Date
    public var reason: String
    public var by: String?

    public init(id: String, match: String, createdAt: Date, until: Date, reason: String, by: String?) {
        self.id = id
        self.match = match
        self.createdAt = createdAt
        self.until = until
        self.reason = reason
        self.by = by
    }

    enum CodingKeys: String, CodingKey {
        case v, kind, id, match
        case createdAt = "created_at"
        case until, reason, by
    }

    public func isActive(at date: Date) -> Bool { createdAt <= date && date < until }

    /// Whether the silence covers the interface `id` of `service`.
    public func covers(id: String, service: String) -> Bool {
        match == id || match == service || (match.contains("*") || match.contains("?")) && Glob.matches(match, id)
    }

    /// The silences in `directory` (files that cannot be read are logged and left alone).
    public static func load(_ directory: String) -> [Silence] {
        FileIO.listIfPresent(directory).filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
            let path = directory + "/" + name
            do {
                return try RecordCoding.makeDecoder().decode(Silence.self, from: Data(try FileIO.read(path)))
            } catch {
                Log.error("\(path): not a silence (\(RecordCoding.describe(error))); ignored")
                return nil
            }
        }
    }
}

/// A recurring window (config `maintenance:`) during which matching interfaces neither alert nor remind.
public struct MaintenanceWindow: Sendable, Equatable {
    public var services: [String]
    public var interfaces: [String]
    public var schedule: CronExpression
    public var duration: Double
    public var reason: String

    public init(services: [String], interfaces: [String], schedule: CronExpression, duration: Double, reason: String) {
        self.services = services
        self.interfaces = interfaces
        self.schedule = schedule
        self.duration = duration
        self.reason = reason
    }

    /// The start of the window open at `date`, or nil.
    public func openSince(_ date: Date, timeZone: TimeZone = .current) -> Date? {
        guard let start = ScheduleSetting.cron(schedule).latest(atOrBefore: date, timeZone: timeZone),
            date < start.addingTimeInterval(duration)
        else { return nil }
        return start
    }

    public func covers(id: String, service: String) -> Bool {
        services.contains(service) || interfaces.contains { $0 == id || Glob.matches($0, id) }
    }
}

/// `*` (any run of characters, `/` included) and `?` (one character) over ids.
public enum Glob {
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern)
        let t = Array(text)
        var pi = 0
        var ti = 0
        var star = -1
        var mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
