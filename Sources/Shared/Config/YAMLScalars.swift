// YAMLScalars: the scanner for what can appear on one line of the supported YAML subset — quoted scalars,
// plain scalars (ending at ": " or " #"), and one-line flow collections `[...]` / `{...}` — plus the
// rejection of what the subset does not support (anchors, aliases, tags, reserved indicators).

/// Scans scalars and flow collections within one line.
struct LineScanner {
    let chars: [Character]
    let line: Int
    var position: Int

    init(_ text: Substring, line: Int, column: Int) {
        chars = Array(text)
        self.line = line
        position = 0
        columnOffset = column
    }

    private let columnOffset: Int

    var atEnd: Bool { position >= chars.count }
    var current: Character? { position < chars.count ? chars[position] : nil }
    var column: Int { columnOffset + position + 1 }

    func error(_ message: String) -> SyntaxError {
        SyntaxError(line: line, column: column, message: message)
    }

    mutating func skipSpaces() {
        while let c = current, c == " " || c == "\t" { position += 1 }
    }

    /// After a value: only spaces and an optional comment may follow.
    mutating func expectEndOfLine(after what: String) throws {
        let start = position
        skipSpaces()
        guard let c = current else { return }
        if c == "#" {
            guard position == start else { return }
            throw error("a comment needs a space before \"#\" (after \(what))")
        }
        throw error("unexpected \"\(String(chars[position...]).prefix(20))\" after \(what)")
    }

    /// Refuses the YAML features outside the subset, with a message that says so.
    func rejectUnsupported() throws {
        guard let c = current else { return }
        switch c {
        case "&": throw error("anchors (&name) are not supported; repeat the value instead")
        case "*": throw error("aliases (*name) are not supported; repeat the value instead")
        case "!": throw error("tags (!type) are not supported; quote the value if it is a string")
        case "@", "`": throw error("\"\(c)\" cannot start a plain value; quote it")
        case "%": throw error("directives (%) are not supported")
        case "?" where position + 1 >= chars.count || chars[position + 1] == " " || chars[position + 1] == "\t":
            throw error("complex keys (?) are not supported")
        default: return
        }
    }

    /// A quoted scalar starting at the current `"` or `'`.
    mutating func quoted() throws -> String {
        let quote = chars[position]
        let startColumn = column
        position += 1
        var out = ""
        while true {
            guard let c = current else {
                throw SyntaxError(
                    line: line, column: startColumn,
                    message: "unterminated \(quote == "\"" ? "double" : "single")"
                        + "-quoted string (quoted strings must close on the same line)")
            }
            position += 1
            if quote == "'" {
                if c == "'" {
                    if current == "'" {
                        out.append("'")
                        position += 1
                        continue
                    }
                    return out
                }
                out.append(c)
                continue
            }
            if c == "\"" { return out }
            if c != "\\" {
                out.append(c)
                continue
            }
            guard let e = current else { throw error("a backslash ends the line inside a double-quoted string") }
            position += 1
            switch e {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "0": out.append("\0")
            case "\\": out.append("\\")
            case "\"": out.append("\"")
            case "/": out.append("/")
            case " ": out.append(" ")
            case "b": out.append("\u{8}")
            case "f": out.append("\u{C}")
            case "e": out.append("\u{1B}")
            case "a": out.append("\u{7}")
            case "x": out.append(try hexEscape(2))
            case "u": out.append(try hexEscape(4))
            case "U": out.append(try hexEscape(8))
            default: throw error("unknown escape \"\\\(e)\" in a double-quoted string")
            }
        }
    }

    private mutating func hexEscape(_ digits: Int) throws -> Character {
        guard position + digits <= chars.count,
            let value = UInt32(String(chars[position..<(position + digits)]), radix: 16),
            let scalar = Unicode.Scalar(value)
        else { throw error("expected \(digits) hexadecimal digits after the escape") }
        position += digits
        return Character(scalar)
    }

    /// A plain scalar in block context: up to " #" or the end of the line, trailing spaces removed.
    mutating func plainToEnd() -> String {
        var out = ""
        while let c = current {
            if c == "#", position > 0, chars[position - 1] == " " || chars[position - 1] == "\t" { break }
            out.append(c)
            position += 1
        }
        while out.last == " " || out.last == "\t" { out.removeLast() }
        return out
    }

    /// A flow collection starting at the current `[` or `{`, which must close on this line. As in YAML 1.2,
    /// a trailing comma is allowed, an empty entry is not, and `[a: 1]` is a list holding the mapping {a: 1}.
    mutating func flow(depth: Int) throws -> Node {
        let open = chars[position]
        let startColumn = column
        guard depth < YAML.maxDepth else { throw error("nesting deeper than \(YAML.maxDepth) levels") }
        position += 1
        let close: Character = open == "[" ? "]" : "}"
        var items: [Node] = []
        var entries: [Node.Entry] = []
        while true {
            skipSpaces()
            guard let c = current else {
                throw SyntaxError(
                    line: line, column: startColumn,
                    message: "unterminated flow \(open == "[" ? "sequence [" : "mapping {") "
                        + "(flow collections must close on the same line)")
            }
            if c == close {
                position += 1
                return Node(open == "[" ? .sequence(items) : .mapping(entries), line: line)
            }
            if c == "," { throw error("empty entry in a flow collection: write a value between the commas") }
            if c == "#" { throw error("a comment cannot appear inside a flow collection") }
            if open == "{" {
                let (key, value) = try flowPair(depth: depth)
                if entries.contains(where: { $0.key == key }) { throw error("duplicate key \"\(key)\"") }
                entries.append(Node.Entry(key: key, line: line, value: value))
            } else {
                let value = try flowValue(depth: depth)
                skipSpaces()
                if current == ":" {
                    // "[a: 1]": a single-pair mapping inside the sequence.
                    guard value.scalar != nil else { throw error("a collection cannot be a mapping key; quote the key") }
                    if value.scalar == "", value.isNull { throw error("a mapping key cannot be empty") }
                    position += 1
                    items.append(
                        Node(
                            .mapping([Node.Entry(key: value.scalar!, line: line, value: try pairValue(depth: depth))]),
                            line: line))
                } else {
                    items.append(value)
                }
            }
            skipSpaces()
            guard let next = current else { continue }
            if next == close { continue }
            guard next == "," else { throw error("expected \",\" or \"\(close)\", found \"\(next)\"") }
            position += 1
        }
    }

    /// `key: value` (or `key` alone, whose value is null) in a flow mapping.
    private mutating func flowPair(depth: Int) throws -> (String, Node) {
        let keyNode = try flowValue(depth: depth)
        guard let key = keyNode.scalar else { throw error("a collection cannot be a mapping key; quote the key") }
        if keyNode.scalar == "", keyNode.isNull, current == ":" { throw error("a mapping key cannot be empty") }
        skipSpaces()
        guard current == ":" else { return (key, Node(.scalar("", .plain), line: line)) }
        position += 1
        return (key, try pairValue(depth: depth))
    }

    /// The value after "key:" in a flow collection: null when the entry ends there.
    private mutating func pairValue(depth: Int) throws -> Node {
        skipSpaces()
        if current == nil || current == "," || current == "]" || current == "}" { return Node(.scalar("", .plain), line: line) }
        return try flowValue(depth: depth)
    }

    private mutating func flowValue(depth: Int) throws -> Node {
        try rejectUnsupported()
        switch current {
        case "\"", "'": return Node(.scalar(try quoted(), .quoted), line: line)
        case "[", "{": return try flow(depth: depth + 1)
        case "|", ">": throw error("a block scalar (\(current!)) cannot appear inside a flow collection")
        case "-" where position + 1 < chars.count && " ,]}".contains(chars[position + 1]):
            throw error("\"- \" list items cannot appear inside a flow collection; separate the items with commas")
        default:
            // A plain scalar in flow context ends at a flow indicator or at ":" followed by a space or one.
            var out = ""
            while let c = current, !",[]{}".contains(c) {
                if c == ":", position + 1 == chars.count || " \t,[]{}".contains(chars[position + 1]) { break }
                if c == "#", out.last == " " { throw error("a comment cannot appear inside a flow collection") }
                out.append(c)
                position += 1
            }
            if let c = current, c == "[" || c == "{" { throw error("unexpected \"\(c)\" inside a plain value; quote the value") }
            return Node(.scalar(out.trimming(" \t"), .plain), line: line)
        }
    }
}

extension String {
    func trimming(_ set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
