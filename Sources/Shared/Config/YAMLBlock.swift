// YAMLBlock: the block half of the YAML 1.2 grammar (§8.2) — block sequences, block mappings with implicit and
// explicit (`?`) keys, compact nested collections ("- a: 1"), and which of them (or a scalar) starts at a position,
// with the properties written before it. Nesting is bounded by YAML.maxDepth.

/// What precedes a block node's content: its properties and where they sit.
struct BlockStart {
    /// Properties on lines of their own: the node's.
    var outer = NodeProperties()
    /// Properties on the content's line: the content's (a first key's, when the content starts a mapping).
    var properties = NodeProperties()
    var propertiesInline = false
    var propertiesStart: Int
    /// Whether the content is on a later line than the indicator before it.
    var crossed: Bool
    /// Whether spaces and tabs between the indicator and the content hold a tab.
    var tabbed: Bool
    /// The node count when the node started (an anchor stands for the nodes made since).
    let startCount: Int
}

extension YAMLParser {
    /// The node after an indicator (or at a document's start), in a block collection indented `n` (-1 at the root).
    mutating func blockNode(n: Int, context: BlockContext) throws -> Node {
        let before = state
        let crossed = try skipSeparation() || onlyBlanksBefore
        var start = BlockStart(
            propertiesStart: pos, crossed: crossed, tabbed: !crossed && b[before.pos..<pos].contains(9), startCount: nodeCount)
        if endsBefore(n: n, context: context, crossed: crossed) {
            state = before
            return empty(line: before.line)
        }
        // Properties on lines of their own belong to this node; those on the content's line, to the content.
        start.properties = try parseProperties()
        while start.properties.present {
            let afterProperties = state
            guard try skipSeparation() else {
                start.propertiesInline = true
                break
            }
            start.crossed = true
            if endsBefore(n: n, context: context, crossed: true) {
                state = afterProperties
                let properties = try start.outer.merged(start.properties, parser: self)
                return try finish(empty(line: afterProperties.line), properties, since: start.startCount, at: start.propertiesStart)
            }
            start.outer = try start.outer.merged(start.properties, parser: self)
            start.propertiesStart = pos
            start.properties = try parseProperties()
        }
        if !start.propertiesInline {
            start.properties = start.outer
            start.outer = NodeProperties()
        }
        return try blockContent(n: n, context: context, start)
    }

    /// Whether the node after an indicator is empty: the text or document ends, or the next content is not
    /// indented more than `n` (but a list may sit at the key's indentation, "key:\n- a").
    private func endsBefore(n: Int, context: BlockContext, crossed: Bool) -> Bool {
        if atEnd || atDocumentMarker { return true }
        return crossed && indentation <= n && !(context.allowsSequenceAtSameIndent && indentation == n && atEntry(45))
    }

    /// The content of a block node at `pos`: a block list or mapping, a block scalar, or a flow node — which is a
    /// mapping's first key when ":" follows it.
    private mutating func blockContent(n: Int, context: BlockContext, _ start: BlockStart) throws -> Node {
        let inline = !start.crossed
        if inline, start.tabbed, context.allowsCompact, startsBlockStructure() {
            throw error("a tab after the indicator indents a nested list or mapping; YAML indents with spaces only")
        }
        if start.crossed, tabInIndentation, startsBlockStructure() {
            throw error("tab character in indentation; YAML indents with spaces only")
        }
        if atEntry(45) || atEntry(63) {
            try checkCollectionStart(inline: inline, context: context, start)
            let node = cur == 45 ? try blockSequence(m: column) : try blockMapping(m: column, firstKey: nil)
            return try finish(node, try mergedProperties(start), since: start.startCount, at: start.propertiesStart)
        }
        if cur == 124 || cur == 62 {
            return try finish(try blockScalar(n: n), try mergedProperties(start), since: start.startCount, at: start.propertiesStart)
        }
        if cur == 58, isWhiteOrEnd(at(pos + 1)) { throw error("a mapping key cannot be empty (null); write the key") }
        let isAlias = cur == 42
        let nodeColumn = start.propertiesInline ? start.propertiesStart - lineStart : column
        let startLine = line
        let keyStart = pos
        let node = try inlineNode(n: n)
        let afterNode = state
        while isBlank(cur) { pos += 1 }
        guard cur == 58, isWhiteOrEnd(at(pos + 1)) else {
            state = afterNode
            if isAlias, try mergedProperties(start).present { throw error("an alias cannot have an anchor or tag", at: keyStart) }
            return try finish(node, try mergedProperties(start), since: start.startCount, at: start.propertiesStart)
        }
        if line != startLine { throw multiLineKeyError(n: n, continuesValue: inline && context == .value, keyStart: keyStart, startLine: startLine) }
        if inline, !context.allowsCompact {
            throw error(
                context == .value
                    ? "a plain value cannot contain \": \"; quote it, or start a nested mapping on the next line"
                    : "a mapping cannot start on the \"---\" line", at: keyStart)
        }
        if start.crossed, tabInIndentation { throw error("tab character in indentation; YAML indents with spaces only") }
        if isAlias, start.propertiesInline { throw error("an alias cannot have an anchor or tag", at: keyStart) }
        let key = start.propertiesInline ? try finish(node, start.properties, since: start.startCount, at: start.propertiesStart) : node
        let mapping = try blockMapping(m: nodeColumn, firstKey: (key, keyStart))
        return try finish(mapping, start.propertiesInline ? start.outer : start.properties, since: start.startCount, at: start.propertiesStart)
    }

    /// The properties on lines of their own merged with those on the content's line.
    private func mergedProperties(_ start: BlockStart) throws -> NodeProperties {
        try start.outer.merged(start.properties, parser: self)
    }

    /// Refuses a block list or explicit key (at `pos`) where one cannot start: on its key's or the "---" line, or
    /// after an anchor or tag on the same line.
    private func checkCollectionStart(inline: Bool, context: BlockContext, _ start: BlockStart) throws {
        let what = cur == 45 ? "a list" : "an explicit key (?)"
        if inline, !context.allowsCompact {
            throw error(
                context == .value
                    ? "a list cannot start on the line of its key; put the \"- item\" lines below it, indented"
                    : "\(what) cannot start on the \"---\" line")
        }
        if start.propertiesInline {
            throw error("\(what) cannot follow an anchor or tag on the same line; start it on the next line")
        }
    }

    /// A key found on a later line than where its node started: a value's more indented next line that holds
    /// ": " (`continuesValue`, "a: 1\n  b: 2"), or a key that spans lines.
    private func multiLineKeyError(n: Int, continuesValue: Bool, keyStart: Int, startLine: Int) -> SyntaxError {
        guard continuesValue else {
            return error("a mapping key must be on one line; this one starts on line \(startLine)", at: keyStart)
        }
        var next = keyStart
        while at(next) != 10, next < count { next += 1 }
        next += 1
        var indent = 0
        while at(next + indent) == 32 { indent += 1 }
        return error(
            "bad indentation: expected \(n) spaces here, found \(indent) (a value cannot continue on a more indented line)",
            at: next + indent)
    }

    /// Refuses a tab before the content of the current line.
    func checkNoTabInIndentation() throws {
        var i = lineStart
        while i < pos {
            if b[i] == 9 { throw error("tab character in indentation; YAML indents with spaces only", at: i) }
            i += 1
        }
    }

    /// Whether only spaces and tabs precede `pos` on its line.
    var onlyBlanksBefore: Bool {
        var i = pos - 1
        while i >= lineStart {
            if !isBlank(b[i]) { return false }
            i -= 1
        }
        return true
    }

    /// Whether `indicator` ("-" or "?") followed by a space, a tab or a line break is at `pos`.
    func atEntry(_ indicator: UInt8) -> Bool { cur == indicator && isWhiteOrEnd(at(pos + 1)) }

    /// Whether a block collection (an entry, or a key) starts at `pos`.
    func startsBlockStructure() -> Bool {
        if atEntry(45) || atEntry(63) || (cur == 58 && isWhiteOrEnd(at(pos + 1))) { return true }
        var i = pos
        while i < count, b[i] != 10 {
            if b[i] == 58, isWhiteOrEnd(at(i + 1)) { return true }
            if b[i] == 35, i > pos, isBlank(b[i - 1]) { return false }
            i += 1
        }
        return false
    }

    /// A list whose "- " entries are at column `m`.
    mutating func blockSequence(m: Int) throws -> Node {
        try enter(at: pos)
        defer { depth -= 1 }
        var items: [Node] = []
        let startLine = line
        while true {
            pos += 1
            items.append(try blockNode(n: m, context: .compact))
            let end = state
            try skipToNextContent(after: "the list item")
            if atEnd || atDocumentMarker || indentation < m {
                state = end
                break
            }
            try checkNoTabInIndentation()
            if indentation > m || column > m {
                throw error("bad indentation: expected \(m) spaces for the next list item, found \(indentation)")
            }
            guard atEntry(45) else {
                state = end
                break
            }
        }
        return made(.sequence(items), line: startLine)
    }

    /// A mapping whose keys are at column `m`; `firstKey` is an implicit key already read, with `pos` on its ":".
    mutating func blockMapping(m: Int, firstKey: (Node, Int)?) throws -> Node {
        try enter(at: firstKey?.1 ?? pos)
        defer { depth -= 1 }
        var entries: [Node.Entry] = []
        var keys = Set<String>()
        var merges: [Node] = []
        let startLine = line
        var pending = firstKey
        while true {
            let keyLine = line
            if let (keyNode, keyStart) = pending {
                pending = nil
                let key = try keyText(keyNode, at: keyStart)
                pos += 1
                let value = try blockNode(n: m, context: .value)
                try add(key, value, line: keyLine, to: &entries, keys: &keys, merges: &merges, at: keyStart)
            } else if atEntry(63) {
                pos += 1
                var keyStart = pos
                while isBlank(at(keyStart)) { keyStart += 1 }
                if isBreakOrEnd(at(keyStart)) { keyStart = pos - 1 }
                let keyNode = try blockNode(n: m, context: .explicit)
                let key = try keyText(keyNode, at: keyStart)
                let afterKey = state
                try skipToNextContent(after: "the key")
                var value: Node
                if !atEnd, !atDocumentMarker, column == m, cur == 58, isWhiteOrEnd(at(pos + 1)) {
                    pos += 1
                    value = try blockNode(n: m, context: .explicit)
                } else {
                    state = afterKey
                    value = empty(line: keyLine)
                }
                try add(key, value, line: keyLine, to: &entries, keys: &keys, merges: &merges, at: keyStart)
            } else {
                pending = try implicitKey(m: m)
                continue
            }
            let end = state
            try skipToNextContent(after: "the value")
            if atEnd || atDocumentMarker || indentation < m {
                state = end
                break
            }
            try checkNoTabInIndentation()
            if indentation > m || column > m {
                throw error(
                    "bad indentation: expected \(m) spaces here, found \(indentation) (a value cannot continue on a more indented line)")
            }
            if atEntry(45) {
                // A list at the key's indentation belongs to the key only right after it ("key:\n- a").
                throw error("a list item where a key was expected")
            }
        }
        return made(.mapping(merges.isEmpty ? entries : merging(entries, merges)), line: startLine)
    }

    /// A key at the start of a mapping line (not the first): properties and a scalar, alias or flow collection on
    /// one line, then ":". Returns the key with `pos` on the ":".
    mutating func implicitKey(m: Int) throws -> (Node, Int) {
        let keyStart = pos
        if cur == 58, isWhiteOrEnd(at(pos + 1)) { throw error("a mapping key cannot be empty (null); write the key") }
        let startCount = nodeCount
        let properties = try parseProperties()
        if properties.present {
            while isBlank(cur) { pos += 1 }
            if isBreakOrEnd(cur) || cur == 35 { throw error("expected a key after the anchor or tag") }
            if cur == 42 { throw error("an alias cannot have an anchor or tag") }
        }
        let startLine = line
        let node = try finish(try inlineNode(n: m), properties, since: startCount, at: keyStart)
        while isBlank(cur) { pos += 1 }
        guard cur == 58, isWhiteOrEnd(at(pos + 1)) else {
            if line != startLine || isBreakOrEnd(cur) || cur == 35 {
                var end = min(keyStart + 40, count)
                while end < count, b[end] & 0xC0 == 0x80 { end += 1 }
                var text = String(decoding: b[keyStart..<end], as: UTF8.self)
                if let newline = text.firstIndex(of: "\n") { text = String(text[..<newline]) }
                throw error("expected \"key: value\", found \"\(text)\"", at: keyStart)
            }
            throw error("expected \":\" after the key")
        }
        if line != startLine { throw error("a mapping key must be on one line; this one starts on line \(startLine)", at: keyStart) }
        return (node, keyStart)
    }

    /// A node that can sit on one line in block context: an alias, a quoted or plain scalar (which may continue on
    /// lines indented more than `n`), or a flow collection.
    mutating func inlineNode(n: Int) throws -> Node {
        let startLine = line
        switch cur {
        case 42: return try alias()
        case 34: return made(.scalar(try doubleQuoted(n: n), .quoted), line: startLine)
        case 39: return made(.scalar(try singleQuoted(n: n), .quoted), line: startLine)
        case 91, 123: return try flowCollection(n: n)
        default:
            guard isPlainStart(flow: false) else { throw notAValue() }
            return made(.scalar(plain(n: n, flow: false), .plain), line: startLine)
        }
    }
}
