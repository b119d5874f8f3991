// LocalClock: the one clock for people. Every time a person reads — status, check's next runs, silences,
// chat, reports, the site — is written in the configured zone (notify.timezone) with the zone named
// (`2026-11-22 23:15:00 GMT+8`). Machine formats (spool records, --json, logs) keep ISO 8601 UTC
// (Timestamp).

import Foundation

/// Formats times for people in one zone, the zone named.
public struct LocalClock {
    private let formatter: DateFormatter
    public let timeZone: TimeZone

    /// `timeZone`: notify.timezone.
    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
        formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss zzz"
    }

    /// `2026-11-22 23:15:00 GMT+8`.
    public func format(_ date: Date) -> String { formatter.string(from: date) }

    /// `format`, or `none` for nil.
    public func format(_ date: Date?, none: String) -> String { date.map(format) ?? none }
}
