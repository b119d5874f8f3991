// YAML: a parser for the block-style subset that Vigil's config and interface files use — mappings,
// sequences (also at the key's indentation), plain and quoted scalars, comments, `|` and `>` block scalars
// with chomping, and one-line flow `[...]` / `{...}`. Everything else (anchors, aliases, tags, several
// documents, multi-line plain or quoted scalars, tabs in indentation) is refused with the line it is on.

/// Parses the supported YAML subset into a `Node`.
public enum YAML {
    /// How deep collections may nest (the same limit as `JSONDocument`): deeper input is refused, never a crash.
    public static let maxDepth = 256

    /// Parses `text`. An empty document is an empty mapping. A byte-order mark is skipped; LF, CRLF and lone CR
    /// line endings read the same (YAML 1.2 §5.4), so are the line numbers in errors.
    public static func parse(_ text: String) throws -> Node {
        var parser = BlockParser(text: text)
        return try parser.document()
    }

    /// The lines of `text` without their line breaks (LF, CRLF or CR), a leading byte-order mark removed, and
    /// whether the last line ended with a break.
    static func lines(_ text: String) -> (lines: [Substring], lastHasBreak: Bool) {
        var scalars = text.unicodeScalars[...]
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }
        // Swift reads "\r\n" as one Character, so the text is split on Unicode scalars, never on Characters.
        var normalized = String.UnicodeScalarView()
        var previousCR = false
        for scalar in scalars {
            if scalar == "\n", previousCR {
                previousCR = false
                continue
            }
            previousCR = scalar == "\r"
            normalized.append(previousCR ? "\n" : scalar)
        }
        let whole = String(normalized)
        var lines = whole.split(separator: "\n", omittingEmptySubsequences: false)
        let lastHasBreak = lines.count > 1 && lines.last?.isEmpty == true
        if lastHasBreak || whole.isEmpty { lines.removeLast() }
        return (lines, lastHasBreak)
    }
}

private struct RawLine {
    let number: Int
    let text: Substring
    /// Column of the first non-space character (the indentation), or nil for a blank or comment-only line.
    var indent: Int?
    /// Offset at which this line's content starts (moves right for "- key: value" items).
    var contentStart: Int
}

private struct BlockParser {
    var lines: [RawLine] = []
    var index = 0
    /// Whether the last line of the text ended with a line break (block scalars keep it, or not).
    let lastHasBreak: Bool
    var depth = 0

    init(text: String) {
        let split = YAML.lines(text)
        lastHasBreak = split.lastHasBreak
        for (offset, line) in split.lines.enumerated() {
            var indent = 0
            for c in line { if c == " " { indent += 1 } else { break } }
            let rest = line.dropFirst(indent)
            let isContent = !(rest.isEmpty || rest.first == "#" || rest.allSatisfy { $0 == " " || $0 == "\t" })
            lines.append(RawLine(number: offset + 1, text: line, indent: isContent ? indent : nil, contentStart: indent))
        }
    }

    /// Whether line `i` ends with a line break. The end of the text ends a last line of spaces as a break
    /// would (the YAML test suite's JEF9 and L24T), but not a last line of text.
    func hasBreak(_ i: Int) -> Bool { i < lines.count - 1 || lastHasBreak || lines[i].text.allSatisfy { $0 == " " } }

    /// Whether `text` starts a block sequence entry: "-" followed by a space, a tab or the end of the line.
    static func isSequenceEntry(_ text: Substring) -> Bool {
        text == "-" || text.hasPrefix("- ") || text.hasPrefix("-\t")
    }

    func content(_ line: RawLine) -> Substring { line.text.dropFirst(line.contentStart) }

    mutating func skipBlank() {
        while index < lines.count, lines[index].indent == nil { index += 1 }
    }

    func checkTabs(_ line: RawLine) throws {
        let leading = line.text.prefix { $0 == " " || $0 == "\t" }
        if leading.utf8.contains(9) {
            throw SyntaxError(
                line: line.number, column: leading.count,
                message: "tab character in indentation; YAML indents with spaces only")
        }
    }

    mutating func document() throws -> Node {
        skipBlank()
        if index < lines.count, content(lines[index]).hasPrefix("%") {
            throw SyntaxError(line: lines[index].number, column: 1, message: "directives (%) are not supported")
        }
        var root: Node?
        var rootOnMarkerLine = false
        if index < lines.count, isMarker(lines[index], "---") {
            // "--- value": the document's root starts on the marker line itself.
            let line = lines[index]
            var scanner = LineScanner(line.text.dropFirst(3), line: line.number, column: 3)
            scanner.skipSpaces()
            index += 1
            if !scanner.atEnd, scanner.current != "#" {
                root = try inlineValue(&scanner, parentIndent: -1)
                rootOnMarkerLine = true
            }
            skipBlank()
        }
        if root == nil {
            guard index < lines.count, !isMarker(lines[index], "..."), !isMarker(lines[index], "---") else {
                try expectNothingAfterDocument()
                return Node(.mapping([]), line: 1)
            }
            try checkTabs(lines[index])
            root = try block(indent: lines[index].indent!)
            skipBlank()
        }
        if index < lines.count, !isMarker(lines[index], "---"), !isMarker(lines[index], "...") {
            let line = lines[index]
            if rootOnMarkerLine {
                throw SyntaxError(
                    line: line.number, column: (line.indent ?? 0) + 1,
                    message: "the document's value was given on the \"---\" line; nothing else may follow it")
            }
            if root?.items != nil {
                throw SyntaxError(
                    line: line.number, column: (line.indent ?? 0) + 1,
                    message: "expected another \"- \" list item: a document is a list or a mapping, not both")
            }
            throw SyntaxError(
                line: line.number, column: (line.indent ?? 0) + 1,
                message: "unexpected indentation: this line is less indented than the first key of the document")
        }
        try expectNothingAfterDocument()
        return root ?? Node(.mapping([]), line: 1)
    }

    /// At the end of the document: nothing, or "..." followed by nothing but comments. A second document is
    /// refused rather than dropped.
    mutating func expectNothingAfterDocument() throws {
        skipBlank()
        guard index < lines.count else { return }
        let line = lines[index]
        if isMarker(line, "...") {
            let rest = line.text.dropFirst(3).drop { $0 == " " || $0 == "\t" }
            if !rest.isEmpty, rest.first != "#" {
                throw SyntaxError(line: line.number, column: 5, message: "unexpected \"\(rest.prefix(20))\" after the document end marker \"...\"")
            }
            index += 1
            skipBlank()
            guard index < lines.count else { return }
        }
        throw SyntaxError(
            line: lines[index].number, column: 1,
            message: "several documents in one file are not supported: nothing may follow the first document")
    }

    func isMarker(_ line: RawLine, _ marker: String) -> Bool {
        line.indent == 0 && (line.text == marker || line.text.hasPrefix(marker + " ") || line.text.hasPrefix(marker + "\t"))
    }

    /// The node whose first line is the current one, at `indent`.
    mutating func block(indent: Int) throws -> Node {
        let line = lines[index]
        let text = content(line)
        depth += 1
        defer { depth -= 1 }
        guard depth <= YAML.maxDepth else {
            throw SyntaxError(
                line: line.number, column: line.contentStart + 1,
                message: "nesting deeper than \(YAML.maxDepth) levels")
        }
        if BlockParser.isSequenceEntry(text) { return try sequence(indent: indent) }
        if try mappingKey(line) != nil { return try mapping(indent: indent) }
        // A lone scalar on its own line (e.g. a value on the line after its key).
        var scanner = LineScanner(text, line: line.number, column: line.contentStart)
        index += 1
        return try inlineValue(&scanner, parentIndent: indent - 1)
    }

    mutating func sequence(indent: Int) throws -> Node {
        var items: [Node] = []
        let startLine = lines[index].number
        while true {
            skipBlank()
            guard index < lines.count, let lineIndent = lines[index].indent else { break }
            try checkTabs(lines[index])
            if lineIndent < indent || isMarker(lines[index], "---") || isMarker(lines[index], "...") { break }
            let line = lines[index]
            let text = content(line)
            guard lineIndent == indent else {
                throw SyntaxError(
                    line: line.number, column: lineIndent + 1,
                    message: "bad indentation: expected \(indent) spaces for the next list item, found \(lineIndent)")
            }
            guard BlockParser.isSequenceEntry(text) else { break }
            let after = text.dropFirst(1)
            let separation = after.prefix { $0 == " " || $0 == "\t" }
            let spaces = separation.count
            let rest = after.dropFirst(spaces)
            if rest.isEmpty || rest.first == "#" {
                index += 1
                items.append(try nested(parentIndent: indent, line: line.number))
                continue
            }
            // "- key: value" or "- - x": the item is a block that starts at the column after "- ".
            let column = line.contentStart + 1 + spaces
            lines[index].contentStart = column
            lines[index].indent = column
            let itemText = content(lines[index])
            let startsBlock = try BlockParser.isSequenceEntry(itemText) || mappingKey(lines[index]) != nil
            if startsBlock, separation.utf8.contains(9) {
                throw SyntaxError(
                    line: line.number, column: column + 1,
                    message: "a tab after \"-\" indents a nested list or mapping; YAML indents with spaces only")
            }
            if startsBlock {
                items.append(try block(indent: column))
            } else {
                var scanner = LineScanner(itemText, line: line.number, column: column)
                index += 1
                items.append(try inlineValue(&scanner, parentIndent: indent))
            }
        }
        return Node(.sequence(items), line: startLine)
    }

    mutating func mapping(indent: Int) throws -> Node {
        var entries: [Node.Entry] = []
        let startLine = lines[index].number
        while true {
            skipBlank()
            guard index < lines.count, let lineIndent = lines[index].indent else { break }
            try checkTabs(lines[index])
            if lineIndent < indent || isMarker(lines[index], "---") || isMarker(lines[index], "...") { break }
            let line = lines[index]
            guard lineIndent == indent else {
                throw SyntaxError(
                    line: line.number, column: lineIndent + 1,
                    message: "bad indentation: expected \(indent) spaces here, found \(lineIndent) "
                        + "(a value cannot continue on a more indented line)")
            }
            let text = content(line)
            if BlockParser.isSequenceEntry(text) {
                throw SyntaxError(
                    line: line.number, column: lineIndent + 1,
                    message: "a list item where a key was expected")
            }
            guard let (key, valueStart) = try mappingKey(line) else {
                throw SyntaxError(
                    line: line.number, column: lineIndent + 1,
                    message: "expected \"key: value\", found \"\(text.prefix(40))\"")
            }
            if entries.contains(where: { $0.key == key }) {
                throw SyntaxError(line: line.number, column: lineIndent + 1, message: "duplicate key \"\(key)\"")
            }
            var scanner = LineScanner(text.dropFirst(valueStart), line: line.number, column: line.contentStart + valueStart)
            scanner.skipSpaces()
            let value: Node
            if scanner.atEnd || scanner.current == "#" {
                index += 1
                value = try nested(parentIndent: indent, line: line.number, sequenceAtSameIndent: true)
            } else {
                index += 1
                value = try inlineValue(&scanner, parentIndent: indent)
            }
            entries.append(Node.Entry(key: key, line: line.number, value: value))
        }
        return Node(.mapping(entries), line: startLine)
    }

    /// The value of a key or item written on the following lines (or null when there are none).
    mutating func nested(parentIndent: Int, line: Int, sequenceAtSameIndent: Bool = false) throws -> Node {
        skipBlank()
        guard index < lines.count, let indent = lines[index].indent else { return Node(.scalar("", .plain), line: line) }
        try checkTabs(lines[index])
        let text = content(lines[index])
        if indent > parentIndent { return try block(indent: indent) }
        if sequenceAtSameIndent, indent == parentIndent, BlockParser.isSequenceEntry(text) {
            return try sequence(indent: indent)
        }
        return Node(.scalar("", .plain), line: line)
    }

    /// The key of a "key: value" line and the offset where its value starts, or nil if the line is no entry.
    func mappingKey(_ line: RawLine) throws -> (String, Int)? {
        let text = content(line)
        var scanner = LineScanner(text, line: line.number, column: line.contentStart)
        if scanner.current == "\"" || scanner.current == "'" {
            let key = try scanner.quoted()
            scanner.skipSpaces()
            guard scanner.current == ":" else { return nil }
            return (key, scanner.position + 1)
        }
        if scanner.current == "[" || scanner.current == "{" { return nil }
        try scanner.rejectUnsupported()
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            if chars[i] == "#", i > 0, chars[i - 1] == " " { return nil }
            if chars[i] == ":", i + 1 == chars.count || chars[i + 1] == " " || chars[i + 1] == "\t" {
                let key = String(chars[0..<i]).trimming(" \t")
                return key.isEmpty ? nil : (key, i + 1)
            }
            i += 1
        }
        return nil
    }

    /// A value that starts on the line just consumed (`index` already points past it): quoted, flow, block
    /// scalar (which consumes the following lines) or plain.
    mutating func inlineValue(_ scanner: inout LineScanner, parentIndent: Int) throws -> Node {
        try scanner.rejectUnsupported()
        let line = scanner.line
        switch scanner.current {
        case "\"", "'":
            let text = try scanner.quoted()
            try scanner.expectEndOfLine(after: "the quoted string")
            return Node(.scalar(text, .quoted), line: line)
        case "[", "{":
            let node = try scanner.flow(depth: depth)
            try scanner.expectEndOfLine(after: "the flow collection")
            return node
        case "|", ">":
            return try blockScalar(&scanner, parentIndent: parentIndent)
        case "-" where scanner.position + 1 == scanner.chars.count || scanner.chars[scanner.position + 1] == " ":
            throw scanner.error("a list cannot start on the line of its key; put the \"- item\" lines below it, indented")
        default:
            let text = scanner.plainToEnd()
            // Byte comparisons: Foundation's contains(_: String) is slow and this runs once per plain value.
            if zip(text.utf8, text.utf8.dropFirst()).contains(where: { $0 == 58 && $1 == 32 }) || text.utf8.last == 58 {
                throw scanner.error("a plain value cannot contain \": \"; quote it, or start a nested mapping on the next line")
            }
            return Node(.scalar(text, .plain), line: line)
        }
    }

    /// `|` or `>` with an optional chomping indicator (`-`, `+`) and indentation digit, in either order; the
    /// content is the following lines indented deeper than the parent. Line folding, chomping and the handling
    /// of empty and whitespace-only lines follow YAML 1.2 §8.1 (the same steps as libyaml's scanner).
    mutating func blockScalar(_ scanner: inout LineScanner, parentIndent: Int) throws -> Node {
        let literal = scanner.current == "|"
        let line = scanner.line
        scanner.position += 1
        var chomp: Character?
        var explicitIndent: Int?
        while let c = scanner.current, c != " ", c != "\t" {
            if (c == "-" || c == "+"), chomp == nil {
                chomp = c
            } else if let digit = c.wholeNumberValue, (1...9).contains(digit), explicitIndent == nil {
                explicitIndent = digit
            } else {
                throw scanner.error("expected a block scalar header such as |, |-, >+ or |2, found \"\(c)\"")
            }
            scanner.position += 1
        }
        try scanner.expectEndOfLine(after: "the block scalar indicator")
        let body = try blockScalarLines(parentIndent: parentIndent, explicitIndent: explicitIndent, line: line)
        var text = ""
        var breaks = 0
        var lineBreak = ""
        var k = 0
        while k < body.count, body[k].text == nil {
            breaks += body[k].hasBreak ? 1 : 0
            k += 1
        }
        while k < body.count, let content = body[k].text {
            text += String(repeating: "\n", count: breaks)
            let leadingNonSpace = !(content.first == " " || content.first == "\t")
            text += content
            lineBreak = body[k].hasBreak ? "\n" : ""
            k += 1
            breaks = 0
            while k < body.count, body[k].text == nil {
                breaks += body[k].hasBreak ? 1 : 0
                k += 1
            }
            guard k < body.count, let next = body[k].text else { break }
            if !literal, lineBreak == "\n", leadingNonSpace, !(next.first == " " || next.first == "\t") {
                if breaks == 0 { text += " " }
            } else {
                text += lineBreak
            }
        }
        switch chomp {
        case "-": break
        case "+": text += lineBreak + String(repeating: "\n", count: breaks)
        default: text += lineBreak
        }
        return Node(.scalar(text, .block), line: line)
    }

    /// The lines of a block scalar's body (consumed): `text` nil for an empty line, else the line after the
    /// content indentation (which keeps spaces beyond it, even on a line of spaces only).
    mutating func blockScalarLines(parentIndent: Int, explicitIndent: Int?, line: Int)
        throws -> [(text: Substring?, hasBreak: Bool)]
    {
        func spaces(_ text: Substring) -> Int { text.prefix { $0 == " " }.count }
        func isSpaces(_ text: Substring) -> Bool { text.allSatisfy { $0 == " " } }
        /// A line of blanks with a tab where the indentation should be: not an empty line in YAML, but an error.
        func checkTab(_ i: Int, indent: Int) throws {
            let text = lines[i].text
            if spaces(text) < indent, text.dropFirst(spaces(text)).first == "\t", text.allSatisfy({ $0 == " " || $0 == "\t" }) {
                throw SyntaxError(
                    line: lines[i].number, column: spaces(text) + 1,
                    message: "tab character in the indentation of a block scalar; YAML indents with spaces only")
            }
        }
        var contentIndent = explicitIndent.map { max(parentIndent, 0) + $0 }
        if contentIndent == nil {
            var i = index
            var longestLeading = 0
            while i < lines.count, isSpaces(lines[i].text) {
                longestLeading = max(longestLeading, lines[i].text.count)
                i += 1
            }
            if i < lines.count, spaces(lines[i].text) > parentIndent, !isMarker(lines[i], "---"), !isMarker(lines[i], "...") {
                contentIndent = spaces(lines[i].text)
                if longestLeading > contentIndent! {
                    throw SyntaxError(
                        line: lines[index].number, column: longestLeading,
                        message: "a leading empty line of the block scalar has more spaces than its first line; "
                            + "remove them or give the indentation with a digit (|2)")
                }
            } else {
                contentIndent = max(parentIndent + 1, longestLeading)
            }
        }
        let indent = contentIndent!
        var body: [(text: Substring?, hasBreak: Bool)] = []
        while index < lines.count {
            let raw = lines[index]
            if isMarker(raw, "---") || isMarker(raw, "...") { break }
            try checkTab(index, indent: indent)
            if isSpaces(raw.text), raw.text.count <= indent {
                body.append((nil, hasBreak(index)))
            } else if spaces(raw.text) >= indent {
                body.append((raw.text.dropFirst(indent), hasBreak(index)))
            } else {
                break
            }
            index += 1
        }
        return body
    }
}
