// E-mail through the real notifier and libcurl's SMTP: against a receiver that asks for AUTH PLAIN, knows its
// recipients and refuses on demand, and against Python's smtpd (a third-party server).

import Foundation
import Loopback
import Shared
import TestSupport
import Testing

@Suite("E-mail over SMTP", .ownThread)
struct EmailTests {
    private func fixture(port: UInt16, extra: String = "") throws -> NotifierFixture {
        let f = try NotifierFixture(wecom: false)
        try f.dir.write(
            "config.yaml",
            """
            notify:
              timeout: 10s
              quick_retries: 0
              backoff_min: 200ms
              backoff_max: 1s
              email:
                name: oncall-mail
                url: smtp://127.0.0.1:\(port)
                from: vigil@example.com
                to: [oncall@example.com, lead@example.com]
                starttls: false
            \(extra)
            spool:
              dir: spool
            """)
        return f
    }

    /// The decoded body and the subject of a message the server kept.
    private func decode(_ data: String) -> (subject: String, body: String) {
        let parts = data.components(separatedBy: "\r\n\r\n")
        let headers = parts[0]
        let body = Data(base64Encoded: parts.dropFirst().joined(separator: "\r\n\r\n").replacingOccurrences(of: "\r\n", with: "")).map {
            String(decoding: $0, as: UTF8.self)
        }
        var subject = ""
        for line in headers.components(separatedBy: "\r\n") where line.hasPrefix("Subject: ") || line.hasPrefix(" =?") {
            let words = line.hasPrefix("Subject: ") ? String(line.dropFirst(9)) : String(line.dropFirst())
            for word in words.split(separator: " ") where word.hasPrefix("=?UTF-8?B?") {
                let encoded = word.dropFirst(10).dropLast(2)
                subject += Data(base64Encoded: String(encoded)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            }
        }
        return (subject, body ?? "")
    }

    @Test("the headline is the subject, the report the body; AUTH with the password from the environment")
    func delivered() throws {
        let smtp = try SMTPServer(credentials: ("vigil", "mail-Pa55-word"), recipients: ["oncall@example.com", "lead@example.com"])
        let f = try fixture(port: smtp.port, extra: "    username: vigil\n    password: \"${SMTP_PASSWORD}\"")
        let run = try f.publishAlert(minutes: 0, failures: 2)
        let result = try f.runOnce(["--once"], environment: ["SMTP_PASSWORD": "mail-Pa55-word"])
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(f.sent == ["\(run).alert@oncall-mail.ndjson"])
        let message = try #require(smtp.messages.first)
        #expect(message.from == "vigil@example.com" && message.recipients == ["oncall@example.com", "lead@example.com"] && message.user == "vigil")
        #expect(message.data.contains("\r\nMessage-ID: <alert-\(run).oncall-mail@vigil>\r\n"))
        let (subject, body) = decode(message.data)
        #expect(subject == "[Vigil] 🔴 2 new failures (down)", "\(message.data.prefix(600))")
        #expect(body.hasPrefix("🔴 Vigil: 2 new failures (down)\r\n"), "\(body.prefix(300))")
        #expect(body.contains("New failures (2):\r\n- 接口 0 (user) GET https://api.example.com/api/user/0?id=1: HTTP 500"))
        #expect(body.contains("# 报告 report line with text"), "the report is the body")
        let kept = try f.dir.read("spool/outbox/sent/\(run).alert@oncall-mail.ndjson")
        #expect(!result.stderr.contains("mail-Pa55-word") && !kept.contains("mail-Pa55-word"))
    }

    @Test("a refused login is a misconfigured channel at every attempt; a 451 is tried again, and arrives, in order")
    func refusals() throws {
        let smtp = try SMTPServer(credentials: ("vigil", "right"))
        let f = try fixture(port: smtp.port, extra: "    username: vigil\n    password: wrong")
        try f.publishAlert(minutes: 0)
        for _ in 1...2 {
            let run = try f.runOnce(["--once"])
            #expect(run.stderr.contains("channel oncall-mail is misconfigured: SMTP reply 535"), "\(run.stderr)")
            #expect(f.deferred.count == 1 && smtp.messages.isEmpty)
            for file in f.deferred { try f.spool.deliveries.makeDue(file) }
        }

        let relay = try SMTPServer()
        let g = try fixture(port: relay.port)
        relay.set(.temporaryFailure(1))
        let runs = try [0, 15].map { try g.publishAlert(minutes: $0) }
        let first = try g.runOnce(["--once"])
        #expect(first.stderr.contains("SMTP reply 451"), "\(first.stderr)")
        #expect(g.deferred.count == 2 && relay.messages.isEmpty, "the second waits behind the first")
        for file in g.deferred { try g.spool.deliveries.makeDue(file) }
        #expect(try g.runOnce(["--once"]).exitCode == 0)
        #expect(relay.messages.map { $0.data.contains("X-Vigil-Run: \(runs[0])") } == [true, false])
        #expect(relay.messages.map { $0.data.contains("X-Vigil-Run: \(runs[1])") } == [false, true])
    }

    @Test("Python's smtpd (a third-party server) receives the same message", .enabled(if: pythonHasSMTPD, "needs python3 with smtpd (3.11 or older)"))
    func thirdParty() throws {
        let port = try closedPort()
        let python = try ChildProcess(
            executable: "/usr/bin/env",
            arguments: ["python3", "-u", "-W", "ignore", "-m", "smtpd", "-n", "-c", "DebuggingServer", "127.0.0.1:\(port)"],
            environment: ProcessInfo.processInfo.environment, stdout: .capture, stderr: .discard)
        defer {
            python.signal(SIGTERM)
            _ = python.wait(timeout: 5)
        }
        let f = try fixture(port: port)
        let run = try f.publishAlert(minutes: 0)
        #expect(eventually(timeout: 20) { (try? f.runOnce(["--once"]).exitCode) == 0 && f.sent.count == 1 }, "\(f.deferred)")
        #expect(eventually(timeout: 10) { python.output().contains("X-Vigil-Run: \(run)") }, "\(python.output().prefix(400))")
        #expect(python.output().contains("Subject: =?UTF-8?B?"))
    }
}

/// Whether python3 still has the smtpd module (removed in Python 3.12).
let pythonHasSMTPD: Bool = {
    guard pythonAvailable,
        let child = try? ChildProcess(
            executable: "/usr/bin/env", arguments: ["python3", "-W", "ignore", "-c", "import smtpd"], stdout: .discard, stderr: .discard)
    else { return false }
    return child.wait(timeout: 20) == .exited(0)
}()
