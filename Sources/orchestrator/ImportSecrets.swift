// ImportSecrets: what an imported document must not put into a pool file. Query parameters, headers, form
// fields and JSON body members whose names look secret (token, password, secret, key, auth, session, cookie…),
// and every value already known to be secret wherever else it appears, are written as `${NAME}` references to
// the environment; only the names are printed, never a value. Literal `${` in copied text is escaped (`$${`).

import Foundation
import Shared

/// The environment references an import writes instead of secret values.
final class ImportSecrets {
    let service: String
    /// Variable → where its value was found (e.g. "query parameter token"), in first-seen order.
    private(set) var found: [(variable: String, place: String)] = []
    /// Secret values seen, with the variable written instead (values shorter than 6 characters are not
    /// searched for elsewhere: too many innocent matches).
    private var values: [(value: String, variable: String, place: String)] = []

    init(service: String) { self.service = service }

    /// Words that make a name a secret's (matched as whole words of the name, camelCase and `_-.` split).
    static let secretWords: Set<String> = [
        "auth", "authorization", "authentication", "bearer", "cookie", "cookies", "credential", "credentials", "csrf",
        "jwt", "key", "otp", "pass", "passcode", "passphrase", "password", "passwd", "pin", "pwd", "secret", "session",
        "sessionid", "sid", "signature", "sig", "token", "xsrf",
    ]

    /// Whether a name (parameter, header, field, variable) looks like it holds a credential.
    static func looksSecret(_ name: String) -> Bool {
        if ConfigReader.looksSecret(name) { return true }
        let lower = name.lowercased()
        for part in ["token", "password", "passwd", "secret", "apikey", "session", "cookie", "credential", "privatekey"]
        where lower.contains(part) {
            return true
        }
        return words(name).contains { secretWords.contains($0) }
    }

    /// `X-Api-Key` → x, api, key; `accessToken` → access, token.
    static func words(_ name: String) -> [String] {
        var out: [String] = []
        var current = ""
        var previousLower = false
        for c in name {
            if !(c.isLetter || c.isNumber) || !c.isASCII {
                if !current.isEmpty { out.append(current) }
                current = ""
                previousLower = false
                continue
            }
            if c.isUppercase, previousLower, !current.isEmpty {
                out.append(current)
                current = ""
            }
            current += c.lowercased()
            previousLower = c.isLowercase || c.isNumber
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// An environment variable name: the service's and the field's, upper-cased, `_` between words.
    func variable(for name: String) -> String {
        Self.variableName(service + "_" + name)
    }

    static func variableName(_ raw: String) -> String {
        var out = ""
        for c in raw.uppercased().unicodeScalars {
            if c.isASCII, CharacterSet.alphanumerics.contains(c) {
                out.unicodeScalars.append(c)
            } else if !out.hasSuffix("_") {
                out += "_"
            }
        }
        out = out.trimmingCharacters(in: CharacterSet(charactersIn: "_"))
        if out.isEmpty || out.first!.isNumber { out = "V_" + out }
        return out.count > 64 ? String(out.prefix(55)) + "_" + ImportName.hash(raw).uppercased() : out
    }

    /// Records that `value` (found at `place`) is written as `${variable}`; returns the reference.
    @discardableResult
    func replace(_ value: String, variable: String, place: String) -> String {
        note(variable, place)
        remember(value, variable: variable, place: place)
        return "${\(variable)}"
    }

    /// A secret value to look for elsewhere (and write as `${variable}` where found).
    func remember(_ value: String, variable: String, place: String) {
        guard value.count >= 6, !Self.isReference(value), !values.contains(where: { $0.value == value }) else { return }
        values.append((value, variable, place))
        values.sort { $0.value.count > $1.value.count }
    }

    private func note(_ variable: String, _ place: String) {
        if !found.contains(where: { $0.variable == variable }) { found.append((variable, place)) }
    }

    /// A URL with a password in its userinfo (`https://ann:pw@host/`): the password becomes a reference.
    func withoutPassword(_ url: String) -> String {
        guard let at = url.firstIndex(of: "@"), let scheme = url.range(of: "://"), scheme.upperBound < at,
            !url[scheme.upperBound..<at].contains("/"), let colon = url[scheme.upperBound..<at].firstIndex(of: ":")
        else { return url }
        let password = String(url[url.index(after: colon)..<at])
        guard !password.isEmpty, !Self.isReference(password) else { return url }
        let reference = replace(password, variable: variable(for: "password"), place: "the password in a URL")
        return String(url[..<url.index(after: colon)]) + reference + String(url[at...])
    }

    /// A value that is one `${…}` reference already.
    static func isReference(_ value: String) -> Bool {
        value.hasPrefix("${") && value.hasSuffix("}") && !value.dropFirst(2).contains("$")
    }

    /// Text copied from a document: `${` would be read as a reference when the file is loaded.
    static func literal(_ text: String) -> String {
        text.contains("${") ? text.replacingOccurrences(of: "${", with: "$${") : text
    }

    static func literal(_ value: JSONValue) -> JSONValue {
        switch value {
        case let .string(s): .string(literal(s))
        case let .array(items): .array(items.map { literal($0) })
        case let .object(members): .object(members.map { JSONValue.Member(key: $0.key, value: literal($0.value)) })
        default: value
        }
    }

    /// Escapes copied text in an operation (sources that write no references of their own: OpenAPI, HAR).
    static func literal(_ op: inout OpenAPIOperation) {
        op.url = literal(op.url)
        op.query = op.query.map { ($0.0, literal($0.1)) }
        op.headers = op.headers.map { ($0.0, literal($0.1)) }
        op.form = op.form.map { $0.map { ($0.0, literal($0.1)) } }
        op.body = op.body.map { literal($0) }
    }

    /// First pass: values under secret-looking names become references (and are remembered as secret values).
    func scrubNames(_ op: inout OpenAPIOperation) {
        func pairs(_ list: [(String, String)], _ kind: String) -> [(String, String)] {
            list.map { name, value in
                guard Self.looksSecret(name), !Self.isReference(value), !value.isEmpty else { return (name, value) }
                return (name, replace(value, variable: variable(for: name), place: "\(kind) \(name)"))
            }
        }
        // Authorization: a bearer token is the service's auth, basic credentials its basic_auth.
        var headers: [(String, String)] = []
        for (name, value) in op.headers {
            guard name.lowercased() == "authorization", !Self.isReference(value) else {
                headers.append((name, value))
                continue
            }
            let scheme = value.split(separator: " ", maxSplits: 1).first.map { $0.lowercased() } ?? ""
            if scheme == "bearer" || scheme == "basic", let credential = value.split(separator: " ", maxSplits: 1).last {
                if scheme == "bearer" { op.auth = true } else { op.basicAuth = true }
                let name = scheme == "bearer" ? "token" : "basic_credentials"
                remember(String(credential), variable: variable(for: name), place: "the Authorization \(scheme) credentials")
            } else {
                headers.append((name, value))
            }
        }
        op.query = pairs(op.query, "query parameter")
        op.headers = pairs(headers, "header")
        op.form = op.form.map { pairs($0, "form field") }
        op.body = op.body.map { scrub($0) }
    }

    private func scrub(_ value: JSONValue) -> JSONValue {
        switch value {
        case let .array(items):
            return .array(items.map { scrub($0) })
        case let .object(members):
            return .object(
                members.map { member in
                    if Self.looksSecret(member.key), let text = member.value.text, !text.isEmpty, !Self.isReference(text) {
                        return JSONValue.Member(
                            key: member.key, value: .string(replace(text, variable: variable(for: member.key), place: "body field \(member.key)")))
                    }
                    return JSONValue.Member(key: member.key, value: scrub(member.value))
                })
        default:
            return value
        }
    }

    /// Second pass, once every operation has had its first: a secret value anywhere else (a URL, a body
    /// string, a header under an innocent name) becomes its reference too.
    func scrubValues(_ op: inout OpenAPIOperation) {
        guard !values.isEmpty else { return }
        op.path = replacingValues(op.path)
        op.url = replacingValues(op.url)
        op.name = replacingValues(op.name)
        op.query = op.query.map { ($0.0, replacingValues($0.1)) }
        op.headers = op.headers.map { ($0.0, replacingValues($0.1)) }
        op.form = op.form.map { $0.map { ($0.0, replacingValues($0.1)) } }
        op.body = op.body.map { replacingValues($0) }
    }

    private func replacingValues(_ text: String) -> String {
        var out = text
        for (value, variable, place) in values where out.contains(value) {
            out = out.replacingOccurrences(of: value, with: "${\(variable)}")
            note(variable, place + ", found elsewhere too")
        }
        return out
    }

    private func replacingValues(_ value: JSONValue) -> JSONValue {
        switch value {
        case let .string(s): .string(replacingValues(s))
        case let .number(n): values.contains { $0.value == n } ? .string(replacingValues(n)) : value
        case let .array(items): .array(items.map { replacingValues($0) })
        case let .object(members): .object(members.map { JSONValue.Member(key: $0.key, value: replacingValues($0.value)) })
        default: value
        }
    }

    /// The lines that list what was replaced (names and places, never values).
    var report: [String] {
        guard !found.isEmpty else { return [] }
        var out = ["secrets in the document were written as environment references (no value was copied):"]
        for (variable, place) in found { out.append("  ${\(variable)}  (\(place))") }
        return out
    }
}
