// SiteClock: every time a person reads on the status site, in the configured zone (notify.timezone) with the
// zone named — "2026-11-22 23:00:00 GMT+8" in text (LocalClock, as status, chat and reports write it), "23:00"
// or "11-22 23:00" on a chart's axis, whose caption names the zone (RunLabels formats a write's runs once).
// ISO UTC stays in the spool's files. Not to be shared between threads (DateFormatter).

import Foundation
import Shared

final class SiteClock {
    let timeZone: TimeZone
    private let full: LocalClock
    private let custom: DateFormatter
    private let zone: DateFormatter

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
        custom = formatter("HH:mm")
        zone = formatter("zzz")
    }

    /// "2026-11-22 23:00:00 GMT+8".
    func format(_ date: Date) -> String { full.format(date) }

    /// The zone's name at `date` ("GMT+8", "CET").
    func zoneName(_ date: Date) -> String { zone.string(from: date) }

    /// `date` in the zone as `format` says (a DateFormatter pattern: "HH:mm", "MM-dd HH:mm").
    func string(_ date: Date, _ format: String) -> String {
        if custom.dateFormat != format { custom.dateFormat = format }
        return custom.string(from: date)
    }
}
