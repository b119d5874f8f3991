// `orchestrator serve` as a browser and an attacker see it: pages with their types and validators, HEAD, and
// nothing else — no other method, no path out of the site, no hidden or half-written file, no listing.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("orchestrator serve", .ownThread)
struct SiteServerTests {
    @Test("GET and HEAD of the site only; no traversal, symlink, hidden file or listing; ETag and 304")
    func readOnly() throws {
        let dir = TemporaryDirectory("serve")
        let port = try closedPort()
        try dir.write("config.yaml", "web:\n  listen: 127.0.0.1:\(port)\nspool:\n  dir: spool\n")
        try dir.write("spool/site/index.html", "<html>index</html>")
        try dir.write("spool/site/i/svc~a.html", "<html>interface a</html>")
        try dir.write("spool/site/.index.html.tmp~host.1", "half-written")
        try dir.write("spool/state/interfaces.ndjson", "secret state")
        try FileManager.default.createSymbolicLink(
            atPath: dir.url("spool/site/leak.html"), withDestinationPath: dir.url("spool/state/interfaces.ndjson"))
        let logs = LineCollector()
        let server = try Programs.start("orchestrator", ["serve", "--config", dir.url("config.yaml")], stderr: logs)
        defer {
            server.signal(SIGKILL)
            _ = server.wait()
        }
        #expect(eventually(timeout: 20) { logs.text.contains("read-only on http://127.0.0.1:\(port)/") }, "\(logs.text)")

        let index = try RawHTTP.get(port: port, "/")
        #expect(index.hasPrefix("HTTP/1.1 200") && index.contains("Content-Type: text/html; charset=utf-8") && index.hasSuffix("<html>index</html>"))
        #expect(try RawHTTP.get(port: port, "/i/svc~a.html").hasSuffix("<html>interface a</html>"))
        let head = try RawHTTP.get(port: port, "/index.html", method: "HEAD")
        #expect(head.hasPrefix("HTTP/1.1 200") && !head.contains("<html>"))
        let tag = try #require(index.split(separator: "\r\n").first { $0.hasPrefix("ETag: ") }).dropFirst(6)
        #expect(try RawHTTP.get(port: port, "/", headers: ["If-None-Match: \(tag)"]).hasPrefix("HTTP/1.1 304"))
        for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
            let answer = try RawHTTP.get(port: port, "/index.html", method: method)
            #expect(answer.hasPrefix("HTTP/1.1 405") && answer.contains("Allow: GET, HEAD"), "\(method): \(answer.prefix(80))")
        }
        for path in [
            "/../state/interfaces.ndjson", "/%2e%2e/state/interfaces.ndjson", "/i/..%2f..%2fstate/interfaces.ndjson", "/leak.html", "/i/", "/i",
            "/.index.html.tmp~host.1", "/missing.html", "/%00index.html",
        ] {
            let answer = try RawHTTP.get(port: port, path)
            #expect(answer.hasPrefix("HTTP/1.1 404") && !answer.contains("secret state"), "\(path): \(answer.prefix(120))")
        }
        server.signal(SIGTERM)
        #expect(server.wait(timeout: 10) == .exited(0))
        #expect(eventually { logs.text.contains("serve stopped") }, "a stop is logged: \(logs.text)")
    }

    @Test("keep-alive: pipelined requests answered in order, 100 a connection, then closed; an idle one closed at 5 s")
    func keepAlive() throws {
        let serve = try ServeProcess.start("keepalive")
        defer { serve.kill() }
        let pipelined = try SiteClient(port: serve.port)
        pipelined.send(String(repeating: "GET / HTTP/1.1\r\nHost: x\r\n\r\nHEAD /index.html HTTP/1.1\r\nHost: x\r\n\r\n", count: 51))
        let answer = pipelined.readUntilClosed(timeout: 15)
        #expect(answer.closed)
        let answers = answer.text.components(separatedBy: "HTTP/1.1 200 OK\r\n").dropFirst()
        #expect(answers.count == 100, "\(answers.count) answers to 102 requests")
        #expect(answers.dropLast().allSatisfy { $0.contains("Connection: keep-alive\r\n") })
        #expect(answers.last?.contains("Connection: close\r\n") == true)
        #expect(answer.text.components(separatedBy: "<html>index</html>").count == 51, "a body for each GET, none for HEAD")

        let idle = try SiteClient(port: serve.port)
        idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let start = Date()
        let first = idle.readUntilClosed(timeout: 10)
        let elapsed = Date().timeIntervalSince(start)
        #expect(first.closed && elapsed >= 4 && elapsed < 8, "closed: \(first.closed) after \(elapsed) s")
        #expect(first.text.hasPrefix("HTTP/1.1 200 ") && !first.text.contains("408"), "an idle connection is closed without an answer")
        #expect(serve.stop() == .exited(0))
    }
}
