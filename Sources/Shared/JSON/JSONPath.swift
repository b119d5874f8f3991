// JSONPath: the small path language of `expect.json` checks — one value, found by names and positions, never
// a query. Accepted:
//   code                    a member of the top-level object
//   data.items[0].id        members and array positions
//   $.data.total  $         `$` is the whole document (optional before a path)
//   items[-1]               negative positions count from the end
//   data['odd key'] ["a.b"] quoted names for members whose name is not a plain word
// A plain name is letters, digits, `_` and `-`, not starting with a digit or `-`. Anything else — wildcards
// (`*`), recursive descent (`..`), filters (`[?(…)]`), slices (`[0:2]`), unions (`[0,1]`) — is refused with
// the position and what was expected, since it could select more than one value.

/// One step of a path.
public enum JSONPathStep: Sendable, Equatable {
    case member(String)
    case index(Int)
}

public struct JSONPath: Sendable, Equatable, CustomStringConvertible {
    public let steps: [JSONPathStep]
    /// As written in the file.
    public let text: String

    /// Why a path is refused: the message names the character position (1-based) and what was expected.
    public struct SyntaxError: Error, Equatable, CustomStringConvertible {
        public let description: String

        public init(description: String) { self.description = description }
    }

    public init(parsing text: String) throws(SyntaxError) {
        self.text = text
        var scanner = PathScanner(chars: Array(text.unicodeScalars))
        self.steps = try scanner.steps()
    }

    public var description: String { text }

    /// The path in one spelling (`data.items[0]` and `$.data.items[0]` alike), to tell checks of one value apart.
    public var canonical: String {
        var out = "$"
        for step in steps {
            switch step {
            case let .member(name): out += "[\"" + name.replacingOccurrences(of: "\"", with: "\\\"") + "\"]"
            case let .index(i): out += "[\(i)]"
            }
        }
        return out
    }

    /// What the path reaches in `value`: the value, or where it stopped (the steps that exist, and why not further).
    public func resolve(in value: JSONValue) -> Result<JSONValue, Missing> {
        var current = value
        var parent: JSONValue?
        for (n, step) in steps.enumerated() {
            parent = current
            switch (step, current) {
            case let (.member(name), .object(members)):
                guard let member = members.last(where: { $0.key == name }) else {
                    return .failure(Missing(reached: n, reason: "no member \"\(name)\"", parent: parent))
                }
                current = member.value
            case let (.index(i), .array(items)):
                let position = i < 0 ? items.count + i : i
                guard items.indices.contains(position) else {
                    return .failure(Missing(reached: n, reason: "no position \(i) in an array of \(items.count)", parent: parent))
                }
                current = items[position]
            case (.member, _):
                return .failure(Missing(reached: n, reason: "\(current.typeName) where an object was expected", parent: parent))
            case (.index, _):
                return .failure(Missing(reached: n, reason: "\(current.typeName) where an array was expected", parent: parent))
            }
        }
        return .success(current)
    }

    /// Where a path stopped.
    public struct Missing: Error {
        /// How many steps were found.
        public let reached: Int
        public let reason: String
        /// The last value reached (an object holding a `msg` says why an answer went wrong).
        public let parent: JSONValue?
    }
}

/// Reads a path's characters left to right into steps; `i` is the position of the next character.
private struct PathScanner {
    let chars: [Unicode.Scalar]
    var i = 0

    /// The steps of the whole path, after an optional `$` or `$.`.
    mutating func steps() throws(JSONPath.SyntaxError) -> [JSONPathStep] {
        var steps: [JSONPathStep] = []
        try root()
        if i < chars.count, chars[i] != "[" { steps.append(.member(try name())) }
        while i < chars.count {
            switch chars[i] {
            case "[": steps.append(try bracket())
            case ".":
                i += 1
                steps.append(.member(try name()))
            default: throw fail(". or [")
            }
        }
        return steps
    }

    /// Skips a leading `$` and the `.` after it; an empty path is refused.
    private mutating func root() throws(JSONPath.SyntaxError) {
        if i < chars.count, chars[i] == "$" {
            i += 1
            if i < chars.count, chars[i] == "." { i += 1 } else if i < chars.count, chars[i] != "[" { throw fail(". or [ after $") }
            if i == chars.count, chars.count > 1 { throw fail("a member name after $.") }
        } else if chars.isEmpty {
            throw JSONPath.SyntaxError(description: "the path is empty; write $ for the whole document")
        }
    }

    private func fail(_ expected: String) -> JSONPath.SyntaxError {
        let found = i < chars.count ? "\"\(chars[i])\"" : "the end"
        return JSONPath.SyntaxError(description: "at character \(i + 1): expected \(expected), found \(found)")
    }

    private static func isWordStart(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic }
    private static func isWord(_ c: Unicode.Scalar) -> Bool { isWordStart(c) || c == "-" || ("0"..."9").contains(c) }

    /// A plain member name.
    private mutating func name() throws(JSONPath.SyntaxError) -> String {
        guard i < chars.count, Self.isWordStart(chars[i]) else {
            if i < chars.count, chars[i] == "*" {
                throw JSONPath.SyntaxError(description: "at character \(i + 1): wildcards (*) select many values; name one member")
            }
            if i > 0, i < chars.count, chars[i] == ".", chars[i - 1] == "." {
                throw JSONPath.SyntaxError(description: "at character \(i): recursive descent (..) is not supported; write the whole path")
            }
            throw fail("a member name (letters, digits, _ or -)")
        }
        var out = ""
        while i < chars.count, Self.isWord(chars[i]) {
            out.unicodeScalars.append(chars[i])
            i += 1
        }
        return out
    }

    /// `[position]` or `['quoted name']`.
    private mutating func bracket() throws(JSONPath.SyntaxError) -> JSONPathStep {
        i += 1  // [
        guard i < chars.count else { throw fail("a position or a quoted name") }
        let step: JSONPathStep
        if chars[i] == "'" || chars[i] == "\"" {
            step = .member(try quotedName())
        } else {
            step = .index(try position())
        }
        guard i < chars.count, chars[i] == "]" else {
            if i < chars.count, chars[i] == ":" || chars[i] == "," {
                throw JSONPath.SyntaxError(description: "at character \(i + 1): slices and unions select many values; name one position")
            }
            throw fail("]")
        }
        i += 1
        return step
    }

    /// A name between quotes, `\` escaping the next character.
    private mutating func quotedName() throws(JSONPath.SyntaxError) -> String {
        let quote = chars[i]
        i += 1
        var out = ""
        while i < chars.count, chars[i] != quote {
            if chars[i] == "\\", i + 1 < chars.count { i += 1 }
            out.unicodeScalars.append(chars[i])
            i += 1
        }
        guard i < chars.count else { throw fail("the closing \(quote)") }
        i += 1
        return out
    }

    /// An array position, negative counting from the end.
    private mutating func position() throws(JSONPath.SyntaxError) -> Int {
        let start = i
        if chars[i] == "-" { i += 1 }
        while i < chars.count, ("0"..."9").contains(chars[i]) { i += 1 }
        let digits = String(String.UnicodeScalarView(chars[start..<i]))
        guard let position = Int(digits), digits != "-" else {
            if i < chars.count, chars[i] == "*" {
                throw JSONPath.SyntaxError(description: "at character \(i + 1): wildcards ([*]) select many values; name one position")
            }
            if i < chars.count, chars[i] == "?" {
                throw JSONPath.SyntaxError(description: "at character \(i + 1): filters ([?(…)]) are not supported; name one position")
            }
            throw fail("a position such as [0] or [-1], or a quoted name such as ['a b']")
        }
        return position
    }
}

extension JSONValue {
    /// `string`, `number`, `bool`, `array`, `object` or `null`: the names `expect.json` type checks use.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// Equality as JSON means it: numbers by value (`1`, `1.0` and `1e0` are equal), objects whatever their
    /// member order.
    public func jsonEquals(_ other: JSONValue) -> Bool {
        switch (self, other) {
        case let (.number(a), .number(b)): return a == b || (Double(a).map { $0 == Double(b) } ?? false)
        case let (.array(a), .array(b)): return a.count == b.count && zip(a, b).allSatisfy { $0.jsonEquals($1) }
        case let (.object(a), .object(b)):
            let left = Dictionary(a.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
            let right = Dictionary(b.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
            return left.count == right.count && left.allSatisfy { key, value in right[key].map(value.jsonEquals) ?? false }
        default: return self == other
        }
    }
}
