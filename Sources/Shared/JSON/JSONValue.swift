// JSONValue: a JSON value built from a config node (request bodies, token requests), serialized compactly and
// deterministically (keys keep their written order), with secret fields masked for excerpts.

/// A JSON value.
public indirect enum JSONValue: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public let key: String
        public let value: JSONValue

        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    case null
    case bool(Bool)
    /// The number's text, kept as written (valid JSON number syntax).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([Member])

    /// Converts a parsed node as YAML 1.2's core schema reads it: plain `true`/`false`/`null`/numbers become
    /// JSON literals, everything else text. (A value JSON cannot carry, such as `.inf`, stays text here; the
    /// config loaders refuse it first, see `Node.firstNonJSONScalar`.)
    public init(node: Node) {
        switch node.value {
        case let .scalar(text, _):
            switch node.core {
            case .null: self = .null
            case let .bool(b): self = .bool(b)
            case let .integer(json?), let .float(json?, _): self = .number(json)
            default: self = .string(text)
            }
        case let .sequence(items):
            self = .array(items.map(JSONValue.init(node:)))
        case let .mapping(entries):
            self = .object(entries.map { Member(key: $0.key, value: JSONValue(node: $0.value)) })
        }
    }

    /// The value at a dotted path (`data.access_token`; `items.0.id` indexes arrays).
    public func value(at path: String) -> JSONValue? {
        var current = self
        for part in path.split(separator: ".") {
            switch current {
            case let .object(members):
                guard let member = members.first(where: { $0.key == part }) else { return nil }
                current = member.value
            case let .array(items):
                guard let i = Int(part), items.indices.contains(i) else { return nil }
                current = items[i]
            default:
                return nil
            }
        }
        return current
    }

    /// The value as text if it is a string or a number.
    public var text: String? {
        switch self {
        case let .string(s): s
        case let .number(n): n
        default: nil
        }
    }

    /// Compact JSON text.
    public func serialized() -> String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .number(n): out += n
        case let .string(s): JSONValue.quote(s, into: &out)
        case let .array(items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(into: &out)
            }
            out += "]"
        case let .object(members):
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += "," }
                JSONValue.quote(member.key, into: &out)
                out += ":"
                member.value.write(into: &out)
            }
            out += "}"
        }
    }

    /// The same value with the values of keys named in `fields` (any depth, case-insensitive) replaced by `***`.
    public func masking(_ fields: Set<String>) -> JSONValue {
        switch self {
        case let .array(items): return .array(items.map { $0.masking(fields) })
        case let .object(members):
            return .object(
                members.map { member in
                    fields.contains(member.key.lowercased())
                        ? Member(key: member.key, value: .string(Redactor.mask))
                        : Member(key: member.key, value: member.value.masking(fields))
                })
        default: return self
        }
    }

    /// Every string value under keys named in `fields` (to register them as secrets).
    public func values(of fields: Set<String>) -> [String] {
        switch self {
        case let .array(items): return items.flatMap { $0.values(of: fields) }
        case let .object(members):
            return members.flatMap { member -> [String] in
                if fields.contains(member.key.lowercased()), let text = member.value.text { return [text] }
                return member.value.values(of: fields)
            }
        default: return []
        }
    }

    /// Appends `text` as a JSON string literal.
    public static func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// Whether `text` is a number in JSON's syntax.
    public static func isJSONNumber(_ text: String) -> Bool {
        let b = Array(text.utf8)
        var i = 0
        func digits() -> Int {
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
            return i - start
        }
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        let intStart = i
        guard digits() > 0 else { return false }
        if b[intStart] == 48, i - intStart > 1 { return false }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { return false }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return false }
        }
        return i == b.count
    }
}
