// ProbeResultScan: the fast path for reading a result line (see JSONScanner). Anything unexpected — a
// missing field, a wrong type, a newer version — returns nil, and BatchFile decodes the line again with
// JSONDecoder to say precisely what is wrong.

import Foundation

extension ProbeResult {
    /// Decodes a version-1 result line, or nil if the line is anything else. With `excerptsOfSuccesses` false,
    /// the request/response excerpts of `ok` results are skipped rather than decoded (records are written
    /// with sorted keys, so `outcome` is known by then).
    public static func scan(_ bytes: some Collection<UInt8>, excerptsOfSuccesses: Bool = true) -> ProbeResult? {
        JSONScanner.scan(bytes) { s -> ProbeResult? in
            var v = 0
            var kind = ""
            var run = ""
            var shard: Shard?
            var id = ""
            var service = ""
            var name = ""
            var method = ""
            var url = ""
            var outcome: Outcome?
            var status: Int?
            var latency: Double?
            var attempts: Int?
            var started: Date?
            var error: String?
            var skippedSince: Date?
            var circuitOpenSince: Date?
            var location: String?
            var request: HTTPExcerpt?
            var response: HTTPExcerpt?
            var timings: PhaseTimings?
            var remoteIP: String?
            var httpVersion: String?
            var finalURL: String?
            var redirects: Int?
            var bodyBytes: Int?
            var tls: TLSFacts?
            var failureThreshold: Int?
            var successThreshold: Int?
            var seen = 0
            try s.object { key, s in
                switch key {
                case "v": v = try s.int()
                case "kind": kind = try s.string()
                case "run":
                    run = try s.string()
                    seen += 1
                case "shard":
                    guard let parsed = Shard(parsing: try s.string()) else { throw JSONScanner.Mismatch() }
                    shard = parsed
                case "id":
                    id = try s.string()
                    seen += 1
                case "service":
                    service = try s.string()
                    seen += 1
                case "name":
                    name = try s.string()
                    seen += 1
                case "method":
                    method = try s.string()
                    seen += 1
                case "url":
                    url = try s.string()
                    seen += 1
                case "outcome":
                    guard let parsed = Outcome(rawValue: try s.string()) else { throw JSONScanner.Mismatch() }
                    outcome = parsed
                case "status": status = s.null() ? nil : try s.int()
                case "latency_ms": latency = s.null() ? nil : try s.double()
                case "attempts": attempts = try s.int()
                case "started_at": started = try s.timestamp()
                case "error": error = s.null() ? nil : try s.string()
                case "skipped_since": skippedSince = s.null() ? nil : try s.timestamp()
                case "circuit_open_since": circuitOpenSince = s.null() ? nil : try s.timestamp()
                case "location": location = s.null() ? nil : try s.string()
                case "request", "response":
                    if !excerptsOfSuccesses, outcome == .ok {
                        try s.skipValue()
                    } else if !s.null() {
                        let excerpt = try HTTPExcerpt.scan(&s)
                        if key == "request" { request = excerpt } else { response = excerpt }
                    }
                case "timings": timings = s.null() ? nil : try PhaseTimings.scan(&s)
                case "remote_ip": remoteIP = s.null() ? nil : try s.string()
                case "http_version": httpVersion = s.null() ? nil : try s.string()
                case "final_url": finalURL = s.null() ? nil : try s.string()
                case "redirects": redirects = s.null() ? nil : try s.int()
                case "body_bytes": bodyBytes = s.null() ? nil : try s.int()
                case "tls": tls = s.null() ? nil : try TLSFacts.scan(&s)
                case "failure_threshold": failureThreshold = s.null() ? nil : try s.int()
                case "success_threshold": successThreshold = s.null() ? nil : try s.int()
                default: try s.skipValue()
                }
            }
            guard v == RecordCoding.version, kind == RecordKind.result.rawValue, seen == 6, let shard, let outcome, let attempts, let started else {
                return nil
            }
            var result = ProbeResult(
                run: run, shard: shard, id: id, service: service, name: name, method: method, url: url,
                outcome: outcome, status: status, latencyMs: latency, attempts: attempts, startedAt: started,
                error: error, skippedSince: skippedSince, request: request, response: response)
            result.timings = timings
            result.remoteIP = remoteIP
            result.httpVersion = httpVersion
            result.finalURL = finalURL
            result.redirects = redirects
            result.bodyBytes = bodyBytes
            result.tls = tls
            result.failureThreshold = failureThreshold
            result.successThreshold = successThreshold
            result.circuitOpenSince = circuitOpenSince
            result.location = location
            return result
        } ?? nil
    }
}

extension PhaseTimings {
    static func scan(_ s: inout JSONScanner) throws -> PhaseTimings {
        var t = PhaseTimings()
        var seen = 0
        try s.object { key, s in
            switch key {
            case "dns":
                t.dns = try s.double()
                seen |= 1
            case "connect":
                t.connect = try s.double()
                seen |= 2
            case "tls":
                t.tls = try s.double()
                seen |= 4
            case "first_byte":
                t.firstByte = try s.double()
                seen |= 8
            case "total":
                t.total = try s.double()
                seen |= 16
            default: try s.skipValue()
            }
        }
        // Every phase is required, as for JSONDecoder: a missing one is never read as 0.
        guard seen == 31 else { throw JSONScanner.Mismatch() }
        return t
    }
}

extension TLSFacts {
    static func scan(_ s: inout JSONScanner) throws -> TLSFacts {
        var facts = TLSFacts(subject: "", issuer: "", notAfter: nil, daysLeft: nil, earliestNotAfter: nil)
        var seen = 0
        try s.object { key, s in
            switch key {
            case "subject":
                facts.subject = try s.string()
                seen |= 1
            case "version": facts.version = s.null() ? nil : try s.string()
            case "issuer":
                facts.issuer = try s.string()
                seen |= 2
            case "not_after": facts.notAfter = s.null() ? nil : try s.timestamp()
            case "days_left": facts.daysLeft = s.null() ? nil : try s.int()
            case "earliest_not_after": facts.earliestNotAfter = s.null() ? nil : try s.timestamp()
            default: try s.skipValue()
            }
        }
        guard seen == 3 else { throw JSONScanner.Mismatch() }
        return facts
    }
}

extension HTTPExcerpt {
    static func scan(_ s: inout JSONScanner) throws -> HTTPExcerpt {
        var excerpt = HTTPExcerpt()
        var sawHeaders = false
        try s.object { key, s in
            switch key {
            case "headers":
                sawHeaders = true
                var fields: [(String, String)] = []
                try s.object { name, s in fields.append((name, try s.string())) }
                excerpt.headers = HeaderFields(fields.sorted { $0.0 < $1.0 })
            case "body": excerpt.body = s.null() ? nil : try s.string()
            case "truncated_from": excerpt.truncatedFrom = s.null() ? nil : try s.int()
            default: try s.skipValue()
            }
        }
        guard sawHeaders else { throw JSONScanner.Mismatch() }
        return excerpt
    }
}
