// WireCodable: the one protocol for records read and written by hand rather than through Foundation's coders —
// the lines written by the hundred thousand (results, the analyzer's state, day and recent lines). A record's
// member names are its `Key` enum (its `CodingKeys`, which Foundation's coders use too): spelled once. Its writer
// and its scanner are switches over that enum, so a key added to it does not compile until both handle it, and
// `wireOrder` says where each member goes — for results, JSONEncoder's order; for the state files, the order
// they have always had on disk. Tests/SharedTests/Wire checks every conforming type with seeded random values:
// the scanner reads what the writer wrote, and so does JSONDecoder where the type is Decodable.

/// The member names of a record with a hand-written codec: raw values are the JSON names.
public protocol WireKey: CodingKey, CaseIterable, Hashable, Sendable, RawRepresentable where RawValue == String {}

extension WireKey {
    /// `v` and `kind` first (so `head` and `grep` show what a line is), then the others by name: the order of
    /// JSONEncoder with `.sortedKeys` after RecordCoding moves the header first. Readers rely on it (a result's
    /// `outcome` comes before its excerpts, which a reader may then skip).
    public static func headerThenSorted() -> [Self] {
        let header = ["v", "kind"].compactMap { Self(rawValue: $0) }
        return header + allCases.filter { !header.contains($0) }.sorted { $0.rawValue < $1.rawValue }
    }
}

/// A record written member by member into a JSONWriter and read member by member from a JSONScanner.
public protocol WireCodable {
    associatedtype Key: WireKey

    /// Every key once, in the order the members are written (a test checks that none is missing or repeated).
    static var wireOrder: [Key] { get }

    /// Appends `key`'s member, or nothing when the value is absent (a nil optional, a default left out).
    func write(_ key: Key, into w: inout JSONWriter)

    /// Reads a value from the object at the scanner; throws `JSONScanner.Mismatch` at anything unexpected (a
    /// missing or mistyped member, another kind of record), so the caller can fall back to JSONDecoder for the
    /// precise message.
    static func scan(_ s: inout JSONScanner) throws -> Self
}

// The helpers below are @inlinable: the analyzer's own records (state, day and recent lines) are written and read
// through them by the hundred thousand, and unspecialized across the module boundary they went through witness
// tables for every member (cycle 2 of Benchmarks/scale.sh, 100 000 interfaces: 0.97 s → 1.31 s until they were).
extension WireCodable {
    /// The members of this record, in `wireOrder`, into an object `w` has open.
    @inlinable public func write(into w: inout JSONWriter) {
        for key in Self.wireOrder { write(key, into: &w) }
    }

    /// This record as one JSON line (no newline).
    @inlinable public func wireLine(capacity: Int = 256) -> [UInt8] {
        var w = JSONWriter(capacity: capacity)
        write(into: &w)
        return w.finish()
    }

    /// The record one line holds, or nil when the line is not one this scanner reads.
    @inlinable public static func scan(line bytes: some Collection<UInt8>) -> Self? {
        JSONScanner.scan(bytes) { try scan(&$0) }
    }
}

extension JSONScanner {
    /// Calls `member` with each member's key as a `K` (nil for a name the record does not have, whose value
    /// `member` must skip).
    @inlinable public mutating func members<K: WireKey>(_ keys: K.Type, _ member: (K?, inout JSONScanner) throws -> Void) throws {
        try object { name, s in try member(K(rawValue: name), &s) }
    }

    /// The record's `v`, refused when it is not the version this build reads.
    public mutating func version() throws {
        guard try int() == RecordCoding.version else { throw Mismatch() }
    }

    /// The record's `kind`, refused when it is not `expected`.
    public mutating func kind(_ expected: RecordKind) throws {
        guard try string() == expected.rawValue else { throw Mismatch() }
    }
}
