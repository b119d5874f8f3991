// The circuit breaker through real prober runs against loopback servers: a target that answers — wrongly (a
// failed assertion, a 404) or with an expiring certificate (openssl s_server) — never opens it, and keeps its
// retries as configured and its certificate facts.

import Foundation
import Shared
import TestSupport
import Testing

@testable import prober

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
}
