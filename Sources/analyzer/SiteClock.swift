// SiteClock: every time a person reads on the status site, in the configured zone (notify.timezone) with the
// zone named — "2026-11-22 23:00:00 GMT+8" in text (LocalClock, as status, chat and reports write it), "23:00"
// or "11-22 23:00" on a chart's axis, whose caption names the zone. ISO UTC stays in the spool's files.
// Not to be shared between threads (DateFormatter).

import Foundation
import Shared

final class SiteClock {
    let timeZone: TimeZone
    private let full: LocalClock
    private let time: DateFormatter
    private let dayTime: DateFormatter
    private let zone: DateFormatter
    private let calendar: Calendar

    init(timeZone: TimeZone) {
        self.timeZone = timeZone
        func formatter(_ format: String) -> DateFormatter {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = timeZone
            f.dateFormat = format
            return f
        }
        full = LocalClock(timeZone: timeZone)
        time = formatter("HH:mm")
        dayTime = formatter("MM-dd HH:mm")
        zone = formatter("zzz")
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
    }

    /// "2026-11-22 23:00:00 GMT+8".
    func format(_ date: Date) -> String { full.format(date) }

    /// The zone's name at `date` ("GMT+8", "CET").
    func zoneName(_ date: Date) -> String { zone.string(from: date) }

    /// Labels for a chart's axis: "23:00" when every date falls on one local day, else "11-22 23:00".
    func axisLabels(_ dates: [Date]) -> [String] {
        guard let first = dates.first, let last = dates.last else { return [] }
        let oneDay = calendar.isDate(first, inSameDayAs: last)
        return dates.map { (oneDay ? time : dayTime).string(from: $0) }
    }
}
