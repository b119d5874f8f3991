// QueryEncoding: query parameters encoded per RFC 3986 — every byte outside the unreserved set
// (ALPHA DIGIT - . _ ~) percent-encoded — so `+`, `&`, `=`, `#`, `?`, spaces and non-ASCII arrive at the server
// exactly as the interface file wrote them (URLComponents leaves `+`, which servers read as a space).

/// Percent-encoding of query names and values.
public enum QueryEncoding {
    /// `text` with every byte outside ALPHA / DIGIT / "-" / "." / "_" / "~" written as %XX.
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}
