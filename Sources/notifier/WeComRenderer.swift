// WeComRenderer: an alert as a WeCom markdown message within 4 096 bytes: the summary first, then the
// interfaces that changed until the budget is spent, then "…and N more — see report <path>". Every piece is
// a whole line built from fields already cut to a number of characters, so neither a UTF-8 character nor a
// markdown construct is ever cut in half. Mentions (<@userid>) always fit: their room is kept first.

import Foundation
import Shared

/// How messages speak of time and where the report is: the settings of notify, and when the message goes out.
struct MessageStyle: Sendable {
    var timeZone = TimeZone.current
    var reportBaseURL: String?
    /// When the message is sent (to say "sent N min late").
    var now = Date()
    /// Set when an operator re-sends a delivered alert.
    var replay: ReplayMark?

    init(timeZone: TimeZone = .current, reportBaseURL: String? = nil, now: Date = Date()) {
        self.timeZone = timeZone
        self.reportBaseURL = reportBaseURL
        self.now = now
    }

    init(_ notify: NotifySettings, now: Date = Date()) {
        self.init(timeZone: notify.timeZone, reportBaseURL: notify.reportBaseURL, now: now)
    }

    func clock(_ date: Date, withDate: Bool = false) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = withDate ? "yyyy-MM-dd HH:mm zzz" : "HH:mm"
        return formatter.string(from: date)
    }

    /// "7 min", "2 h 5 min", "3 d 4 h".
    static func span(_ seconds: TimeInterval) -> String {
        let minutes = max(0, Int((seconds / 60).rounded()))
        if minutes < 60 { return "\(minutes) min" }
        if minutes < 48 * 60 { return "\(minutes / 60) h" + (minutes % 60 > 0 ? " \(minutes % 60) min" : "") }
        return "\(minutes / 1440) d" + ((minutes % 1440) / 60 > 0 ? " \((minutes % 1440) / 60) h" : "")
    }
}

enum WeComRenderer {
    static let markdownLimit = 4096
    static let textLimit = 2048

    /// The request body of the markdown message.
    static func markdownMessage(_ alert: Alert, mentionedList: [String], style: MessageStyle = MessageStyle()) -> String {
        var out = "{\"msgtype\":\"markdown\",\"markdown\":{\"content\":"
        JSONValue.quote(markdown(alert, mentionedList: mentionedList, style: style), into: &out)
        return out + "}}"
    }

    /// The request body of the follow-up text message that pages people.
    static func mentionMessage(_ alert: Alert, mentionedList: [String], mentionedMobileList: [String]) -> String {
        let content = cut("Vigil: \(title(alert)) — details in the message above.", to: 200)
        let body = JSONValue.object([
            .init(key: "msgtype", value: .string("text")),
            .init(
                key: "text",
                value: .object([
                    .init(key: "content", value: .string(content)),
                    .init(key: "mentioned_list", value: .array(mentionedList.map { .string($0) })),
                    .init(key: "mentioned_mobile_list", value: .array(mentionedMobileList.map { .string($0) })),
                ])),
        ])
        return body.serialized()
    }

    static func title(_ alert: Alert) -> String {
        let failing = alert.transitions.filter { $0.change == .newFailure }
        let newFailures = failing.count
        let recovered = alert.transitions.filter { $0.change == .recovered }.count
        let still = alert.transitions.filter { $0.change == .stillFailing }.count
        // The headline is all a lock screen shows: it speaks of the whole state, not only of what changed.
        let others = still > 0 ? ", \(still) still failing" : ""
        switch alert.reason {
        case .change where newFailures > 0:
            // What kind of failure is the first thing to know: down, or up but answering errors.
            return "\(newFailures) new failure\(newFailures == 1 ? "" : "s") (\(kinds(failing)))" + (recovered > 0 ? ", \(recovered) recovered" : "")
                + others
        case .change: return "\(recovered) recovered" + others
        case .reminder: return "reminder: \(still) still failing"
        case .incomplete where alert.stats.missingShards.isEmpty && !(alert.stats.gaps ?? []).isEmpty:
            // "monitoring was blind from 10:01 to 10:04 (3 runs not recorded: disk full)"
            return alert.stats.gaps![0]
        case .incomplete:
            return "monitoring incomplete (\(alert.stats.missingShards.count) shard\(alert.stats.missingShards.count == 1 ? "" : "s") missing)"
        case .everyRun: return "\(alert.stats.failed) failing in this run"
        }
    }

    /// "down", or "1 down, 2 answering errors" when the failures are of several kinds.
    static func kinds(_ transitions: [Transition]) -> String {
        let kinds = Set(transitions.compactMap(\.outcome.kind))
        return kinds.count == 1 ? kinds.first!.label : FailureKind.counts(transitions.map(\.outcome))
    }

    /// The markdown content, at most `limit` bytes.
    /// 🔴 something newly failed (or fails in an every-run alert); 🟠 a reminder, an incomplete run, or recoveries
    /// while others still fail; 🟢 only when nothing fails.
    static func icon(_ alert: Alert) -> String {
        // A certificate to renew alone is a warning, not an outage.
        let newFailures = alert.transitions.contains { $0.change == .newFailure && $0.outcome.kind != .certificate }
        let stillFailing = alert.transitions.contains { $0.change == .stillFailing } || alert.stats.failed > 0
        if newFailures || (alert.reason == .everyRun && alert.stats.failed > 0) { return "🔴" }
        if alert.severity == .warning || stillFailing { return "🟠" }
        return "🟢"
    }

    static func markdown(_ alert: Alert, mentionedList: [String], limit: Int = markdownLimit, style: MessageStyle = MessageStyle()) -> String {
        let s = alert.stats
        var head = ["## \(icon(alert)) Vigil: \(cut(title(alert), to: 120))"]
        let late = style.now.timeIntervalSince(s.finishedAt)
        let marker: String
        if let replay = style.replay {
            marker = " · re-sent \(style.clock(replay.resentAt))" + (replay.firstSentAt.map { ", first sent \(style.clock($0))" } ?? "")
        } else {
            marker = late > 60 ? " (delayed \(MessageStyle.span(late)))" : ""
        }
        head.append("> Run `\(cut(alert.run, to: 60))` (\(s.trigger)) · \(style.clock(s.startedAt, withDate: true))" + marker)
        head.append(
            "> \(s.ok)/\(s.interfaces) ok · \(s.failed) failed" + (s.skipped > 0 ? " (\(s.skipped) not probed: circuit open)" : "")
                + " · success \(String(format: "%.1f", s.successRate))%")
        for missing in s.missingShards.prefix(3) { head.append("> <font color=\"warning\">shard \(cut(missing, to: 120))</font>") }
        for gap in (s.gaps ?? []).prefix(3) { head.append("> <font color=\"warning\">\(cut(gap, to: 160))</font>") }
        let mentions = mentionedList.filter { $0 != "@all" }.map { "<@\(cut(plain($0), to: 64))>" }.joined(separator: " ")
        let reportName = (alert.reportPath as NSString).lastPathComponent
        let report = style.reportBaseURL.map { "[\(cut(reportName, to: 80))](\($0)/\(reportName))" } ?? cut(alert.reportPath, to: 300)
        let footer = "\nReport: \(report)" + (mentions.isEmpty ? "" : "\n" + mentions)

        // Lines are rendered only while they fit (an alert of 100 000 failures renders a few dozen), and room for
        // the "…and N more" line is always kept, so it fits whenever it is needed.
        let reserve = 64
        var body = head.joined(separator: "\n")
        var used = body.utf8.count
        var shown = 0
        var full = true
        func fits(_ line: String) -> Bool {
            guard full, used + 1 + line.utf8.count + footer.utf8.count + reserve <= limit else {
                full = false
                return false
            }
            body += "\n" + line
            used += 1 + line.utf8.count
            return true
        }
        let groups = [
            (StateChange.newFailure, "New failures", "warning"), (.recovered, "Recovered", "info"), (.stillFailing, "Still failing", "comment"),
        ]
        .map { change, title, color in
            // Down first, then answering errors, certificates, not probed; the analyzer's order within a kind.
            let list = alert.transitions.filter { $0.change == change }.enumerated()
                .sorted { ($0.element.outcome.kind ?? .down, $0.offset) < ($1.element.outcome.kind ?? .down, $1.offset) }.map(\.element)
            return (list, title, color)
        }
        for (list, title, color) in groups where !list.isEmpty {
            let counts = title == "Recovered" || Set(list.compactMap(\.outcome.kind)).count < 2 ? "" : ": " + FailureKind.counts(list.map(\.outcome))
            guard fits(""), fits("**\(title) (\(list.count)\(counts))**") else { break }
            for transition in list {
                guard fits(line(transition, color: color, at: s.startedAt, style: style)) else { break }
                shown += 1
            }
        }
        let itemCount = alert.transitions.count
        if shown < itemCount { body += "\n…and \(itemCount - shown) more — see the report" }
        var message = body + footer
        while message.utf8.count > limit { message.removeLast() }  // unreachable with the reserve above; never cuts a character
        return message
    }

    private static func line(_ t: Transition, color: String, at run: Date, style: MessageStyle) -> String {
        let path = URL(string: t.url).map { $0.path.isEmpty ? "/" : $0.path } ?? t.url
        var text = "- <font color=\"\(color)\">\(cut(plain(t.name), to: 60))</font> `\(t.method) \(cut(plain(path), to: 80))` "
        if t.change == .recovered {
            text += "recovered" + (t.previousOutcome.map { " from \($0.summary)" } ?? "")
        } else {
            // For HTTP outcomes the error ("HTTP 500 Internal Server Error") already says it all.
            if let error = t.error, error.hasPrefix("HTTP ") {
                text += cut(plain(error), to: 160)
            } else {
                text += t.outcome.summary + (t.error.map { ": " + cut(plain($0), to: 160) } ?? "")
            }
        }
        if t.change == .recovered {
            if let down = t.downSince { text += ", was down \(MessageStyle.span(t.since.timeIntervalSince(down)))" }
        } else {
            text += ", failing since \(style.clock(t.since)) (for \(MessageStyle.span(run.timeIntervalSince(t.since))))"
        }
        return text + " (\(cut(plain(t.service), to: 30)))"
    }

    /// Text with characters that would open markdown or tag constructs removed.
    static func plain(_ text: String) -> String {
        String(text.flattenedToOneLine().map { "`<>*_[]".contains($0) ? " " : $0 })
    }

    /// At most `count` characters (never a partial character), with "…" when cut.
    static func cut(_ text: String, to count: Int) -> String {
        text.count <= count ? text : String(text.prefix(count - 1)) + "…"
    }
}
