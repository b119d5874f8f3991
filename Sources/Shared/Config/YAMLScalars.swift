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
        skipSpaces()
        guard let c = current, c != "#" else { return }
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
        case "?" where position + 1 >= chars.count || chars[position + 1] == " ":
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
                throw SyntaxError(line: line, column: startColumn, message: "unterminated \(quote == "\"" ? "double" : "single")"
                    + "-quoted string (quoted strings must close on the same line)")
            }
            position += 1
            if quote == "'" {
                if c == "'" {
                    if current == "'" { out.append("'"); position += 1; continue }
                    return out
                }
                out.append(c)
                continue
            }
            if c == "\"" { return out }
            if c != "\\" { out.append(c); continue }
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

    /// A flow collection starting at the current `[` or `{`, which must close on this line.
    mutating func flow() throws -> Node {
        let open = chars[position]
        let startColumn = column
        position += 1
        let close: Character = open == "[" ? "]" : "}"
        var items: [Node] = []
        var entries: [Node.Entry] = []
        skipSpaces()
        if current == close {
            position += 1
            return Node(open == "[" ? .sequence([]) : .mapping([]), line: line)
        }
        while true {
            skipSpaces()
            guard !atEnd else {
                throw SyntaxError(line: line, column: startColumn,
                                  message: "unterminated flow \(open == "[" ? "sequence [" : "mapping {") "
                                      + "(flow collections must close on the same line)")
            }
            if open == "[" {
                items.append(try flowValue())
            } else {
                let key = try flowKey()
                skipSpaces()
                guard current == ":" else { throw error("expected \":\" after the key \"\(key)\" in a flow mapping") }
                position += 1
                skipSpaces()
                let value = (current == "," || current == "}") ? Node(.scalar("", .plain), line: line) : try flowValue()
                if entries.contains(where: { $0.key == key }) { throw error("duplicate key \"\(key)\"") }
                entries.append(Node.Entry(key: key, line: line, value: value))
            }
            skipSpaces()
            guard let c = current else { continue }
            position += 1
            if c == close { return Node(open == "[" ? .sequence(items) : .mapping(entries), line: line) }
            guard c == "," else { throw error("expected \",\" or \"\(close)\", found \"\(c)\"") }
        }
    }

    private mutating func flowKey() throws -> String {
        try rejectUnsupported()
        if current == "\"" || current == "'" { return try quoted() }
        var out = ""
        while let c = current, c != ":", c != ",", c != "}", c != "]" { out.append(c); position += 1 }
        out = out.trimming(" \t")
        guard !out.isEmpty else { throw error("expected a key in a flow mapping") }
        return out
    }

    private mutating func flowValue() throws -> Node {
        try rejectUnsupported()
        switch current {
        case "\"", "'": return Node(.scalar(try quoted(), .quoted), line: line)
        case "[", "{": return try flow()
        default:
            var out = ""
            while let c = current, c != ",", c != "]", c != "}" {
                if c == "#", out.last == " " { throw error("a comment cannot appear inside a flow collection") }
                out.append(c)
                position += 1
            }
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
