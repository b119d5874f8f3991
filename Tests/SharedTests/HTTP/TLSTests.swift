// HTTPS against a real third-party server (openssl s_server) with certificates made at test time by a private
// CA: each configured case answers, each broken one fails as `tls` with the cause in its text, and the answer
// carries the certificate's facts (subject, issuer, expiry) for the expiry checks.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("TLS against openssl s_server", .ownThread, .enabled(if: opensslAvailable, "needs the openssl command (.ci/run installs it)"))
struct TLSTests {
    private static let day: TimeInterval = 86_400

    private func settings(ca: String? = nil, cert: String? = nil, key: String? = nil, skipVerify: Bool = false) -> HTTPSettings {
        var settings = HTTPSettings()
        settings.tls = HTTPSettings.TLS(caFile: ca, certFile: cert, keyFile: key, insecureSkipVerify: skipVerify)
        return settings
    }

    private func fetch(_ port: UInt16, _ settings: HTTPSettings) async -> Result<HTTPResponse, HTTPFailure> {
        await HTTPClient(settings: settings).send(OutgoingRequest(url: "https://127.0.0.1:\(port)/"), timeout: 60)
    }

    @Test("a certificate from a private CA: trusted with tls.ca_file, refused without it; its facts are reported")
    func privateCA() async throws {
        let certs = try TestCertificates()
        let now = Date()
        try certs.issue("good", host: "127.0.0.1", start: now.addingTimeInterval(-Self.day), end: now.addingTimeInterval(90 * Self.day))
        let (server, port) = try certs.serve("good")
        defer {
            server.signal(SIGTERM)
            _ = server.wait(timeout: 5)
        }

        let trusted = try await fetch(port, settings(ca: certs.caFile)).get()
        #expect(trusted.status == 200)
        let leaf = try #require(trusted.certificates.first)
        #expect(leaf.subject.contains("CN = 127.0.0.1") || leaf.subject.contains("CN=127.0.0.1"), "\(leaf.subject)")
        #expect(leaf.issuer.contains("Vigil Test CA"), "\(leaf.issuer)")
        #expect(trusted.tlsVersion?.hasPrefix("TLSv1.") == true, "\(trusted.tlsVersion ?? "no TLS version")")
        let facts = try #require(TLSFacts(chain: trusted.certificates, now: now))
        #expect(facts.daysLeft == 89 || facts.daysLeft == 90, "\(facts)")

        guard case let .failure(.tls(detail)) = await fetch(port, HTTPSettings()) else {
            Issue.record("an unknown CA must fail as tls")
            return
        }
        #expect(detail.lowercased().contains("certificate"), "\(detail)")
    }

    @Test("expired, not yet valid and wrong-host certificates fail as tls with the cause; skip-verify accepts them")
    func brokenCertificates() async throws {
        let certs = try TestCertificates()
        let now = Date()
        try certs.issue("expired", host: "127.0.0.1", start: now.addingTimeInterval(-30 * Self.day), end: now.addingTimeInterval(-Self.day))
        try certs.issue("future", host: "127.0.0.1", start: now.addingTimeInterval(2 * Self.day), end: now.addingTimeInterval(30 * Self.day))
        try certs.issue("wronghost", host: "wrong.example", start: now.addingTimeInterval(-Self.day), end: now.addingTimeInterval(30 * Self.day))
        for (name, cause) in [("expired", "expired"), ("future", "not yet valid"), ("wronghost", "127.0.0.1")] {
            let (server, port) = try certs.serve(name)
            defer {
                server.signal(SIGTERM)
                _ = server.wait(timeout: 5)
            }
            guard case let .failure(.tls(detail)) = await fetch(port, settings(ca: certs.caFile)) else {
                Issue.record("\(name): expected a tls failure")
                continue
            }
            #expect(detail.contains(cause), "\(name): \(detail)")
            let skipped = try await fetch(port, settings(skipVerify: true)).get()
            #expect(skipped.status == 200, "\(name) with insecure_skip_verify")
            if name == "wronghost" {
                // The certificate is right for the name the server goes by: tls.server_name says so.
                var named = settings(ca: certs.caFile)
                named.tls?.serverName = "wrong.example"
                let verified = try await fetch(port, named).get()
                #expect(verified.status == 200 && verified.remoteIP == "127.0.0.1")
            }
        }
    }

    @Test("a certificate expiring in 3 days answers, and says so")
    func soonExpiring() async throws {
        let certs = try TestCertificates()
        let now = Date()
        try certs.issue("soon", host: "127.0.0.1", start: now.addingTimeInterval(-Self.day), end: now.addingTimeInterval(3 * Self.day + 3600))
        let (server, port) = try certs.serve("soon")
        defer {
            server.signal(SIGTERM)
            _ = server.wait(timeout: 5)
        }
        let response = try await fetch(port, settings(ca: certs.caFile)).get()
        #expect(response.status == 200)
        #expect(TLSFacts(chain: response.certificates, now: now)?.daysLeft == 3)
    }

    @Test("a server that requires a client certificate: refused without one, answered with tls.cert_file and key_file")
    func clientCertificate() async throws {
        let certs = try TestCertificates()
        let now = Date()
        try certs.issue("server", host: "127.0.0.1", start: now.addingTimeInterval(-Self.day), end: now.addingTimeInterval(30 * Self.day))
        try certs.issue(
            "client", host: "vigil-prober", start: now.addingTimeInterval(-Self.day), end: now.addingTimeInterval(30 * Self.day),
            client: true)
        let (server, port) = try certs.serve("server", requireClientCertificate: true)
        defer {
            server.signal(SIGTERM)
            _ = server.wait(timeout: 5)
        }
        switch await fetch(port, settings(ca: certs.caFile)) {
        case .failure(.tls), .failure(.connection): break
        case let other: Issue.record("without a client certificate: \(other)")
        }
        let response = try await fetch(
            port,
            settings(
                ca: certs.caFile, cert: certs.directory.url("client.pem"),
                key: certs.directory.url("client.key"))
        ).get()
        #expect(response.status == 200)
    }
}
