// Node: the parsed form of a YAML or JSON document, with the line of every value, so that the config and
// interface loaders can say "config.yaml:12" in every error. Scalars stay text until a loader asks for a type.

/// How a scalar was written (a quoted "1" is a string, a plain 1 is a number).
public enum ScalarStyle: Sendable, Equatable {
    case plain
    case quoted
    case block
}

/// One value of a document.
public struct Node: Sendable {
    /// A key and its value in a mapping, with the key's line.
    public struct Entry: Sendable {
        public let key: String
        public let line: Int
        public let value: Node

        public init(key: String, line: Int, value: Node) {
            self.key = key
            self.line = line
            self.value = value
        }
    }

    public enum Value: Sendable {
        case scalar(String, ScalarStyle)
        case sequence([Node])
        case mapping([Entry])
    }

    public let value: Value
    /// 1-based line where the value starts (0 for values that did not come from a file).
    public let line: Int

    public init(_ value: Value, line: Int) {
        self.value = value
        self.line = line
    }

    /// A plain empty scalar, `~`, `null`, `Null` or `NULL` (YAML 1.2 core schema).
    public var isNull: Bool {
        core == .null
    }

    /// The scalar's text, nil for collections.
    public var scalar: String? {
        if case let .scalar(text, _) = value { return text }
        return nil
    }

    /// The entries of a mapping, nil otherwise.
    public var entries: [Entry]? {
        if case let .mapping(entries) = value { return entries }
        return nil
    }

    /// The items of a sequence, nil otherwise.
    public var items: [Node]? {
        if case let .sequence(items) = value { return items }
        return nil
    }

    /// The value under `key` in a mapping.
    public subscript(key: String) -> Node? {
        entries?.first { $0.key == key }?.value
    }

    /// What kind of value this is, in the words of an error message.
    public var kindDescription: String {
        switch value {
        case .scalar(let text, .plain) where isNull || text.isEmpty: return "nothing (null)"
        case let .scalar(text, _): return "\"\(text.count > 40 ? String(text.prefix(40)) + "…" : text)\""
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// A syntax error in a YAML or JSON document.
public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let column: Int
    public let message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}
