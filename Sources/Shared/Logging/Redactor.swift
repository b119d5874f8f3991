// Redactor: the process-wide list of secret values (tokens, passwords, webhook keys) that must never be
// written anywhere. Every log line, result excerpt and alert passes through `Redactor.redact` before it
// leaves the process, so a secret learned at run time (a fresh token) is masked from then on.

import Foundation
import Synchronization

/// The set of secret strings known to this process, and the masking applied to text before it is written.
public enum Redactor {
    /// What a masked secret looks like in logs, reports and spool files.
    public static let mask = "***"

    private static let secrets = Mutex<[String]>([])

    /// Remembers `secret` so that every later `redact` call masks it. Values shorter than 4 characters are
    /// ignored: masking "1" or "on" would garble every line without protecting anything.
    public static func register(_ secret: String) {
        guard secret.count >= 4 else { return }
        secrets.withLock { list in
            guard !list.contains(secret) else { return }
            list.append(secret)
            // Longest first, so that a secret containing another one is masked whole.
            list.sort { $0.count > $1.count }
        }
    }

    /// Registers the secret parts of a credential header's value, so that an answer echoing them (a body, an
    /// error) is masked like the header itself: for Authorization the credentials after the scheme, for Cookie
    /// the whole value and each cookie's value, for Set-Cookie the cookie's value, for any other the whole value.
    public static func register(header name: String, value: String) {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        switch name.lowercased() {
        case "authorization", "proxy-authorization":
            if let space = trimmed.firstIndex(of: " ") {
                register(String(trimmed[trimmed.index(after: space)...]).trimmingCharacters(in: .whitespaces))
            } else {
                register(trimmed)
            }
        case "cookie", "set-cookie":
            if name.lowercased() == "cookie" { register(trimmed) }
            let pairs = trimmed.split(separator: ";")
            for pair in name.lowercased() == "cookie" ? pairs[...] : pairs.prefix(1) {
                guard let eq = pair.firstIndex(of: "=") else { continue }
                var cookie = pair[pair.index(after: eq)...].trimmingCharacters(in: .whitespaces)
                // A quoted cookie value ("abc") is echoed with or without its quotes.
                if cookie.count > 2, cookie.hasPrefix("\""), cookie.hasSuffix("\"") { cookie = String(cookie.dropFirst().dropLast()) }
                register(cookie)
            }
        default:
            register(trimmed)
        }
    }

    /// The secrets registered so far (for tests that grep outputs for them).
    public static var registered: [String] { secrets.withLock { $0 } }

    /// `text` with every registered secret replaced by `***`.
    public static func redact(_ text: String) -> String {
        let list = secrets.withLock { $0 }
        guard !list.isEmpty else { return text }
        var result = text
        for secret in list where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: mask)
        }
        return result
    }

    /// A URL with the values of its query parameters masked (`?key=***`), for logging webhook addresses
    /// whose key is the credential.
    public static func maskQuery(of url: String) -> String {
        guard let question = url.firstIndex(of: "?") else { return url }
        let base = url[..<question]
        let query = url[url.index(after: question)...]
        let masked = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let eq = pair.firstIndex(of: "=") else { return String(pair) }
            return String(pair[..<eq]) + "=" + mask
        }
        return base + "?" + masked.joined(separator: "&")
    }

    /// `text` with the userinfo of every URL in it masked: `scheme://user:***@host` (a password), or
    /// `scheme://***@host` (a userinfo without `:` is often a token). For texts that quote URLs from a config
    /// (`orchestrator check`, its error messages), where a password written into a URL was never registered.
    public static func maskUserinfos(inText text: String) -> String {
        guard text.contains("@") else { return text }
        var out = ""
        var rest = Substring(text)
        while let scheme = rest.range(of: "://") {
            out += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            let authority = rest.prefix { !"/?#".contains($0) && !$0.isWhitespace && !"\"'<>".contains($0) }
            guard let at = authority.lastIndex(of: "@") else { continue }
            let userinfo = authority[..<at]
            if let colon = userinfo.firstIndex(of: ":") {
                out += userinfo[...colon] + mask
            } else {
                out += mask
            }
            rest = rest[at...]
        }
        return out + rest
    }

    /// `url` with the password of its userinfo (`https://user:pass@host/`) masked.
    public static func maskUserinfo(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let authority = url[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return url }
        return String(url[..<authority.index(after: colon)]) + mask + String(url[at...])
    }
}
