// YAMLScalars: the flow scalar styles of YAML 1.2 over several lines — plain (§7.3.3), single- and double-quoted
// (§7.3.1–2, with every escape of §5.7 and escaped line breaks) — with the spec's line folding (§6.5). Block
// scalars are in YAMLBlockScalar.

extension YAMLParser {
    /// Whether a plain scalar may start at `pos` (§7.3.3 ns-plain-first).
    func isPlainStart(flow: Bool) -> Bool {
        let c = cur
        switch c {
        case 0, 32, 9, 10: return false
        case 45, 63, 58:  // "-", "?", ":" followed by a character that could continue the scalar
            let next = at(pos + 1)
            return !isWhiteOrEnd(next) && !(flow && isFlowIndicator(next))
        case 44, 91, 93, 123, 125, 35, 38, 42, 33, 124, 62, 39, 34, 37, 64, 96: return false
        default: return true
        }
    }

    /// A plain scalar at `pos`; it continues on following lines indented more than `n`, folded (§6.5). `pos` is
    /// left after its last character (trailing spaces are not part of it).
    mutating func plain(n: Int, flow: Bool) -> String {
        var out: [UInt8] = []
        var multiLine = false
        var segmentStart = pos
        while true {
            let end = plainLineEnd(segmentStart: segmentStart, flow: flow)
            if multiLine { out.append(contentsOf: b[segmentStart..<end]) }
            let stop = cur
            pos = end
            guard stop == 10, let breaks = plainContinuation(n: n, flow: flow) else { break }
            if !multiLine {
                out.append(contentsOf: b[segmentStart..<end])
                multiLine = true
            }
            if breaks == 0 {
                out.append(32)
            } else {
                for _ in 0..<breaks { out.append(10) }
            }
            segmentStart = pos
        }
        return finishPlain(out, multiLine: multiLine, first: segmentStart, end: pos)
    }

    /// Reads a plain scalar's characters on the current line; returns where they end (trailing blanks not
    /// included), `pos` left at what stopped them: the break, `: `, ` #`, or in flow context an indicator.
    @inline(__always) private mutating func plainLineEnd(segmentStart: Int, flow: Bool) -> Int {
        var end = pos
        while true {
            let c = cur
            if c == 10 || c == 0 { break }
            if c == 58 {
                let next = at(pos + 1)
                if isWhiteOrEnd(next) || (flow && isFlowIndicator(next)) { break }
            } else if c == 35 {
                if pos > segmentStart, isBlank(b[pos - 1]) { break }
            } else if flow, isFlowIndicator(c) {
                break
            }
            pos += 1
            if c != 32, c != 9 { end = pos }
        }
        return end
    }

    /// From the break after a plain scalar's line, moves to the line that continues it — more indented than the
    /// collection, not a comment, marker or indicator — and returns how many empty lines came between; nil, with
    /// `pos` back at the break, when the scalar ends there.
    private mutating func plainContinuation(n: Int, flow: Bool) -> Int? {
        let save = state
        while isBlank(cur) { pos += 1 }
        var breaks = 0
        while cur == 10 {
            newLine()
            while cur == 32 { pos += 1 }
            let indent = column
            while isBlank(cur) { pos += 1 }
            if cur == 10 {
                breaks += 1
                continue
            }
            if atEnd || cur == 35 || indent <= n
                || (indent == 0 && (lineStart == pos) && atDocumentMarker)
                || lineStartsMarker()
            {
                state = save
                return nil
            }
            break
        }
        let c = cur
        if c == 58, isWhiteOrEnd(at(pos + 1)) || (flow && isFlowIndicator(at(pos + 1))) {
            state = save
            return nil
        }
        if flow, isFlowIndicator(c) {
            state = save
            return nil
        }
        return breaks
    }

    private func finishPlain(_ out: [UInt8], multiLine: Bool, first: Int, end: Int) -> String {
        multiLine
            ? String(decoding: out, as: UTF8.self) : String(decoding: b[first..<end], as: UTF8.self)
    }

    /// Whether the current line starts with a document marker.
    func lineStartsMarker() -> Bool {
        let s = lineStart
        guard s + 3 <= count else { return false }
        let c = b[s]
        return (c == 45 || c == 46) && b[s + 1] == c && b[s + 2] == c && isWhiteOrEnd(at(s + 3))
    }

    /// Folds the line break at `pos` and the empty lines after it (§6.5, §7.3): one break is a space (or nothing
    /// after an escaped break), each empty line a "\n". The next line must be indented more than `n`.
    private mutating func foldQuotedBreak(
        n: Int, escaped: Bool, into out: inout [UInt8], quoteStart: Int
    ) throws {
        var breaks = 0
        while true {
            newLine()
            while cur == 32 { pos += 1 }
            let indent = column
            while isBlank(cur) { pos += 1 }
            if cur == 10 {
                breaks += 1
                continue
            }
            if atEnd { throw unterminated(quoteStart) }
            if lineStartsMarker() {
                throw error(
                    "a document marker (--- or ...) inside a quoted string; the string is not closed",
                    at: lineStart)
            }
            if indent <= n {
                throw error(
                    "unterminated \(b[quoteStart] == 34 ? "double" : "single")-quoted string: its line \(line) is not indented "
                        + "more than its parent (\(n + 1) spaces or more), so the string cannot go on there",
                    at: quoteStart)
            }
            break
        }
        if escaped {
            for _ in 0..<breaks { out.append(10) }
        } else if breaks == 0 {
            out.append(32)
        } else {
            for _ in 0..<breaks { out.append(10) }
        }
    }

    private func unterminated(_ start: Int) -> SyntaxError {
        error("unterminated \(b[start] == 34 ? "double" : "single")-quoted string", at: start)
    }

    /// A single-quoted scalar ('' is a quote), over several lines in the style's folding.
    mutating func singleQuoted(n: Int) throws -> String {
        let start = pos
        pos += 1
        let runStart = pos
        while true {
            let c = cur
            if c == 39 {
                if at(pos + 1) != 39 {
                    pos += 1
                    return String(decoding: b[runStart..<(pos - 1)], as: UTF8.self)
                }
                break
            }
            if c == 10 || c == 0 { break }
            pos += 1
        }
        var out = Array(b[runStart..<pos])
        var contentEnd = out.count
        while contentEnd > 0, isBlank(out[contentEnd - 1]) { contentEnd -= 1 }
        while true {
            let c = cur
            if c == 0 { throw unterminated(start) }
            if c == 39 {
                if at(pos + 1) == 39 {
                    out.append(39)
                    pos += 2
                    contentEnd = out.count
                    continue
                }
                pos += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c == 10 {
                out.removeLast(out.count - contentEnd)
                try foldQuotedBreak(n: n, escaped: false, into: &out, quoteStart: start)
                contentEnd = out.count
                continue
            }
            out.append(c)
            pos += 1
            if c != 32, c != 9 { contentEnd = out.count }
        }
    }

    /// A double-quoted scalar with the escapes of §5.7, over several lines (a "\" at a line's end joins the lines).
    mutating func doubleQuoted(n: Int) throws -> String {
        let start = pos
        pos += 1
        let runStart = pos
        while true {
            let c = cur
            if c == 34 {
                pos += 1
                return String(decoding: b[runStart..<(pos - 1)], as: UTF8.self)
            }
            if c == 92 || c == 10 || c == 0 { break }
            pos += 1
        }
        var out = Array(b[runStart..<pos])
        var contentEnd = out.count
        while contentEnd > 0, isBlank(out[contentEnd - 1]) { contentEnd -= 1 }
        while true {
            let c = cur
            switch c {
            case 0: throw unterminated(start)
            case 34:
                pos += 1
                return String(decoding: out, as: UTF8.self)
            case 10:
                out.removeLast(out.count - contentEnd)
                try foldQuotedBreak(n: n, escaped: false, into: &out, quoteStart: start)
                contentEnd = out.count
            case 92:
                if at(pos + 1) == 10 {
                    pos += 1
                    try foldQuotedBreak(n: n, escaped: true, into: &out, quoteStart: start)
                } else {
                    try escape(into: &out)
                }
                contentEnd = out.count
            default:
                out.append(c)
                pos += 1
                if c != 32, c != 9 { contentEnd = out.count }
            }
        }
    }

    /// The escape sequence at `pos` (a backslash), appended as UTF-8.
    private mutating func escape(into out: inout [UInt8]) throws {
        let e = at(pos + 1)
        let simple: UInt8?
        switch e {
        case 48: simple = 0
        case 97: simple = 7
        case 98: simple = 8
        case 116, 9: simple = 9
        case 110: simple = 10
        case 118: simple = 11
        case 102: simple = 12
        case 114: simple = 13
        case 101: simple = 27
        case 32: simple = 32
        case 34: simple = 34
        case 47: simple = 47
        case 92: simple = 92
        default: simple = nil
        }
        if let simple {
            out.append(simple)
            pos += 2
            return
        }
        let scalar: UInt32
        switch e {
        case 78: scalar = 0x85
        case 95: scalar = 0xA0
        case 76: scalar = 0x2028
        case 80: scalar = 0x2029
        case 120, 117, 85:
            let digits = e == 120 ? 2 : e == 117 ? 4 : 8
            var value: UInt32 = 0
            for i in 0..<digits {
                let h = at(pos + 2 + i)
                let d: UInt32
                switch h {
                case 48...57: d = UInt32(h - 48)
                case 97...102: d = UInt32(h - 87)
                case 65...70: d = UInt32(h - 55)
                default:
                    throw error(
                        "expected \(digits) hexadecimal digits after \"\\\(Character(Unicode.Scalar(e)))\"",
                        at: pos)
                }
                value = value << 4 | d
            }
            pos += digits
            scalar = value
        default:
            let shown = e < 128 && e >= 32 ? String(Character(Unicode.Scalar(e))) : "?"
            throw error("unknown escape \"\\\(shown)\" in a double-quoted string")
        }
        pos += 2
        let unicode = Unicode.Scalar(scalar) ?? "\u{FFFD}"
        out.append(contentsOf: Array(String(Character(unicode)).utf8))
    }
}

extension String {
    /// The text without the characters of `set` at either end.
    func trimming(_ set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
