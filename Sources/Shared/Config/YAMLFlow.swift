// YAMLFlow: flow collections (§7.4–7.5) — `[...]` and `{...}` over any number of lines, nested in block
// collections or in each other, with implicit and explicit (`?`) keys, single-pair mappings inside lists
// (`[a: 1]`), JSON-like keys (`{"a":1}`), and empty values. Lines inside must be indented more than the block
// collection that holds the flow collection.

extension YAMLParser {
    /// Spaces, tabs, comments and line breaks inside a flow collection; a continuation line must be indented more
    /// than `n` and may not be a document marker.
    private mutating func flowSeparation(n: Int, open: Int) throws {
        while true {
            let c = cur
            if c == 32 || c == 9 {
                pos += 1
            } else if c == 35 {
                if pos > lineStart, !isBlank(b[pos - 1]) { throw error("a comment needs a space before \"#\"") }
                while !isBreakOrEnd(cur) { pos += 1 }
            } else if c == 10 {
                newLine()
                if lineStartsMarker() {
                    throw error("a document marker (--- or ...) inside a flow collection; the collection is not closed", at: lineStart)
                }
                let indent = indentation
                var i = pos + indent
                while i < count, isBlank(b[i]) { i += 1 }
                // A closing bracket may sit at the key's own indentation ("key: {" … "}"), as JSON-style writers
                // put it and libyaml and ruamel.yaml read it; other lines must be indented more.
                let closing = i < count && (b[i] == 93 || b[i] == 125)
                if i < count, b[i] != 10, b[i] != 35, closing ? indent < n : indent <= n {
                    throw error(
                        "this line of a flow collection must be indented more than its parent (\(n + 1) spaces or more)", at: pos + indent)
                }
            } else {
                if c == 0 { throw unterminatedFlow(open) }
                return
            }
        }
    }

    private func unterminatedFlow(_ open: Int) -> SyntaxError {
        error("unterminated flow \(b[open] == 91 ? "sequence [" : "mapping {"): no closing \(b[open] == 91 ? "]" : "}")", at: open)
    }

    /// Whether ":" at `pos` separates a value: followed by a space, a line break, a flow indicator, or anything
    /// right after a JSON-like key (quoted or a flow collection).
    private func atValueIndicator(jsonKey: Bool) -> Bool {
        guard cur == 58 else { return false }
        let next = at(pos + 1)
        return jsonKey || isWhiteOrEnd(next) || isFlowIndicator(next)
    }

    /// A flow collection at `pos` (`[` or `{`) inside a block collection indented `n`.
    mutating func flowCollection(n: Int) throws -> Node {
        try enter(at: pos)
        defer { depth -= 1 }
        let open = pos
        let isSequence = cur == 91
        let close: UInt8 = isSequence ? 93 : 125
        let startLine = line
        pos += 1
        var items: [Node] = []
        var entries: [Node.Entry] = []
        var keys = Set<String>()
        var merges: [Node] = []
        while true {
            try flowSeparation(n: n, open: open)
            if cur == close {
                pos += 1
                break
            }
            if cur == 44 { throw error("empty entry in a flow collection: write a value between the commas") }
            if isSequence {
                items.append(try flowSequenceEntry(n: n, open: open))
            } else {
                let entryLine = line
                let keyStart = pos
                let (key, value) = try flowPair(n: n, open: open, inSequence: false)
                try add(key, value, line: entryLine, to: &entries, keys: &keys, merges: &merges, at: keyStart)
            }
            try flowSeparation(n: n, open: open)
            if cur == 44 {
                pos += 1
            } else if cur != close {
                let shown = cur < 128 && cur >= 32 ? String(Character(Unicode.Scalar(cur))) : "this character"
                throw error("expected \",\" or \"\(isSequence ? "]" : "}")\", found \"\(shown)\"")
            }
        }
        return made(isSequence ? .sequence(items) : .mapping(merges.isEmpty ? entries : merging(entries, merges)), line: startLine)
    }

    /// An entry of a flow list: a node, or a single-pair mapping (`a: 1`, `? a : 1`).
    private mutating func flowSequenceEntry(n: Int, open: Int) throws -> Node {
        let entryLine = line
        if (cur == 63 && (isWhiteOrEnd(at(pos + 1)) || isFlowIndicator(at(pos + 1))))
            || (cur == 58 && (isWhiteOrEnd(at(pos + 1)) || isFlowIndicator(at(pos + 1))))
        {
            let (key, value) = try flowPair(n: n, open: open, inSequence: true)
            return made(.mapping([Node.Entry(key: key, line: entryLine, value: value)]), line: entryLine)
        }
        let keyStart = pos
        let node = try flowNode(n: n, open: open)
        let afterNode = state
        while isBlank(cur) { pos += 1 }
        let jsonKey = isJSONLike(node, start: keyStart)
        guard atValueIndicator(jsonKey: jsonKey) else {
            state = afterNode
            return node
        }
        if line != entryLine {
            throw error("a key in a flow list must be on one line; this one starts on line \(entryLine)", at: keyStart)
        }
        let key = try keyText(node, at: keyStart)
        pos += 1
        let value = try flowValue(n: n, open: open)
        return made(.mapping([Node.Entry(key: key, line: entryLine, value: value)]), line: entryLine)
    }

    /// Whether the node that started at `start` was quoted or a flow collection (then ":" may touch its value).
    private func isJSONLike(_ node: Node, start: Int) -> Bool {
        var i = start
        while i < count, b[i] == 38 || b[i] == 33 {  // skip properties
            while i < count, !isWhiteOrEnd(b[i]) { i += 1 }
            while i < count, isWhiteOrEnd(b[i]) { i += 1 }
        }
        let c = at(i)
        return c == 34 || c == 39 || c == 91 || c == 123
    }

    /// A `key: value`, `? key : value`, or `key` (null value) entry.
    private mutating func flowPair(n: Int, open: Int, inSequence: Bool) throws -> (String, Node) {
        let keyStart = pos
        if cur == 63, isWhiteOrEnd(at(pos + 1)) || isFlowIndicator(at(pos + 1)) {
            pos += 1
            try flowSeparation(n: n, open: open)
            let keyNode: Node
            if isFlowEndOrEnd(cur) || (cur == 58 && (isWhiteOrEnd(at(pos + 1)) || isFlowIndicator(at(pos + 1)))) {
                keyNode = empty(line: line)
            } else {
                keyNode = try flowNode(n: n, open: open)
            }
            let key = try keyText(keyNode, at: keyStart)
            let afterKey = state
            try flowSeparation(n: n, open: open)
            if atValueIndicator(jsonKey: isJSONLike(keyNode, start: keyStart + 1)) {
                pos += 1
                return (key, try flowValue(n: n, open: open))
            }
            state = afterKey
            return (key, empty(line: line))
        }
        if cur == 58, isWhiteOrEnd(at(pos + 1)) || isFlowIndicator(at(pos + 1)) {
            throw error("a mapping key cannot be empty (null); write the key")
        }
        let keyNode = try flowNode(n: n, open: open)
        let key = try keyText(keyNode, at: keyStart)
        let afterKey = state
        try flowSeparation(n: n, open: open)
        if atValueIndicator(jsonKey: isJSONLike(keyNode, start: keyStart)) {
            pos += 1
            return (key, try flowValue(n: n, open: open))
        }
        state = afterKey
        return (key, empty(line: line))
    }

    /// The value after ":" in a flow collection: empty when the entry ends there.
    private mutating func flowValue(n: Int, open: Int) throws -> Node {
        let valueLine = line
        try flowSeparation(n: n, open: open)
        if isFlowEndOrEnd(cur) { return empty(line: valueLine) }
        return try flowNode(n: n, open: open)
    }

    /// A node inside a flow collection: properties, then an alias, a quoted or plain scalar, a flow collection, or
    /// nothing (an empty node with its properties).
    private mutating func flowNode(n: Int, open: Int) throws -> Node {
        let start = pos
        let startCount = nodeCount
        let properties = try parseProperties()
        if properties.present {
            try flowSeparation(n: n, open: open)
            if cur == 42 { throw error("an alias cannot have an anchor or tag") }
            if isFlowEndOrEnd(cur) || (cur == 58 && (isWhiteOrEnd(at(pos + 1)) || isFlowIndicator(at(pos + 1)))) {
                return try finish(empty(line: line), properties, since: startCount, at: start)
            }
        }
        let startLine = line
        let node: Node
        switch cur {
        case 42: node = try alias()
        case 34: node = made(.scalar(try doubleQuoted(n: n), .quoted), line: startLine)
        case 39: node = made(.scalar(try singleQuoted(n: n), .quoted), line: startLine)
        case 91, 123: node = try flowCollection(n: n)
        default:
            guard isPlainStart(flow: true) else {
                if cur == 124 || cur == 62 { throw error("a block scalar (| or >) cannot appear inside a flow collection") }
                if cur == 45, isWhiteOrEnd(at(pos + 1)) {
                    throw error("\"- \" list items cannot appear inside a flow collection; separate the items with commas")
                }
                throw notAValue()
            }
            node = made(.scalar(plain(n: n, flow: true), .plain), line: startLine)
        }
        return try finish(node, properties, since: startCount, at: start)
    }
}
