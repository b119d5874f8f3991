// RecordCoding: how every record becomes one line of JSON and back. Version 1 is the only version this build
// writes; a reader meeting a higher `v` refuses the record with a reason instead of guessing at its meaning.
// Dates are `Timestamp` strings; unknown fields are ignored (Codable's default), so newer writers may add some.

import Foundation

/// The `v` and `kind` every record starts with.
public struct RecordHeader: Codable, Sendable, Equatable {
    public let v: Int
    public let kind: String
}

/// Why a line could not be used as a record.
public enum RecordError: Error, CustomStringConvertible, Equatable {
    case notJSON(String)
    case newerVersion(Int)
    case unexpectedKind(found: String, expected: String)
    case invalidField(String)

    public var description: String {
        switch self {
        case let .notJSON(detail): return "not a JSON record (\(detail))"
        case let .newerVersion(v):
            return "record version \(v) is newer than this program understands (\(RecordCoding.version)); upgrade Vigil"
        case let .unexpectedKind(found, expected): return "expected a \"\(expected)\" record, found \"\(found)\""
        case let .invalidField(detail): return detail
        }
    }
}

/// Encoding and decoding of spool records.
public enum RecordCoding {
    /// The record version this build writes and reads.
    public static let version = 1

    /// A fresh encoder configured for records (compact, `/` unescaped, Timestamp dates).
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        return encoder
    }

    /// A fresh decoder configured for records.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription: "expected a timestamp, found \"\(text)\"")
            }
            return date
        }
        return decoder
    }

    /// One record as JSON bytes (no trailing newline). Keys are sorted, so the same record always gives the
    /// same bytes, except that `v` and `kind` come first, so `head` and `grep` show what a line is.
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        // Results are written by the hundred thousand: they have a hand-written encoder (ProbeResultWire).
        if let result = value as? ProbeResult { return result.encodedLine() }
        return try encodeWithFoundation(value)
    }

    /// `encode` through Foundation's JSONEncoder, whatever the record.
    static func encodeWithFoundation<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = makeEncoder()
        encoder.outputFormatting.insert(.sortedKeys)
        return leadingHeader(Array(try encoder.encode(value)))
    }

    /// Moves the top-level `"v":…` and `"kind":…` members of a compact JSON object to its front.
    static func leadingHeader(_ json: [UInt8]) -> [UInt8] {
        guard json.first == UInt8(ascii: "{") else { return json }
        var members: [Range<Int>] = []
        var depth = 0
        var inString = false
        var escaped = false
        var start = 1
        for (i, byte) in json.enumerated() {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { members.append(start..<i) }
            case UInt8(ascii: ",") where depth == 1:
                members.append(start..<i)
                start = i + 1
            default: break
            }
        }
        func isKey(_ range: Range<Int>, _ key: String) -> Bool {
            let prefix = Array(("\"" + key + "\":").utf8)
            return json[range].starts(with: prefix)
        }
        let header = members.filter { isKey($0, "v") } + members.filter { isKey($0, "kind") }
        guard !header.isEmpty else { return json }
        let rest = members.filter { !isKey($0, "v") && !isKey($0, "kind") && !$0.isEmpty }
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(json.count)
        for (n, range) in (header + rest).enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            out += json[range]
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// One record as a JSON string (no trailing newline).
    public static func encodeString<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encode(value), as: UTF8.self)
    }

    /// A short, operator-readable reason for a decoding failure (`field "outcome": …`).
    public static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "" : "field \"" + keys.joined(separator: ".") + "\": "
        }
        switch error {
        case let .keyNotFound(key, context):
            return path(context) + "missing field \"\(key.stringValue)\""
        case let .typeMismatch(type, context):
            return path(context) + "expected \(type), \(context.debugDescription)"
        case let .valueNotFound(type, context):
            return path(context) + "expected \(type), found null"
        case let .dataCorrupted(context):
            return path(context) + context.debugDescription
        @unknown default:
            return "\(error)"
        }
    }
}

/// Decodes records line by line with one reusable decoder (not shared between threads).
public struct RecordDecoder {
    private let decoder = RecordCoding.makeDecoder()

    public init() {}

    /// The `v`/`kind` of a line, checking the version.
    public func header(_ bytes: some Collection<UInt8>) throws -> RecordHeader {
        let header = try anyHeader(bytes)
        guard header.v <= RecordCoding.version else { throw RecordError.newerVersion(header.v) }
        return header
    }

    /// The `v`/`kind` of a line, whatever its version.
    public func anyHeader(_ bytes: some Collection<UInt8>) throws -> RecordHeader {
        do {
            return try decoder.decode(RecordHeader.self, from: Data(bytes))
        } catch {
            throw RecordError.notJSON(RecordCoding.describe(error))
        }
    }

    /// A whole record of type `T`; a `NamedRecord` also has its names checked (RecordName), so a run id or an
    /// interface id that could step out of the spool or split a header never gets past its reader.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        let value: T
        do {
            value = try decoder.decode(type, from: Data(bytes))
        } catch {
            throw RecordError.invalidField(RecordCoding.describe(error))
        }
        if let named = value as? NamedRecord { try named.checkNames() }
        return value
    }
}
