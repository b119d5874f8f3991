// Cron: five-field cron expressions (minute hour day-of-month month day-of-week) with lists, ranges, steps,
// month and day names, Sunday as 0 or 7, and the @hourly/@daily/… macros. As in Vixie cron, when both the
// day of month and the day of week are restricted (do not start with "*"), a day matching either one runs;
// otherwise a day must match both. Steps run from 1 to the field's largest value.

import Foundation

/// A parsed cron expression.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    public let source: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    /// 0 = Sunday … 6 = Saturday (7 folded into 0).
    let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    public var description: String { source }

    /// Why an expression was refused.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    private static let macros = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    private static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    public init(parsing text: String) throws {
        source = text
        let expanded = CronExpression.macros[text.lowercased().trimming(" ")] ?? text
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(
                message: "expected five fields (minute hour day-of-month month day-of-week) such as "
                    + "\"*/15 * * * *\", found \(fields.count) in \"\(text)\"")
        }
        minutes = try CronExpression.field(fields[0], "minute", 0...59, names: [])
        hours = try CronExpression.field(fields[1], "hour", 0...23, names: [])
        daysOfMonth = try CronExpression.field(fields[2], "day of month", 1...31, names: [])
        months = try CronExpression.field(fields[3], "month", 1...12, names: CronExpression.monthNames, nameBase: 1)
        daysOfWeek = Set(try CronExpression.field(fields[4], "day of week", 0...7, names: CronExpression.dayNames).map { $0 % 7 })
        // Vixie cron's rule: a field that starts with "*" (also "*/2") is "unrestricted" for the OR below.
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
    }

    private static func field(
        _ text: String, _ what: String, _ range: ClosedRange<Int>, names: [String],
        nameBase: Int = 0
    ) throws -> Set<Int> {
        func value(_ token: Substring) throws -> Int {
            if let n = Int(token), range.contains(n) { return n }
            if let i = names.firstIndex(of: token.lowercased()) { return i + nameBase }
            throw ParseError(
                message: "\(what): expected a number from \(range.lowerBound) to \(range.upperBound)"
                    + (names.isEmpty ? "" : " or a name such as \(names[0].uppercased())") + ", found \"\(token)\"")
        }
        var result = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { throw ParseError(message: "\(what): empty list item in \"\(text)\"") }
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw ParseError(message: "\(what): more than one / in \"\(part)\"") }
            var step = 1
            if pieces.count == 2 {
                // A step beyond the field's largest value would select only the first value ("*/61" is minute 0).
                guard let s = Int(pieces[1]), (1...range.upperBound).contains(s) else {
                    throw ParseError(message: "\(what): expected a step from 1 to \(range.upperBound) after /, found \"\(pieces[1])\"")
                }
                step = s
            }
            let base = pieces[0]
            var low: Int
            var high: Int
            if base == "*" {
                low = range.lowerBound
                high = range.upperBound
            } else if let dash = base.firstIndex(of: "-") {
                low = try value(base[..<dash])
                high = try value(base[base.index(after: dash)...])
                guard low <= high else { throw ParseError(message: "\(what): range \(base) runs backwards") }
            } else {
                low = try value(base)
                high = pieces.count == 2 ? range.upperBound : low
            }
            result.formUnion(stride(from: low, through: high, by: step))
        }
        return result
    }

    /// Vixie cron: when both day fields are restricted, a day matching either runs; otherwise both must match
    /// (so "*/2" in the day of month still means every other day).
    private func dayMatches(day: Int, weekday: Int) -> Bool {
        let domMatch = daysOfMonth.contains(day)
        let dowMatch = daysOfWeek.contains(weekday)
        return dayOfMonthRestricted && dayOfWeekRestricted ? domMatch || dowMatch : domMatch && dowMatch
    }

    /// The first time strictly after `date` that matches, in `timeZone`; nil if none within eight years
    /// (e.g. "0 0 30 2 *": February 30th never comes).
    public func next(after date: Date, timeZone: TimeZone = .current) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date.addingTimeInterval(60))
        c.second = 0
        let limit = (c.year ?? 0) + 8
        while c.year! <= limit {
            guard isRunDay(&c, calendar: calendar) else { continue }
            guard let hour = hours.sorted().first(where: { $0 >= c.hour! }) else {
                Self.startNextDay(&c)
                continue
            }
            if hour != c.hour {
                c.hour = hour
                c.minute = 0
            }
            guard let minute = minutes.sorted().first(where: { $0 >= c.minute! }) else {
                c.hour! += 1
                c.minute = 0
                if c.hour! > 23 { Self.startNextDay(&c) }
                continue
            }
            c.minute = minute
            guard let result = calendar.date(from: c) else { return nil }
            // A local time skipped by a DST jump resolves to a later instant; a repeated one may resolve
            // earlier than `date`: step on in that case.
            if result <= date {
                c.minute! += 1
                continue
            }
            return result
        }
        return nil
    }

    /// Whether the day of `c` is one the schedule runs on (its month, a day the month has, its day fields);
    /// when it is not, `c` moves on to the start of the next day or month to try.
    private func isRunDay(_ c: inout DateComponents, calendar: Calendar) -> Bool {
        if !months.contains(c.month!) {
            Self.startNextMonth(&c)
            return false
        }
        let daysInMonth = calendar.range(
            of: .day, in: .month,
            for: calendar.date(from: DateComponents(year: c.year, month: c.month, day: 1))!)!.count
        if c.day! > daysInMonth {
            Self.startNextMonth(&c)
            return false
        }
        let weekday =
            calendar.component(
                .weekday,
                from: calendar.date(
                    from: DateComponents(
                        year: c.year, month: c.month,
                        day: c.day, hour: 12))!) - 1
        if !dayMatches(day: c.day!, weekday: weekday) {
            Self.startNextDay(&c)
            return false
        }
        return true
    }

    /// Midnight at the start of the month after `c`'s.
    private static func startNextMonth(_ c: inout DateComponents) {
        c.month! += 1
        if c.month! > 12 {
            c.month = 1
            c.year! += 1
        }
        c.day = 1
        c.hour = 0
        c.minute = 0
    }

    /// Midnight at the start of the day after `c`'s (which may be past the month's end: the next pass moves on).
    private static func startNextDay(_ c: inout DateComponents) {
        c.day! += 1
        c.hour = 0
        c.minute = 0
    }
}
