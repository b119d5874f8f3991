// SiteLayout: where the status site's pages are, relative to spool/site/ (and to notify.report_base_url when
// the site is served): the analyzer writes them there, messages link to them.

public enum SiteLayout {
    /// `runs/<run>.html`: the report of a run as HTML.
    public static func runPage(_ run: String) -> String { "runs/\(slug(run)).html" }

    /// `i/<id>.html`, the id made safe for a file name and a URL: letters, digits, `.` and `-` stay, `/`
    /// becomes `~`, every other byte `_` and two hex digits.
    public static func interfacePage(_ id: String) -> String { "i/\(slug(id)).html" }

    /// `s/<service>.html`.
    public static func servicePage(_ service: String) -> String { "s/\(slug(service)).html" }

    /// `text` as one file-name step of the site: see `interfacePage`; at most 200 bytes.
    public static func slug(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "."), UInt8(ascii: "-"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/"): out += "~"
            default: out += "_" + String(byte, radix: 16).leftPadded(to: 2)
            }
        }
        // "." and ".." alone would be path steps.
        if out.allSatisfy({ $0 == "." }) { out = "_2e" + out.dropFirst() }
        // A file name has 255 bytes at most (ext4), and a non-ASCII id grows ninefold here: a long slug keeps its
        // first 180 characters and ends with a hash of the whole text, so two long ids never share a page.
        guard out.utf8.count > 200 else { return out }
        let hash = SHA256.hash(Array(text.utf8)).prefix(6).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        return String(out.prefix(180)) + "-" + hash
    }
}
