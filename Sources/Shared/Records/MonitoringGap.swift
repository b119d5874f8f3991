// MonitoringGap: scheduled ticks that ran nothing — the run overlapped, the orchestrator was starting up, not
// running, suspended, or the disk was too full to record the run. The orchestrator carries its gaps on the
// next run manifest it can publish, so they reach the report, the run history and the next alert: nobody has
// to guess that monitoring was blind.

import Foundation

public struct MonitoringGap: Codable, Sendable, Equatable {
    public enum Reason: String, Codable, Sendable {
        /// The previous run was still going (runs never overlap). Not blind: that run was still probing.
        case overlap
        /// The tick fell within scheduler.start_delay of start-up.
        case startDelay = "start_delay"
        /// The orchestrator was not running at the tick.
        case notRunning = "not_running"
        /// The orchestrator was not scheduled (SIGSTOP, a suspended machine or VM).
        case suspended
        /// The run's manifest could not be written (spool below min_free, even the reserve).
        case diskFull = "disk_full"
        /// The run's manifest could not be written for another reason (in `detail`).
        case unrecorded
    }

    public var reason: Reason
    /// The first and last skipped tick.
    public var from: Date
    public var to: Date
    /// How many ticks were skipped.
    public var runs: Int
    /// Particulars ("run … still going", "away 212 s").
    public var detail: String?

    public init(reason: Reason, from: Date, to: Date, runs: Int, detail: String? = nil) {
        self.reason = reason
        self.from = from
        self.to = to
        self.runs = runs
        self.detail = detail
    }

    /// Whether monitoring saw nothing during the gap (everything but an overlap).
    public var isBlind: Bool { reason != .overlap }

    public var reasonText: String {
        switch reason {
        case .overlap: "the previous run was still going"
        case .startDelay: "within the start-up delay"
        case .notRunning: "the orchestrator was not running"
        case .suspended: "the orchestrator was suspended"
        case .diskFull: "disk full"
        case .unrecorded: "the run could not be recorded"
        }
    }

    /// "monitoring was blind from 10:01 to 10:04 (4 runs not recorded: disk full)", times in `timeZone`.
    public func sentence(in timeZone: TimeZone) -> String {
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = timeZone
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        format.dateFormat = calendar.isDate(from, inSameDayAs: to) ? "HH:mm" : "yyyy-MM-dd HH:mm"
        let span = runs == 1 ? "at \(format.string(from: from))" : "from \(format.string(from: from)) to \(format.string(from: to))"
        let what = isBlind ? "monitoring was blind" : "scheduled runs were skipped"
        return "\(what) \(span) (\(runs) run\(runs == 1 ? "" : "s") not recorded: \(reasonText)\(detail.map { "; \($0)" } ?? ""))"
    }

    /// Adds a skipped tick to `gaps`, extending the last gap when it has the same reason.
    public static func record(_ tick: Date, reason: Reason, detail: String? = nil, into gaps: inout [MonitoringGap]) {
        if let last = gaps.last, last.reason == reason, last.to <= tick {
            gaps[gaps.count - 1].to = tick
            gaps[gaps.count - 1].runs += 1
            if let detail { gaps[gaps.count - 1].detail = detail }
        } else {
            gaps.append(MonitoringGap(reason: reason, from: tick, to: tick, runs: 1, detail: detail))
        }
        // Bounded: a machine suspended for a month keeps its first and last gaps, merged in the middle.
        if gaps.count > 50 {
            let merged = MonitoringGap(
                reason: gaps[1].reason, from: gaps[1].from, to: gaps[gaps.count - 2].to,
                runs: gaps[1..<(gaps.count - 1)].reduce(0) { $0 + $1.runs }, detail: "several causes")
            gaps = [gaps[0], merged, gaps[gaps.count - 1]]
        }
    }
}
