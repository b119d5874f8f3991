// Environment: `${NAME}` substitution in config values, so that secrets stay out of files. `${NAME:-default}`
// gives a fallback, `$$` a literal dollar. A missing variable without a default is an error that names it.

import Foundation

/// A key left out because the variable its `${…}` names is not set (`Environment.toleratesUnset`).
public struct UnsetReference: Sendable, Equatable, CustomStringConvertible {
    /// The variable.
    public let variable: String
    /// Where: file, line and key path.
    public let file: String
    public let line: Int?
    public let key: String

    public init(variable: String, file: String, line: Int?, key: String) {
        self.variable = variable
        self.file = file
        self.line = line
        self.key = key
    }

    /// `config.yaml:11: notify.wecom.webhook_url: ${WECOM_KEY} is not set`
    public var description: String { ConfigIssue(file: file, line: line, key: key, message: "${\(variable)} is not set").description }
}

/// Expands `${…}` references.
public struct Environment: Sendable {
    public let variables: [String: String]
    /// Whether a `${NAME}` whose variable is not set leaves its key out instead of being an error: for the
    /// commands that only read the spool (status, spool, silence, notifier list), which need no secret. The
    /// reader lists the keys left out (`Config.unresolved`); a command that needs one of them says so.
    public let toleratesUnset: Bool

    public init(_ variables: [String: String], toleratesUnset: Bool = false) {
        self.variables = variables
        self.toleratesUnset = toleratesUnset
    }

    /// Why an expansion failed.
    public enum ExpansionError: Error, Equatable, CustomStringConvertible {
        case missing(String)
        case malformed(String)

        public var description: String {
            switch self {
            case let .missing(name):
                "environment variable \(name) is not set (export it, or write ${\(name):-default})"
            case let .malformed(text):
                "malformed reference \"\(text)\": expected ${NAME} or ${NAME:-default}"
            }
        }
    }

    /// The text with references replaced, and whether any value came from the environment.
    public func expand(_ text: String) throws -> (text: String, substituted: Bool) {
        guard text.utf8.contains(UInt8(ascii: "$")) else { return (text, false) }
        var out = ""
        var substituted = false
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            guard c == "$" else {
                out.append(c)
                i = text.index(after: i)
                continue
            }
            let next = text.index(after: i)
            if next < text.endIndex, text[next] == "$" {
                out.append("$")
                i = text.index(after: next)
                continue
            }
            guard next < text.endIndex, text[next] == "{" else {
                out.append(c)
                i = next
                continue
            }
            guard let close = text[next...].firstIndex(of: "}") else {
                throw ExpansionError.malformed(String(text[i...]))
            }
            let inner = String(text[text.index(after: next)..<close])
            var name = inner
            var fallback: String?
            if let sep = inner.range(of: ":-") {
                name = String(inner[..<sep.lowerBound])
                fallback = String(inner[sep.upperBound...])
            }
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw ExpansionError.malformed("${" + inner + "}")
            }
            if let value = variables[name], !(value.isEmpty && fallback != nil) {
                out += value
                substituted = true
            } else if let fallback {
                out += fallback
            } else {
                throw ExpansionError.missing(name)
            }
            i = text.index(after: close)
        }
        return (out, substituted)
    }
}
