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

    /// Where the run's report is: its page on the status site (notify.report_base_url), else its path here.
    func reportLink(_ alert: Alert) -> String {
        reportBaseURL.map { "\($0)/\(SiteLayout.runPage(alert.run))" } ?? alert.reportPath
    }

    /// An interface's page on the status site, when the site is served.
    func interfaceLink(_ id: String) -> String? { reportBaseURL.map { "\($0)/\(SiteLayout.interfacePage(id))" } }

    func clock(_ date: Date, withDate: Bool = false) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = withDate ? "yyyy-MM-dd HH:mm zzz" : "HH:mm"
        return formatter.string(from: date)
    }

    /// "30 s", "7 min", "2 h 5 min", "3 d 4 h".
    static func span(_ seconds: TimeInterval) -> String {
        // Under a minute in seconds: a 30 s outage is neither "0 min" nor "1 min".
        if seconds < 59.5 { return "\(max(0, Int(seconds.rounded()))) s" }
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

    static func title(_ alert: Alert) -> String { alert.headline }

    /// 🔴, 🟠 or 🟢: `Alert.tone`.
    static func icon(_ alert: Alert) -> String { alert.tone.emoji }

    static func markdown(_ alert: Alert, mentionedList: [String], limit: Int = markdownLimit, style: MessageStyle = MessageStyle()) -> String {
        let mentions = mentionedList.filter { $0 != "@all" }.map { "<@\(cut(plain($0), to: 64))>" }.joined(separator: " ")
        return ChatComposer(flavor: .wecom, style: style).compose(alert, mentions: mentions, limit: limit)
    }

    static func plain(_ text: String) -> String { ChatFlavor.strip(text) }

    static func cut(_ text: String, to count: Int) -> String { ChatComposer.cut(text, to: count) }
}
