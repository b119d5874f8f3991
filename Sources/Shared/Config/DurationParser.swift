// DurationParser: durations and sizes as the config writes them. A plain number keeps the seed's unit for its
// key (`interval: 15` is minutes, `timeout: 10` seconds); strings such as `15m`, `10s`, `500ms`, `1h30m`,
// `7d` carry their own. Sizes accept `64MB`, `1GiB`, plain bytes.

/// Parses and formats durations (in seconds).
public enum DurationParser {
    /// The unit a plain number means for a given key.
    public enum Unit: Sendable {
        case milliseconds, seconds, minutes, hours, days

        public var seconds: Double {
            switch self {
            case .milliseconds: 0.001
            case .seconds: 1
            case .minutes: 60
            case .hours: 3600
            case .days: 86_400
            }
        }

        public var name: String {
            switch self {
            case .milliseconds: "milliseconds"
            case .seconds: "seconds"
            case .minutes: "minutes"
            case .hours: "hours"
            case .days: "days"
            }
        }
    }

    /// Seconds, or nil when `text` is not a duration. Negative durations are not durations.
    public static func parse(_ text: String, defaultUnit: Unit) -> Double? {
        let t = text.trimming(" ")
        // A plain number is one exactly as YAML reads numbers (not Swift's "0x1p3", "inf" or "nan").
        switch CoreScalar(plain: t) {
        case let .integer(text?):
            guard let number = Double(text), number >= 0 else { return nil }
            return (number * defaultUnit.seconds).isFinite ? number * defaultUnit.seconds : nil
        case let .float(_, number):
            guard number.isFinite, number >= 0 else { return nil }
            return (number * defaultUnit.seconds).isFinite ? number * defaultUnit.seconds : nil
        case .integer(nil): return nil
        default: break
        }
        var total = 0.0
        var rest = Substring(t)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let numberPart = rest.prefix { ($0.isASCII && $0.isNumber) || $0 == "." }
            guard !numberPart.isEmpty, let value = Double(numberPart) else { return nil }
            rest = rest.dropFirst(numberPart.count)
            let unitPart = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unitPart.count)
            let factor: Double
            switch unitPart {
            case "ms": factor = 0.001
            case "s": factor = 1
            case "m": factor = 60
            case "h": factor = 3600
            case "d": factor = 86_400
            case "w": factor = 604_800
            default: return nil
            }
            total += value * factor
        }
        return total.isFinite ? total : nil
    }

    /// `15m`, `1h30m`, `500ms`, `10s`, `2d`.
    public static func format(_ seconds: Double) -> String {
        // Beyond a thousand years (or not finite) the value is printed as is: Int() would trap on it.
        guard seconds.isFinite, abs(seconds) < 3.2e10 else { return "\(seconds)s" }
        if seconds < 0 { return "-" + format(-seconds) }
        if seconds < 1, seconds > 0 { return "\(Int((seconds * 1000).rounded()))ms" }
        var rest = Int(seconds.rounded())
        if rest == 0 { return "0s" }
        var out = ""
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
            out += "\(rest / size)\(unit)"
            rest %= size
        }
        return out
    }

    /// Bytes from `64MB`, `1.5GiB`, `500k`, or a plain number.
    public static func bytes(_ text: String) -> UInt64? {
        let t = text.trimming(" ")
        let numberPart = t.prefix { ($0.isASCII && $0.isNumber) || $0 == "." }
        guard let value = Double(numberPart), value >= 0 else { return nil }
        let factor: Double
        switch String(t.dropFirst(numberPart.count)).trimming(" ").lowercased() {
        case "", "b": factor = 1
        case "k", "kb", "kib": factor = 1024
        case "m", "mb", "mib": factor = 1024 * 1024
        case "g", "gb", "gib": factor = 1024 * 1024 * 1024
        case "t", "tb", "tib": factor = 1024 * 1024 * 1024 * 1024
        default: return nil
        }
        let bytes = value * factor
        // UInt64(_:) traps at 2^64 and above: such a size is no size.
        guard bytes < 18_446_744_073_709_551_616.0 else { return nil }
        return UInt64(bytes)
    }

    /// `64MiB`, `1GiB`, `512B`: the largest binary unit that divides the size.
    public static func formatBytes(_ bytes: UInt64) -> String {
        for (unit, size) in [
            ("PiB", UInt64(1) << 50), ("TiB", UInt64(1) << 40), ("GiB", UInt64(1) << 30), ("MiB", UInt64(1) << 20),
            ("KiB", UInt64(1) << 10),
        ] where bytes >= size && bytes % size == 0 {
            return "\(bytes / size)\(unit)"
        }
        return "\(bytes)B"
    }
}
