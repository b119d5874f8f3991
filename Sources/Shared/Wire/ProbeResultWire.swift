// ProbeResultWire: a result line's bytes, written and read without Foundation's coders — a prober writes one line
// per probe and the analyzer reads them by the hundred thousand, and JSONEncoder/JSONDecoder were the largest part
// of both. The keys are ProbeResult's CodingKeys, in JSONEncoder's order (`v` and `kind` first, then by name), so
// JSONDecoder reads the same lines; a scan that meets anything unexpected — a missing field, a wrong type, a newer
// version — returns nil, and BatchFile decodes the line again with JSONDecoder to say precisely what is wrong.

import Foundation

extension ProbeResult: WireCodable {
    public static let wireOrder = CodingKeys.headerThenSorted()

    /// This result as one JSON line (no newline).
    public func encodedLine() -> [UInt8] { wireLine(capacity: 512) }

    public func write(_ key: CodingKeys, into w: inout JSONWriter) {
        let name = key.rawValue
        switch key {
        case .v: w.field(name, v)
        case .kind: w.field(name, kind)
        case .run: w.field(name, run)
        case .shard: w.field(name, shard.description)
        case .id: w.field(name, id)
        case .service: w.field(name, service)
        case .name: w.field(name, self.name)
        case .method: w.field(name, method)
        case .url: w.field(name, url)
        case .outcome: w.field(name, outcome.rawValue)
        case .status: w.field(name, status)
        case .latencyMs: w.field(name, latencyMs)
        case .attempts: w.field(name, attempts)
        case .startedAt: w.field(name, startedAt)
        case .error: w.field(name, error)
        case .skippedSince: w.field(name, skippedSince)
        case .circuitOpenSince: w.field(name, circuitOpenSince)
        case .location: w.field(name, location)
        case .request: if let request { w.object(name) { request.write(into: &$0) } }
        case .response: if let response { w.object(name) { response.write(into: &$0) } }
        case .timings: if let timings { w.object(name) { timings.write(into: &$0) } }
        case .remoteIP: w.field(name, remoteIP)
        case .httpVersion: w.field(name, httpVersion)
        case .finalURL: w.field(name, finalURL)
        case .redirects: w.field(name, redirects)
        case .bodyBytes: w.field(name, bodyBytes)
        case .tls: if let tls { w.object(name) { tls.write(into: &$0) } }
        case .failureThreshold: w.field(name, failureThreshold)
        case .successThreshold: w.field(name, successThreshold)
        }
    }

    public static func scan(_ s: inout JSONScanner) throws -> ProbeResult { try scan(&s, excerptsOfSuccesses: true) }

    /// Decodes a version-1 result line, or nil if the line is anything else. With `excerptsOfSuccesses` false,
    /// the request/response excerpts of `ok` results are skipped rather than decoded (`outcome` comes first).
    public static func scan(_ bytes: some Collection<UInt8>, excerptsOfSuccesses: Bool = true) -> ProbeResult? {
        JSONScanner.scan(bytes) { try scan(&$0, excerptsOfSuccesses: excerptsOfSuccesses) }
    }

    static func scan(_ s: inout JSONScanner, excerptsOfSuccesses: Bool) throws -> ProbeResult {
        var r = ProbeResult(
            run: "", shard: .whole, id: "", service: "", name: "", method: "", url: "", outcome: .ok, attempts: 0,
            startedAt: Date(timeIntervalSince1970: 0))
        // The members every result has (its non-optional properties) each set a bit; a line missing one is not read.
        var required: UInt16 = 0
        try s.members(CodingKeys.self) { key, s in
            guard let key else { return try s.skipValue() }
            switch key {
            case .v: try s.version()
            case .kind: try s.kind(.result)
            case .run: r.run = try s.string()
            case .shard:
                guard let parsed = Shard(parsing: try s.string()) else { throw JSONScanner.Mismatch() }
                r.shard = parsed
            case .id: r.id = try s.string()
            case .service: r.service = try s.string()
            case .name: r.name = try s.string()
            case .method: r.method = try s.string()
            case .url: r.url = try s.string()
            case .outcome:
                guard let parsed = Outcome(rawValue: try s.string()) else { throw JSONScanner.Mismatch() }
                r.outcome = parsed
            case .attempts: r.attempts = try s.int()
            case .startedAt: r.startedAt = try s.timestamp()
            case .status: r.status = s.null() ? nil : try s.int()
            case .latencyMs: r.latencyMs = s.null() ? nil : try s.double()
            case .error: r.error = s.null() ? nil : try s.string()
            case .skippedSince: r.skippedSince = s.null() ? nil : try s.timestamp()
            case .circuitOpenSince: r.circuitOpenSince = s.null() ? nil : try s.timestamp()
            case .location: r.location = s.null() ? nil : try s.string()
            case .request, .response:
                var excerpt: HTTPExcerpt?
                if !excerptsOfSuccesses, r.outcome == .ok, required & Self.outcomeBit != 0 {
                    try s.skipValue()
                } else if !s.null() {
                    excerpt = try HTTPExcerpt.scan(&s)
                }
                if key == .request { r.request = excerpt } else { r.response = excerpt }
            case .timings: r.timings = s.null() ? nil : try PhaseTimings.scan(&s)
            case .remoteIP: r.remoteIP = s.null() ? nil : try s.string()
            case .httpVersion: r.httpVersion = s.null() ? nil : try s.string()
            case .finalURL: r.finalURL = s.null() ? nil : try s.string()
            case .redirects: r.redirects = s.null() ? nil : try s.int()
            case .bodyBytes: r.bodyBytes = s.null() ? nil : try s.int()
            case .tls: r.tls = s.null() ? nil : try TLSFacts.scan(&s)
            case .failureThreshold: r.failureThreshold = s.null() ? nil : try s.int()
            case .successThreshold: r.successThreshold = s.null() ? nil : try s.int()
            }
            required |= Self.requiredBit(key)
        }
        guard required == Self.allRequired else { throw JSONScanner.Mismatch() }
        return r
    }

    /// The bit of a member every result has (its non-optional properties), 0 for the others.
    private static func requiredBit(_ key: CodingKeys) -> UInt16 {
        switch key {
        case .v: 1 << 0
        case .kind: 1 << 1
        case .run: 1 << 2
        case .shard: 1 << 3
        case .id: 1 << 4
        case .service: 1 << 5
        case .name: 1 << 6
        case .method: 1 << 7
        case .url: 1 << 8
        case .outcome: outcomeBit
        case .attempts: 1 << 10
        case .startedAt: 1 << 11
        case .status, .latencyMs, .error, .skippedSince, .circuitOpenSince, .location, .request, .response, .timings, .remoteIP,
            .httpVersion, .finalURL, .redirects, .bodyBytes, .tls, .failureThreshold, .successThreshold:
            0
        }
    }
    private static let outcomeBit: UInt16 = 1 << 9
    private static let allRequired: UInt16 = (1 << 12) - 1
}

extension PhaseTimings: WireCodable {
    public static let wireOrder = CodingKeys.headerThenSorted()

    public func write(_ key: CodingKeys, into w: inout JSONWriter) {
        let name = key.rawValue
        switch key {
        case .dns: w.field(name, dns)
        case .connect: w.field(name, connect)
        case .tls: w.field(name, tls)
        case .firstByte: w.field(name, firstByte)
        case .total: w.field(name, total)
        }
    }

    public static func scan(_ s: inout JSONScanner) throws -> PhaseTimings {
        var t = PhaseTimings()
        var seen = 0
        try s.members(CodingKeys.self) { key, s in
            guard let key else { return try s.skipValue() }
            switch key {
            case .dns: (t.dns, seen) = (try s.double(), seen | 1)
            case .connect: (t.connect, seen) = (try s.double(), seen | 2)
            case .tls: (t.tls, seen) = (try s.double(), seen | 4)
            case .firstByte: (t.firstByte, seen) = (try s.double(), seen | 8)
            case .total: (t.total, seen) = (try s.double(), seen | 16)
            }
        }
        // Every phase is required, as for JSONDecoder: a missing one is never read as 0.
        guard seen == 31 else { throw JSONScanner.Mismatch() }
        return t
    }
}

extension TLSFacts: WireCodable {
    public static let wireOrder = CodingKeys.headerThenSorted()

    public func write(_ key: CodingKeys, into w: inout JSONWriter) {
        let name = key.rawValue
        switch key {
        case .version: w.field(name, version)
        case .subject: w.field(name, subject)
        case .issuer: w.field(name, issuer)
        case .notAfter: w.field(name, notAfter)
        case .daysLeft: w.field(name, daysLeft)
        case .earliestNotAfter: w.field(name, earliestNotAfter)
        }
    }

    public static func scan(_ s: inout JSONScanner) throws -> TLSFacts {
        var facts = TLSFacts(subject: "", issuer: "", notAfter: nil, daysLeft: nil, earliestNotAfter: nil)
        var required = 0
        try s.members(CodingKeys.self) { key, s in
            guard let key else { return try s.skipValue() }
            switch key {
            case .subject:
                facts.subject = try s.string()
                required |= 1
            case .issuer:
                facts.issuer = try s.string()
                required |= 2
            case .version: facts.version = s.null() ? nil : try s.string()
            case .notAfter: facts.notAfter = s.null() ? nil : try s.timestamp()
            case .daysLeft: facts.daysLeft = s.null() ? nil : try s.int()
            case .earliestNotAfter: facts.earliestNotAfter = s.null() ? nil : try s.timestamp()
            }
        }
        guard required == 3 else { throw JSONScanner.Mismatch() }
        return facts
    }
}

extension HTTPExcerpt: WireCodable {
    public static let wireOrder = CodingKeys.headerThenSorted()

    public func write(_ key: CodingKeys, into w: inout JSONWriter) {
        let name = key.rawValue
        switch key {
        case .headers:
            // Header names are data, written in String order (HeaderFields' own order when encoded).
            w.object(name) { h in
                for field in headers.fields.sorted(by: { $0.name < $1.name }) { h.field(dynamic: field.name, field.value) }
            }
        case .body: w.field(name, body)
        case .truncatedFrom: w.field(name, truncatedFrom)
        }
    }

    public static func scan(_ s: inout JSONScanner) throws -> HTTPExcerpt {
        var excerpt = HTTPExcerpt()
        var sawHeaders = false
        try s.members(CodingKeys.self) { key, s in
            guard let key else { return try s.skipValue() }
            switch key {
            case .headers:
                sawHeaders = true
                var fields: [(String, String)] = []
                try s.object { name, s in fields.append((name, try s.string())) }
                excerpt.headers = HeaderFields(fields.sorted { $0.0 < $1.0 })
            case .body: excerpt.body = s.null() ? nil : try s.string()
            case .truncatedFrom: excerpt.truncatedFrom = s.null() ? nil : try s.int()
            }
        }
        guard sawHeaders else { throw JSONScanner.Mismatch() }
        return excerpt
    }
}
