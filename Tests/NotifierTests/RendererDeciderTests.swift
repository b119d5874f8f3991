// The WeCom renderer in process: whatever the number of failures and the length of their names and errors, the
// markdown stays within WeCom's 4 096 bytes, never cuts a character, and says how many it left out.

import Foundation
import Shared
import TestSupport
import Testing

@testable import notifier

@Suite("WeCom message budget, in process", .ownThread)
struct RendererDeciderTests {
    static func alert(failures: Int, nameLength: Int, gaps: [String]? = nil) -> Alert {
        let start = Date(timeIntervalSince1970: 1_795_359_600)
        let transitions = (0..<failures).map { i in
            Transition(
                id: "svc/api-\(i)", service: "svc", name: String(repeating: "接", count: nameLength) + " \(i)", method: "GET",
                url: "https://api.example.com/\(i)", change: .newFailure, outcome: .http500, previousOutcome: nil, status: 500,
                error: String(repeating: "错误 error ", count: nameLength), since: start)
        }
        var stats = RunStats(
            interfaces: failures + 5, ok: 5, failed: failures, skipped: 0, successRate: 10, p50Ms: 1, p95Ms: 2, p99Ms: 3,
            startedAt: start, finishedAt: start.addingTimeInterval(3), trigger: "schedule", missingShards: [],
            quarantinedLines: 0)
        stats.gaps = gaps
        return Alert(
            run: RunID.scheduled(tick: start), createdAt: start, severity: .critical, reason: gaps == nil ? .change : .incomplete,
            transitions: transitions, stats: stats, reportPath: "/r.md", report: "")
    }

    @Test("within 4 096 bytes, whole characters, the rest counted", arguments: [(1, 3), (40, 10), (400, 60), (5_000, 200)])
    func budget(_ failures: Int, _ nameLength: Int) {
        let text = WeComRenderer.markdown(Self.alert(failures: failures, nameLength: nameLength), mentionedList: ["zhangsan"])
        #expect(text.utf8.count <= WeComRenderer.markdownLimit, "\(text.utf8.count) bytes")
        #expect(String(decoding: Array(text.utf8), as: UTF8.self) == text, "valid UTF-8, no cut character")
        if failures > 40 { #expect(text.contains("more"), "says that some were left out") }
    }

    @Test("the headline says what kind of failure: down, answering errors, a certificate; a certificate alone is no red")
    func kinds() {
        func alert(_ outcomes: [Outcome]) -> Alert {
            var alert = Self.alert(failures: outcomes.count, nameLength: 1)
            alert.transitions = zip(alert.transitions, outcomes).map { transition, outcome in
                var t = transition
                t.outcome = outcome
                return t
            }
            return alert
        }
        #expect(WeComRenderer.title(alert([.http500, .timeout])) == "2 new failures (down)")
        #expect(WeComRenderer.title(alert([.assertion])) == "1 new failure (answering errors)")
        #expect(
            WeComRenderer.title(alert([.assertion, .timeout, .certExpiring])) == "3 new failures (1 down, 1 answering errors, 1 certificate expiring)"
        )
        #expect(WeComRenderer.icon(alert([.certExpiring])) == "🟠")
        #expect(WeComRenderer.icon(alert([.certExpiring, .assertion])) == "🔴")
        let mixed = WeComRenderer.markdown(alert([.assertion, .timeout]), mentionedList: [])
        #expect(mixed.contains("**New failures (2: 1 down, 1 answering errors)**"), "\(mixed)")
        // The assertion came first in the alert; the timeout (down) is listed first.
        let down = mixed.range(of: "</font> `GET /1` timeout")?.lowerBound
        let wrong = mixed.range(of: "</font> `GET /0` assertion failed")?.lowerBound
        #expect(down != nil && wrong != nil && down! < wrong!, "down is listed before answering errors: \(mixed)")
    }

    @Test("a blind gap is the headline of an alert that has nothing else to say")
    func gapHeadline() {
        let sentence = "monitoring was blind from 10:01 to 10:03 (3 runs not recorded: disk full)"
        let alert = Self.alert(failures: 0, nameLength: 1, gaps: [sentence])
        #expect(WeComRenderer.title(alert).contains(sentence), "\(WeComRenderer.title(alert))")
        #expect(WeComRenderer.markdown(alert, mentionedList: []).contains(sentence))
    }
}

@Suite("Delivery back-off, in process", .ownThread)
struct BackoffDeciderTests {
    @Test("30 s doubling to the 30 min cap, each within ±20 % jitter; a peer's Retry-After is obeyed up to the cap")
    func schedule() throws {
        let deferral = Deferral(spool: Spool(root: "/nonexistent"), settings: NotifySettings())
        for (deferrals, base) in [(1, 30.0), (2, 60), (3, 120), (6, 960), (7, 1800), (20, 1800)] {
            for _ in 0..<50 {
                let wait = deferral.backoff(deferrals: deferrals)
                #expect(wait >= base * 0.8 && wait <= base * 1.2, "deferral \(deferrals): \(wait)")
            }
        }
        #expect(deferral.backoff(deferrals: 3, retryAfter: 5) == 5)
        #expect(deferral.backoff(deferrals: 1, retryAfter: 86_400) == 1800)
    }
}

@Suite("WeCom pacing, in process")
struct PacingDeciderTests {
    @Test("wecom_per_minute slots in any 60-second window, and the wait until the oldest frees")
    func window() async {
        let limiter = RateLimiter(perMinute: 2)
        let t0 = Date(timeIntervalSince1970: 1_795_359_600)
        #expect(await limiter.reserve(now: t0) == nil)
        #expect(await limiter.reserve(now: t0 + 10) == nil)
        #expect(await limiter.reserve(now: t0 + 15) == 45)
        #expect(await limiter.reserve(now: t0 + 59.5) == 0.5)
        #expect(await limiter.reserve(now: t0 + 60) == nil, "the first slot is free again")
        #expect(await limiter.reserve(now: t0 + 61) == 9)
        #expect(await limiter.reserve(now: t0 + 70) == nil)
    }
}
