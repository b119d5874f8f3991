// ProbeResult: one line of a batch, the outcome of probing one interface once (after retries), with request
// and response excerpts for the report. Secrets are masked before a result is built: the Authorization
// header, token values and configured secret fields never reach the spool.

import Foundation

/// Header names and values kept in their order, encoded as a JSON object with keys sorted so that the same
/// result always produces the same bytes.
public struct HeaderFields: Codable, Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public struct Field: Sendable, Equatable {
        public let name: String
        public let value: String
    }

    public var fields: [Field]

    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { Field(name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// The first value of `name` (case-insensitive).
    public subscript(_ name: String) -> String? {
        fields.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    public var isEmpty: Bool { fields.isEmpty }

    /// The same fields without those whose name matches.
    public func removing(where name: (String) -> Bool) -> HeaderFields {
        var copy = self
        copy.fields.removeAll { name($0.name) }
        return copy
    }

    private struct FieldKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: FieldKey.self)
        fields = try container.allKeys.sorted { $0.stringValue < $1.stringValue }.map {
            Field(name: $0.stringValue, value: try container.decode(String.self, forKey: $0))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        for field in fields.sorted(by: { $0.name < $1.name }) {
            try container.encode(field.value, forKey: FieldKey(stringValue: field.name))
        }
    }
}

/// What was sent or received, trimmed for the report (body capped at 2 KiB).
public struct HTTPExcerpt: Codable, Sendable, Equatable {
    public var headers: HeaderFields
    public var body: String?
    /// Set when the body was longer than the cap; the full size in bytes.
    public var truncatedFrom: Int?

    /// The cap on excerpted bodies.
    public static let bodyLimit = 2048

    public init(headers: HeaderFields = [:], body: String? = nil, truncatedFrom: Int? = nil) {
        self.headers = headers
        self.body = body
        self.truncatedFrom = truncatedFrom
    }

    /// An excerpt of `bytes`, cut at `bodyLimit` on a UTF-8 boundary.
    public static func body(_ bytes: [UInt8]) -> (text: String?, truncatedFrom: Int?) {
        guard !bytes.isEmpty else { return (nil, nil) }
        guard bytes.count > bodyLimit else { return (String(decoding: bytes, as: UTF8.self), nil) }
        var end = bodyLimit
        // Step back over continuation bytes (10xxxxxx) so no character is cut in half.
        while end > 0, bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return (String(decoding: bytes[0..<end], as: UTF8.self), bytes.count)
    }

    public enum CodingKeys: String, WireKey {
        case headers, body
        case truncatedFrom = "truncated_from"
    }
}

/// `{"v":1,"kind":"result",…}`: the result of probing one interface.
/// The server certificate of an HTTPS probe: the leaf's names and expiry, and the earliest expiry in the chain.
public struct TLSFacts: Codable, Sendable, Equatable {
    /// "TLSv1.3", where libcurl's TLS library says.
    public var version: String?
    public var subject: String
    public var issuer: String
    public var notAfter: Date?
    /// Whole days from the probe to the leaf's expiry (negative once expired).
    public var daysLeft: Int?
    public var earliestNotAfter: Date?

    public init(subject: String, issuer: String, notAfter: Date?, daysLeft: Int?, earliestNotAfter: Date?) {
        self.subject = subject
        self.issuer = issuer
        self.notAfter = notAfter
        self.daysLeft = daysLeft
        self.earliestNotAfter = earliestNotAfter
    }

    /// The facts of a certificate chain (leaf first) as seen at `now`; nil for an empty chain.
    public init?(chain: [CertificateFacts], now: Date) {
        guard let leaf = chain.first else { return nil }
        subject = leaf.subject
        issuer = leaf.issuer
        notAfter = leaf.notAfter
        daysLeft = leaf.notAfter.map { Int(($0.timeIntervalSince(now) / 86_400).rounded(.down)) }
        earliestNotAfter = chain.compactMap(\.notAfter).min()
    }

    public enum CodingKeys: String, WireKey {
        case version, subject, issuer
        case notAfter = "not_after"
        case daysLeft = "days_left"
        case earliestNotAfter = "earliest_not_after"
    }
}

public struct ProbeResult: Codable, Sendable, Equatable {
    public var v = RecordCoding.version
    public var kind = RecordKind.result.rawValue
    public var run: String
    public var shard: Shard
    public var id: String
    public var service: String
    public var name: String
    public var method: String
    public var url: String
    public var outcome: Outcome
    public var status: Int?
    public var latencyMs: Double?
    public var attempts: Int
    public var startedAt: Date
    public var error: String?
    /// For `skipped`: since when the circuit has been open.
    public var skippedSince: Date?
    /// Set when the interface's circuit breaker was open for this probe: it was probed once, without retries
    /// (the outcome is the real one); since when the circuit has been open. Absent in older records.
    public var circuitOpenSince: Date?
    /// The location whose prober measured it (`locations:`), absent with one location.
    public var location: String?
    public var request: HTTPExcerpt?
    public var response: HTTPExcerpt?
    /// Phases of the last attempt (milliseconds), where the transfer got that far.
    public var timings: PhaseTimings?
    public var remoteIP: String?
    public var httpVersion: String?
    /// Where the answer came from, when redirects were followed.
    public var finalURL: String?
    public var redirects: Int?
    /// The body's real size (excerpts and assertions see at most the service's max_body_bytes).
    public var bodyBytes: Int?
    public var tls: TLSFacts?
    /// The interface's own alerting thresholds, when its file sets them (the analyzer does not read the pool).
    public var failureThreshold: Int?
    public var successThreshold: Int?

    public init(
        run: String, shard: Shard, id: String, service: String, name: String, method: String, url: String,
        outcome: Outcome, status: Int? = nil, latencyMs: Double? = nil, attempts: Int, startedAt: Date,
        error: String? = nil, skippedSince: Date? = nil, request: HTTPExcerpt? = nil,
        response: HTTPExcerpt? = nil
    ) {
        self.run = run
        self.shard = shard
        self.id = id
        self.service = service
        self.name = name
        self.method = method
        self.url = url
        self.outcome = outcome
        self.status = status
        self.latencyMs = latencyMs
        self.attempts = attempts
        self.startedAt = startedAt
        self.error = error
        self.skippedSince = skippedSince
        self.request = request
        self.response = response
    }

    public enum CodingKeys: String, WireKey {
        case v, kind, run, shard, id, service, name, method, url, outcome, status
        case latencyMs = "latency_ms"
        case attempts
        case startedAt = "started_at"
        case error
        case skippedSince = "skipped_since"
        case request, response, timings
        case remoteIP = "remote_ip"
        case httpVersion = "http_version"
        case finalURL = "final_url"
        case redirects
        case bodyBytes = "body_bytes"
        case tls
        case failureThreshold = "failure_threshold"
        case successThreshold = "success_threshold"
        case circuitOpenSince = "circuit_open_since"
        case location
    }
}
