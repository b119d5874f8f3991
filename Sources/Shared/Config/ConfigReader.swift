// ConfigReader: typed reading of a parsed document with diagnostics. Each accessor records a precise issue
// (file, line, key path, expected vs found) and returns nil instead of throwing, so one pass finds every
// mistake; unknown keys are reported with the closest known key as a hint.

import Foundation

/// Reads values out of one file's nodes and collects the issues found.
public final class ConfigReader {
    public let file: String
    public let environment: Environment
    public private(set) var issues: [ConfigIssue] = []
    /// Values that came from the environment under secret-looking keys, and literal secrets.
    public private(set) var secrets: [String] = []
    /// Every key a loader asked for, by its path with list positions removed (`notify.wecom.webhook_url`), and
    /// the range it accepts where it has one: what docs/configuration.md must list (a test keeps them equal).
    public private(set) var knownKeys: [String: String] = [:]
    /// Whether `knownKeys` is filled (only for the documentation check: loading a pool stays cheap).
    var recordsKeys = false
    /// The keys whose `${…}` could not be expanded (with `Environment.toleratesUnset`).
    public private(set) var unresolved: [UnsetReference] = []

    public init(file: String, environment: Environment) {
        self.file = file
        self.environment = environment
    }

    public func issue(_ node: Node?, _ key: String, _ message: String) {
        issue(line: node?.line, key, message)
    }

    public func issue(line: Int?, _ key: String, _ message: String) {
        // A key left out for an unset variable is not also "missing" or "invalid": it is simply unknown here.
        if !unresolved.isEmpty, unresolved.contains(where: { key == $0.key || key.hasPrefix($0.key + ".") }) {
            return
        }
        issues.append(ConfigIssue(file: file, line: line, key: key, message: message))
    }

    /// The mapping at `node` as a field reader, or nil (with an issue) if it is something else.
    public func fields(_ node: Node?, path: String) -> Fields? {
        guard let node else { return nil }
        if node.isNull { return Fields(reader: self, path: path, node: Node(.mapping([]), line: node.line)) }
        guard node.entries != nil else {
            issue(node, path, "expected a mapping of keys, found \(node.kindDescription)")
            return nil
        }
        return Fields(reader: self, path: path, node: node)
    }

    /// A scalar with `${…}` expanded. Values under secret-looking keys are remembered as secrets, whether they
    /// came from the environment or were written in the file.
    public func text(_ node: Node, _ path: String) -> String? {
        guard let raw = node.scalar else {
            issue(node, path, "expected a text value, found \(node.kindDescription)")
            return nil
        }
        do {
            let (text, _) = try environment.expand(raw)
            if ConfigReader.looksSecret(path) { remember(secret: text) }
            return text
        } catch let Environment.ExpansionError.missing(name) where environment.toleratesUnset {
            unresolved.append(UnsetReference(variable: name, file: file, line: node.line, key: path))
            return nil
        } catch {
            issue(node, path, "\(error)")
            return nil
        }
    }

    /// A node with `${…}` expanded in every scalar (for bodies, params and headers).
    public func expanded(_ node: Node, _ path: String) -> Node {
        switch node.value {
        case let .scalar(raw, style):
            guard raw.utf8.contains(UInt8(ascii: "$")) else { return node }
            guard let text = text(node, path) else { return node }
            // A value written with ${…} is text whatever it expands to: "${PIN}" must not become the number 7.
            return Node(.scalar(text, text == raw ? style : .quoted), line: node.line)
        case let .sequence(items):
            return Node(.sequence(items.enumerated().map { expanded($1, "\(path)[\($0)]") }), line: node.line)
        case let .mapping(entries):
            return Node(
                .mapping(
                    entries.map {
                        Node.Entry(key: $0.key, line: $0.line, value: expanded($0.value, path + "." + $0.key))
                    }), line: node.line)
        }
    }

    /// Records that a loader reads `path` (see `knownKeys`).
    func know(_ path: @autoclosure () -> String, range: @autoclosure () -> String?) {
        guard recordsKeys else { return }
        let path = path()
        let range = range()
        var clean = ""
        var skipping = false
        for c in path {
            if c == "[" { skipping = true } else if c == "]" { skipping = false } else if !skipping { clean.append(c) }
        }
        if knownKeys[clean] == nil || range != nil { knownKeys[clean] = range ?? "" }
    }

    /// `node` as a JSON value (request bodies), `${…}` expanded; a value JSON cannot carry (`.inf`, `.nan`) is
    /// an issue rather than a silent string.
    public func json(_ node: Node, _ path: String) -> JSONValue {
        let value = expanded(node, path)
        if let bad = value.firstNonJSONScalar {
            issue(bad, path, "\"\(bad.scalar ?? "")\" is a YAML number that JSON cannot carry; quote it to send it as text")
        }
        return JSONValue(node: value)
    }

    public func remember(secret: String) {
        secrets.append(secret)
        Redactor.register(secret)
    }

    /// Keys whose values are credentials: passwords, secrets, tokens, keys, authorization and credential
    /// values, webhook URLs (their query carries the key), under any spelling (`X-Api-Token`, `client_secret`).
    /// Settings *about* such fields (`token_field`) are not secrets.
    public static func looksSecret(_ path: String) -> Bool {
        // On the probe path for every header: bytes, not Foundation's string search.
        let key = Array(
            (path.utf8.split(separator: UInt8(ascii: ".")).last ?? []).map { byte -> UInt8 in
                byte == UInt8(ascii: "-") ? UInt8(ascii: "_") : (65...90).contains(byte) ? byte + 32 : byte
            })
        func has(_ word: StaticString) -> Bool {
            let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            guard key.count >= w.count else { return false }
            return (0...(key.count - w.count)).contains { i in (0..<w.count).allSatisfy { key[i + $0] == w[$0] } }
        }
        func ends(_ word: StaticString) -> Bool {
            key.count >= word.utf8CodeUnitCount
                && Array(key.suffix(word.utf8CodeUnitCount)) == Array(UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount))
        }
        if ends("_field") { return false }
        if has("password") || has("passwd") || has("secret") || has("token") || has("apikey") || has("authorization")
            || has("credential") || has("private_key") || ends("_key")
        {
            return true
        }
        return key == Array("key".utf8) || key == Array("webhook_url".utf8)
    }
}

/// The keys of one mapping, read one by one; `finish()` reports the keys nobody asked for.
public final class Fields {
    public let reader: ConfigReader
    public let path: String
    public let node: Node
    private var used: Set<String> = []

    init(reader: ConfigReader, path: String, node: Node) {
        self.reader = reader
        self.path = path
        self.node = node
    }

    private func key(_ name: String) -> String { path.isEmpty ? name : path + "." + name }

    /// The raw node under `name` (marks it as known).
    public func node(_ name: String) -> Node? {
        if used.insert(name).inserted { reader.know(key(name), range: nil) }
        guard let value = node[name], !value.isNull else { return nil }
        return value
    }

    /// Whether the key is present (even with a null value).
    public func has(_ name: String) -> Bool { node[name] != nil }

    public func string(_ name: String, required: Bool = false) -> String? {
        guard let value = node(name) else {
            if required { reader.issue(line: node.line, key(name), "missing; this key is required") }
            return nil
        }
        return reader.text(value, key(name))
    }

    public func int(_ name: String, range: ClosedRange<Int>) -> Int? {
        reader.know(key(name), range: "\(range.lowerBound)–\(range.upperBound)")
        guard let value = node(name), let text = reader.text(value, key(name)) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            reader.issue(value, key(name), "expected a whole number from \(range.lowerBound) to \(range.upperBound), found \"\(text)\"")
            return nil
        }
        return number
    }

    public func bool(_ name: String) -> Bool? {
        guard let value = node(name), let text = reader.text(value, key(name)) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            reader.issue(value, key(name), "expected true or false, found \"\(text)\"")
            return nil
        }
    }

    /// A duration in seconds within `range` (seconds); a plain number means `unit`.
    public func duration(_ name: String, unit: DurationParser.Unit, range: ClosedRange<Double>) -> Double? {
        func bounds() -> String { "\(DurationParser.format(range.lowerBound))–\(DurationParser.format(range.upperBound))" }
        reader.know(key(name), range: bounds())
        guard let value = node(name), let text = reader.text(value, key(name)) else { return nil }
        guard let seconds = DurationParser.parse(text, defaultUnit: unit) else {
            reader.issue(
                value, key(name),
                "expected a duration such as 10 (\(unit.name)), 10s, 15m, 500ms or 1h, "
                    + "found \"\(text)\"")
            return nil
        }
        guard range.contains(seconds) else {
            reader.issue(
                value, key(name),
                "expected a duration from \(bounds().replacingOccurrences(of: "–", with: " to ")), "
                    + "found \"\(text)\"")
            return nil
        }
        return seconds
    }

    /// A size in bytes, at most `maximum`.
    public func bytes(_ name: String, maximum: UInt64) -> UInt64? {
        reader.know(key(name), range: "0–\(DurationParser.formatBytes(maximum))")
        guard let value = node(name), let text = reader.text(value, key(name)) else { return nil }
        guard let bytes = DurationParser.bytes(text), bytes <= maximum else {
            reader.issue(
                value, key(name),
                "expected a size from 0 to \(DurationParser.formatBytes(maximum)) such as 64MB or 1GB, "
                    + "found \"\(text)\"")
            return nil
        }
        return bytes
    }

    /// A list of texts; a single text is accepted as a list of one.
    public func strings(_ name: String) -> [String]? {
        guard let value = node(name) else { return nil }
        if value.scalar != nil { return reader.text(value, key(name)).map { [$0] } }
        guard let items = value.items else {
            reader.issue(value, key(name), "expected a list, found \(value.kindDescription)")
            return nil
        }
        return items.enumerated().compactMap { reader.text($1, key(name) + "[\($0)]") }
    }

    /// A mapping of texts (headers, params), keeping the written order.
    public func stringPairs(_ name: String) -> [(String, String)]? {
        guard let value = node(name) else { return nil }
        guard let entries = value.entries else {
            reader.issue(value, key(name), "expected a mapping such as {X-Client: vigil}, found \(value.kindDescription)")
            return nil
        }
        return entries.compactMap { entry in
            guard let text = reader.text(entry.value, key(name) + "." + entry.key) else { return nil }
            return (entry.key, text)
        }
    }

    /// One of `choices`.
    public func choice(_ name: String, _ choices: [String]) -> String? {
        guard let value = node(name), let text = reader.text(value, key(name)) else { return nil }
        guard choices.contains(text) else {
            reader.issue(value, key(name), "expected one of \(choices.joined(separator: ", ")), found \"\(text)\"")
            return nil
        }
        return text
    }

    /// Reports keys present in the mapping that nobody read, with the closest known key as a hint.
    public func finish() {
        for entry in node.entries ?? [] where !used.contains(entry.key) {
            var message = "unknown key"
            if let hint = Fields.closest(to: entry.key, in: used) { message += "; did you mean \"\(hint)\"?" }
            if !used.isEmpty { message += " (known keys: \(used.sorted().joined(separator: ", ")))" }
            reader.issue(line: entry.line, key(entry.key), message)
        }
    }

    static func closest(to word: String, in candidates: Set<String>) -> String? {
        let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { ($0.1, $0.0) < ($1.1, $1.0) }), best.1 <= max(2, word.count / 3) else {
            return nil
        }
        return best.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// Parses a config or interface file by its extension (`.json` or YAML).
public enum DocumentParser {
    public static func parse(path: String, displayName: String) throws -> Node {
        let text = try self.text(path: path, displayName: displayName)
        do {
            return path.lowercased().hasSuffix(".json") ? try JSONDocument.parse(text) : try YAML.parse(text)
        } catch let error as SyntaxError {
            throw ConfigError([
                ConfigIssue(
                    file: displayName, line: error.line, key: nil,
                    message: "column \(error.column): \(error.message)")
            ])
        }
    }

    /// Like `parse`, but each item of the top-level list, or of the list under the top-level mapping's `key`,
    /// goes to `item` with its path (`key[3]`, `[3]`) and the returned root has that list left empty. JSON files
    /// are never held whole (a 100 000-interface file costs one item's tree at a time); YAML ones are parsed
    /// first. Items handed over before a syntax error are void: the error is thrown all the same.
    public static func parse(
        path: String, displayName: String, streamingItemsOf key: String,
        item: (String, Node) throws -> Void
    ) throws -> Node {
        let text = try self.text(path: path, displayName: displayName)
        do {
            if path.lowercased().hasSuffix(".json") { return try JSONDocument.parse(text, streamingItemsOf: key, item: item) }
            let root = try YAML.parse(text)
            if let items = root.items {
                for (index, node) in items.enumerated() { try item("[\(index)]", node) }
                return Node(.sequence([]), line: root.line)
            }
            guard let entries = root.entries, let list = root[key], let items = list.items else { return root }
            for (index, node) in items.enumerated() { try item("\(key)[\(index)]", node) }
            return Node(
                .mapping(entries.map { $0.key == key ? Node.Entry(key: key, line: $0.line, value: Node(.sequence([]), line: list.line)) : $0 }),
                line: root.line)
        } catch let error as SyntaxError {
            throw ConfigError([
                ConfigIssue(
                    file: displayName, line: error.line, key: nil,
                    message: "column \(error.column): \(error.message)")
            ])
        }
    }

    /// The text of a file that must be UTF-8, or a ConfigError naming it.
    public static func text(path: String, displayName: String) throws -> String {
        let bytes: [UInt8]
        do {
            bytes = try FileIO.read(path)
        } catch {
            throw ConfigError([ConfigIssue(file: displayName, line: nil, key: nil, message: "cannot read: \(error)")])
        }
        guard let text = String(strictUTF8: bytes) else {
            throw ConfigError([ConfigIssue(file: displayName, line: nil, key: nil, message: "not valid UTF-8 text")])
        }
        return text
    }
}

extension String {
    public init?(strictUTF8 bytes: [UInt8]) {
        // The standard library validates in bulk; the scalar loop below is the fallback of older toolchains.
        if #available(macOS 15, *) {
            guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
            self = text
            return
        }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var out = String.UnicodeScalarView()
        while true {
            switch decoder.decode(&iterator) {
            case let .scalarValue(scalar): out.append(scalar)
            case .emptyInput:
                self = String(out)
                return
            case .error: return nil
            }
        }
    }
}
