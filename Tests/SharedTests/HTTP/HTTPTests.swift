// The loopback server and the libcurl client together: keep-alive, hundreds of concurrent connections, every
// failure class produced by a real condition, challenges, redirects across origins, bounded bodies, proxies
// from the environment ignored, and a third-party server (Python's http.server) on [::1].

import Foundation
import Shared
import TestSupport
import Testing

private func get(_ url: String, headers: HeaderFields = [:]) -> OutgoingRequest { OutgoingRequest(url: url, headers: headers) }

@Suite("HTTP server and client", .ownThread)
struct HTTPTests {
    @Test("sequential requests reuse one keep-alive connection, and the answer carries its phases")
    func keepAlive() async throws {
        let server = try TestServer()
        server.route("/ok", reply: .text(200, "fine"))
        let client = HTTPClient()
        for _ in 0..<20 {
            let response = try await client.send(get(server.url("/ok")), timeout: 5).get()
            #expect(response.status == 200 && String(decoding: response.body, as: UTF8.self) == "fine")
            #expect(response.remoteIP == "127.0.0.1" && response.httpVersion == "1.1")
            #expect(response.timings.total >= response.timings.firstByte && response.timings.firstByte >= response.timings.connect)
            #expect(response.finalURL == nil && response.redirects == 0)
        }
        #expect(server.hits("/ok") == 20)
        #expect(server.connectionsAccepted == 1, "keep-alive: one connection for 20 requests")
    }

    @Test("300 concurrent requests with 200 ms latency all complete")
    func concurrency() async throws {
        let server = try TestServer()
        server.route("/slow") { request in .json(200, #"{"path":"\#(request.target)"}"#, delay: 0.2) }
        let client = HTTPClient()
        let statuses = await withTaskGroup(of: Int.self) { group in
            for i in 0..<300 {
                group.addTask { (try? await client.send(get(server.url("/slow?i=\(i)")), timeout: 30).get().status) ?? -1 }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 200 }.count == 300, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
        #expect(Set(server.requests.map(\.target)).count == 300)
    }

    @Test("POST bodies and headers are received as sent")
    func postBody() async throws {
        let server = try TestServer()
        server.route("/echo") { request in .json(201, request.bodyText) }
        let request = OutgoingRequest(
            method: "POST", url: server.url("/echo"),
            headers: ["Content-Type": "application/json", "X-Client": "vigil"], body: Array(#"{"a":"é"}"#.utf8))
        let response = try await HTTPClient().send(request, timeout: 60).get()
        #expect(response.status == 201)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"a":"é"}"#)
        #expect(server.requests.first?.header("x-client") == "vigil")
        #expect(server.requests.first?.method == "POST")
        #expect(server.requests.first?.header("expect") == nil, "no 100-continue round trip")
    }

    @Test("a never-answering route is a timeout at the deadline")
    func hang() async throws {
        let server = try TestServer()
        server.route("/hang", reply: .hang)
        let result = await HTTPClient().send(get(server.url("/hang")), timeout: 0.5)
        guard case let .failure(.timeout(deadline)) = result else {
            Issue.record("expected timeout, got \(result)")
            return
        }
        #expect(deadline == 0.5)
    }

    @Test("a closed port is a connection failure")
    func refused() async throws {
        let port = try closedPort()
        let result = await HTTPClient().send(get("http://127.0.0.1:\(port)/"), timeout: 2)
        guard case let .failure(.connection(detail)) = result else {
            Issue.record("expected connection, got \(result)")
            return
        }
        #expect(detail.contains("127.0.0.1") && detail.contains("\(port)"), "\(detail)")
    }

    @Test("a connection closed without an answer is a connection failure")
    func closedWithoutAnswer() async throws {
        let server = try TestServer()
        server.route("/close", reply: .close)
        let result = await HTTPClient().send(get(server.url("/close")), timeout: 2)
        guard case .failure(.connection) = result else {
            Issue.record("expected connection, got \(result)")
            return
        }
    }

    @Test("an unresolvable host name is a DNS failure (resolved locally, nothing leaves the machine)")
    func dns() async throws {
        let host = String(repeating: "a", count: 64) + ".invalid"
        let result = await HTTPClient().send(get("http://\(host)/"), timeout: 2)
        guard case .failure(.dns) = result else {
            Issue.record("expected dns, got \(result)")
            return
        }
    }

    @Test("a 401 with a Basic challenge is an answer at once, not a timeout")
    func challenge() async throws {
        let server = try TestServer()
        server.route("/private", reply: HTTPReply(status: 401, headers: ["WWW-Authenticate": "Basic realm=\"vigil\""], body: Array("no".utf8)))
        let response = try await HTTPClient().send(get(server.url("/private")), timeout: 60).get()
        #expect(response.status == 401 && response.headers["WWW-Authenticate"] == "Basic realm=\"vigil\"")
        // libcurl's own view of the transfer: answered as soon as the server spoke (the old client never completed it).
        #expect(response.timings.total < 5000, "\(response.timings)")
        #expect(server.hits("/private") == 1)
    }

    // Multi-hop transfers get a generous deadline: a hop resumes on the cooperative pool, which the suite's
    // blocking process tests can hold for tens of seconds, and the deadline covers the whole chain.
    @Test("a redirect to another origin drops Authorization, Cookie and credential headers; the same origin keeps them")
    func crossOriginRedirect() async throws {
        let a = try TestServer()
        let b = try TestServer()
        a.route("/away", reply: HTTPReply(status: 302, headers: ["Location": b.url("/landing")]))
        a.route("/here", reply: HTTPReply(status: 301, headers: ["Location": "/landing"]))
        a.route("/landing", reply: .text(200, "a"))
        b.route("/landing", reply: .text(200, "b"))
        var request = get(a.url("/away"), headers: ["Authorization": "Bearer t0ken", "Cookie": "s=1", "X-Auth-Token": "k3y", "X-Plain": "p"])
        request.credentialHeaders = ["X-Auth-Token"]
        let away = try await HTTPClient().send(request, timeout: 300).get()
        #expect(away.status == 200 && away.redirects == 1 && away.finalURL == b.url("/landing"))
        let landed = try #require(b.requests.first)
        #expect(landed.header("authorization") == nil && landed.header("cookie") == nil && landed.header("x-auth-token") == nil)
        #expect(landed.header("x-plain") == "p")
        request.url = a.url("/here")
        let here = try await HTTPClient().send(request, timeout: 300).get()
        #expect(String(decoding: here.body, as: UTF8.self) == "a" && here.finalURL == a.url("/landing"))
        #expect(a.requests(to: "/landing").first?.header("authorization") == "Bearer t0ken")
    }

    @Test("307 keeps the method and body, 303 turns into GET, and redirects can be turned off")
    func redirectMethods() async throws {
        let server = try TestServer()
        server.route("/temporary", reply: HTTPReply(status: 307, headers: ["Location": "/target"]))
        server.route("/see-other", reply: HTTPReply(status: 303, headers: ["Location": "/target"]))
        server.route("/target") { request in .text(200, request.method + " " + request.bodyText) }
        let post = OutgoingRequest(
            method: "POST", url: server.url("/temporary"), headers: ["Content-Type": "text/plain"], body: Array("payload".utf8))
        #expect(String(decoding: try await HTTPClient().send(post, timeout: 300).get().body, as: UTF8.self) == "POST payload")
        var seeOther = post
        seeOther.url = server.url("/see-other")
        #expect(String(decoding: try await HTTPClient().send(seeOther, timeout: 300).get().body, as: UTF8.self) == "GET ")
        var settings = HTTPSettings()
        settings.followRedirects = false
        let unfollowed = try await HTTPClient(settings: settings).send(post, timeout: 300).get()
        #expect(unfollowed.status == 307 && unfollowed.headers["Location"] == "/target")
    }

    @Test("a large body is read to the end but only max_body_bytes are kept")
    func boundedBody() async throws {
        let server = try TestServer()
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 5 << 20)
        server.route("/big", reply: HTTPReply(status: 200, headers: ["Content-Type": "text/plain"], body: big))
        var settings = HTTPSettings()
        settings.maxBodyBytes = 1024
        let response = try await HTTPClient(settings: settings).send(get(server.url("/big")), timeout: 10).get()
        #expect(response.body.count == 1024 && response.bodyBytes == 5 << 20)
    }

    @Test("proxy variables of the environment are ignored unless asked for")
    func environmentProxy() async throws {
        let server = try TestServer()
        server.route("/direct", reply: .text(200, "direct"))
        let nowhere = try closedPort()
        setenv("http_proxy", "http://127.0.0.1:\(nowhere)", 1)
        defer { unsetenv("http_proxy") }
        let direct = try await HTTPClient().send(get(server.url("/direct")), timeout: 5).get()
        #expect(String(decoding: direct.body, as: UTF8.self) == "direct")
        var settings = HTTPSettings()
        settings.proxy = .environment
        let proxied = await HTTPClient(settings: settings).send(get(server.url("/direct")), timeout: 5)
        guard case .failure(.connection) = proxied else {
            Issue.record("expected the dead proxy to fail, got \(proxied)")
            return
        }
    }

    @Test("query parameters arrive exactly as written: + & = # ? and non-ASCII")
    func queryEncoding() async throws {
        let server = try TestServer()
        server.route("/q", reply: .text(200, ""))
        let values = ["tz": "+08:00", "q": "a&b=c#d?e", "name": "张三 x"]
        let query = values.sorted { $0.key < $1.key }.map { QueryEncoding.encode($0.key) + "=" + QueryEncoding.encode($0.value) }
        _ = try await HTTPClient().send(get(server.url("/q?" + query.joined(separator: "&"))), timeout: 5).get()
        #expect(server.requests.first?.query == values)
        #expect(QueryEncoding.encode("+08:00 é") == "%2B08%3A00%20%C3%A9")
    }

    @Test(
        "a third-party server on [::1] (Python's http.server) answers over IPv6",
        .enabled(if: pythonAvailable, "needs python3"))
    func pythonOnIPv6() async throws {
        let dir = TemporaryDirectory("ipv6")
        try dir.write("hello.txt", "from python")
        let (python, port) = try startPythonServer(directory: dir.path, host: "::1")
        defer {
            python.signal(SIGTERM)
            _ = python.wait(timeout: 5)
        }
        let answer = try await HTTPClient().send(get("http://[::1]:\(port)/hello.txt"), timeout: 5).get()
        #expect(answer.status == 200 && String(decoding: answer.body, as: UTF8.self) == "from python")
        #expect(answer.remoteIP == "::1")
    }
}
