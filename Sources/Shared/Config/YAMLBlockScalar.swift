// YAMLBlockScalar: literal `|` and folded `>` block scalars (YAML 1.2 §8.1) with chomping (`-`, `+`) and
// indentation indicators, the content indentation detected from the first non-empty line as libyaml does.

extension YAMLParser {
    /// `|` or `>` with an optional chomping indicator (`-`, `+`) and indentation digit, in either order; the content
    /// is the following lines indented more than `n`. Folding, chomping and the handling of empty and
    /// whitespace-only lines follow YAML 1.2 §8.1 (the same steps as libyaml's scanner). `pos` is left at the end
    /// of the last line that belongs to the scalar.
    mutating func blockScalar(n: Int) throws -> Node {
        let literal = cur == 124
        let startLine = line
        pos += 1
        var chomp: UInt8 = 0
        var explicitIndent: Int?
        while !isWhiteOrEnd(cur) {
            let c = cur
            if c == 45 || c == 43, chomp == 0 {
                chomp = c
            } else if c >= 49, c <= 57, explicitIndent == nil {
                explicitIndent = Int(c - 48)
            } else {
                throw error("expected a block scalar header such as |, |-, >+ or |2, found \"\(Character(Unicode.Scalar(c)))\"")
            }
            pos += 1
        }
        if cur == 35 { throw error("a comment needs a space before \"#\" (after the block scalar indicator)") }
        try expectLineEnd(after: "the block scalar indicator")
        let body = try blockScalarLines(n: n, explicitIndent: explicitIndent)
        var text: [UInt8] = []
        var breaks = 0
        var lineBreak = false
        var k = 0
        while k < body.count, body[k].text == nil {
            breaks += body[k].hasBreak ? 1 : 0
            k += 1
        }
        while k < body.count, let content = body[k].text {
            for _ in 0..<breaks { text.append(10) }
            let leadingNonSpace = !(content.lowerBound < content.upperBound && isBlank(b[content.lowerBound]))
            text.append(contentsOf: b[content])
            lineBreak = body[k].hasBreak
            k += 1
            breaks = 0
            while k < body.count, body[k].text == nil {
                breaks += body[k].hasBreak ? 1 : 0
                k += 1
            }
            guard k < body.count, let next = body[k].text else { break }
            let nextLeadingNonSpace = !(next.lowerBound < next.upperBound && isBlank(b[next.lowerBound]))
            if !literal, lineBreak, leadingNonSpace, nextLeadingNonSpace {
                if breaks == 0 { text.append(32) }
            } else if lineBreak {
                text.append(10)
            }
        }
        switch chomp {
        case 45: break
        case 43:
            if lineBreak { text.append(10) }
            for _ in 0..<breaks { text.append(10) }
        default:
            if lineBreak { text.append(10) }
        }
        return made(.scalar(String(decoding: text, as: UTF8.self), .block), line: startLine)
    }

    /// The lines of a block scalar's body, consumed: `text` nil for an empty line, else the byte range after the
    /// content indentation (spaces beyond it kept, even on a line of spaces only).
    private mutating func blockScalarLines(n: Int, explicitIndent: Int?) throws -> [(text: Range<Int>?, hasBreak: Bool)] {
        // `pos` is at the header line's break (or the end of the text).
        var body: [(text: Range<Int>?, hasBreak: Bool)] = []
        guard cur == 10 else { return body }
        let headerEnd = state
        newLine()
        let indent = try explicitIndent.map { max(n, 0) + $0 } ?? detectedIndent(n: n)
        var lastEnd = headerEnd
        while pos < count {
            if isMarkerLine(pos) { break }
            let e = lineEnd(pos)
            let lead = spaces(pos)
            if lead == e - pos, e - pos <= indent {
                body.append((nil, true))
            } else if lead >= indent {
                body.append(((pos + indent)..<e, e < count || lead == e - pos))
            } else {
                try refuseTabIndentation(lead: lead, indent: indent, lineEnd: e)
                break
            }
            pos = e
            lastEnd = state
            if e < count { newLine() }
        }
        state = lastEnd
        return body
    }

    /// The content indentation without an indentation digit, as libyaml finds it: that of the first non-empty
    /// line when it is deeper than `n`, else the longest of the leading empty lines (at least `n + 1`).
    private func detectedIndent(n: Int) throws -> Int {
        var i = pos
        var longestLeading = 0
        while i < count {
            let e = lineEnd(i)
            guard spaces(i) == e - i else { break }
            longestLeading = max(longestLeading, e - i)
            if e >= count { break }
            i = e + 1
        }
        let indent = spaces(i)
        guard i < count, lineEnd(i) > i + indent, indent > n, !isMarkerLine(i) else { return max(n + 1, longestLeading) }
        if longestLeading > indent {
            throw error(
                "a leading empty line of the block scalar has more spaces than its first line; "
                    + "remove them or give the indentation with a digit (|2)", at: pos + longestLeading - 1)
        }
        return indent
    }

    /// A line less indented than the content ends the scalar, unless a tab stands where the indentation is
    /// missing and nothing else follows on the line: that is refused.
    private func refuseTabIndentation(lead: Int, indent: Int, lineEnd e: Int) throws {
        if lead < indent, pos + lead < e, b[pos + lead] == 9, lead <= indent {
            var onlyBlanks = true
            for j in (pos + lead)..<e where !isBlank(b[j]) { onlyBlanks = false }
            if onlyBlanks {
                throw error("tab character in the indentation of a block scalar; YAML indents with spaces only", at: pos + lead)
            }
        }
    }

    /// Where the line that contains `start` ends (its break, or the end of the text).
    @inline(__always) private func lineEnd(_ start: Int) -> Int {
        var i = start
        while i < count, b[i] != 10 { i += 1 }
        return i
    }

    /// How many spaces start at `start`.
    @inline(__always) private func spaces(_ start: Int) -> Int {
        var i = start
        while i < count, b[i] == 32 { i += 1 }
        return i - start
    }

    /// Whether a document marker starts the line beginning at `start`.
    func isMarkerLine(_ start: Int) -> Bool {
        guard start + 3 <= count else { return false }
        let c = b[start]
        return (c == 45 || c == 46) && b[start + 1] == c && b[start + 2] == c && isWhiteOrEnd(at(start + 3))
    }
}
