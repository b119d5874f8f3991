// What the libcurl engine changes for the prober, end to end through the real prober process: challenges are
// answers (never timeouts, never retried), bearer tokens stay behind on a redirect to another origin, a 301 can
// be asserted, results carry phases, the remote address and the final URL, and a failure carries its time.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Prober transport", .ownThread)
struct TransportTests {
    @Test("a 401 challenge, a cross-origin redirect with a token, an unfollowed 301, and the facts each result carries")
    func transport() throws {
        let server = try TestServer()
        let other = try TestServer()
        let f = try ProberFixture(
            services: """
                api:
                  base_url: \(server.baseURL)
                  auth: {url: /token, token_field: data.access_token}
                plain:
                  base_url: \(server.baseURL)
                  follow_redirects: false
                """, server: server)
        server.route("/token", tokenRoute())
        server.route("/challenge", reply: HTTPReply(status: 401, headers: ["WWW-Authenticate": "Basic realm=\"x\""]))
        server.route("/moved", reply: HTTPReply(status: 302, headers: ["Location": other.url("/elsewhere")]))
        server.route("/old", reply: HTTPReply(status: 301, headers: ["Location": "/new"]))
        other.route("/elsewhere") { request in .text(request.header("authorization") == nil ? 200 : 403, "landed") }
        let refused = try closedPort()
        try f.interface("svc/challenge", "name: challenge\nurl: /challenge")
        try f.interface("api/moved", "name: moved\nurl: /moved\nauth: true")
        try f.interface("plain/old", "name: old\nurl: /old\nexpect: {status: 301}")
        try f.interface("svc/refused", "name: refused\nurl: http://127.0.0.1:\(refused)/")

        let run = try f.runProber()
        #expect(run.exitCode == 0, "\(run.stderr)")
        let results = try f.latestResults()

        let challenge = try #require(results["svc/challenge"])
        #expect(challenge.outcome == .http4xx && challenge.status == 401 && challenge.attempts == 1, "\(challenge)")
        #expect(server.hits("/challenge") == 1, "a 4xx is never retried")

        let moved = try #require(results["api/moved"])
        #expect(moved.outcome == .ok, "the token did not follow the redirect: \(moved.error ?? "")")
        #expect(moved.finalURL == other.url("/elsewhere") && moved.redirects == 1)
        #expect(server.requests(to: "/moved").first?.header("authorization")?.hasPrefix("Bearer ") == true)

        let old = try #require(results["plain/old"])
        #expect(old.outcome == .ok && old.status == 301, "redirects off per service: the 301 itself is asserted")

        #expect(challenge.remoteIP == "127.0.0.1" && challenge.httpVersion == "1.1")
        let timings = try #require(challenge.timings)
        #expect(timings.total >= timings.firstByte && timings.firstByte >= timings.connect)

        let failed = try #require(results["svc/refused"])
        #expect(failed.outcome == .connection && failed.latencyMs != nil, "a failure carries the time it took")
    }

    @Test("user:pass@ in a URL authenticates and is masked everywhere; query values arrive exactly as written")
    func userinfoAndQuery() throws {
        let f = try ProberFixture()
        f.server.route("/basic") { request in
            let expected = "Basic " + Data("monitor:pa55-Secret".utf8).base64EncodedString()
            return .text(request.header("authorization") == expected ? 200 : 401, "tz=\(request.query["tz"] ?? "")")
        }
        try f.interface(
            "svc/basic",
            """
            name: basic
            url: http://monitor:pa55-Secret@127.0.0.1:\(f.server.port)/basic
            params: {tz: "+08:00", q: "a&b=c"}
            expect: {body_contains: "tz=+08:00"}
            """)
        let run = try f.runProber()
        #expect(run.exitCode == 0, "\(run.stderr)")
        let result = try #require(try f.latestResults()["svc/basic"])
        #expect(result.outcome == .ok, "\(result.error ?? "")")
        #expect(result.url == "http://monitor:***@127.0.0.1:\(f.server.port)/basic?tz=%2B08%3A00&q=a%26b%3Dc", "\(result.url)")
        #expect(f.server.requests.first?.query == ["tz": "+08:00", "q": "a&b=c"])
        #expect(!(try f.spoolText()).contains("pa55-Secret") && !run.stderr.contains("pa55-Secret"))
    }
}
