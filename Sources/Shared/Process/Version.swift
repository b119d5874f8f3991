// Version: what `--version` prints for every program — Vigil's release and the libcurl it loaded (the probe
// engine is half the behaviour, so a bug report needs both).

import CCurl

public enum Version {
    /// Vigil's release (raised with each change of the spool or config contract, and each release).
    public static let vigil = "0.6.0"

    /// The git revision the binary was built from (`deploy/build-deb.sh` builds it in), nil when not given.
    public static var revision: String? {
        let text = String(cString: vigil_git_revision())
        return text.isEmpty ? nil : text
    }

    /// "prober 0.6.0 (git 1a2b3c4; libcurl/7.88.1 OpenSSL/3.0.17 …)" or "… (libcurl not loaded: …)".
    public static func line(program: String) -> String {
        let curl: String
        switch Curl.loaded {
        case .success: curl = Curl.version ?? "libcurl"
        case let .failure(error): curl = "libcurl not loaded: \(error.description)"
        }
        return "\(program) \(vigil) (" + (revision.map { "git \($0); " } ?? "") + "\(curl))"
    }
}
