// Every outcome class produced by its real condition against the loopback server, and retries only where
// they belong (counted on the server).

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Prober outcomes", .ownThread)
struct OutcomeTests {
    @Test("each real condition gives its outcome class, and only retryable ones are retried")
    func outcomes() throws {
        let server = try TestServer()
        let f = try ProberFixture(
            services: """
                locked:
                  base_url: \(server.baseURL)
                  auth: {url: /no-such-token-endpoint, token_field: token}
                """, server: server)
        let s = f.server
        s.route("/ok", reply: .json(200, #"{"code":0}"#))
        s.route("/missing", reply: .text(404, "no"))
        s.route("/error", reply: .text(500, "boom"))
        s.route("/unavailable", reply: .text(503, "later"))
        s.route("/teapot", reply: .text(418, "teapot"))
        s.route("/gateway", reply: .text(502, "bad gateway"))
        s.route("/hang", reply: .hang)
        s.route("/wrong-body", reply: .json(200, #"{"code":7}"#))
        s.route("/slow", reply: .json(200, #"{"code":0}"#, delay: 0.4))
        let refused = try closedPort()
        let longHost = String(repeating: "a", count: 64) + ".invalid"
        let table: [(String, String, Outcome, Int)] = [
            ("ok", "url: /ok", .ok, 1),
            ("missing", "url: /missing", .http404, 1),
            ("error", "url: /error", .http500, 3),
            ("unavailable", "url: /unavailable", .http503, 3),
            ("teapot", "url: /teapot", .http4xx, 1),
            ("gateway", "url: /gateway", .http5xx, 3),
            ("hang", "url: /hang\ntimeout: 300ms", .timeout, 3),
            ("wrong-body", "url: /wrong-body\nexpect: {body_contains: '\"code\":0'}", .assertion, 1),
            ("slow", "url: /slow\nexpect: {max_latency: 100ms}", .assertion, 1),
            ("dns", "url: http://\(longHost)/x", .dns, 0),
            ("refused", "url: http://127.0.0.1:\(refused)/x", .connection, 0),
            ("tls", "url: https://127.0.0.1:\(s.port)/ok", .tls, 0),
        ]
        for (name, body, _, _) in table { try f.interface("svc/\(name)", "name: \(name)\n\(body)\n") }
        try f.interface("locked/needs-token", "name: needs token\nurl: /ok\nauth: true\n")

        let run = try f.runProber()
        #expect(run.exitCode == 0, "\(run.stderr)")
        let results = try f.latestResults()
        for (name, _, outcome, hits) in table {
            let result = try #require(results["svc/\(name)"], "no result for \(name)")
            #expect(result.outcome == outcome, "\(name): \(result.outcome) \(result.error ?? "")")
            if hits > 0 {
                #expect(s.hits(name == "tls" ? "/ok" : "/\(name)") == hits, "\(name) hits")
                #expect(result.attempts == hits, "\(name) attempts")
            }
        }
        #expect(results["svc/tls"]?.attempts == 1, "TLS failures are not retried")
        #expect(results["svc/dns"]?.attempts == 3 && results["svc/refused"]?.attempts == 3, "network errors are retried")
        #expect(results["svc/error"]?.status == 500 && results["svc/error"]?.response?.body == "boom")
        #expect(results["svc/wrong-body"]?.error?.contains("body does not contain") == true)
        #expect(results["svc/slow"]?.error?.contains("above max_latency 100 ms") == true)
        let locked = try #require(results["locked/needs-token"])
        #expect(locked.outcome == .auth && locked.attempts == 0)
        #expect(locked.error?.contains("answered HTTP 404") == true, "\(locked.error ?? "")")
        #expect(results["svc/ok"]?.latencyMs != nil)
    }

    @Test("retries wait 1×, 2×, 4× the retry delay")
    func backoff() throws {
        let f = try ProberFixture(monitor: "retry_attempts: 3\nretry_delay: 200ms")
        f.server.route("/error", reply: .text(500, "boom"))
        try f.interface("svc/error", "name: e\nurl: /error\n")
        #expect(try f.runProber().exitCode == 0)
        let times = f.server.requests(to: "/error").map(\.receivedAt)
        #expect(times.count == 4)
        let gaps = zip(times.dropFirst(), times).map { $0.timeIntervalSince($1) }
        for (gap, minimum) in zip(gaps, [0.2, 0.4, 0.8]) {
            #expect(gap >= minimum * 0.95, "gap \(gap) should be at least \(minimum)")
        }
    }

    @Test("no more than monitor.concurrency requests are in flight")
    func concurrencyCap() throws {
        let f = try ProberFixture(monitor: "concurrency: 4")
        let counter = Counter()
        f.server.route("/item") { _ in
            counter.enter()
            usleep(100_000)
            counter.leave()
            return .text(200, "ok")
        }
        for i in 0..<20 { try f.interface("svc/item-\(i)", "name: i\(i)\nurl: /item?i=\(i)\n") }
        #expect(try f.runProber().exitCode == 0)
        #expect(f.server.hits("/item") == 20)
        #expect(counter.maximum <= 4 && counter.maximum >= 2, "peak \(counter.maximum)")
    }

    @Test("requests carry method, query params, headers and JSON body as defined")
    func requestShape() throws {
        let f = try ProberFixture()
        f.server.route("/post") { _ in .json(200, #"{"code":0}"#) }
        try f.interface(
            "svc/post",
            """
            name: post
            method: POST
            url: /post?fixed=1
            params: {id: 42, q: "a b"}
            headers: {X-Client: vigil}
            body: {nickname: 昵称, count: 3, ok: true}
            """)
        #expect(try f.runProber().exitCode == 0)
        let request = try #require(f.server.requests(to: "/post").first)
        #expect(request.method == "POST")
        #expect(request.query == ["fixed": "1", "id": "42", "q": "a b"])
        #expect(request.header("X-Client") == "vigil")
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.bodyText == #"{"nickname":"昵称","count":3,"ok":true}"#)
    }
}
