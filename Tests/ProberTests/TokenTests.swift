// Bearer tokens: one fetch for many probes, reuse across runs and processes, refresh near expiry, renewal
// on 401, and masking in everything the prober writes.

import Foundation
import Shared
import TestSupport
import Testing

@testable import prober

private let authService =
    "auth: {url: /token, method: POST, body: {username: monitor, password: pw-Secret-123}, token_field: data.access_token, expires_in_field: data.expires_in}"

private func protectedRoute(_ server: TestServer) {
    server.route("/private") { request in
        request.header("Authorization")?.hasPrefix("Bearer tok-") == true ? .json(200, #"{"code":0}"#) : .text(401, "no token")
    }
}

@Suite("Prober tokens", .ownThread)
struct TokenTests {
    @Test(
        "a token is fresh while more than min(5 min, half its lifetime) remains",
        arguments: [
            // (lifetime, seconds since the fetch, fresh)
            (4.0, 0.0, true), (4.0, 1.9, true), (4.0, 2.0, false), (4.0, 2.3, false), (3600, 3299, true), (3600, 3300, false),
            (3600, 4000, false), (86_400, 86_099, true), (86_400, 86_100, false),
        ])
    func freshness(_ lifetime: Double, _ elapsed: Double, _ fresh: Bool) {
        let fetched = Date(timeIntervalSince1970: 1_795_359_600)
        let token = Token(service: "svc", token: "t", fetchedAt: fetched, expiresAt: fetched.addingTimeInterval(lifetime))
        #expect(token.isFresh(now: fetched.addingTimeInterval(elapsed)) == fresh)
    }

    @Test("many concurrent probes share one token fetch, and the next run reuses the cached token")
    func singleFlight() throws {
        let f = try ProberFixture(monitor: "concurrency: 10", services: "svc2:\n  base_url: http://127.0.0.1:1\n")
        try f.dir.write(
            "config.yaml",
            try f.dir.read("config.yaml").replacingOccurrences(
                of: "    base_url: \(f.server.baseURL)\n",
                with: "    base_url: \(f.server.baseURL)\n    \(authService)\n"))
        f.server.route("/token", tokenRoute(delay: 0.2))
        protectedRoute(f.server)
        for i in 0..<40 { try f.interface("svc/p\(i)", "name: p\(i)\nurl: /private?i=\(i)\nauth: true\n") }
        #expect(try f.runProber().exitCode == 0)
        #expect(f.server.hits("/token") == 1)
        #expect(try f.latestResults().values.allSatisfy { $0.outcome == .ok })
        #expect(f.server.requests(to: "/private").allSatisfy { $0.header("Authorization") == "Bearer tok-1" })
        #expect(f.server.requests(to: "/token").first?.bodyText == #"{"username":"monitor","password":"pw-Secret-123"}"#)
        #expect(try f.runProber().exitCode == 0)
        #expect(f.server.hits("/token") == 1, "the second run reuses the token from state/tokens/")
        let mode = FileIO.status(f.spool.tokensDirectory + "/svc.json")?.st_mode ?? 0
        #expect(mode & 0o777 == 0o600)
    }

    @Test("a token is fetched again only when it nears expiry")
    func expiry() throws {
        let f = try ProberFixture()
        try f.dir.write(
            "config.yaml",
            try f.dir.read("config.yaml").replacingOccurrences(
                of: "    base_url: \(f.server.baseURL)\n",
                with: "    base_url: \(f.server.baseURL)\n    \(authService)\n"))
        // 4 s tokens: the refresh margin is half the lifetime, so a token is fresh for 2 s.
        f.server.route("/token", tokenRoute(expiresIn: 4))
        protectedRoute(f.server)
        try f.interface("svc/p", "name: p\nurl: /private\nauth: true\n")
        #expect(try f.runProber().exitCode == 0)
        #expect(try f.runProber().exitCode == 0)
        #expect(f.server.hits("/token") == 1)
        // 2.3 s pass for the token on file (the next prober reads it from there): now under half its lifetime.
        try f.ageToken(of: "svc", by: 2.3)
        #expect(try f.runProber().exitCode == 0)
        #expect(f.server.hits("/token") == 2)
        #expect(f.server.requests(to: "/private").last?.header("Authorization") == "Bearer tok-2")
    }

    @Test("two prober processes started together share one token fetch")
    func acrossProcesses() throws {
        let f = try ProberFixture()
        try f.dir.write(
            "config.yaml",
            try f.dir.read("config.yaml").replacingOccurrences(
                of: "    base_url: \(f.server.baseURL)\n",
                with: "    base_url: \(f.server.baseURL)\n    \(authService)\n"))
        f.server.route("/token", tokenRoute(delay: 1.0))
        protectedRoute(f.server)
        for i in 0..<12 { try f.interface("svc/p\(i)", "name: p\(i)\nurl: /private?i=\(i)\nauth: true\n") }
        let run = RunID.manual()
        let first = try f.startProber(["--run", run, "--shard", "1/2"])
        let second = try f.startProber(["--run", run, "--shard", "2/2"])
        #expect(first.wait(timeout: 30) == .exited(0))
        #expect(second.wait(timeout: 30) == .exited(0))
        #expect(f.server.hits("/token") == 1)
        let batches = try f.batches()
        #expect(batches.count == 2)
        #expect(batches.flatMap(\.results).count == 12)
        #expect(batches.flatMap(\.results).allSatisfy { $0.outcome == .ok })
    }

    @Test("a 401 from the target renews the token once and retries")
    func renewalOn401() throws {
        let f = try ProberFixture()
        try f.dir.write(
            "config.yaml",
            try f.dir.read("config.yaml").replacingOccurrences(
                of: "    base_url: \(f.server.baseURL)\n",
                with: "    base_url: \(f.server.baseURL)\n    \(authService)\n"))
        f.server.route("/token", tokenRoute())
        f.server.route("/private") { request in
            request.header("Authorization") == "Bearer tok-2" ? .json(200, "{}") : .text(401, "revoked")
        }
        try f.interface("svc/p", "name: p\nurl: /private\nauth: true\n")
        #expect(try f.runProber().exitCode == 0)
        let result = try #require(try f.latestResults()["svc/p"])
        #expect(result.outcome == .ok && result.attempts == 2)
        #expect(f.server.hits("/token") == 2)
    }

    @Test("passwords, tokens and secret parameters never reach the batch, and Authorization shows as Bearer ***")
    func masking() throws {
        let f = try ProberFixture()
        try f.dir.write(
            "config.yaml",
            try f.dir.read("config.yaml").replacingOccurrences(
                of: "    base_url: \(f.server.baseURL)\n",
                with: "    base_url: \(f.server.baseURL)\n    \(authService)\n"))
        f.server.route("/token", tokenRoute())
        f.server.route("/private") { request in
            .json(500, #"{"echo":"\#(request.header("Authorization") ?? "")","detail":"failed"}"#)
        }
        try f.interface(
            "svc/p",
            "name: p\nurl: /private\nauth: true\nparams: {api_key: key-Secret-456}\nmethod: POST\nbody: {password: body-Secret-789, user: u}\n")
        #expect(try f.runProber().exitCode == 0)
        let text = try f.spoolText()
        for secret in ["pw-Secret-123", "tok-1", "key-Secret-456", "body-Secret-789"] {
            #expect(!text.contains(secret), "\(secret) leaked into the spool")
        }
        let result = try #require(try f.latestResults()["svc/p"])
        #expect(result.request?.headers["Authorization"] == "Bearer ***")
        #expect(result.request?.body == #"{"password":"***","user":"u"}"#)
        #expect(result.url.contains("api_key=***"))
        #expect(result.response?.body?.contains(#""echo":"Bearer ***""#) == true, "\(result.response?.body ?? "")")
    }
}
