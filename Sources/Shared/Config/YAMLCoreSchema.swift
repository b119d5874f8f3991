// YAMLCoreSchema: what a plain scalar means under the YAML 1.2 core schema (§10.3.2): null, a boolean, an
// integer, a float, or a string. Free-form data (request bodies) is read this way, so `yes` stays the string
// "yes" and `007` is the number 7, exactly as a YAML 1.2 parser reads them.

/// The core schema's reading of one plain scalar.
public enum CoreScalar: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The integer in decimal (sign and leading zeros normalized); nil when it does not fit JSON as written
    /// (a hexadecimal or octal literal beyond 64 bits).
    case integer(String?)
    /// The float in JSON's number syntax; nil for `.inf`, `-.inf` and `.nan`, which JSON cannot carry.
    case float(String?, Double)
    case string(String)

    /// Resolves the text of a plain scalar.
    public init(plain text: String) {
        switch text {
        case "", "~", "null", "Null", "NULL": self = .null
        case "true", "True", "TRUE": self = .bool(true)
        case "false", "False", "FALSE": self = .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": self = .float(nil, .infinity)
        case "-.inf", "-.Inf", "-.INF": self = .float(nil, -.infinity)
        case ".nan", ".NaN", ".NAN": self = .float(nil, .nan)
        default:
            if let integer = CoreScalar.parseInteger(text) {
                self = integer
            } else if let float = CoreScalar.parseFloat(text) {
                self = float
            } else {
                self = .string(text)
            }
        }
    }

    /// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`.
    private static func parseInteger(_ text: String) -> CoreScalar? {
        for (prefix, radix, digits) in [("0o", 8, "01234567"), ("0x", 16, "0123456789abcdefABCDEF")] where text.hasPrefix(prefix) {
            let body = text.dropFirst(2)
            guard !body.isEmpty, body.allSatisfy({ digits.contains($0) }) else { return nil }
            return .integer(UInt64(body, radix: radix).map { String($0) })
        }
        var body = Substring(text)
        var negative = false
        if let sign = body.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let digits = body.drop { $0 == "0" }
        if digits.isEmpty { return .integer("0") }
        return .integer((negative ? "-" : "") + digits)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, rewritten in JSON's syntax.
    private static func parseFloat(_ text: String) -> CoreScalar? {
        var rest = Substring(text)
        var sign = ""
        if let s = rest.first, s == "+" || s == "-" {
            sign = s == "-" ? "-" : ""
            rest = rest.dropFirst()
        }
        let whole = rest.prefix { $0.isASCII && $0.isNumber }
        rest = rest.dropFirst(whole.count)
        var fraction: Substring = ""
        var hasPoint = false
        if rest.first == "." {
            hasPoint = true
            rest = rest.dropFirst()
            fraction = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(fraction.count)
        }
        guard !whole.isEmpty || !fraction.isEmpty else { return nil }
        var exponent = ""
        if let e = rest.first, e == "e" || e == "E" {
            rest = rest.dropFirst()
            var expSign = ""
            if let s = rest.first, s == "+" || s == "-" {
                expSign = String(s)
                rest = rest.dropFirst()
            }
            let expDigits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !expDigits.isEmpty else { return nil }
            rest = rest.dropFirst(expDigits.count)
            exponent = "e" + expSign + expDigits
        }
        guard rest.isEmpty, hasPoint || !exponent.isEmpty else { return nil }
        let intPart = whole.drop { $0 == "0" }
        let json =
            sign + (intPart.isEmpty ? "0" : String(intPart))
            + (hasPoint ? "." + (fraction.isEmpty ? "0" : String(fraction)) : "") + exponent
        guard let value = Double(json) else { return nil }
        return .float(value.isFinite ? json : nil, value)
    }
}

extension Node {
    /// The core schema's reading of this scalar (quoted and block scalars are strings); nil for collections.
    public var core: CoreScalar? {
        switch value {
        case let .scalar(text, .plain): CoreScalar(plain: text)
        case let .scalar(text, _): .string(text)
        default: nil
        }
    }

    /// The first plain scalar at or under this node that JSON cannot carry (`.inf`, `.nan`, a 65-bit hex).
    public var firstNonJSONScalar: Node? {
        switch value {
        case .scalar:
            switch core {
            case .integer(nil), .float(nil, _): return self
            default: return nil
            }
        case let .sequence(items): return items.lazy.compactMap(\.firstNonJSONScalar).first
        case let .mapping(entries): return entries.lazy.compactMap(\.value.firstNonJSONScalar).first
        }
    }
}
