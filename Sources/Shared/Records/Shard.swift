// Shard: "k of N", written "2/4" in records and on command lines. Interfaces are assigned to shards by a
// stable hash of their id (FNV-1a, not Swift's per-process randomized hashValue), so an id lands in the
// same shard on every machine and in every process.

/// One of N equal parts of the interface pool (k is 1-based).
public struct Shard: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// The whole pool.
    public static let whole = Shard(index: 1, count: 1)

    /// Parses `K/N` (or `KofN`, the form that fits in file and systemd unit names) with 1 ≤ K ≤ N.
    public init?(parsing text: String) {
        // Runs once per result line: `k/n` is read digit by digit, anything else the long way.
        var k = 0
        var n = 0
        var slash = false
        var digits = 0
        var plain = true
        for byte in text.utf8 {
            if byte == UInt8(ascii: "/"), !slash, digits > 0 {
                slash = true
                digits = 0
            } else if byte >= 48, byte <= 57, digits < 9 {
                if slash { n = n * 10 + Int(byte - 48) } else { k = k * 10 + Int(byte - 48) }
                digits += 1
            } else {
                plain = false
                break
            }
        }
        if plain, slash, digits > 0 {
            guard n >= 1, k >= 1, k <= n else { return nil }
            self.init(index: k, count: n)
            return
        }
        let parts =
            text.utf8.contains(UInt8(ascii: "/"))
            ? text.split(separator: "/", omittingEmptySubsequences: false)
            : text.split(separator: "o", maxSplits: 1, omittingEmptySubsequences: false).map { $0.hasPrefix("f") ? $0.dropFirst() : $0 }
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 1, k <= n else {
            return nil
        }
        self.init(index: k, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// `2of4`, the form used inside file names.
    public var fileTag: String { "\(index)of\(count)" }

    /// Whether the interface `id` belongs to this shard.
    public func contains(id: String) -> Bool {
        Shard.index(of: id, count: count) == index
    }

    /// The 1-based shard of `id` among `count` shards.
    public static func index(of id: String, count: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int(hash % UInt64(count)) + 1
    }

    /// All shards of an N-way split.
    public static func all(_ count: Int) -> [Shard] {
        (1...max(1, count)).map { Shard(index: $0, count: count) }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let shard = Shard(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected K/N, found \"\(text)\"")
        }
        self = shard
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public static func < (lhs: Shard, rhs: Shard) -> Bool {
        (lhs.count, lhs.index) < (rhs.count, rhs.index)
    }
}
