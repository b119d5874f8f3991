// Checks beyond the status code, through the real prober against a real server: every JSON operator passing
// and failing with the exact sentence, header and body checks, a body that is not JSON, service defaults with
// overrides and `inherit: false`, secrets never quoted — and the same checks against Python's http.server.

import Foundation
import Shared
import TestSupport
import Testing

/// An answer with a business error in a 200: what the JSON checks look at.
private let businessError = #"""
    {"code":500,"msg":"database unavailable","data":{"items":[{"id":7,"name":"a"}],"total":3,"status":"active",
    "email":"ops@example.com","token":"tok-XYZ-secret-77","nothing":null,"flag":true,"price":"12.5"}}
    """#

@Suite("Checks on the answer", .ownThread)
struct ChecksTests {
    /// (name, check, the error it gives, or nil when it passes)
    static let operators: [(String, String, String?)] = [
        ("equals-pass", "{path: data.total, equals: 3.0}", nil),
        ("equals-fail", "{path: code, equals: 0}", #"json code: expected 0, found 500 (msg: "database unavailable")"#),
        ("equals-type", "{path: code, equals: \"500\"}", #"json code: expected "500", found 500 (msg: "database unavailable")"#),
        ("equals-null", "{path: data.nothing, equals: null}", nil),
        ("not-equals-pass", "{path: data.status, not_equals: failed}", nil),
        ("not-equals-fail", "{path: $.code, not_equals: 500}", #"json $.code: expected anything but 500, found it (msg: "database unavailable")"#),
        ("in-pass", "{path: data.status, in: [active, pending]}", nil),
        ("in-fail", "{path: code, in: [0, 200]}", #"json code: expected one of [0,200], found 500 (msg: "database unavailable")"#),
        ("exists-pass", "{path: \"data.items[0].id\", exists: true}", nil),
        (
            "exists-fail", "{path: data.list, exists: true}",
            #"json data.list: expected to exist, missing (no member "list") (msg: "database unavailable")"#
        ),
        ("absent-pass", "{path: error, exists: false}", nil),
        ("absent-fail", "{path: data.flag, exists: false}", #"json data.flag: expected to be absent, found true (msg: "database unavailable")"#),
        ("type-pass", "{path: data.items, type: array}", nil),
        ("type-fail", "{path: data.price, type: number}", #"json data.price: expected a number, found "12.5" (msg: "database unavailable")"#),
        ("matches-pass", "{path: data.email, matches: '^[a-z]+@example\\.com$'}", nil),
        (
            "matches-fail", "{path: \"data.items[-1].name\", matches: '^[0-9]+$'}",
            #"json data.items[-1].name: expected to match /^[0-9]+$/, found "a" (msg: "database unavailable")"#
        ),
        ("less-pass", "{path: data.total, less_than: 10}", nil),
        ("less-fail", "{path: code, less_than: 400}", #"json code: expected less than 400, found 500 (msg: "database unavailable")"#),
        ("greater-pass", "{path: data.total, greater_than: 0}", nil),
        (
            "greater-fail", "{path: data.status, greater_than: 0}",
            #"json data.status: expected a number greater than 0, found "active" (msg: "database unavailable")"#
        ),
        ("min-pass", "{path: data.items, min_length: 1}", nil),
        (
            "min-fail", "{path: data.status, min_length: 10}",
            #"json data.status: expected at least 10 characters, found 6 (msg: "database unavailable")"#
        ),
        ("max-pass", "{path: data.email, max_length: 40}", nil),
        ("max-fail", "{path: data.items, max_length: 0}", #"json data.items: expected at most 0 items, found 1 (msg: "database unavailable")"#),
        (
            "secret", "{path: data.token, type: number}",
            #"json data.token: expected a number, found a string (msg: "database unavailable")"#
        ),
        (
            "missing-deep", "{path: \"data.items[3].id\", equals: 7}",
            #"json data.items[3].id: expected 7, missing (no position 3 in an array of 1) (msg: "database unavailable")"#
        ),
    ]

    @Test("every JSON operator, passing and failing, with the check and what was found in the error")
    func jsonOperators() throws {
        let f = try ProberFixture()
        f.server.route("/biz", reply: .json(200, businessError))
        for (name, check, _) in Self.operators {
            try f.interface("svc/\(name)", "name: \(name)\nurl: /biz\nexpect:\n  json:\n    - \(check)\n")
        }
        let run = try f.runProber()
        #expect(run.exitCode == 0, "\(run.stderr)")
        let results = try f.latestResults()
        for (name, _, error) in Self.operators {
            let result = try #require(results["svc/\(name)"], "no result for \(name)")
            #expect(result.outcome == (error == nil ? .ok : .assertion), "\(name): \(result.error ?? "")")
            #expect(result.error == error, "\(name)")
            #expect(result.attempts == 1, "a failed check is an answer: not retried")
        }
        #expect(results.values.allSatisfy { !($0.error ?? "").contains("tok-XYZ") }, "a value under a secret-looking name is never quoted")
    }

    @Test("all failing checks of a probe are listed; headers, patterns and texts of the body")
    func headersAndBody() throws {
        let f = try ProberFixture()
        f.server.route("/page") { _ in
            HTTPReply(
                status: 200, headers: ["Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "Set-Cookie": "sid=s3cr3t"],
                body: Array("<html>Internal Exception: stack trace</html>".utf8))
        }
        try f.interface(
            "svc/passing",
            """
            name: passing
            url: /page
            expect:
              headers: {Content-Type: {matches: "^text/html"}, Cache-Control: no-store, X-Missing: {exists: false}}
              body_matches: ['<html>', '(?i)internal exception']
              body_not_contains: [Traceback]
            """)
        try f.interface(
            "svc/failing",
            """
            name: failing
            url: /page
            expect:
              headers:
                Content-Type: {matches: json}
                X-Request-Id: {exists: true}
                Cache-Control: {equals: max-age=60}
                Set-Cookie: {exists: false}
              body_matches: '"status":\\s*"up"'
              body_not_contains: Exception
              body_contains: '"code":0'
            """)
        #expect(try f.runProber().exitCode == 0)
        let results = try f.latestResults()
        #expect(results["svc/passing"]?.outcome == .ok, "\(results["svc/passing"]?.error ?? "")")
        let failing = try #require(results["svc/failing"])
        #expect(failing.outcome == .assertion)
        #expect(
            failing.error
                == [
                    #"body does not contain "\"code\":0""#, #"body contains "Exception""#, #"body does not match /"status":\s*"up"/"#,
                    #"header Content-Type: expected to match /json/, found "text/html; charset=utf-8""#,
                    "header X-Request-Id: expected to be present, missing",
                    #"header Cache-Control: expected "max-age=60", found "no-store""#,
                    "header Set-Cookie: expected to be absent, found ***",
                ].joined(separator: "; "))
    }

    @Test("a body that is not JSON fails every JSON check with the parser's reason, and nothing crashes")
    func notJSON() throws {
        let f = try ProberFixture()
        f.server.route("/html", reply: .text(200, "<html><body>Service Unavailable</body></html>"))
        f.server.route("/empty", reply: .text(200, ""))
        f.server.route("/cut") { _ in .json(200, #"{"code":0,"pad":""# + String(repeating: "x", count: 5000) + #""}"#) }
        try f.interface("svc/html", "name: html\nurl: /html\nexpect:\n  json: [{path: code, equals: 0}, {path: msg, exists: false}]\n")
        try f.interface("svc/empty", "name: empty\nurl: /empty\nexpect:\n  json: [{path: code, equals: 0}]\n")
        try f.interface("svc/cut", "name: cut\nurl: /cut\nmax_body_bytes: 1KB\nexpect:\n  json: [{path: code, equals: 0}]\n")
        let run = try f.runProber()
        #expect(run.exitCode == 0, "\(run.stderr)")
        let results = try f.latestResults()
        let html = try #require(results["svc/html"])
        #expect(html.outcome == .assertion)
        #expect(html.error?.hasPrefix("json code, msg: the body is not JSON (line 1, column 1: expected a value") == true, "\(html.error ?? "")")
        #expect(html.error?.hasSuffix(#", Content-Type "text/plain; charset=utf-8")"#) == true, "\(html.error ?? "")")
        #expect(results["svc/empty"]?.outcome == .assertion && results["svc/empty"]?.error?.contains("the body is not JSON") == true)
        let cut = try #require(results["svc/cut"])
        #expect(cut.outcome == .assertion)
        #expect(cut.error?.hasSuffix("(the body was cut at max_body_bytes: 1024 of 5019 bytes kept)") == true, "\(cut.error ?? "")")
    }

    @Test("a service's expect applies to all its interfaces; an interface adds, overrides key by key, or leaves it out")
    func serviceDefaults() throws {
        let f = try ProberFixture(
            services: """
                  expect:
                    status: 200
                    json: [{path: code, equals: 0}]
                    headers: {Content-Type: {matches: json}}
                """)
        f.server.route("/ok", reply: .json(200, #"{"code":0,"data":{"total":0}}"#))
        f.server.route("/biz", reply: .json(200, businessError))
        f.server.route("/health", reply: .text(200, "up"))
        f.server.route("/created", reply: .json(201, #"{"code":0}"#))
        try f.interface("svc/inherits-ok", "name: a\nurl: /ok\n")
        try f.interface("svc/inherits-fail", "name: b\nurl: /biz\n")
        // Replaces the check of `code` (as `$.code`: one path), keeps the header check, adds its own.
        try f.interface(
            "svc/override", "name: c\nurl: /biz\nexpect:\n  json: [{path: $.code, equals: 500}, {path: data.total, greater_than: 5}]\n")
        try f.interface("svc/adds", "name: d\nurl: /ok\nexpect:\n  json: [{path: data.total, greater_than: 0}]\n")
        try f.interface("svc/health", "name: e\nurl: /health\nexpect:\n  inherit: false\n  body_contains: up\n")
        try f.interface("svc/no-inherit-file", "name: f\nurl: /health\n")
        try f.interface("svc/status", "name: g\nurl: /created\nexpect: {status: 201}\n")
        #expect(try f.runProber().exitCode == 0)
        let r = try f.latestResults()
        #expect(r["svc/inherits-ok"]?.outcome == .ok)
        #expect(r["svc/inherits-fail"]?.error == #"json code: expected 0, found 500 (msg: "database unavailable")"#)
        #expect(r["svc/override"]?.error == #"json data.total: expected greater than 5, found 3 (msg: "database unavailable")"#)
        #expect(r["svc/adds"]?.error == #"json data.total: expected greater than 0, found 0"#)
        #expect(r["svc/health"]?.outcome == .ok, "inherit: false: \(r["svc/health"]?.error ?? "")")
        // Without inherit: false, a plain-text endpoint gets the service's JSON checks, and both failures are named.
        #expect(
            r["svc/no-inherit-file"]?.error
                == #"header Content-Type: expected to match /json/, found "text/plain; charset=utf-8"; "#
                + #"json code: the body is not JSON (line 1, column 1: expected a value, found "up", Content-Type "text/plain; charset=utf-8")"#,
            "\(r["svc/no-inherit-file"]?.error ?? "")")
        #expect(r["svc/status"]?.outcome == .ok, "status 201 replaces the service's 200: \(r["svc/status"]?.error ?? "")")
    }

    @Test("the same checks hold against a third-party server (Python's http.server)", .enabled(if: pythonAvailable, "needs python3"))
    func thirdParty() throws {
        let dir = TemporaryDirectory("pyserver")
        try dir.write("www/status.json", #"{"code":0,"data":{"items":[1,2,3]}}"#)
        let (python, port) = try startPythonServer(directory: dir.url("www"))
        defer {
            python.signal(SIGTERM)
            _ = python.wait(timeout: 5)
        }
        let f = try ProberFixture()
        let base = "http://127.0.0.1:\(port)"
        try f.interface(
            "svc/py-ok",
            "name: py\nurl: \(base)/status.json\nexpect:\n  json: [{path: code, equals: 0}, {path: data.items, min_length: 3}]\n"
                + "  headers: {Content-Type: {matches: '^application/json'}, Server: {matches: Python}}\n")
        try f.interface("svc/py-fail", "name: py2\nurl: \(base)/status.json\nexpect:\n  json: [{path: \"data.items[2]\", equals: 4}]\n")
        #expect(try f.runProber().exitCode == 0)
        let r = try f.latestResults()
        #expect(r["svc/py-ok"]?.outcome == .ok, "\(r["svc/py-ok"]?.error ?? "")")
        #expect(r["svc/py-fail"]?.error == "json data.items[2]: expected 4, found 3")
    }
}

@Suite("Certificate expiry", .ownThread, .enabled(if: opensslAvailable, "needs the openssl command (.ci/run installs it)"))
struct CertificateExpiryTests {
    static let day: TimeInterval = 86_400

    /// A prober fixture with a service `secure` on `openssl s_server` serving the certificate `name`.
    private func secureFixture(_ certs: TestCertificates, port: UInt16, monitor: String = "") throws -> ProberFixture {
        try ProberFixture(
            monitor: monitor,
            services: """
                secure:
                  base_url: https://127.0.0.1:\(port)
                  tls: {ca_file: \(certs.caFile)}
                """)
    }

    @Test("a right answer with a certificate closer to expiry than cert_min_days is cert_expiring, not ok and not an outage")
    func expiring() throws {
        let certs = try TestCertificates()
        let now = Date()
        try certs.issue("soon", host: "127.0.0.1", start: now.addingTimeInterval(-Self.day), end: now.addingTimeInterval(3 * Self.day + 3600))
        let (server, port) = try certs.serve("soon")
        defer {
            server.signal(SIGTERM)
            _ = server.wait(timeout: 5)
        }
        let f = try secureFixture(certs, port: port)
        try f.dir.write("pool/secure/default.yaml", "name: default\nurl: /\n")
        try f.dir.write("pool/secure/relaxed.yaml", "name: relaxed\nurl: /\nexpect: {cert_min_days: 2}\n")
        try f.dir.write("pool/secure/off.yaml", "name: off\nurl: /\nexpect: {cert_min_days: 0}\n")
        try f.dir.write("pool/secure/wrong-body.yaml", "name: wrong\nurl: /\nexpect: {body_contains: no-such-text}\n")
        let run = try f.runProber()
        #expect(run.exitCode == 0, "\(run.stderr)")
        let r = try f.latestResults()
        let expiring = try #require(r["secure/default"])
        #expect(expiring.outcome == .certExpiring && expiring.status == 200 && expiring.attempts == 1, "\(expiring.error ?? "")")
        #expect(expiring.error?.hasPrefix("the certificate of ") == true, "\(expiring.error ?? "")")
        #expect(expiring.error?.contains("127.0.0.1 expires in 3 days (") == true, "\(expiring.error ?? "")")
        #expect(expiring.error?.hasSuffix("), under cert_min_days 14") == true, "the default of monitor.cert_min_days: \(expiring.error ?? "")")
        #expect(expiring.tls?.daysLeft == 3)
        #expect(r["secure/relaxed"]?.outcome == .ok, "3 days left is enough for cert_min_days 2")
        #expect(r["secure/off"]?.outcome == .ok, "cert_min_days 0 turns the check off")
        let wrong = try #require(r["secure/wrong-body"])
        #expect(wrong.outcome == .assertion, "a wrong answer is the failure to report; the certificate is named beside it")
        #expect(wrong.error?.hasPrefix(#"body does not contain "no-such-text"; the certificate of "#) == true, "\(wrong.error ?? "")")
    }

    @Test("monitor.cert_min_days sets the default; a certificate with more days left passes")
    func monitorDefault() throws {
        let certs = try TestCertificates()
        let now = Date()
        try certs.issue("month", host: "127.0.0.1", start: now.addingTimeInterval(-Self.day), end: now.addingTimeInterval(40 * Self.day))
        let (server, port) = try certs.serve("month")
        defer {
            server.signal(SIGTERM)
            _ = server.wait(timeout: 5)
        }
        let f = try secureFixture(certs, port: port)
        try f.dir.write("pool/secure/a.yaml", "name: a\nurl: /\n")
        #expect(try f.runProber().exitCode == 0)
        #expect(try f.latestResults()["secure/a"]?.outcome == .ok, "39 days left, default 14")
        let strict = try secureFixture(certs, port: port, monitor: "cert_min_days: 60")
        try strict.dir.write("pool/secure/a.yaml", "name: a\nurl: /\n")
        #expect(try strict.runProber().exitCode == 0)
        let result = try #require(try strict.latestResults()["secure/a"])
        #expect(result.outcome == .certExpiring && result.error?.hasSuffix("under cert_min_days 60") == true, "\(result.error ?? "")")
    }
}
