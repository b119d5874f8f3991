// YAML: a parser for the block-style subset that Vigil's config and interface files use — mappings,
// sequences (also at the key's indentation), plain and quoted scalars, comments, `|` and `>` block scalars
// with chomping, and one-line flow `[...]` / `{...}`. Everything else (anchors, aliases, tags, several
// documents, multi-line plain or quoted scalars, tabs in indentation) is refused with the line it is on.

/// Parses the supported YAML subset into a `Node`.
public enum YAML {
    /// Parses `text`. An empty document is an empty mapping.
    public static func parse(_ text: String) throws -> Node {
        var parser = BlockParser(text: text)
        return try parser.document()
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

    init(text: String) {
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = raw.last == "\r" ? raw.dropLast() : raw
            var indent = 0
            for c in line { if c == " " { indent += 1 } else { break } }
            let rest = line.dropFirst(indent)
            let isContent = !(rest.isEmpty || rest.first == "#" || rest.allSatisfy { $0 == " " || $0 == "\t" })
            lines.append(RawLine(number: number, text: line, indent: isContent ? indent : nil, contentStart: indent))
        }
    }

    func content(_ line: RawLine) -> Substring { line.text.dropFirst(line.contentStart) }

    mutating func skipBlank() {
        while index < lines.count, lines[index].indent == nil { index += 1 }
    }

    func checkTabs(_ line: RawLine) throws {
        let leading = line.text.prefix { $0 == " " || $0 == "\t" }
        if leading.contains("\t") {
            throw SyntaxError(line: line.number, column: leading.count,
                              message: "tab character in indentation; YAML indents with spaces only")
        }
    }

    mutating func document() throws -> Node {
        skipBlank()
        if index < lines.count, content(lines[index]).hasPrefix("%") {
            throw SyntaxError(line: lines[index].number, column: 1, message: "directives (%) are not supported")
        }
        if index < lines.count, isMarker(lines[index], "---") {
            index += 1
            skipBlank()
        }
        guard index < lines.count else { return Node(.mapping([]), line: 1) }
        try checkTabs(lines[index])
        let root = try block(indent: lines[index].indent!)
        skipBlank()
        if index < lines.count {
            let line = lines[index]
            if isMarker(line, "---") {
                throw SyntaxError(line: line.number, column: 1, message: "several documents in one file are not supported")
            }
            if isMarker(line, "...") { return root }
            if root.items != nil {
                throw SyntaxError(line: line.number, column: (line.indent ?? 0) + 1,
                                  message: "expected another \"- \" list item: a document is a list or a mapping, not both")
            }
            throw SyntaxError(line: line.number, column: (line.indent ?? 0) + 1,
                              message: "unexpected indentation: this line is less indented than the first key of the document")
        }
        return root
    }

    func isMarker(_ line: RawLine, _ marker: String) -> Bool {
        line.indent == 0 && (line.text == marker || line.text.hasPrefix(marker + " "))
    }

    /// The node whose first line is the current one, at `indent`.
    mutating func block(indent: Int) throws -> Node {
        let line = lines[index]
        let text = content(line)
        if text == "-" || text.hasPrefix("- ") { return try sequence(indent: indent) }
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
                throw SyntaxError(line: line.number, column: lineIndent + 1,
                                  message: "bad indentation: expected \(indent) spaces for the next list item, found \(lineIndent)")
            }
            guard text == "-" || text.hasPrefix("- ") else { break }
            let after = text.dropFirst(1)
            let spaces = after.prefix { $0 == " " }.count
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
            let startsBlock = try itemText == "-" || itemText.hasPrefix("- ") || mappingKey(lines[index]) != nil
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
                throw SyntaxError(line: line.number, column: lineIndent + 1,
                                  message: "bad indentation: expected \(indent) spaces here, found \(lineIndent) "
                                      + "(a value cannot continue on a more indented line)")
            }
            let text = content(line)
            if text == "-" || text.hasPrefix("- ") {
                throw SyntaxError(line: line.number, column: lineIndent + 1,
                                  message: "a list item where a key was expected")
            }
            guard let (key, valueStart) = try mappingKey(line) else {
                throw SyntaxError(line: line.number, column: lineIndent + 1,
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
        if sequenceAtSameIndent, indent == parentIndent, text == "-" || text.hasPrefix("- ") {
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
            let node = try scanner.flow()
            try scanner.expectEndOfLine(after: "the flow collection")
            return node
        case "|", ">":
            return try blockScalar(&scanner, parentIndent: parentIndent)
        default:
            let text = scanner.plainToEnd()
            if text.contains(": ") || text.hasSuffix(":") {
                throw scanner.error("a plain value cannot contain \": \"; quote it, or start a nested mapping on the next line")
            }
            return Node(.scalar(text, .plain), line: line)
        }
    }

    /// `|` or `>` with optional chomping (`-`, `+`) and indentation digit; the content is the following lines
    /// indented deeper than the parent.
    mutating func blockScalar(_ scanner: inout LineScanner, parentIndent: Int) throws -> Node {
        let literal = scanner.current == "|"
        let line = scanner.line
        scanner.position += 1
        var chomp: Character = " "
        var explicitIndent: Int?
        for _ in 0..<2 {
            if let c = scanner.current, c == "-" || c == "+" { chomp = c; scanner.position += 1 }
            if let c = scanner.current, let digit = c.wholeNumberValue, digit > 0 { explicitIndent = digit; scanner.position += 1 }
        }
        try scanner.expectEndOfLine(after: "the block scalar indicator")
        var contentIndent = explicitIndent.map { parentIndent + $0 }
        var body: [Substring] = []
        while index < lines.count {
            let raw = lines[index]
            let leading = raw.text.prefix { $0 == " " }.count
            let isBlank = raw.text.allSatisfy { $0 == " " }
            if !isBlank {
                if contentIndent == nil {
                    guard leading > parentIndent else { break }
                    contentIndent = leading
                }
                guard leading >= contentIndent! else { break }
            }
            body.append(isBlank ? "" : raw.text.dropFirst(contentIndent!))
            index += 1
        }
        var trailingBlank = 0
        while let last = body.last, last.isEmpty { body.removeLast(); trailingBlank += 1 }
        var text: String
        if literal {
            text = body.joined(separator: "\n")
        } else {
            text = ""
            var previousWasText = false
            for part in body {
                if part.isEmpty { text += "\n"; previousWasText = false; continue }
                if previousWasText { text += part.first == " " ? "\n" : " " }
                text += part
                previousWasText = true
            }
        }
        switch chomp {
        case "-": break
        case "+": if !body.isEmpty || trailingBlank > 0 { text += String(repeating: "\n", count: trailingBlank + (body.isEmpty ? 0 : 1)) }
        default: if !body.isEmpty { text += "\n" }
        }
        return Node(.scalar(text, .block), line: line)
    }
}
