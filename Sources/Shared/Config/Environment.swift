// Environment: `${NAME}` substitution in config values, so that secrets stay out of files. `${NAME:-default}`
// gives a fallback, `$$` a literal dollar. A missing variable without a default is an error that names it.

import Foundation

/// Expands `${…}` references.
public struct Environment: Sendable {
    public let variables: [String: String]

    public init(_ variables: [String: String]) {
        self.variables = variables
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
