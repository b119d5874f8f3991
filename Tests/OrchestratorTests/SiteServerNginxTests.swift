// The nginx configuration the operating guide gives for serving spool/site/ directly, run in the real nginx (when
// it is installed): the same pages, types and security headers as `orchestrator serve`, and nothing hidden,
// linked out or listed.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("orchestrator serve: the guide's nginx configuration", .ownThread)
struct SiteServerNginxTests {
    static let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The ```nginx block of docs/operating-guide.md.
    static func guideBlock() throws -> String {
        let guide = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/operating-guide.md")
        let text = try String(contentsOf: guide, encoding: .utf8)
        let parts = text.components(separatedBy: "```nginx\n")
        try #require(parts.count == 2, "docs/operating-guide.md should hold one nginx block")
        return String(parts[1].prefix { $0 != "`" })
    }

    @Test("nginx with the guide's block: pages with serve's headers; no hidden file, link out, listing or POST", .enabled(if: nginx != nil))
    func guideConfiguration() throws {
        let dir = TemporaryDirectory("nginx")
        let port = try closedPort()
        try dir.write("secret.txt", "secret state")
        try dir.write("site/index.html", "<html>index</html>")
        try dir.write("site/i/svc~a.html", "<html>interface a</html>")
        try dir.write("site/.index.html.tmp~host.1", "half-written")
        try FileManager.default.createSymbolicLink(atPath: dir.url("site/leak.html"), withDestinationPath: dir.url("secret.txt"))
        let block = try Self.guideBlock()
            .replacingOccurrences(of: "listen 443 ssl;", with: "listen 127.0.0.1:\(port);")
            .replacingOccurrences(of: "/var/lib/vigil/spool/site", with: dir.url("site"))
        #expect(block.contains("listen 127.0.0.1:\(port);") && block.contains(dir.url("site")), "the guide's block changed: \(block)")
        // One process in the foreground, as the test's user: no master, no worker switching user.
        let temp = dir.url("temp")
        let conf =
            "daemon off;\nmaster_process off;\npid \(dir.url("nginx.pid"));\nerror_log \(dir.url("error.log"));\nevents {}\nhttp {\n"
            + "access_log off;\nclient_body_temp_path \(temp);\nproxy_temp_path \(temp);\nfastcgi_temp_path \(temp);\n"
            + "uwsgi_temp_path \(temp);\nscgi_temp_path \(temp);\n\(block)}\n"
        try dir.write("nginx.conf", conf)
        let errors = LineCollector()
        let server = try ChildProcess(
            executable: try #require(Self.nginx), arguments: ["-c", dir.url("nginx.conf"), "-p", dir.path], stdout: .discard,
            stderr: .lines { errors.append($0) })
        defer {
            server.signal(SIGKILL)
            _ = server.wait()
        }
        #expect(eventually(timeout: 20) { (try? RawHTTP.get(port: port, "/")) != nil }, "nginx did not start: \(errors.text)")

        let index = try RawHTTP.get(port: port, "/")
        #expect(index.hasPrefix("HTTP/1.1 200") && index.contains("Content-Type: text/html; charset=utf-8") && index.hasSuffix("<html>index</html>"))
        for header in [
            "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
            "X-Content-Type-Options: nosniff", "Referrer-Policy: no-referrer", "Cache-Control: no-cache", "ETag: ",
        ] {
            #expect(index.contains("\r\n" + header), "\(header): \(index.prefix(600))")
        }
        #expect(try RawHTTP.get(port: port, "/i/svc~a.html").hasSuffix("<html>interface a</html>"))
        #expect(try RawHTTP.get(port: port, "/", method: "HEAD").hasPrefix("HTTP/1.1 200"))
        let missing = try RawHTTP.get(port: port, "/missing.html")
        #expect(missing.hasPrefix("HTTP/1.1 404") && missing.contains("frame-ancestors 'none'") && missing.contains("nosniff"))
        for path in ["/.index.html.tmp~host.1", "/leak.html", "/i/", "/../secret.txt", "/%2e%2e/secret.txt"] {
            let answer = try RawHTTP.get(port: port, path)
            #expect(
                !answer.hasPrefix("HTTP/1.1 200") && !answer.contains("secret state") && !answer.contains("half-written"),
                "\(path): \(answer.prefix(120))")
        }
        #expect(try RawHTTP.get(port: port, "/index.html", method: "POST").hasPrefix("HTTP/1.1 403"))
        server.signal(SIGTERM)
        #expect(server.wait(timeout: 10) != nil)
    }
}
