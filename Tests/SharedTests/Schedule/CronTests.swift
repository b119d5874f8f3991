// Cron expressions against a table of next times (UTC), and interval ticks aligned to the wall clock.

import Foundation
import Shared
import TestSupport
import Testing

private func utc(_ text: String) -> Date { Timestamp.parse(text)! }
private let utcZone = TimeZone(identifier: "UTC")!

@Suite("Schedule", .ownThread)
struct CronTests {
    @Test(
        "next run times",
        arguments: [
            ("*/15 * * * *", "2026-11-22T15:07:00Z", "2026-11-22T15:15:00Z"),
            ("*/15 * * * *", "2026-11-22T15:45:00Z", "2026-11-22T16:00:00Z"),
            ("0 0 * * *", "2026-12-31T23:59:00Z", "2027-01-01T00:00:00Z"),
            ("0 0 31 * *", "2026-11-01T00:00:00Z", "2026-12-31T00:00:00Z"),  // November has no 31st
            ("0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"),  // leap day
            ("0 12 * * 0", "2026-11-22T12:00:00Z", "2026-11-29T12:00:00Z"),  // Sunday as 0 (22nd is a Sunday)
            ("0 12 * * 7", "2026-11-23T00:00:00Z", "2026-11-29T12:00:00Z"),  // Sunday as 7
            ("0 12 * * SUN", "2026-11-23T00:00:00Z", "2026-11-29T12:00:00Z"),
            ("30 9-17/4 * * 1-5", "2026-11-20T17:31:00Z", "2026-11-23T09:30:00Z"),  // Fri after hours → Monday
            ("0 8,12,18 * * *", "2026-11-22T12:00:00Z", "2026-11-22T18:00:00Z"),
            ("0 0 1 jan,jul *", "2026-07-02T00:00:00Z", "2027-01-01T00:00:00Z"),
            ("0 0 13 * 5", "2026-11-14T00:00:00Z", "2026-11-20T00:00:00Z"),  // day-of-month OR Friday
            ("@hourly", "2026-11-22T15:00:00Z", "2026-11-22T16:00:00Z"),
            ("59 23 L * *".replacingOccurrences(of: "L", with: "28-31"), "2026-02-27T00:00:00Z", "2026-02-28T23:59:00Z"),
            ("5/20 * * * *", "2026-11-22T15:06:00Z", "2026-11-22T15:25:00Z"),
        ])
    func nextTimes(_ expression: String, _ after: String, _ expected: String) throws {
        let cron = try CronExpression(parsing: expression)
        #expect(cron.next(after: utc(after), timeZone: utcZone) == utc(expected), "\(expression) after \(after)")
    }

    @Test(
        "invalid expressions say what is wrong",
        arguments: [
            ("* * * *", "five fields"), ("60 * * * *", "minute"), ("* 24 * * *", "hour"), ("* * 0 * *", "day of month"),
            ("* * * 13 *", "month"), ("* * * * 8", "day of week"), ("*/0 * * * *", "step"), ("5-1 * * * *", "backwards"),
        ])
    func invalid(_ expression: String, _ phrase: String) {
        do {
            _ = try CronExpression(parsing: expression)
            Issue.record("\(expression) parsed")
        } catch {
            #expect("\(error)".contains(phrase), "\(error)")
        }
    }

    @Test("an impossible date has no next time")
    func never() throws {
        #expect(try CronExpression(parsing: "0 0 30 2 *").next(after: utc("2026-01-01T00:00:00Z"), timeZone: utcZone) == nil)
    }

    @Test("intervals align to the wall clock, computed from the clock and not by adding sleeps")
    func intervalAlignment() {
        let every15 = ScheduleSetting.interval(900)
        #expect(every15.next(after: utc("2026-11-22T15:07:13Z"), timeZone: utcZone) == utc("2026-11-22T15:15:00Z"))
        #expect(every15.next(after: utc("2026-11-22T15:15:00Z"), timeZone: utcZone) == utc("2026-11-22T15:30:00Z"))
        // In a zone 5h45 ahead of UTC, :00 :15 :30 :45 are local quarters.
        let nepal = TimeZone(secondsFromGMT: 5 * 3600 + 45 * 60)!
        #expect(every15.next(after: utc("2026-11-22T15:07:13Z"), timeZone: nepal) == utc("2026-11-22T15:15:00Z"))
        let hourly = ScheduleSetting.interval(3600)
        #expect(hourly.next(after: utc("2026-11-22T15:07:13Z"), timeZone: nepal) == utc("2026-11-22T15:15:00Z"))
        // Drift-free: a thousand ticks later the schedule is still on quarter hours.
        let ticks = every15.upcoming(after: utc("2026-11-22T15:07:13Z"), count: 1000, timeZone: utcZone)
        #expect(ticks.last == utc("2026-11-22T15:15:00Z").addingTimeInterval(999 * 900))
        #expect(ticks.allSatisfy { Int($0.timeIntervalSince1970) % 900 == 0 })
    }
}
