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
        return out.allSatisfy { $0 == "." } ? "_2e" + out.dropFirst() : out
    }
}
