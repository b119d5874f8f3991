// JSONEscape: what a backslash escape in a JSON string stands for, shared by the line-tracking document
// parser (config and interface files) and the fast record scanner. A `\u` high surrogate is paired only with
// a following low surrogate; anything unpaired becomes U+FFFD instead of a wrong character or a crash.

/// Decoding of JSON string escapes.
enum JSONEscape {
    /// The byte a one-character escape (`\n`, `\"`, `\/`, …) stands for; nil for `u` and unknown escapes.
    static func simple(_ escape: UInt8) -> UInt8? {
        switch escape {
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "t"): 0x09
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0C
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): escape
        default: nil
        }
    }

    /// Whether `unit` (a `\uXXXX` value) opens a surrogate pair, so the next `\uXXXX` should be read with it.
    static func isHighSurrogate(_ unit: UInt32) -> Bool { (0xD800..<0xDC00).contains(unit) }

    /// The UTF-8 of `\u<high>` (and `\u<low>` when given), and whether `low` was used. A low value that does
    /// not complete the pair is left for the caller to read as a character of its own.
    static func utf8(high: UInt32, low: UInt32?) -> (bytes: [UInt8], usedLow: Bool) {
        var scalar = high
        var usedLow = false
        if isHighSurrogate(high), let low, (0xDC00..<0xE000).contains(low) {
            scalar = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            usedLow = true
        }
        let character = Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}"
        return (Array(String(character).utf8), usedLow)
    }
}
