// HTTPSettingsReader: the keys that say how requests are sent — tls, follow_redirects, max_redirects, proxy,
// max_body_bytes, ip_version, http_version — read the same way for a service, an interface (overrides) and
// the notifier (proxy and tls only). File paths are relative to the config file.

import Foundation

/// Reads HTTP settings from a mapping.
public enum HTTPSettingsReader {
    public enum Key: CaseIterable, Sendable {
        case tls, followRedirects, maxRedirects, proxy, maxBodyBytes, ipVersion, httpVersion
    }

    /// `base` with the keys of `f` among `keys` applied.
    public static func read(
        _ f: Fields, _ reader: ConfigReader, directory: String, base: HTTPSettings,
        keys: [Key] = Key.allCases
    ) -> HTTPSettings {
        var http = base
        for key in keys {
            switch key {
            case .followRedirects:
                http.followRedirects = f.bool("follow_redirects") ?? http.followRedirects
            case .maxRedirects:
                http.maxRedirects = f.int("max_redirects", range: 0...50) ?? http.maxRedirects
            case .maxBodyBytes:
                http.maxBodyBytes = f.bytes("max_body_bytes", maximum: 64 << 20).map { Int($0) } ?? http.maxBodyBytes
            case .ipVersion:
                if let text = f.choice("ip_version", ["any", "4", "6"]) {
                    http.ipVersion = text == "4" ? .v4 : text == "6" ? .v6 : .any
                }
            case .httpVersion:
                if let text = f.choice("http_version", ["auto", "1.1", "2"]) { http.httpVersion = HTTPSettings.HTTPVersion(rawValue: text)! }
            case .proxy:
                readProxy(f, reader, into: &http)
            case .tls:
                readTLS(f, reader, directory: directory, into: &http)
            }
        }
        return http
    }

    /// `proxy`: none, env (the environment's variables), or a proxy URL whose password is a secret.
    private static func readProxy(_ f: Fields, _ reader: ConfigReader, into http: inout HTTPSettings) {
        if let text = f.string("proxy") {
            switch text {
            case "none": http.proxy = .none
            case "env": http.proxy = .environment
            default:
                if URLCheck.isHTTP(text) || text.hasPrefix("socks5://") || text.hasPrefix("socks5h://") {
                    http.proxy = .url(text)
                    if let password = URLComponents(string: text)?.password { reader.remember(secret: password) }
                } else {
                    reader.issue(
                        f.node("proxy"), f.path + ".proxy",
                        "expected none, env, or a proxy URL such as http://proxy.example:3128, found \"\(text)\"")
                }
            }
        }
    }

    /// `tls`: CA, client certificate and key files (which must be readable), verification, and the server name.
    private static func readTLS(_ f: Fields, _ reader: ConfigReader, directory: String, into http: inout HTTPSettings) {
        guard let t = reader.fields(f.node("tls"), path: f.path + ".tls") else { return }
        var tls = http.tls ?? HTTPSettings.TLS()
        func file(_ name: String) -> String? {
            guard let path = t.string(name) else { return nil }
            let absolute = Paths.resolve(path, against: directory)
            if !FileManager.default.isReadableFile(atPath: absolute) {
                reader.issue(t.node(name), t.path + "." + name, "cannot read \(absolute)")
            }
            return absolute
        }
        tls.caFile = file("ca_file") ?? tls.caFile
        tls.certFile = file("cert_file") ?? tls.certFile
        tls.keyFile = file("key_file") ?? tls.keyFile
        tls.insecureSkipVerify = t.bool("insecure_skip_verify") ?? tls.insecureSkipVerify
        if let name = t.string("server_name") {
            if name.isEmpty || name.contains(where: { $0 == "/" || $0 == ":" || $0 == " " || $0 == "@" }) {
                reader.issue(
                    t.node("server_name"), t.path + ".server_name", "expected a host name such as api.example.com, found \"\(name)\"")
            } else {
                tls.serverName = name
            }
        }
        if tls.keyFile != nil, tls.certFile == nil {
            reader.issue(t.node("key_file"), t.path + ".key_file", "a key_file needs the cert_file it belongs to")
        }
        t.finish()
        http.tls = tls
    }
}
