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

    /// `url` with the password of its userinfo (`https://user:pass@host/`) masked.
    public static func maskUserinfo(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let authority = url[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return url }
        return String(url[..<authority.index(after: colon)]) + mask + String(url[at...])
    }
}
