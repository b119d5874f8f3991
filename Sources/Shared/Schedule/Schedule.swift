// Schedule: when runs start. Ticks are computed from the clock each time (never by adding sleeps), so the
// schedule does not drift over days; an interval is aligned to the local wall clock (15 minutes gives :00,
// :15, :30, :45), a cron expression is evaluated in local time.

import Foundation

extension ScheduleSetting {
    /// The first tick strictly after `date`.
    public func next(after date: Date, timeZone: TimeZone = .current) -> Date? {
        switch self {
        case let .interval(seconds):
            let offset = Double(timeZone.secondsFromGMT(for: date))
            let local = date.timeIntervalSince1970 + offset
            let next = (local / seconds).rounded(.down) * seconds + seconds
            return Date(timeIntervalSince1970: next - offset)
        case let .cron(expression):
            return expression.next(after: date, timeZone: timeZone)
        }
    }

    /// The latest tick at or before `date` (within the last eight days), nil if none.
    public func latest(atOrBefore date: Date, timeZone: TimeZone = .current) -> Date? {
        var found: Date?
        var cursor = date.addingTimeInterval(-8 * 86_400)
        if case let .interval(seconds) = self {
            cursor = date.addingTimeInterval(-seconds - 1)
        }
        while let tick = next(after: cursor, timeZone: timeZone), tick <= date {
            found = tick
            cursor = tick
        }
        return found
    }

    /// The next `count` ticks after `date` (for `orchestrator check`).
    public func upcoming(after date: Date, count: Int, timeZone: TimeZone = .current) -> [Date] {
        var out: [Date] = []
        var cursor = date
        while out.count < count, let tick = next(after: cursor, timeZone: timeZone) {
            out.append(tick)
            cursor = tick
        }
        return out
    }

    /// A warning when the schedule has no run within the next 366 days after `date` (e.g. cron
    /// "* * 31 2 *": February never has a 31st), nil when it runs.
    public func idleWarning(after date: Date, timeZone: TimeZone = .current) -> String? {
        if let tick = next(after: date, timeZone: timeZone), tick.timeIntervalSince(date) <= 366 * 86_400 { return nil }
        return "\(summary) has no run in the next 366 days: no run will start"
    }

    /// `every 15m` or `cron "*/15 * * * *"`.
    public var summary: String {
        switch self {
        case let .interval(seconds): "every \(DurationParser.format(seconds)), aligned to the clock"
        case let .cron(expression): "cron \"\(expression.source)\""
        }
    }
}
