// IDLine: the id of a record line (`{"v":1,"kind":…,"id":"…",…}`) without decoding the rest of it — what the
// analyzer sorts batches and joins its files by.

/// Ids of record lines.
public enum IDLine {
    /// The id of a line written by this program, found among its first bytes; any other JSON object line is
    /// scanned for its id.
    public static func id(of bytes: ArraySlice<UInt8>) -> String? {
        if let range = plainIDRange(in: bytes) { return String(decoding: bytes[range], as: UTF8.self) }
        return scannedID(bytes)
    }

    /// Appends the UTF-8 of the line's id to `arena` (no String for the common case); false without an id.
    public static func appendID(of bytes: ArraySlice<UInt8>, to arena: inout [UInt8]) -> Bool {
        if let range = plainIDRange(in: bytes) {
            arena.append(contentsOf: bytes[range])
            return true
        }
        guard let id = scannedID(bytes) else { return false }
        arena.append(contentsOf: id.utf8)
        return true
    }

    /// Where the id's text is in a line that has `"id":"` within its first 192 bytes and no escape in the id.
    private static func plainIDRange(in bytes: ArraySlice<UInt8>) -> Range<Int>? {
        // `"id":"`, compared byte by byte (no array built per line).
        let k0 = UInt8(ascii: "\"")
        let k1 = UInt8(ascii: "i")
        let k2 = UInt8(ascii: "d")
        let k4 = UInt8(ascii: ":")
        let keyLength = 6
        let limit = min(bytes.count, 192)
        var i = bytes.startIndex
        let end = bytes.startIndex + limit - keyLength
        while i < end {
            if bytes[i] == k0, bytes[i + 1] == k1, bytes[i + 2] == k2, bytes[i + 3] == k0, bytes[i + 4] == k4, bytes[i + 5] == k0 {
                let start = i + keyLength
                var j = start
                while j < bytes.endIndex, bytes[j] != 34, bytes[j] != 92 { j += 1 }
                if j < bytes.endIndex, bytes[j] == 34 { return start..<j }
                return nil
            }
            i += 1
        }
        return nil
    }

    private static func scannedID(_ bytes: ArraySlice<UInt8>) -> String? {
        JSONScanner.scan(bytes) { s -> String? in
            var id: String?
            try s.object { key, s in if key == "id" { id = try s.string() } else { try s.skipValue() } }
            return id
        } ?? nil
    }
}
