// JSONDocument: a small JSON parser that keeps the line of every value (Foundation's JSONSerialization does
// not), so that `config.json` and `.json` interface files get the same "file:line: what was expected"
// errors as YAML. Strings become quoted scalars; numbers, true, false and null plain scalars.

/// Parses JSON text into a `Node`.
public enum JSONDocument {
    public static func parse(_ text: String) throws -> Node {
        var parser = JSONNodeParser(bytes: Array(text.utf8))
        // A byte-order mark is not JSON, but RFC 8259 §8.1 lets a parser ignore it (editors on Windows add one).
        if parser.bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            parser.position = 3
            parser.lineStart = 3
        }
        parser.skipWhitespace()
        let node = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.position == parser.bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return node
    }

    /// Parses JSON text, handing each item of the top-level array — or of the array under the top-level
    /// object's `key` — to `item` (with its path, `key[3]` or `[3]`) as soon as it is read, so that a file of 100 000 interfaces is
    /// never held as one tree. The returned root has that array left empty. A syntax error after some items
    /// were handed over is still thrown: the caller must treat what it received as void.
    public static func parse(_ text: String, streamingItemsOf key: String, item: (String, Node) throws -> Void) throws -> Node {
        try withoutActuallyEscaping(item) { item in
            var parser = JSONNodeParser(bytes: Array(text.utf8))
            parser.streamKey = key
            parser.sink = item
            if parser.bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
                parser.position = 3
                parser.lineStart = 3
            }
            parser.skipWhitespace()
            let node = try parser.value(depth: 0, streamed: true)
            parser.skipWhitespace()
            guard parser.position == parser.bytes.count else { throw parser.error("unexpected text after the JSON value") }
            return node
        }
    }
}

private struct JSONNodeParser {
    let bytes: [UInt8]
    var position = 0
    var line = 1
    var lineStart = 0
    /// Streaming (see `JSONDocument.parse(_:streamingItemsOf:item:)`): the key of the top-level object whose
    /// array goes to `sink` item by item, with its path (`key[3]`, or `[3]` for a top-level array).
    var streamKey: String?
    var sink: ((String, Node) throws -> Void)?

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    func error(_ message: String) -> SyntaxError {
        SyntaxError(line: line, column: position - lineStart + 1, message: message)
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09: position += 1
            // CRLF, LF and a lone CR each end a line, so line numbers match what an editor shows.
            case 0x0D where position + 1 < bytes.count && bytes[position + 1] == 0x0A: position += 1
            case 0x0A, 0x0D:
                position += 1
                line += 1
                lineStart = position
            default: return
            }
        }
    }

    /// `streamed`: an array here goes to `sink` item by item and comes back empty.
    mutating func value(depth: Int, streamed: Bool = false) throws -> Node {
        guard depth < 256 else { throw error("nesting deeper than 256 levels") }
        guard position < bytes.count else { throw error("unexpected end of the document: expected a value") }
        let startLine = line
        switch bytes[position] {
        case UInt8(ascii: "{"):
            return try object(depth: depth, startLine: startLine)
        case UInt8(ascii: "["):
            return try array(depth: depth, streamed: streamed, startLine: startLine)
        case UInt8(ascii: "\""):
            return Node(.scalar(try string(), .quoted), line: startLine)
        default:
            return Node(.scalar(try literal(), .plain), line: startLine)
        }
    }

    /// `{ "key": value, … }` at `position`; a key may appear once.
    private mutating func object(depth: Int, startLine: Int) throws -> Node {
        position += 1
        var entries: [Node.Entry] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return Node(.mapping([]), line: startLine)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw error("expected a \"key\"") }
            let keyLine = line
            let key = try string()
            if entries.contains(where: { $0.key == key }) { throw error("duplicate key \"\(key)\"") }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected \":\" after \"\(key)\"") }
            position += 1
            skipWhitespace()
            let child = try value(depth: depth + 1, streamed: depth == 0 && sink != nil && key == streamKey)
            entries.append(Node.Entry(key: key, line: keyLine, value: child))
            skipWhitespace()
            guard position < bytes.count else { throw error("unterminated object: expected \",\" or \"}\"") }
            let c = bytes[position]
            position += 1
            if c == UInt8(ascii: "}") { return Node(.mapping(entries), line: startLine) }
            guard c == UInt8(ascii: ",") else {
                position -= 1
                throw error("expected \",\" or \"}\" in an object")
            }
        }
    }

    /// `[ value, … ]` at `position`; `streamed`, its items go to `sink` and the array comes back empty.
    private mutating func array(depth: Int, streamed: Bool, startLine: Int) throws -> Node {
        position += 1
        var items: [Node] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return Node(.sequence([]), line: startLine)
        }
        var count = 0
        while true {
            skipWhitespace()
            let item = try value(depth: depth + 1)
            if streamed, let sink { try sink("\(depth == 0 ? "" : streamKey ?? "")[\(count)]", item) } else { items.append(item) }
            count += 1
            skipWhitespace()
            guard position < bytes.count else { throw error("unterminated array: expected \",\" or \"]\"") }
            let c = bytes[position]
            position += 1
            if c == UInt8(ascii: "]") { return Node(.sequence(items), line: startLine) }
            guard c == UInt8(ascii: ",") else {
                position -= 1
                throw error("expected \",\" or \"]\" in an array")
            }
        }
    }

    mutating func literal() throws -> String {
        let start = position
        while position < bytes.count, !"{}[],: \t\r\n".utf8.contains(bytes[position]) { position += 1 }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if text == "true" || text == "false" || text == "null" || JSONValue.isJSONNumber(text) { return text }
        position = start
        throw error(text.isEmpty ? "expected a value" : "expected a value, found \"\(text.prefix(30))\"")
    }

    mutating func string() throws -> String {
        let startLine = line
        let startColumn = position - lineStart + 1
        position += 1
        var out: [UInt8] = []
        while true {
            guard position < bytes.count else {
                throw SyntaxError(line: startLine, column: startColumn, message: "unterminated string")
            }
            let c = bytes[position]
            position += 1
            if c == UInt8(ascii: "\"") { break }
            if c == 0x0A || c == 0x0D { throw error("a line break inside a string must be written \\n") }
            if c < 0x20 {
                position -= 1
                throw error(
                    "a control character (U+\(String(c, radix: 16, uppercase: true).leftPadded(to: 4))) inside a string "
                        + "must be escaped, e.g. \\t or \\u0009")
            }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                continue
            }
            guard position < bytes.count else { throw error("unterminated escape") }
            let e = bytes[position]
            position += 1
            if let byte = JSONEscape.simple(e) {
                out.append(byte)
                continue
            }
            guard e == UInt8(ascii: "u") else { throw error("unknown escape \\\(Character(Unicode.Scalar(e)))") }
            let high = try hex4()
            var low: UInt32?
            let mark = position
            if JSONEscape.isHighSurrogate(high), position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                bytes[position + 1] == UInt8(ascii: "u")
            {
                position += 2
                low = try hex4()
            }
            let decoded = JSONEscape.utf8(high: high, low: low)
            if low != nil, !decoded.usedLow { position = mark }
            out.append(contentsOf: decoded.bytes)
        }
        return String(decoding: out, as: UTF8.self)
    }

    mutating func hex4() throws -> UInt32 {
        guard position + 4 <= bytes.count,
            let value = UInt32(String(decoding: bytes[position..<(position + 4)], as: UTF8.self), radix: 16)
        else { throw error("expected 4 hexadecimal digits after \\u") }
        position += 4
        return value
    }
}
