// RollupLines: the bytes of the rollup's per-interface lines — a day file's InterfaceDay lines and recent.ndjson's
// InterfaceRecent lines — written and read without Foundation's coders (a run rewrites one of each per interface,
// and the site reads 30 days of them). Keys are each type's own enum, spelled once, written in the order the files
// have always had (`v`, `kind`, `id` first: IDLine finds the id among the first bytes).

import Foundation
import Shared

extension InterfaceDay: WireCodable {
    static let wireOrder = CodingKeys.allCases

    func write(_ key: CodingKeys, into w: inout JSONWriter) {
        let name = key.rawValue
        switch key {
        case .v: w.field(name, v)
        case .kind: w.field(name, kind)
        case .id: w.field(name, id)
        case .day: w.field(name, day)
        case .runs: w.field(name, runs)
        case .ok: w.field(name, ok)
        case .outcomes:
            w.raw(name) { out in
                out.append(UInt8(ascii: "{"))
                for (i, (outcome, count)) in outcomes.sorted(by: { $0.key < $1.key }).enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    JSONWriter.quote(outcome, into: &out)
                    out.append(UInt8(ascii: ":"))
                    JSONWriter.integer(count, into: &out)
                }
                out.append(UInt8(ascii: "}"))
            }
        case .latency: w.raw(name) { JSONWriter.integers(latency, into: &$0) }
        }
    }

    /// A line with an id; the other members default when absent (a line of an older analyzer).
    static func scan(_ s: inout JSONScanner) throws -> InterfaceDay {
        var id: String?
        var day = ""
        var runs = 0
        var ok = 0
        var outcomes: [String: Int] = [:]
        var latency: [Int] = []
        try s.members(CodingKeys.self) { key, s in
            guard let key else { return try s.skipValue() }
            switch key {
            // One kind of line under a header without an id: `v` and `kind` are not read per line (as ever).
            case .v, .kind: try s.skipValue()
            case .id: id = try s.string()
            case .day: day = try s.string()
            case .runs: runs = try s.int()
            case .ok: ok = try s.int()
            case .outcomes: try s.object { outcome, s in outcomes[outcome] = try s.int() }
            case .latency: try s.array { s in latency.append(try s.int()) }
            }
        }
        guard let id else { throw JSONScanner.Mismatch() }
        var d = InterfaceDay(id: id, day: day, runs: runs, ok: ok, outcomes: outcomes)
        for (i, n) in latency.prefix(d.latency.count).enumerated() { d.latency[i] = n }
        return d
    }
}

extension InterfaceRecent: WireCodable {
    /// The line's members in the order they are written.
    enum Key: String, WireKey {
        case v, kind, id, service, name, url, strip, latencies, hours
        case lastFailure = "last_failure"
        case certDaysLeft = "cert_days_left"
    }

    static let wireOrder = Key.allCases

    func write(_ key: Key, into w: inout JSONWriter) {
        let name = key.rawValue
        switch key {
        case .v: w.field(name, RecordCoding.version)
        case .kind: w.field(name, RecordKind.interfaceRecent.rawValue)
        case .id: w.field(name, id)
        case .service: w.field(name, service)
        case .name: w.field(name, self.name)
        case .url: w.field(name, url)
        case .strip: w.field(name, strip)
        case .latencies:
            w.raw(name) { out in
                out.append(UInt8(ascii: "["))
                out.append(contentsOf: latencyText)
                out.append(UInt8(ascii: "]"))
            }
        case .hours: w.raw(name) { writeHours(into: &$0) }
        case .lastFailure: if let lastFailureJSON { w.raw(name, lastFailureJSON) }
        case .certDaysLeft: w.field(name, certDaysLeft)
        }
    }

    /// `[[hour,ok,total],…]`
    private func writeHours(into out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, hour) in hours.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "["))
            JSONWriter.integer(hour.hour, into: &out)
            out.append(UInt8(ascii: ","))
            JSONWriter.integer(hour.ok, into: &out)
            out.append(UInt8(ascii: ","))
            JSONWriter.integer(hour.total, into: &out)
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "]"))
    }

    /// A line with an id; the other members default when absent, an hour that is not three numbers is dropped.
    static func scan(_ s: inout JSONScanner) throws -> InterfaceRecent {
        var r = InterfaceRecent(id: "", service: "", name: "", url: "")
        try s.members(Key.self) { key, s in
            guard let key else { return try s.skipValue() }
            switch key {
            case .v, .kind: try s.skipValue()
            case .id: r.id = try s.string()
            case .service: r.service = try s.string()
            case .name: r.name = try s.string()
            case .url: r.url = try s.string()
            case .strip: r.strip = try s.string()
            case .latencies: r.latencyText = Array(try s.rawValue().dropFirst().dropLast())
            case .hours:
                try s.array { s in
                    // Three numbers, read without an array per hour (25 per interface, every run).
                    var values: (Int, Int, Int) = (0, 0, 0)
                    var count = 0
                    try s.array { s in
                        let value = try s.int()
                        switch count {
                        case 0: values.0 = value
                        case 1: values.1 = value
                        default: values.2 = value
                        }
                        count += 1
                    }
                    if count == 3 { r.hours.append(Hour(hour: values.0, ok: values.1, total: values.2)) }
                }
            case .lastFailure: r.lastFailureJSON = try s.rawValue()
            case .certDaysLeft: r.certDaysLeft = s.null() ? nil : try s.int()
            }
        }
        guard !r.id.isEmpty else { throw JSONScanner.Mismatch() }
        return r
    }
}
