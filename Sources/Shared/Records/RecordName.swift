// RecordName: the one check for every name Vigil reads from a file and may later join into a path, a URL or a
// header — run ids, interface ids, service names, slugs. One alphabet (printable text), one length limit, no
// path steps; a record holding a name that fails is refused when it is decoded, so its reader quarantines it
// with the reason.

import Foundation

/// Validation of names read from files (spool records, pool files).
public enum RecordName {
    /// What a name is, for the message and the rules particular to it.
    public enum Kind: String, Sendable {
        /// `20261122T150000Z-tick`: a compact timestamp, a dash, letters and digits; no `/`.
        case run = "run id"
        /// `user/profile/get-info#name`: `/`-separated steps, none empty, `.` or `..`.
        case interface = "interface id"
        /// A service name (the pool's first folder): no `/`.
        case service = "service name"
        /// One file or URL name step: no `/`.
        case slug = "name"
    }

    /// The longest name, in UTF-8 bytes: a run id, shard and host still fit a 255-byte file name, and an
    /// interface id stays readable in a chat line. Names past it are refused, never cut (a cut could merge two).
    public static let maxBytes = 200

    /// The characters a name may hold: printable text — letters, marks, digits, punctuation and symbols of any
    /// script (pool folders may be named in Chinese, files have spaces and parentheses), and the ASCII space;
    /// `/` only between the steps of an interface id. Never a control character (CR and LF would split a header
    /// or a log line, ESC would drive a terminal), a format character (a right-to-left override or a zero-width
    /// space would disguise a name), another kind of space or line separator, or an unassigned or private code.
    /// Everything else a name may meet is made safe where it is used: SiteLayout.slug escapes it for a file
    /// name, the report puts ids in code spans.
    public static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return scalar.value >= 0x20 && scalar.value < 0x7f && scalar != "/" }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }

    /// Why `text` is not a valid name of `kind`, or nil when it is.
    public static func problem(_ text: String, as kind: Kind) -> String? {
        // Runs once per result line: a plain ASCII name is checked byte by byte, without allocating.
        if isPlainASCII(text, allowingSlash: kind == .interface), kind != .run || RunID.isValid(text) { return nil }
        let shown = "\(kind.rawValue) \(quoted(text))"
        if text.isEmpty { return "empty \(kind.rawValue)" }
        if text.utf8.count > maxBytes { return "\(shown) is longer than \(maxBytes) bytes (\(text.utf8.count))" }
        let slash: Unicode.Scalar = "/"
        if let bad = text.unicodeScalars.first(where: { !isAllowed($0) && !(kind == .interface && $0 == slash) }) {
            return "\(shown) holds \(describe(bad)); names are printable text without control or format characters"
                + (kind == .interface ? " (and / between steps)" : "")
        }
        let steps = text.split(separator: "/", omittingEmptySubsequences: false)
        if steps.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) || text.hasPrefix(".") {
            return "\(shown) holds an empty, \".\" or \"..\" step or starts with \".\""
        }
        if kind == .run, !RunID.isValid(text) {
            return "\(shown) is not a run id (a compact UTC time, \"-\" and letters or digits, such as 20261122T150000Z-tick)"
        }
        return nil
    }

    /// Whether `text` is a valid name made of printable ASCII only (the common case), decided on its bytes: 1 to
    /// `maxBytes` of them, `/` only when allowed, no step empty, "." or "..", no leading ".".
    private static func isPlainASCII(_ text: String, allowingSlash: Bool) -> Bool {
        var count = 0
        var stepLength = 0
        var stepDots = 0
        for byte in text.utf8 {
            count += 1
            guard count <= maxBytes, byte >= 0x20, byte < 0x7f else { return false }
            if byte == UInt8(ascii: "/") {
                guard allowingSlash, stepLength > 0, stepDots < stepLength || stepDots > 2 else { return false }
                stepLength = 0
                stepDots = 0
                continue
            }
            if byte == UInt8(ascii: "."), count == 1 { return false }
            if byte == UInt8(ascii: ".") { stepDots += 1 }
            stepLength += 1
        }
        return stepLength > 0 && (stepDots < stepLength || stepDots > 2)
    }

    /// Throws `RecordError.invalidField` naming `field` when `text` is not a valid name of `kind`.
    public static func validate(_ text: String, as kind: Kind, field: String) throws {
        if let problem = problem(text, as: kind) { throw RecordError.invalidField("field \"\(field)\": \(problem)") }
    }

    /// The name as it can be shown in a message: control characters escaped, cut at 80 characters.
    static func quoted(_ text: String) -> String {
        let cut = text.unicodeScalars.count > 80 ? String(String.UnicodeScalarView(text.unicodeScalars.prefix(80))) + "…" : text
        return "\"" + TerminalText.escape(cut, keepingNewlines: false) + "\""
    }

    private static func describe(_ scalar: Unicode.Scalar) -> String {
        let code = "U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)
        if scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) { return "a control character (\(code))" }
        return "\"\(scalar)\" (\(code))"
    }
}

/// A record whose names (run id, interface id, …) are checked when it is read: `RecordDecoder.decode` calls
/// `checkNames` after decoding, so every reader refuses (and quarantines) a record with a bad name.
public protocol NamedRecord {
    /// Throws `RecordError.invalidField` for the first name that `RecordName` refuses.
    func checkNames() throws
}

extension RunManifest: NamedRecord {
    public func checkNames() throws { try RecordName.validate(run, as: .run, field: "run") }
}

extension BatchTrailer: NamedRecord {
    public func checkNames() throws { try RecordName.validate(run, as: .run, field: "run") }
}

extension ShardFailed: NamedRecord {
    public func checkNames() throws { try RecordName.validate(run, as: .run, field: "run") }
}

extension ProbeResult: NamedRecord {
    public func checkNames() throws {
        try RecordName.validate(run, as: .run, field: "run")
        try RecordName.validate(id, as: .interface, field: "id")
        try RecordName.validate(service, as: .service, field: "service")
    }
}

extension Alert: NamedRecord {
    public func checkNames() throws {
        try RecordName.validate(run, as: .run, field: "run")
        guard id == "alert-" + run else {
            throw RecordError.invalidField("field \"id\": expected \"alert-\(run)\", found \(RecordName.quoted(id))")
        }
    }
}
