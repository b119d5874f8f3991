// The circuit breaker through real prober runs against loopback servers: a target that answers — wrongly (a
// failed assertion, a 404) or with an expiring certificate (openssl s_server) — never opens it, and keeps its
// retries as configured and its certificate facts; an HTTPS target (Python's http.server behind its ssl module)
// answering 503 behind an open circuit gets one request a run and keeps its TLS facts.

import Foundation
import Shared
import TestSupport
import Testing

@testable import prober

private struct ServerDidNotStart: Error, CustomStringConvertible {
    let description: String
}

@Suite("Circuit breaker through real runs", .ownThread)
struct BreakerRunTests {
    @Test("5 runs of an endpoint answering 200 with a failing assertion, or 404: no circuit, every run probed as configured")
    func answersNeverOpen() throws {
        let f = try ProberFixture(monitor: "retry_attempts: 2\ncircuit_breaker: {failures: 2, open_for: 1h}")
        f.server.route("/wrong", reply: .text(200, "maintenance page"))
        f.server.route("/gone", reply: .text(404, "no such thing"))
        try f.interface("svc/wrong", "name: wrong\nurl: /wrong\nexpect: {body_contains: \"\\\"code\\\":0\"}\n")
        try f.interface("svc/gone", "name: gone\nurl: /gone\n")
        for run in 1...5 {
            #expect(try f.runProber().exitCode == 0)
            let r = try f.latestResults()
            let wrong = try #require(r["svc/wrong"])
            #expect(wrong.outcome == .assertion && wrong.attempts == 1 && wrong.circuitOpenSince == nil, "run \(run)")
            let gone = try #require(r["svc/gone"])
            #expect(gone.outcome == .http404 && gone.attempts == 1 && gone.circuitOpenSince == nil, "run \(run)")
            #expect(f.server.hits("/wrong") == run && f.server.hits("/gone") == run, "one attempt a run: answers are not retried")
        }
        let state = f.spool.stateDirectory + "/breaker.json"
        let entries = FileIO.status(state) != nil ? try RecordDecoder().decode(BreakerFile.self, from: try FileIO.read(state)).interfaces : [:]
        #expect(entries.isEmpty, "nothing counted: \(entries)")
    }

    @Test(
        "an expiring certificate never opens the circuit: every run keeps cert_expiring and its TLS facts",
        .enabled(if: opensslAvailable, "needs the openssl command (.ci/run installs it)"))
    func expiringCertificate() throws {
        let certs = try TestCertificates()
        let now = Date()
        try certs.issue("soon", host: "127.0.0.1", start: now.addingTimeInterval(-86_400), end: now.addingTimeInterval(9 * 86_400 + 3600))
        let (server, port) = try certs.serve("soon")
        defer {
            server.signal(SIGTERM)
            _ = server.wait(timeout: 5)
        }
        let f = try ProberFixture(
            monitor: "circuit_breaker: {failures: 1, open_for: 1h}",
            services: """
                secure:
                  base_url: https://127.0.0.1:\(port)
                  tls: {ca_file: \(certs.caFile)}
                """)
        try f.dir.write("pool/secure/a.yaml", "name: a\nurl: /\n")
        for run in 1...3 {
            #expect(try f.runProber().exitCode == 0)
            let r = try #require(try f.latestResults()["secure/a"])
            #expect(r.outcome == .certExpiring && r.circuitOpenSince == nil, "run \(run): \(r.error ?? "")")
            #expect(r.tls?.daysLeft == 9 && (r.tls?.earliestNotAfter ?? r.tls?.notAfter) != nil, "run \(run): the certificate series stays")
        }
        #expect(FileIO.status(f.spool.stateDirectory + "/breaker.json") == nil, "nothing counted, nothing saved")
    }

    /// Python's http.server over TLS with `certs`' `name`: 503 while `down` exists, else 200; one line per
    /// request in `hits`.
    private func pythonHTTPS(_ certs: TestCertificates, _ name: String, down: String, hits: String) throws -> (server: ChildProcess, port: UInt16) {
        let script = """
            import http.server, ssl, sys, os
            port, cert, key, down, hits = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    code = 503 if os.path.exists(down) else 200
                    with open(hits, "a") as f: f.write("%d\\n" % code)
                    body = b'{"code":0}'
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *a): pass
            s = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            s.socket = ctx.wrap_socket(s.socket, server_side=True)
            print("listening", flush=True)
            s.serve_forever()
            """
        let port = try closedPort()
        let server = try ChildProcess(
            executable: "/usr/bin/env",
            arguments: [
                "python3", "-u", "-c", script, "\(port)", certs.directory.url(name + ".pem"), certs.directory.url(name + ".key"), down, hits,
            ],
            environment: ProcessInfo.processInfo.environment, stdout: .capture, stderr: .discard)
        guard eventually(timeout: 20, { server.output().contains("listening") }) else {
            server.signal(SIGKILL)
            _ = server.wait(timeout: 5)
            throw ServerDidNotStart(description: "the Python HTTPS server did not start: \(server.output())")
        }
        return (server, port)
    }

    @Test(
        "an HTTPS target answering 503 behind an open circuit: one request a run, its TLS facts kept, ok the run after the fix",
        .enabled(if: opensslAvailable && pythonAvailable, "needs openssl and python3 (.ci/run installs them)"))
    func openCircuitKeepsCertificate() throws {
        let certs = try TestCertificates()
        let now = Date()
        try certs.issue("month", host: "127.0.0.1", start: now.addingTimeInterval(-86_400), end: now.addingTimeInterval(40 * 86_400))
        let work = TemporaryDirectory("breaker-https")
        let down = work.url("down")
        let hits = work.url("hits")
        try work.write("down", "")
        let (server, port) = try pythonHTTPS(certs, "month", down: down, hits: hits)
        defer {
            server.signal(SIGTERM)
            _ = server.wait(timeout: 5)
        }
        let f = try ProberFixture(
            monitor: "retry_attempts: 2\ncircuit_breaker: {failures: 1, open_for: 1h}",
            services: """
                secure:
                  base_url: https://127.0.0.1:\(port)
                  tls: {ca_file: \(certs.caFile)}
                """)
        try f.dir.write("pool/secure/a.yaml", "name: a\nurl: /\n")
        func served() throws -> [String] { try work.read("hits").split(separator: "\n").map(String.init) }
        #expect(try f.runProber().exitCode == 0)
        #expect(try served() == ["503", "503", "503"], "closed: the first try and its 2 retries")
        for run in 1...2 {
            #expect(try f.runProber().exitCode == 0)
            let r = try #require(try f.latestResults()["secure/a"])
            #expect(r.outcome == .http503 && r.attempts == 1 && r.circuitOpenSince != nil, "run \(run): \(r.error ?? "")")
            #expect(r.tls?.daysLeft == 39 && (r.tls?.earliestNotAfter ?? r.tls?.notAfter) != nil, "run \(run): the certificate series stays")
            #expect(try served().count == 3 + run, "one request a run while open")
        }
        try FileIO.unlink(down)
        #expect(try f.runProber().exitCode == 0)
        let fixed = try #require(try f.latestResults()["secure/a"])
        #expect(fixed.outcome == .ok && fixed.circuitOpenSince != nil && fixed.tls != nil, "seen in the first run after the fix")
        #expect(try served() == ["503", "503", "503", "503", "503", "200"])
    }
}
