// JSONScanner: a byte-level reader for the records read by the hundred thousand (result lines, interface
// state lines). It decodes straight into fields without Foundation's intermediate values, which is what
// lets the analyzer read ~10× faster than JSONDecoder. It only says "this is not what I expected"; callers
// fall back to JSONDecoder for the precise error message an operator reads.

import Foundation

/// Scans one JSON text held in a buffer.
public struct JSONScanner {
    /// "Not what this reader expected": the caller falls back to JSONDecoder for the precise message.
    public struct Mismatch: Error {
        public init() {}
    }

    private let base: UnsafePointer<UInt8>
    private let count: Int
    private var i = 0

    public init(_ buffer: UnsafeBufferPointer<UInt8>) {
        base = buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!
        count = buffer.count
    }

    /// Runs `body` with a scanner over `bytes`; nil if it throws or trailing text remains.
    public static func scan<T>(_ bytes: some Collection<UInt8>, _ body: (inout JSONScanner) throws -> T) -> T? {
        let run = { (buffer: UnsafeBufferPointer<UInt8>) -> T? in
            var scanner = JSONScanner(buffer)
            guard let value = try? body(&scanner) else { return nil }
            scanner.skipWhitespace()
            return scanner.i == scanner.count ? value : nil
        }
        if let direct = bytes.withContiguousStorageIfAvailable(run) { return direct }
        return Array(bytes).withUnsafeBufferPointer(run)
    }

    @inline(__always) private var current: UInt8? { i < count ? base[i] : nil }

    @inline(__always) public mutating func skipWhitespace() {
        while i < count, base[i] == 0x20 || base[i] == 0x09 || base[i] == 0x0A || base[i] == 0x0D { i += 1 }
    }

    @inline(__always) private mutating func expect(_ byte: UInt8) throws {
        skipWhitespace()
        guard i < count, base[i] == byte else { throw Mismatch() }
        i += 1
    }

    /// Calls `member` for each key of an object; `member` must consume the value.
    public mutating func object(_ member: (String, inout JSONScanner) throws -> Void) throws {
        try items(open: UInt8(ascii: "{"), close: UInt8(ascii: "}")) { s in
            let key = try s.string()
            try s.expect(UInt8(ascii: ":"))
            s.skipWhitespace()
            try member(key, &s)
        }
    }

    /// Calls `element` for each item of an array; `element` must consume the value.
    public mutating func array(_ element: (inout JSONScanner) throws -> Void) throws {
        try items(open: UInt8(ascii: "["), close: UInt8(ascii: "]"), element)
    }

    /// The comma-separated items between `open` and `close` (an object's members, an array's elements), each
    /// consumed by `item`: the one loop objects, arrays and skipped objects share.
    @inline(__always)
    private mutating func items(open: UInt8, close: UInt8, _ item: (inout JSONScanner) throws -> Void) throws {
        try expect(open)
        skipWhitespace()
        if current == close {
            i += 1
            return
        }
        while true {
            skipWhitespace()
            try item(&self)
            skipWhitespace()
            guard let c = current else { throw Mismatch() }
            i += 1
            if c == close { return }
            guard c == UInt8(ascii: ",") else { throw Mismatch() }
        }
    }

    /// Consumes `null` if it is next.
    public mutating func null() -> Bool {
        skipWhitespace()
        guard i + 4 <= count, base[i] == UInt8(ascii: "n"), base[i + 1] == UInt8(ascii: "u"), base[i + 2] == UInt8(ascii: "l"),
            base[i + 3] == UInt8(ascii: "l")
        else { return false }
        i += 4
        return true
    }

    public mutating func string() throws -> String {
        skipWhitespace()
        guard current == UInt8(ascii: "\"") else { throw Mismatch() }
        i += 1
        let start = i
        while i < count {
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(start: base + start, count: i - start), as: UTF8.self)
                i += 1
                return text
            }
            if c == UInt8(ascii: "\\") { return try escapedString(from: start) }
            if c < 0x20 { throw Mismatch() }
            i += 1
        }
        throw Mismatch()
    }

    /// Moves past an object without building its keys (skipped objects are headers, excerpts: many keys).
    private mutating func skipObject() throws {
        try items(open: UInt8(ascii: "{"), close: UInt8(ascii: "}")) { s in
            guard s.current == UInt8(ascii: "\"") else { throw Mismatch() }
            try s.skipString()
            try s.expect(UInt8(ascii: ":"))
            try s.skipValue()
        }
    }

    /// Moves past a string without building it (skipped values are often long, escaped bodies).
    private mutating func skipString() throws {
        i += 1
        while i < count {
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return
            }
            if c == UInt8(ascii: "\\") {
                i += 2
                continue
            }
            if c < 0x20 { throw Mismatch() }
            i += 1
        }
        throw Mismatch()
    }

    private mutating func escapedString(from start: Int) throws -> String {
        var out = Array(UnsafeBufferPointer(start: base + start, count: i - start))
        while i < count {
            let c = base[i]
            i += 1
            if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                continue
            }
            guard let e = current else { throw Mismatch() }
            i += 1
            if let byte = JSONEscape.simple(e) {
                out.append(byte)
                continue
            }
            guard e == UInt8(ascii: "u") else { throw Mismatch() }
            let high = try hex4()
            var low: UInt32?
            let mark = i
            if JSONEscape.isHighSurrogate(high), i + 6 <= count, base[i] == UInt8(ascii: "\\"), base[i + 1] == UInt8(ascii: "u") {
                i += 2
                low = try hex4()
            }
            let decoded = JSONEscape.utf8(high: high, low: low)
            if low != nil, !decoded.usedLow { i = mark }
            out.append(contentsOf: decoded.bytes)
        }
        throw Mismatch()
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= count else { throw Mismatch() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = base[i]
            i += 1
            let digit: UInt8
            switch c {
            case 48...57: digit = c - 48
            case 65...70: digit = c - 55
            case 97...102: digit = c - 87
            default: throw Mismatch()
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    public mutating func int() throws -> Int {
        skipWhitespace()
        var negative = false
        if current == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        let start = i
        var value = 0
        while i < count, base[i] >= 48, base[i] <= 57 {
            value = value &* 10 &+ Int(base[i] - 48)
            i += 1
        }
        // JSON has no leading zeros ("01"): what JSONDecoder refuses, the scanner refuses.
        guard i > start, i - start < 19, base[start] != 48 || i - start == 1 else { throw Mismatch() }
        if i < count, base[i] == UInt8(ascii: ".") || base[i] == UInt8(ascii: "e") || base[i] == UInt8(ascii: "E") { throw Mismatch() }
        return negative ? -value : value
    }

    public mutating func double() throws -> Double {
        skipWhitespace()
        let start = i
        if current == UInt8(ascii: "-") { i += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var scale = 0
        var simple = true
        while i < count, base[i] >= 48, base[i] <= 57 {
            if digits < 18 {
                mantissa = mantissa * 10 + UInt64(base[i] - 48)
                digits += 1
            } else {
                simple = false
            }
            i += 1
        }
        let integerStart = start + (base[start] == UInt8(ascii: "-") ? 1 : 0)
        guard i > integerStart, base[integerStart] != 48 || i - integerStart == 1 else { throw Mismatch() }
        if i < count, base[i] == UInt8(ascii: ".") {
            i += 1
            let fractionStart = i
            while i < count, base[i] >= 48, base[i] <= 57 {
                if digits < 18 {
                    mantissa = mantissa * 10 + UInt64(base[i] - 48)
                    digits += 1
                    scale += 1
                } else {
                    simple = false
                }
                i += 1
            }
            guard i > fractionStart else { throw Mismatch() }
        }
        if i < count, base[i] == UInt8(ascii: "e") || base[i] == UInt8(ascii: "E") {
            simple = false
            i += 1
            if i < count, base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-") { i += 1 }
            let exponentStart = i
            while i < count, base[i] >= 48, base[i] <= 57 { i += 1 }
            guard i > exponentStart else { throw Mismatch() }
        }
        let negative = base[start] == UInt8(ascii: "-")
        if simple, scale <= 22, mantissa <= 1 << 53 {
            // Exact: both the mantissa (at most 2^53) and 10^scale are representable, so one rounding.
            let value = Double(mantissa) / pow10[scale]
            return negative ? -value : value
        }
        guard let value = Double(String(decoding: UnsafeBufferPointer(start: base + start, count: i - start), as: UTF8.self)) else {
            throw Mismatch()
        }
        return value
    }

    public mutating func bool() throws -> Bool {
        skipWhitespace()
        if i + 4 <= count, base[i] == UInt8(ascii: "t"), base[i + 1] == UInt8(ascii: "r"), base[i + 2] == UInt8(ascii: "u"),
            base[i + 3] == UInt8(ascii: "e")
        {
            i += 4
            return true
        }
        if i + 5 <= count, base[i] == UInt8(ascii: "f"), base[i + 1] == UInt8(ascii: "a"), base[i + 2] == UInt8(ascii: "l"),
            base[i + 3] == UInt8(ascii: "s"), base[i + 4] == UInt8(ascii: "e")
        {
            i += 5
            return false
        }
        throw Mismatch()
    }

    public mutating func timestamp() throws -> Date {
        guard let date = Timestamp.parse(try string()) else { throw Mismatch() }
        return date
    }

    /// The bytes of the next value, skipped (to hand a nested value to JSONDecoder).
    public mutating func rawValue() throws -> [UInt8] {
        skipWhitespace()
        let start = i
        try skipValue()
        return Array(UnsafeBufferPointer(start: base + start, count: i - start))
    }

    /// Skips any value.
    public mutating func skipValue() throws {
        skipWhitespace()
        guard let c = current else { throw Mismatch() }
        switch c {
        case UInt8(ascii: "{"): try skipObject()
        case UInt8(ascii: "["): try array { try $0.skipValue() }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"): guard null() else { throw Mismatch() }
        default: _ = try double()
        }
    }
}

private let pow10: [Double] = (0...22).map { pow(10, Double($0)) }
