// YAMLParser: the state of one read (bytes, position, line) and the block half of the YAML 1.2 grammar —
// block sequences, block mappings with implicit and explicit (`?`) keys, compact nested collections, and the
// choice between them. Recursive descent over UTF-8 bytes; nesting is bounded by YAML.maxDepth.

/// Where a block node starts, which decides what may begin on the indicator's own line.
enum BlockContext {
    /// After "- ": a compact list or mapping may start on the same line.
    case compact
    /// After "? " or an explicit ": ": the same, and a list may also start at the key's indentation below.
    case explicit
    /// After "key:": only a scalar, alias or flow collection on the same line.
    case value
    /// The root of a document (after "---" on its line, or on the lines below).
    case document

    var allowsCompact: Bool { self == .compact || self == .explicit }
    var allowsSequenceAtSameIndent: Bool { self == .value || self == .explicit }
}

/// A position in the text and the line it is on.
struct ParserState {
    var pos: Int
    var line: Int
    var lineStart: Int
}

struct YAMLParser {
    let b: UnsafeBufferPointer<UInt8>
    let count: Int
    var pos = 0
    var line = 1
    var lineStart = 0
    var depth = 0
    /// Anchored nodes of the current document, with the number of nodes each stands for.
    var anchors: [String: (node: Node, size: Int)] = [:]
    /// Nodes built so far in this read, aliases counted at their expanded size.
    var nodeCount = 0
    let nodeLimit: Int
    /// %TAG handles of the current document.
    var tagHandles: [String: String] = [:]
    /// The last separation that crossed a line: where it started and ended. Collections that end give their
    /// position back and their parent skips the same blank lines again; with this, each is skipped once, not once
    /// per nesting level.
    var separationMemo = (from: -1, to: ParserState(pos: 0, line: 1, lineStart: 0))

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        b = bytes
        count = bytes.count
        nodeLimit = YAML.nodeLimit(bytes: bytes.count)
    }

    // MARK: Bytes and positions

    @inline(__always) func at(_ i: Int) -> UInt8 { i < count ? b[i] : 0 }
    @inline(__always) var cur: UInt8 { pos < count ? b[pos] : 0 }
    var atEnd: Bool { pos >= count }
    var column: Int { pos - lineStart }

    var state: ParserState {
        get { ParserState(pos: pos, line: line, lineStart: lineStart) }
        set {
            pos = newValue.pos
            line = newValue.line
            lineStart = newValue.lineStart
        }
    }

    /// Consumes the line break at `pos`.
    @inline(__always) mutating func newLine() {
        pos += 1
        line += 1
        lineStart = pos
    }

    /// Whether a document marker ("---" or "...") followed by a space, a tab or the end of its line is at `pos`,
    /// which must be the start of a line.
    func atMarker(_ marker: StaticString) -> Bool {
        guard pos == lineStart, pos + 3 <= count else { return false }
        let m = marker.utf8Start
        return b[pos] == m[0] && b[pos + 1] == m[1] && b[pos + 2] == m[2] && isWhiteOrEnd(at(pos + 3))
    }

    var atDocumentMarker: Bool { atMarker("---") || atMarker("...") }

    // MARK: Errors

    /// A syntax error at byte `offset` (the current position by default), with its 1-based line and column.
    func error(_ message: String, at offset: Int? = nil) -> SyntaxError {
        let p = min(offset ?? pos, count)
        var lineNumber = 1
        var start = 0
        for i in 0..<p where b[i] == 10 {
            lineNumber += 1
            start = i + 1
        }
        var column = 1
        for i in start..<p where b[i] & 0xC0 != 0x80 { column += 1 }
        return SyntaxError(line: lineNumber, column: column, message: message)
    }

    /// A syntax error at the first column of `line`.
    func error(_ message: String, line: Int) -> SyntaxError {
        SyntaxError(line: line, column: 1, message: message)
    }

    /// Refuses control characters YAML does not allow in a stream (§5.1), so that the scanners can take a zero
    /// byte for the end of the text.
    func checkCharacters() throws {
        for i in 0..<count {
            let c = b[i]
            if (c < 32 && c != 9 && c != 10) || c == 127 {
                throw error(
                    "the control character U+\(String(c, radix: 16, uppercase: true)) cannot appear in YAML; escape it in a double-quoted string",
                    at: i)
            }
        }
    }

    // MARK: Separation

    /// Skips spaces, tabs, comments and line breaks; whether a line break was crossed.
    @discardableResult
    mutating func skipSeparation() throws -> Bool {
        if pos == separationMemo.from {
            state = separationMemo.to
            return true
        }
        let from = pos
        var crossed = false
        while true {
            let c = cur
            if c == 32 || c == 9 {
                pos += 1
            } else if c == 35 {
                if pos > lineStart, !isBlank(b[pos - 1]) { throw error("a comment needs a space before \"#\"") }
                while !isBreakOrEnd(cur) { pos += 1 }
            } else if c == 10 {
                newLine()
                crossed = true
            } else {
                if crossed { separationMemo = (from, state) }
                return crossed
            }
        }
    }

    /// At the end of a value: only spaces, tabs and a comment may follow on its line.
    mutating func expectLineEnd(after what: String) throws {
        while isBlank(cur) { pos += 1 }
        if cur == 35 {
            if pos > lineStart, !isBlank(b[pos - 1]) { throw error("a comment needs a space before \"#\" (after \(what))") }
            while !isBreakOrEnd(cur) { pos += 1 }
        }
        guard isBreakOrEnd(cur) else {
            var end = pos
            while end < count, end < pos + 20 || b[end] & 0xC0 == 0x80, b[end] != 10 { end += 1 }
            throw error("unexpected \"\(String(decoding: b[pos..<end], as: UTF8.self))\" after \(what)")
        }
    }

    /// The rest of the line after a value, then every blank and comment line: `pos` is left on the next content.
    mutating func skipToNextContent(after what: String) throws {
        try expectLineEnd(after: what)
        try skipSeparation()
    }

    /// Whether the indentation of the current line (up to `pos`) holds a tab.
    var tabInIndentation: Bool {
        var i = lineStart
        while i < pos {
            if b[i] == 9 { return true }
            i += 1
        }
        return false
    }

    /// The number of spaces that start the current line.
    var indentation: Int {
        var i = lineStart
        while i < count, b[i] == 32 { i += 1 }
        return i - lineStart
    }

    /// Counts one more level of nested collections, which starts at byte `offset`.
    mutating func enter(at offset: Int) throws {
        depth += 1
        if depth > YAML.maxDepth { throw error("nesting deeper than \(YAML.maxDepth) levels", at: offset) }
    }

    // MARK: Nodes

    /// Counts a new node against the document's limit.
    @inline(__always) mutating func made(_ value: Node.Value, line: Int) -> Node {
        nodeCount += 1
        return Node(value, line: line)
    }

    func empty(line: Int) -> Node { Node(.scalar("", .plain), line: line) }

    /// The key text of `node`: a scalar's text. A list or mapping, or an empty plain key, cannot be a key of a
    /// `Node` mapping and is refused at `offset`.
    func keyText(_ node: Node, at offset: Int) throws -> String {
        switch node.value {
        case let .scalar(text, style):
            if text.isEmpty, style == .plain {
                throw error("a mapping key cannot be empty (null); write the key", at: offset)
            }
            return text
        case .sequence, .mapping:
            throw error("a list or mapping cannot be a mapping key here; Vigil reads text keys only", at: offset)
        }
    }

    /// Appends an entry, refusing a key given twice. A plain `<<` key is a merge (YAML 1.1's merge type, which
    /// PyYAML, ruamel.yaml and libyaml-based readers apply): its value is kept in `merges` for `merging`.
    func add(
        _ key: String, _ value: Node, line: Int, to entries: inout [Node.Entry], keys: inout Set<String>, merges: inout [Node],
        at offset: Int
    ) throws {
        if key == "<<", at(offset) == 60 {
            guard value.entries != nil || value.items?.allSatisfy({ $0.entries != nil }) == true else {
                throw error("a merge (<<) takes a mapping or a list of mappings, not \(value.kindDescription)", at: offset)
            }
            merges.append(value)
            return
        }
        let duplicate: Bool
        if entries.count < 12 {
            duplicate = entries.contains { $0.key == key }
            if entries.count == 11 { keys = Set(entries.map(\.key)) }
        } else {
            duplicate = keys.contains(key)
        }
        if duplicate { throw error("duplicate key \"\(key)\"", at: offset) }
        if entries.count >= 11 { keys.insert(key) }
        entries.append(Node.Entry(key: key, line: line, value: value))
    }

    /// A mapping's own entries with the merged ones: the mapping's own keys win, and of a list of merged mappings
    /// the earlier wins. The order is PyYAML's: merged keys first (a later list item's before an earlier one's),
    /// then the mapping's own, each where its key first appears.
    func merging(_ entries: [Node.Entry], _ merges: [Node]) -> [Node.Entry] {
        var all: [Node.Entry] = []
        for merge in merges {
            if let mapping = merge.entries {
                all += mapping
            } else {
                for item in (merge.items ?? []).reversed() { all += item.entries ?? [] }
            }
        }
        all += entries
        var position: [String: Int] = [:]
        var result: [Node.Entry] = []
        for entry in all {
            if let at = position[entry.key] {
                result[at] = entry
            } else {
                position[entry.key] = result.count
                result.append(entry)
            }
        }
        return result
    }

    /// The error for a character that cannot start a value here.
    func notAValue() -> SyntaxError {
        let c = cur
        switch c {
        case 0, 10: return error("expected a value")
        case 37: return error("a directive (%) must be at the start of a line before \"---\"; quote a value that starts with \"%\"")
        case 64, 96: return error("\"\(Character(Unicode.Scalar(c)))\" cannot start a plain value; quote it")
        case 9: return error("tab character in indentation; YAML indents with spaces only")
        default:
            if c < 128 {
                return error("unexpected \"\(Character(Unicode.Scalar(c)))\"; quote the value if it is text")
            }
            return error("unexpected character")
        }
    }
}

// MARK: Character classes

@inline(__always) func isBlank(_ c: UInt8) -> Bool { c == 32 || c == 9 }
@inline(__always) func isBreakOrEnd(_ c: UInt8) -> Bool { c == 10 || c == 0 }
@inline(__always) func isWhiteOrEnd(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 0 }
/// `,` `[` `]` `{` `}`.
@inline(__always) func isFlowIndicator(_ c: UInt8) -> Bool { c == 44 || c == 91 || c == 93 || c == 123 || c == 125 }
@inline(__always) func isFlowEndOrEnd(_ c: UInt8) -> Bool { c == 44 || c == 93 || c == 125 || c == 0 }
