// Attacks on the prober's credentials (issue 29), through the real prober process against loopback servers:
// a token endpoint that redirects to another origin gets no password body and no custom auth header there, and
// a cookie an API echoes back never reaches the spool.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Prober credentials under attack", .ownThread)
struct CredentialLeakTests {
    @Test("a token endpoint's 307 to another origin is refused (outcome auth, with why) and sends that origin nothing")
    func tokenTemporaryRedirect() throws {
        let server = try TestServer()
        let other = try TestServer()
        let f = try ProberFixture(
            services: """
                api:
                  base_url: \(server.baseURL)
                  auth:
                    url: /token
                    headers: {X-Tenant-Secret: tenant-header-value-1}
                    body: {username: monitor, password: "pw-body-value-1"}
                    token_field: data.access_token
                same:
                  base_url: \(server.baseURL)
                  auth: {url: /moved-token, body: {password: "pw-same-origin"}, token_field: data.access_token}
                """, server: server)
        server.route("/token", reply: HTTPReply(status: 307, headers: ["Location": other.url("/steal")]))
        other.route("/steal", tokenRoute())
        // Within the origin a 307 is followed as for probes, body and all.
        server.route("/moved-token", reply: HTTPReply(status: 307, headers: ["Location": "/real-token"]))
        server.route("/real-token") { request in
            request.bodyText.contains("pw-same-origin") ? .json(200, #"{"data":{"access_token":"tok-same"}}"#) : .text(400, "no body")
        }
        server.route("/same-info") { request in .text(request.header("authorization") == "Bearer tok-same" ? 200 : 401, "info") }
        try f.interface("api/info", "name: info\nurl: /info\nauth: true")
        try f.interface("same/info", "name: info\nurl: /same-info\nauth: true")

        let run = try f.runProber()
        #expect(run.exitCode == 0, "\(run.stderr)")
        let info = try #require(try f.latestResults()["api/info"])
        #expect(info.outcome == .auth, "\(info)")
        #expect(info.error?.contains("redirect to another origin") == true && info.error?.contains("refused") == true, "\(info.error ?? "")")
        #expect(server.hits("/token") >= 1, "the token endpoint was asked")
        #expect(other.hits("/steal") == 0, "the other origin received the re-sent POST: \(other.requests(to: "/steal").map(\.bodyText))")
        #expect(try f.latestResults()["same/info"]?.outcome == .ok, "a 307 within the origin is followed with its body")
    }

    @Test("a token endpoint's 302 to another origin: the second origin gets a GET with no body and no auth.headers")
    func tokenFoundRedirect() throws {
        let server = try TestServer()
        let other = try TestServer()
        let f = try ProberFixture(
            services: """
                api:
                  base_url: \(server.baseURL)
                  auth:
                    url: /token
                    headers: {X-Tenant: tenant-header-value-2, Authorization: "Basic c2VjcmV0OnNlY3JldA=="}
                    body: {username: monitor, password: "pw-body-value-2"}
                    token_field: data.access_token
                """, server: server)
        server.route("/token", reply: HTTPReply(status: 302, headers: ["Location": other.url("/issue")]))
        other.route("/issue", tokenRoute())
        server.route("/info") { request in .text(request.header("authorization") == "Bearer tok-1" ? 200 : 401, "info") }
        try f.interface("api/info", "name: info\nurl: /info\nauth: true")

        let run = try f.runProber()
        #expect(run.exitCode == 0, "\(run.stderr)")
        let received = try #require(other.requests(to: "/issue").first, "the 302 was followed")
        #expect(received.method == "GET" && received.body.isEmpty, "the body went along: \(received.bodyText)")
        #expect(received.header("X-Tenant") == nil, "a custom auth header went to another origin")
        #expect(received.header("Authorization") == nil)
        #expect(!received.bodyText.contains("pw-body-value-2"))
        #expect(try f.latestResults()["api/info"]?.outcome == .ok, "the token from the new origin is used")
    }

    @Test("a cookie the API echoes back (and one it sets) never reaches the spool; the header shows as ***")
    func echoedCookie() throws {
        let server = try TestServer()
        let f = try ProberFixture(server: server)
        server.route("/echo") { request in
            HTTPReply(
                status: 500, headers: ["Set-Cookie": "next=set-cookie-value-77; Path=/; HttpOnly"],
                body: Array(#"{"you_sent":"\#(request.header("cookie") ?? "")","next":"set-cookie-value-77"}"#.utf8))
        }
        try f.interface("svc/echo", "name: echo\nurl: /echo\nheaders: {Cookie: \"session=cookie-secret-4242; theme=dark\"}")

        let run = try f.runProber()
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(server.requests(to: "/echo").first?.header("cookie") == "session=cookie-secret-4242; theme=dark", "the cookie was sent")
        let echo = try #require(try f.latestResults()["svc/echo"])
        #expect(echo.outcome == .http500)
        #expect(echo.request?.headers["Cookie"] == Redactor.mask && echo.response?.headers["Set-Cookie"] == Redactor.mask)
        let text = try f.spoolText()
        #expect(text.contains("you_sent"), "the echoed body is in the batch")
        #expect(!text.contains("cookie-secret-4242"), "the cookie's value reached the spool")
        #expect(!text.contains("set-cookie-value-77"), "the value a Set-Cookie gave reached the spool")
        #expect(!run.stderr.contains("cookie-secret-4242"))
    }
}
