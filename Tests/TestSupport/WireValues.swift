// WireValues: seeded random field values for the wire round-trip tests — texts with the characters a JSON
// writer must escape, valid names, numbers at the edges of what the scanner reads, timestamps as the record
// format keeps them (milliseconds). The same seed gives the same values; a failure message prints it.

import Foundation
import Shared

/// Random record fields from a seed (SplitMix64).
public struct WireValues {
    public let seed: UInt64
    private var random: SeededRandom
    /// Dates are drawn around this one (now, whole seconds): no fixed calendar date.
    public let base: Date

    public init(seed: UInt64, base: Date = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))) {
        self.seed = seed
        self.random = SeededRandom(seed: seed)
        self.base = base
    }

    public mutating func below(_ n: Int) -> Int { Int(random.next() % UInt64(max(1, n))) }

    public mutating func chance(_ oneIn: Int) -> Bool { below(oneIn) == 0 }

    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// nil one time in three, else what `make` draws.
    public mutating func maybe<T>(_ make: (inout WireValues) -> T) -> T? { chance(3) ? nil : make(&self) }

    /// Pieces of text a writer must carry unchanged: escapes, control characters, quotes, JSON look-alikes,
    /// characters of several scripts, combining marks, emoji sequences, separators JavaScript treats as lines.
    public static let textPieces: [String] = [
        "", "a", "plain ascii text", "获取用户信息", "é", "e\u{301}", "😀", "👩‍👩‍👧", "\u{10FFFF}", "\"", "\\", "/", "\\\"",
        "\\u0041", "\n", "\r\n", "\t", "\u{0}", "\u{1}", "\u{8}", "\u{C}", "\u{1B}[31m", "\u{1F}", "\u{7F}", "\u{85}",
        "\u{2028}", "\u{2029}", "\u{FEFF}", "\u{202E}", "{\"v\":2,\"kind\":\"x\"}", ",\"id\":\"evil\"", "null", "1e5", " ", "%20",
        "</script>", "\"transitions\":[]",
    ]

    /// Any text (empty, short, or now and then past 2 KiB).
    public mutating func text() -> String {
        if chance(40) { return String(repeating: pick(Self.textPieces) + "x", count: 1_500) }
        return (0..<below(6)).map { _ in pick(Self.textPieces) }.joined()
    }

    /// Printable pieces RecordName accepts (quotes and backslashes included: they are printable).
    private static let namePieces = ["a", "Z", "0", "9", "-", "_", "#", "~", "(", ")", " ", ".", "\"", "\\", "获取", "é", "😀", "%"]

    /// A valid name step: starts with a letter (so never ".", ".." or a leading dot), under 60 bytes.
    public mutating func step() -> String {
        "s" + (0..<below(8)).map { _ in pick(Self.namePieces) }.joined()
    }

    /// A valid interface id: one to three steps.
    public mutating func interfaceID() -> String { (0...below(3)).map { _ in step() }.joined(separator: "/") }

    /// A valid run id: a compact time, a dash, letters and digits.
    public mutating func runID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return Timestamp.compact(date()) + "-" + String((0...below(20)).map { _ in pick(alphabet) })
    }

    public mutating func shard() -> Shard {
        let count = pick([1, 1, 2, 4, 16, 999, 1_000_000])
        return Shard(index: 1 + below(count), count: count)
    }

    /// Integers the scanner reads: the edges (0, ±1, the 18-digit ends) and every size between.
    public mutating func int() -> Int {
        switch below(4) {
        case 0: return pick([0, 1, -1, 9, 10, 99, 100, 4096, 999_999_999_999_999_999, -999_999_999_999_999_999])
        case 1: return below(1_000)
        default: return (chance(4) ? -1 : 1) * below(pick([10, 1_000_000, 1 << 40, 999_999_999_999_999_999]))
        }
    }

    /// Finite doubles: whole numbers, one decimal, random bit patterns, exponents, the extremes.
    public mutating func double() -> Double {
        switch below(6) {
        case 0: return Double(below(100_000))
        case 1: return Double(below(10_000_000)) / 10
        case 2:
            let value = Double(bitPattern: random.next())
            return value.isFinite ? value : 0.5
        case 3:
            return pick([
                0, -0.0, 1e-5, Double.leastNonzeroMagnitude, 2.2250738585072014e-308, 1e15, 1e16, 1e21, 1e22, 1e23, 1.7976931348623157e308, 0.1, -1.5,
            ])
        default: return Double(random.next() >> 11) / Double(1 << 53) * pick([1, 100, 60_000, 1e9])
        }
    }

    /// A date within 60 years of `base`, at a whole millisecond, as the record format keeps it (Timestamp):
    /// what a writer can carry, and what any record read from a file holds.
    public mutating func date() -> Date {
        let span: Int64 = 60 * 365 * 86_400_000
        let offset = Int64(random.next() % UInt64(2 * span)) - span
        let millis = Int64(base.timeIntervalSince1970 * 1000) + offset
        let raw = Date(timeIntervalSince1970: Double(millis) / 1000)
        return Timestamp.parse(Timestamp.format(raw)) ?? raw
    }

    /// Header fields as a codec keeps them: names sorted, each once.
    public mutating func headers() -> HeaderFields {
        var byName: [String: String] = [:]
        for _ in 0..<below(5) { byName[pick(["Accept", "accept", "X-B", "Content-Type", "Set-Cookie"]) + text()] = text() }
        return HeaderFields(byName.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    public mutating func excerpt() -> HTTPExcerpt {
        HTTPExcerpt(headers: headers(), body: maybe { $0.text() }, truncatedFrom: maybe { $0.int() })
    }
}
