// Version: what `--version` prints for every program — Vigil's release and the libcurl it loaded (the probe
// engine is half the behaviour, so a bug report needs both).

public enum Version {
    /// Vigil's release (raised with each change of the spool or config contract, and each release).
    public static let vigil = "0.6.0"

    /// "prober 0.6.0 (libcurl/7.88.1 OpenSSL/3.0.17 …)" or "… (libcurl not loaded: …)".
    public static func line(program: String) -> String {
        let curl: String
        switch Curl.loaded {
        case .success: curl = Curl.version ?? "libcurl"
        case let .failure(error): curl = "libcurl not loaded: \(error.description)"
        }
        return "\(program) \(vigil) (\(curl))"
    }
}
