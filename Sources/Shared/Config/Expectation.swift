// Expectation: what an answer must be to count as ok — its status, its speed, its body (texts, patterns,
// JSON values), its headers and its certificate's remaining days. Written under `expect:` in an interface
// and, as defaults for all of a service's interfaces, under `services.<name>.expect`; the interface's own
// keys add to or override the service's, key by key (docs/configuration.md, "Checks"). Every path and
// pattern is checked when the file is read, so a mistake is a config error with file:line, never a probe
// that fails for a reason the team did not write.

import Foundation

public struct Expectation: Sendable, Equatable {
    /// Accepted status codes; empty means 200–299.
    public var statuses: [Int] = []
    /// Slower answers fail as `assertion`.
    public var maxLatency: Double?
    /// Texts the body must contain.
    public var bodyContains: [String] = []
    /// Texts the body must not contain.
    public var bodyNotContains: [String] = []
    /// Regular expressions (Swift Regex syntax) that must match somewhere in the body; valid when read.
    public var bodyMatches: [String] = []
    public var headers: [HeaderCheck] = []
    public var json: [JSONCheck] = []
    /// Fewer whole days left on the server's certificate chain fail as `cert_expiring` (0: never).
    public var certMinDays: Int?
    /// An interface's `inherit: false`: the service's `expect` does not apply to it.
    public var inherits = true

    public init() {}

    public func accepts(status: Int) -> Bool {
        statuses.isEmpty ? (200..<300).contains(status) : statuses.contains(status)
    }

    /// These expectations on top of a service's `defaults`: status, max_latency and cert_min_days replace the
    /// service's when set; body texts and patterns add to them; a header check replaces the service's check of
    /// that header, a JSON check the service's checks of the same path, and the others stay.
    public func applied(over defaults: Expectation?) -> Expectation {
        guard let defaults, inherits else { return self }
        var merged = self
        if statuses.isEmpty { merged.statuses = defaults.statuses }
        merged.maxLatency = maxLatency ?? defaults.maxLatency
        merged.certMinDays = certMinDays ?? defaults.certMinDays
        merged.bodyContains = defaults.bodyContains.filter { !bodyContains.contains($0) } + bodyContains
        merged.bodyNotContains = defaults.bodyNotContains.filter { !bodyNotContains.contains($0) } + bodyNotContains
        merged.bodyMatches = defaults.bodyMatches.filter { !bodyMatches.contains($0) } + bodyMatches
        let ownHeaders = Set(headers.map { $0.name.lowercased() })
        merged.headers = defaults.headers.filter { !ownHeaders.contains($0.name.lowercased()) } + headers
        let ownPaths = Set(json.map(\.path.canonical))
        merged.json = defaults.json.filter { !ownPaths.contains($0.path.canonical) } + json
        return merged
    }

    /// Which of the service's `defaults` these expectations replace, in words (`status`, `json code`).
    public func overrides(of defaults: Expectation) -> [String] {
        guard inherits else { return [] }
        var replaced: [String] = []
        if !statuses.isEmpty, !defaults.statuses.isEmpty { replaced.append("status") }
        if maxLatency != nil, defaults.maxLatency != nil { replaced.append("max_latency") }
        if certMinDays != nil, defaults.certMinDays != nil { replaced.append("cert_min_days") }
        let own = Set(headers.map { $0.name.lowercased() })
        replaced += defaults.headers.filter { own.contains($0.name.lowercased()) }.map { "header \($0.name)" }
        let paths = Set(json.map(\.path.canonical))
        replaced += defaults.json.filter { paths.contains($0.path.canonical) }.map { "json \($0.path)" }
        return replaced
    }

    /// The keys these expectations set, in words (`check` lists what a service's interfaces inherit).
    public var summary: String {
        var parts: [String] = []
        if !statuses.isEmpty { parts.append("status \(Expectation.describe(statuses))") }
        if let maxLatency { parts.append("max_latency \(DurationParser.format(maxLatency))") }
        for text in bodyContains { parts.append("body contains \(text.debugDescription)") }
        for text in bodyNotContains { parts.append("body does not contain \(text.debugDescription)") }
        for pattern in bodyMatches { parts.append("body matches /\(pattern)/") }
        for check in headers { parts.append("header \(check.name) \(check.test)") }
        for check in json { parts.append("json \(check.path) \(check.test)") }
        if let certMinDays { parts.append("cert_min_days \(certMinDays)") }
        return parts.isEmpty ? "none" : parts.joined(separator: "; ")
    }

    /// `200, 204` or `200–299`.
    public static func describe(_ statuses: [Int]) -> String {
        guard statuses.count > 10, let first = statuses.first, let last = statuses.last else {
            return statuses.map(String.init).joined(separator: ", ")
        }
        return "\(first)–\(last)"
    }
}

/// A check of one response header.
public struct HeaderCheck: Sendable, Equatable {
    public enum Test: Sendable, Equatable, CustomStringConvertible {
        case equals(String)
        case matches(String)
        case exists(Bool)

        public var description: String {
            switch self {
            case let .equals(text): "equals \(text.debugDescription)"
            case let .matches(pattern): "matches /\(pattern)/"
            case let .exists(present): present ? "exists" : "is absent"
            }
        }
    }

    public let name: String
    public let test: Test

    public init(name: String, test: Test) {
        self.name = name
        self.test = test
    }
}

/// A check of one value of a JSON body.
public struct JSONCheck: Sendable, Equatable {
    public enum Test: Sendable, Equatable, CustomStringConvertible {
        case equals(JSONValue)
        case notEquals(JSONValue)
        case oneOf([JSONValue])
        case exists(Bool)
        /// string, number, bool, array, object or null.
        case type(String)
        case matches(String)
        case lessThan(Double, written: String)
        case greaterThan(Double, written: String)
        case minLength(Int)
        case maxLength(Int)

        public var description: String {
            switch self {
            case let .equals(value): "equals \(value.serialized())"
            case let .notEquals(value): "not_equals \(value.serialized())"
            case let .oneOf(values): "in \(JSONValue.array(values).serialized())"
            case let .exists(present): present ? "exists" : "is absent"
            case let .type(name): "type \(name)"
            case let .matches(pattern): "matches /\(pattern)/"
            case let .lessThan(_, written): "less_than \(written)"
            case let .greaterThan(_, written): "greater_than \(written)"
            case let .minLength(n): "min_length \(n)"
            case let .maxLength(n): "max_length \(n)"
            }
        }
    }

    public let path: JSONPath
    public let test: Test

    public init(path: JSONPath, test: Test) {
        self.path = path
        self.test = test
    }

    public static let operators = [
        "equals", "not_equals", "in", "exists", "type", "matches", "less_than", "greater_than", "min_length", "max_length",
    ]
    public static let types = ["string", "number", "bool", "array", "object", "null"]
}

extension Expectation {
    /// Reads an `expect:` mapping. `interface`: whether `inherit` may be written (it may not in a service).
    static func read(_ node: Node?, _ reader: ConfigReader, path: String, interface: Bool) -> Expectation {
        var expect = Expectation()
        guard let e = reader.fields(node, path: path) else { return expect }
        if let statusNode = e.node("status") {
            let texts =
                statusNode.items.map { $0.compactMap { reader.text($0, path + ".status") } }
                ?? reader.text(statusNode, path + ".status").map { [$0] } ?? []
            for text in texts {
                if let code = Int(text), (100...599).contains(code) {
                    expect.statuses.append(code)
                } else if text.count == 3, text.hasSuffix("xx"), let first = Int(text.prefix(1)), (1...5).contains(first) {
                    expect.statuses += Array((first * 100)..<(first * 100 + 100))
                } else {
                    reader.issue(statusNode, path + ".status", "expected HTTP status codes such as 200 or [200, 204] or 2xx, found \"\(text)\"")
                }
            }
        }
        expect.maxLatency = e.duration("max_latency", unit: .milliseconds, range: Limits.requestTimeout)
        expect.bodyContains = e.strings("body_contains") ?? []
        expect.bodyNotContains = e.strings("body_not_contains") ?? []
        if let node = e.node("body_matches") {
            let items = node.items ?? [node]
            for (i, item) in items.enumerated() {
                let key = path + ".body_matches" + (node.items == nil ? "" : "[\(i)]")
                if let pattern = reader.text(item, key), validPattern(pattern, item, reader, key) { expect.bodyMatches.append(pattern) }
            }
        }
        expect.headers = readHeaders(e.node("headers"), reader, path: path + ".headers")
        expect.json = readJSONChecks(e.node("json"), reader, path: path + ".json")
        expect.certMinDays = e.int("cert_min_days", range: 0...3650)
        if interface {
            expect.inherits = e.bool("inherit") ?? true
        }
        e.finish()
        return expect
    }

    /// Whether `pattern` compiles; an issue naming the problem otherwise.
    static func validPattern(_ pattern: String, _ node: Node, _ reader: ConfigReader, _ key: String) -> Bool {
        do {
            _ = try Regex(pattern)
            return true
        } catch {
            reader.issue(node, key, "not a regular expression: \(error) in /\(pattern)/")
            return false
        }
    }

    private static func readHeaders(_ node: Node?, _ reader: ConfigReader, path: String) -> [HeaderCheck] {
        guard let node else { return [] }
        guard let entries = node.entries else {
            reader.issue(
                node, path, "expected a mapping of header names to checks such as {Content-Type: {matches: json}}, found \(node.kindDescription)")
            return []
        }
        return entries.compactMap { entry -> HeaderCheck? in
            let key = path + "." + entry.key
            // `Content-Type: application/json` is short for `{equals: application/json}`.
            if entry.value.scalar != nil {
                return reader.text(entry.value, key).map { HeaderCheck(name: entry.key, test: .equals($0)) }
            }
            guard let f = reader.fields(entry.value, path: key) else { return nil }
            defer { f.finish() }
            var tests: [HeaderCheck.Test] = []
            if let text = f.string("equals") { tests.append(.equals(text)) }
            if let node = f.node("matches"), let pattern = reader.text(node, key + ".matches"), validPattern(pattern, node, reader, key + ".matches")
            {
                tests.append(.matches(pattern))
            }
            if let present = f.bool("exists") { tests.append(.exists(present)) }
            let written = ["equals", "matches", "exists"].filter { f.has($0) }
            guard written.count == 1 else {
                reader.issue(
                    entry.value, key,
                    written.isEmpty
                        ? "expected one check: equals, matches or exists"
                        : "expected one check, found \(written.count) (\(written.joined(separator: ", "))); write one per header")
                return nil
            }
            return tests.first.map { HeaderCheck(name: entry.key, test: $0) }
        }
    }

    private static func readJSONChecks(_ node: Node?, _ reader: ConfigReader, path: String) -> [JSONCheck] {
        guard let node else { return [] }
        guard let items = node.items else {
            reader.issue(node, path, "expected a list of checks such as [{path: code, equals: 0}], found \(node.kindDescription)")
            return []
        }
        return items.enumerated().compactMap { i, item in readJSONCheck(item, reader, path: path + "[\(i)]") }
    }

    private static func readJSONCheck(_ node: Node, _ reader: ConfigReader, path: String) -> JSONCheck? {
        guard let f = reader.fields(node, path: path) else { return nil }
        defer { f.finish() }
        let before = reader.issues.count
        var jsonPath: JSONPath?
        if let text = f.string("path", required: true) {
            do {
                jsonPath = try JSONPath(parsing: text)
            } catch {
                reader.issue(
                    f.node("path"), path + ".path", "\"\(text)\" is not a supported path: \(error) (see \"JSON paths\" in docs/configuration.md)")
            }
        }
        var tests: [JSONCheck.Test] = []
        // `equals: null` is a value to compare with, not an absent key.
        let equals = f.node("equals")
        if f.has("equals") { tests.append(.equals(equals.map { reader.json($0, path + ".equals") } ?? .null)) }
        let notEquals = f.node("not_equals")
        if f.has("not_equals") { tests.append(.notEquals(notEquals.map { reader.json($0, path + ".not_equals") } ?? .null)) }
        if let value = f.node("in") {
            if let list = value.items {
                tests.append(.oneOf(list.enumerated().map { reader.json($1, path + ".in[\($0)]") }))
            } else {
                reader.issue(value, path + ".in", "expected a list of values such as [active, pending], found \(value.kindDescription)")
            }
        }
        if let present = f.bool("exists") { tests.append(.exists(present)) }
        if let name = f.choice("type", JSONCheck.types) { tests.append(.type(name)) }
        if let value = f.node("matches"), let pattern = reader.text(value, path + ".matches"),
            validPattern(pattern, value, reader, path + ".matches")
        {
            tests.append(.matches(pattern))
        }
        for (key, make) in [("less_than", JSONCheck.Test.lessThan), ("greater_than", JSONCheck.Test.greaterThan)] {
            guard let value = f.node(key), let text = reader.text(value, path + "." + key) else { continue }
            guard JSONValue.isJSONNumber(text), let number = Double(text), number.isFinite else {
                reader.issue(value, path + "." + key, "expected a number such as 0 or 2.5, found \"\(text)\"")
                continue
            }
            tests.append(make(number, text))
        }
        if let n = f.int("min_length", range: 0...1_000_000) { tests.append(.minLength(n)) }
        if let n = f.int("max_length", range: 0...1_000_000) { tests.append(.maxLength(n)) }
        let written = JSONCheck.operators.filter { f.has($0) }
        if written.count != 1 {
            reader.issue(
                node, path,
                written.isEmpty
                    ? "expected one check besides path: \(JSONCheck.operators.joined(separator: ", "))"
                    : "expected one check per item, found \(written.count) (\(written.joined(separator: ", "))); write one item each")
        }
        guard reader.issues.count == before, let jsonPath, let test = tests.first else { return nil }
        return JSONCheck(path: jsonPath, test: test)
    }
}
