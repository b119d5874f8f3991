// What a message says, through the real notifier: a headline that speaks of the whole state (🔴 new failures,
// 🟠 recoveries while others still fail, 🟢 only when nothing fails), "failing since … (for …)" and "was down …"
// in the configured time zone, the report as a link, and a late delivery said to be late.

import Foundation
import Shared
import Testing
import TestSupport

@Suite("Notifier messages")
struct MessageTests {
    private func transition(_ id: String, _ change: StateChange, since: Date, downSince: Date? = nil) -> Transition {
        var t = Transition(id: id, service: "user", name: id, method: "GET", url: "https://api.example.com/\(id)", change: change,
                           outcome: change == .recovered ? .ok : .http500, previousOutcome: .http500, status: 500,
                           error: change == .recovered ? nil : "HTTP 500 Internal Server Error", since: since)
        t.downSince = downSince
        return t
    }

    @Test("the three headline states, durations in the configured zone, the report as a link, a late delivery marked")
    func headlines() throws {
        let f = try NotifierFixture(notify: "timezone: Asia/Shanghai\nreport_base_url: https://vigil.example.com/reports/")
        let start = Date(timeIntervalSince1970: 1_795_359_600)  // 2026-11-22T15:00:00Z, 23:00 in Shanghai
        try f.publishAlert(minutes: 0, severity: .resolved, extra: [
            transition("user/orders", .stillFailing, since: start.addingTimeInterval(-12 * 60)),
        ])
        try f.publishAlert(minutes: 1, severity: .resolved, extra: [])
        try f.publishAlert(minutes: 2, severity: .critical, extra: [
            transition("user/cart", .recovered, since: start.addingTimeInterval(120), downSince: start.addingTimeInterval(120 - 7 * 60)),
        ])
        #expect(try f.runOnce(["--once"]).exitCode == 0)
        let contents = try f.wecomMessages().compactMap { $0.value(at: "markdown.content")?.text }
        #expect(contents.count == 3)
        #expect(contents[0].hasPrefix("## 🟠 Vigil: 1 recovered, 1 still failing"), "\(contents[0].prefix(80))")
        #expect(contents[0].contains("failing since 22:48 (for 12 min)"), "the zone's clock: \(contents[0])")
        #expect(contents[0].contains("2026-11-22 23:00 GMT+8") || contents[0].contains("2026-11-22 23:00 CST"), "\(contents[0])")
        #expect(contents[1].hasPrefix("## 🟢 Vigil: 1 recovered"), "nothing fails any more: \(contents[1].prefix(80))")
        #expect(contents[2].hasPrefix("## 🔴 Vigil: 1 new failure, 1 recovered"), "\(contents[2].prefix(80))")
        #expect(contents[2].contains("was down 7 min"), "\(contents[2])")
        let run = RunID.scheduled(tick: start)
        #expect(contents[0].contains("Report: [\(run).md](https://vigil.example.com/reports/\(run).md)"), "\(contents[0])")
        #expect(contents.allSatisfy { $0.contains(" late") }, "these runs ended long ago: the messages say they come late")
    }
}
