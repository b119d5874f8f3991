// TerminalText: text from outside (response bodies, spool files) made safe to print to a terminal. C0 and C1
// control characters — ESC starting a colour, cursor or title sequence, BEL, backspace, a lone CR that
// overwrites the line — are shown escaped (`\u{1B}`), so what a target answered can be read but never acts.

/// Escaping of control characters in what commands print.
public enum TerminalText {
    /// `text` with every C0 control (U+0000–U+001F), DEL and C1 control (U+0080–U+009F) written as `\u{…}`,
    /// except newline and tab when `keepingNewlines` (a report keeps its lines). CRLF line ends become LF.
    public static func escape(_ text: String, keepingNewlines: Bool = true) -> String {
        guard text.unicodeScalars.contains(where: { isControl($0) }) else { return text }
        var out = String.UnicodeScalarView()
        var scalars = text.unicodeScalars.makeIterator()
        var pending = scalars.next()
        while let scalar = pending {
            pending = scalars.next()
            if keepingNewlines, scalar == "\r", pending == "\n" { continue }
            if !isControl(scalar) || (keepingNewlines && (scalar == "\n" || scalar == "\t")) {
                out.append(scalar)
                continue
            }
            out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
        }
        return String(out)
    }

    /// Whether `scalar` is a C0 or C1 control character or DEL.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value)
    }
}
