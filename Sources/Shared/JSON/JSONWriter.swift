// JSONWriter: the writing twin of JSONScanner — JSON appended to a byte buffer member by member, without
// Foundation's intermediate values, for the records written by the hundred thousand (results, the analyzer's
// state and rollup lines: Shared/Wire) and the JSON of `orchestrator status --json`.

import Foundation

/// Appends JSON to a byte buffer field by field, for records written by the hundred thousand.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private var first = true

    public init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// A member's name: one of the program's own (a record's key, spelled once in its `CodingKeys`), never escaped;
    /// names that come from data go through `field(dynamic:_:)`.
    private mutating func key(_ name: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        var name = name
        name.withUTF8 { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func field(_ name: String, _ value: String) {
        key(name)
        JSONWriter.quote(value, into: &bytes)
    }

    public mutating func field(_ name: String, _ value: String?) {
        if let value { field(name, value) }
    }

    public mutating func field(_ name: String, _ value: Int) {
        key(name)
        JSONWriter.integer(value, into: &bytes)
    }

    /// Appends the decimal digits of `value` (without going through a String: written per record).
    public static func integer(_ value: Int, into out: inout [UInt8]) {
        if value < 0 {
            guard value != .min else { return out.append(contentsOf: String(value).utf8) }
            out.append(UInt8(ascii: "-"))
            return integer(-value, into: &out)
        }
        if value < 10 { return out.append(UInt8(48 + value)) }
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            while v > 0 {
                buffer[19 - count] = UInt8(48 + v % 10)
                v /= 10
                count += 1
            }
            out.append(contentsOf: buffer[(20 - count)...])
        }
    }

    /// Appends `[1,2,3]`.
    public static func integers(_ values: [Int], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, value) in values.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            integer(value, into: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    public mutating func field(_ name: String, _ value: Int?) {
        if let value { field(name, value) }
    }

    /// A number; a value JSON cannot carry (infinite, NaN) is written as null.
    public mutating func field(_ name: String, _ value: Double) {
        key(name)
        bytes.append(contentsOf: (value.isFinite ? value.description : "null").utf8)
    }

    public mutating func field(_ name: String, _ value: Double?) {
        if let value { field(name, value) }
    }

    /// A member whose name is not known at compile time (header names).
    public mutating func field(dynamic name: String, _ value: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        JSONWriter.quote(name, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
        JSONWriter.quote(value, into: &bytes)
    }

    public mutating func field(_ name: String, _ value: Date) {
        key(name)
        bytes.append(UInt8(ascii: "\""))
        Timestamp.format(value, into: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func field(_ name: String, _ value: Date?) {
        if let value { field(name, value) }
    }

    /// A member whose value is already JSON.
    public mutating func raw(_ name: String, _ json: [UInt8]) {
        key(name)
        bytes.append(contentsOf: json)
    }

    /// A member whose JSON value `write` appends (no array of its own).
    public mutating func raw(_ name: String, _ write: (inout [UInt8]) -> Void) {
        key(name)
        write(&bytes)
    }

    public mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// A member holding an object, written by `build`.
    public mutating func object(_ name: String, _ build: (inout JSONWriter) -> Void) {
        key(name)
        nested(build)
    }

    /// An object written by `build` into this writer's bytes (no buffer of its own).
    private mutating func nested(_ build: (inout JSONWriter) -> Void) {
        var inner = JSONWriter(adopting: &bytes)
        build(&inner)
        inner.bytes.append(UInt8(ascii: "}"))
        swap(&bytes, &inner.bytes)
    }

    /// A writer that continues `bytes` (taken, left empty) with a new object.
    private init(adopting bytes: inout [UInt8]) {
        swap(&self.bytes, &bytes)
        self.bytes.append(UInt8(ascii: "{"))
    }

    /// Appends the object `build` writes to `bytes` (a file writer's buffer: no array per record).
    public static func append(to bytes: inout [UInt8], _ build: (inout JSONWriter) -> Void) {
        var writer = JSONWriter(adopting: &bytes)
        build(&writer)
        writer.bytes.append(UInt8(ascii: "}"))
        swap(&bytes, &writer.bytes)
    }

    /// A member holding an array with one object per item, each written by `build`.
    public mutating func array<Item>(_ name: String, _ items: some Sequence<Item>, _ build: (Item, inout JSONWriter) -> Void) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (i, item) in items.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            nested { build(item, &$0) }
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// An object written by `build`, closed.
    public static func object(_ build: (inout JSONWriter) -> Void) -> [UInt8] {
        var writer = JSONWriter()
        build(&writer)
        return writer.finish()
    }

    /// The object, closed.
    public mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    public static func quote(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Nearly every text needs no escape: copied whole.
        var text = text
        let plain = text.withUTF8 { utf8 -> Bool in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            out.append(contentsOf: utf8)
            return true
        }
        if plain { return out.append(UInt8(ascii: "\"")) }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 0x0A: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
            // As Foundation's encoder writes them (the same record gives the same bytes either way).
            case 0x08: out.append(contentsOf: [92, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [92, UInt8(ascii: "f")])
            case 0..<0x20: out.append(contentsOf: Array(("\\u" + String(byte, radix: 16).leftPadded(to: 4)).utf8))
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
