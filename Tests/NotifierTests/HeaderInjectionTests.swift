// A run id with CR LF in an alert (issue 29), through the real notifier and a loopback SMTP server: the alert is
// quarantined with the reason when it is read, no message carries an injected header; and the message builder
// itself escapes a control character in any header value it is given.

import Foundation
import Loopback
import TestSupport
import Testing

@testable import Shared
@testable import notifier

@Suite("E-mail header injection", .ownThread)
struct HeaderInjectionTests {
    private func alert(run: String) -> Alert {
        let start = Date().addingTimeInterval(-60)
        let stats = RunStats(
            interfaces: 1, ok: 0, failed: 1, skipped: 0, successRate: 0, p50Ms: nil, p95Ms: nil, p99Ms: nil, startedAt: start,
            finishedAt: start.addingTimeInterval(5), trigger: "schedule", missingShards: [], quarantinedLines: 0)
        let down = Transition(
            id: "user/api", service: "user", name: "api", method: "GET", url: "https://api.example.com/api", change: .newFailure,
            outcome: .http500, previousOutcome: nil, status: 500, error: "HTTP 500", since: start)
        return Alert(
            run: run, createdAt: Date(), severity: .critical, reason: .change, transitions: [down], stats: stats,
            reportPath: "reports/x.md", report: "# report\n")
    }

    @Test("an alert whose run id holds CR LF is quarantined unread by the SMTP server: no header is injected")
    func crlfRunID() throws {
        let smtp = try SMTPServer()
        let f = try NotifierFixture(wecom: false)
        try f.dir.write(
            "config.yaml",
            """
            notify:
              timeout: 10s
              quick_retries: 0
              email:
                name: oncall-mail
                url: smtp://127.0.0.1:\(smtp.port)
                from: vigil@example.com
                to: [oncall@example.com]
                starttls: false
            spool:
              dir: spool
            """)
        // Stamped now (to the second): an alert past notify.max_age would be refused for its age, not its header.
        let good = RunID.scheduled(tick: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
        let hostile = alert(run: good + "\r\nBcc: mallory\r\nX-Injected: yes")
        try f.spool.outbox.publish(name: RunFileName.alert(run: good), bytes: try RecordCoding.encode(hostile) + [10])

        let run = try f.runOnce(["--once"])
        #expect(smtp.messages.allSatisfy { !$0.data.contains("\r\nBcc:") && !$0.data.contains("X-Injected") }, "\(smtp.messages.map(\.data))")
        #expect(smtp.messages.isEmpty, "the hostile alert was sent")
        let reasons = try FileIO.listIfPresent(f.spool.quarantine.directory).filter { $0.hasSuffix(".reason") }.map {
            try f.dir.read("spool/quarantine/" + $0)
        }
        #expect(reasons.count == 1 && reasons[0].contains("a control character (U+000D)"), "\(reasons) \(run.stderr)")
    }

    @Test("the message builder escapes CR and LF in any header value (a run id that got past its reader)")
    func builderEscapes() {
        let channel = EmailChannel(
            settings: EmailSettings(name: "mail", url: "smtp://127.0.0.1:25", from: "vigil@example.com", to: ["a@example.com"]),
            timeout: 5)
        let text = String(decoding: channel.message(for: alert(run: "20261122T150000Z-tick\r\nBcc: mallory"), replay: nil), as: UTF8.self)
        let headers = text.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
        #expect(!headers.contains { $0.hasPrefix("Bcc:") }, "\(headers)")
        #expect(headers.contains { $0.hasPrefix("X-Vigil-Run: 20261122T150000Z-tick\\u{D}\\u{A}Bcc: mallory") }, "\(headers)")
    }
}
