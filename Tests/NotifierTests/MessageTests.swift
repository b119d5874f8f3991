// What a message says, through the real notifier: a headline that speaks of the whole state (🔴 new failures,
// 🟠 recoveries while others still fail, 🟢 only when nothing fails), "failing since … (for …)" and "was down …"
// in the configured time zone, the report as a link, and a late delivery said to be late.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Notifier messages", .ownThread)
struct MessageTests {
    private func transition(_ id: String, _ change: StateChange, since: Date, downSince: Date? = nil) -> Transition {
        var t = Transition(
            id: id, service: "user", name: id, method: "GET", url: "https://api.example.com/\(id)", change: change,
            outcome: change == .recovered ? .ok : .http500, previousOutcome: .http500, status: 500,
            error: change == .recovered ? nil : "HTTP 500 Internal Server Error", since: since)
        t.downSince = downSince
        return t
    }

    @Test("the three headline states, durations in the configured zone, the report as a link, a late delivery marked")
    func headlines() throws {
        let f = try NotifierFixture(notify: "timezone: Asia/Shanghai\nreport_base_url: https://vigil.example.com/reports/")
        let start = Date(timeIntervalSince1970: 1_795_359_600)  // 2026-11-22T15:00:00Z, 23:00 in Shanghai
        try f.publishAlert(
            minutes: 0, severity: .resolved,
            extra: [
                transition("user/orders", .stillFailing, since: start.addingTimeInterval(-12 * 60))
            ])
        try f.publishAlert(minutes: 1, severity: .resolved, extra: [])
        try f.publishAlert(
            minutes: 2, severity: .critical,
            extra: [
                transition("user/cart", .recovered, since: start.addingTimeInterval(120), downSince: start.addingTimeInterval(120 - 7 * 60))
            ])
        #expect(try f.runOnce(["--once"]).exitCode == 0)
        let contents = try f.wecomMessages().compactMap { $0.value(at: "markdown.content")?.text }
        #expect(contents.count == 3)
        #expect(contents[0].hasPrefix("## 🟠 Vigil: 1 recovered, 1 still failing"), "\(contents[0].prefix(80))")
        #expect(contents[0].contains("failing since 22:48 (for 12 min)"), "the zone's clock: \(contents[0])")
        #expect(contents[0].contains("2026-11-22 23:00 GMT+8") || contents[0].contains("2026-11-22 23:00 CST"), "\(contents[0])")
        #expect(contents[1].hasPrefix("## 🟢 Vigil: 1 recovered"), "nothing fails any more: \(contents[1].prefix(80))")
        #expect(contents[2].hasPrefix("## 🔴 Vigil: 1 new failure (down), 1 recovered"), "\(contents[2].prefix(80))")
        #expect(contents[2].contains("was down 7 min"), "\(contents[2])")
        let run = RunID.scheduled(tick: start)
        #expect(contents[0].contains("Report: [\(run)](https://vigil.example.com/reports/runs/\(run).html)"), "\(contents[0])")
        #expect(contents[0].contains("<font color=\"info\">[接口 0](https://vigil.example.com/reports/i/user~api-0.html)</font>"), "\(contents[0])")
        #expect(contents.allSatisfy { $0.contains(" (delayed ") }, "these runs ended long ago: the messages say they are delayed")
    }
}

@Suite("Notifier replay", .ownThread)
struct ReplayMessageTests {
    @Test("replay --sent re-sends marked and without mentions; replay says what it did with each argument")
    func replaySent() throws {
        let f = try NotifierFixture(mentions: "mentioned_list: [zhangsan]\n    mentioned_mobile_list: [\"13800001111\"]")
        let run = try f.publishAlert(minutes: 0)
        #expect(try f.runOnce(["--once"]).exitCode == 0)
        #expect(try f.wecomMessages().count == 2, "first delivery: markdown and the text that pages people")

        let without = try f.run(["replay", run, "alert-nosuchrun"])
        #expect(without.stdout.contains("\(run): already delivered (use --sent to send it again)"), "\(without.stdout)")
        #expect(without.stdout.contains("alert-nosuchrun: unknown"), "\(without.stdout)")
        let replay = try f.run(["replay", run, "--sent"])
        #expect(replay.stdout.contains("\(run): queued"), "\(replay.stdout)")
        #expect(try f.runOnce(["--once"]).exitCode == 0)

        let messages = try f.wecomMessages()
        #expect(messages.count == 3, "the replay is one markdown message: no text follow-up paging people")
        let content = try #require(messages.last?.value(at: "markdown.content")?.text)
        #expect(content.contains(" · re-sent ") && content.contains(", first sent "), "\(content)")
        #expect(!content.contains("<@"), "no mentions unless --mention")
        let state = try f.dir.read("spool/outbox/sent/\(run).alert@wecom.ndjson")
        #expect(state.contains("\"first_delivered_at\":") && state.contains("\"replayed_at\":"), "the first delivery is kept")
        // Every attempt is in the record, in order: delivered, replayed, delivered again.
        let results = state.components(separatedBy: "\"result\":\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(results == ["delivered", "replayed", "delivered"], "\(results)")
    }
}
