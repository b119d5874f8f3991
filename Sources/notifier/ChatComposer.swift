// ChatComposer: an alert as one chat message within a byte budget, in the markup of each chat tool (WeCom
// and DingTalk markdown, Feishu's lark_md, Slack's mrkdwn): the headline and the run's figures first, then the
// interfaces that changed — down first, then answering errors, certificates — until the budget is spent,
// then "…and N more — see the report". Every piece is a whole line built from fields already cut to a number
// of characters, so neither a UTF-8 character nor a markup construct is ever cut in half; the room for the
// footer (report link, mentions) is kept first, so mentions always fit.

import Foundation
import Shared

/// The markup of one chat tool.
struct ChatFlavor: Sendable {
    /// Before the headline (`## `); nil when the tool shows the title elsewhere (a card header).
    let titlePrefix: String?
    /// A quoted summary line.
    let quote: String
    let bold: @Sendable (String) -> String
    /// Method and path.
    let code: @Sendable (String) -> String
    /// An interface's name in the colour of its group (warning, info, comment).
    let colored: @Sendable (String, String) -> String
    /// A monitoring problem (missing shard, blind gap).
    let warning: @Sendable (String) -> String
    let link: @Sendable (_ text: String, _ url: String) -> String
    /// User text made inert: characters that would open markup removed or escaped.
    let plain: @Sendable (String) -> String

    static func strip(_ text: String) -> String {
        String(text.flattenedToOneLine().map { "`<>*_[]".contains($0) ? " " : $0 })
    }

    static let wecom = ChatFlavor(
        titlePrefix: "## ", quote: "> ", bold: { "**\($0)**" }, code: { "`\($0)`" },
        colored: { "<font color=\"\($1)\">\($0)</font>" }, warning: { "<font color=\"warning\">\($0)</font>" },
        link: { "[\($0)](\($1))" }, plain: strip)

    /// DingTalk markdown: headings, bold, links, lists, quotes; no inline code, no colours.
    static let dingtalk = ChatFlavor(
        titlePrefix: "### ", quote: "> ", bold: { "**\($0)**" }, code: { $0 }, colored: { text, _ in "**\(text)**" },
        warning: { "⚠️ \($0)" }, link: { "[\($0)](\($1))" }, plain: strip)

    /// Feishu lark_md inside a card (the card's header carries the title).
    static let lark = ChatFlavor(
        titlePrefix: nil, quote: "", bold: { "**\($0)**" }, code: { $0 },
        colored: { text, color in "<font color='\(color == "warning" ? "red" : color == "info" ? "green" : "grey")'>\(text)</font>" },
        warning: { "<font color='orange'>\($0)</font>" }, link: { "[\($0)](\($1))" }, plain: strip)

    /// Slack mrkdwn (the header block carries the title): &, < and > escaped.
    static let slack = ChatFlavor(
        titlePrefix: nil, quote: "> ", bold: { "*\($0)*" }, code: { "`\($0)`" }, colored: { text, _ in "*\(text)*" },
        warning: { ":warning: \($0)" }, link: { "<\($1)|\($0)>" },
        plain: { text in
            String(text.flattenedToOneLine().map { "`*_~".contains($0) ? " " : $0 })
                .replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        })
}

struct ChatComposer {
    let flavor: ChatFlavor
    let style: MessageStyle

    /// The message in at most `limit` bytes; `mentions` (already in the tool's markup) close it.
    func compose(_ alert: Alert, mentions: String, limit: Int) -> String {
        let s = alert.stats
        let head = headLines(alert)
        let report =
            style.reportBaseURL != nil
            ? flavor.link(cut(flavor.plain(alert.run), to: 80), style.reportLink(alert)) : cut(flavor.plain(alert.reportPath), to: 300)
        let footer = "\nReport: \(report)" + (mentions.isEmpty ? "" : "\n" + mentions)

        // Lines are rendered only while they fit (an alert of 100 000 failures renders a few dozen), and room for
        // the "…and N more" line is always kept, so it fits whenever it is needed.
        var budget = LineBudget(text: head.joined(separator: "\n"), limit: limit, kept: footer.utf8.count + 64)
        var shown = 0
        for (list, title, color, change) in ChatComposer.groups(alert) where alert.count(of: change) > 0 {
            // Counted with the interfaces a mass outage's alert leaves out of its list.
            let outcomes = alert.outcomes(of: change)
            let counts = title == "Recovered" || Set(outcomes.compactMap(\.kind)).count < 2 ? "" : ": " + FailureKind.counts(outcomes)
            guard budget.add(""), budget.add(flavor.bold("\(title) (\(outcomes.count)\(counts))")) else { break }
            for transition in list {
                guard budget.add(line(transition, color: color, at: s.startedAt)) else { break }
                shown += 1
            }
        }
        var body = budget.text
        let itemCount = alert.transitions.count + (alert.omitted ?? []).reduce(0) { $0 + $1.count }
        if shown < itemCount { body += "\n…and \(itemCount - shown) more — see the report" }
        var message = body + footer
        while message.utf8.count > limit { message.removeLast() }  // unreachable with the reserve above; never cuts a character
        return message
    }

    /// The headline, the run and its figures, and up to three of each monitoring problem (missing shards, gaps,
    /// blind probers, pool problems).
    private func headLines(_ alert: Alert) -> [String] {
        let s = alert.stats
        var head: [String] = []
        if let prefix = flavor.titlePrefix { head.append(prefix + "\(alert.tone.emoji) Vigil: \(cut(flavor.plain(alert.headline), to: 120))") }
        head.append(
            flavor.quote + "Run \(flavor.code(cut(flavor.plain(alert.run), to: 60))) (\(s.trigger)) · \(style.clock(s.startedAt, withDate: true))"
                + sentMarker(s))
        if let why = s.nothingProbed {
            head.append(flavor.quote + flavor.warning("nothing probed: \(why)"))
        } else {
            head.append(
                flavor.quote + "\(s.ok)/\(s.interfaces) ok · \(s.failed) failed" + (s.skipped > 0 ? " (\(s.skipped) not probed)" : "")
                    + " · success \(String(format: "%.1f", s.successRate))%")
        }
        for missing in s.missingShards.prefix(3) { head.append(flavor.quote + flavor.warning("shard \(cut(flavor.plain(missing), to: 120))")) }
        for gap in (s.gaps ?? []).prefix(3) { head.append(flavor.quote + flavor.warning(cut(flavor.plain(gap), to: 160))) }
        for blind in (s.blind ?? []).prefix(3) { head.append(flavor.quote + flavor.warning(cut(flavor.plain(blind), to: 240))) }
        for problem in (s.pool ?? []).prefix(3) { head.append(flavor.quote + flavor.warning(cut(flavor.plain(problem), to: 200))) }
        return head
    }

    /// " · re-sent …" for a replayed alert, " (delayed …)" for one sent more than a minute after its run, else "".
    private func sentMarker(_ s: RunStats) -> String {
        let late = style.now.timeIntervalSince(s.finishedAt)
        if let replay = style.replay {
            return " · re-sent \(style.clock(replay.resentAt))" + (replay.firstSentAt.map { ", first sent \(style.clock($0))" } ?? "")
        }
        return late > 60 ? " (delayed \(MessageStyle.span(late)))" : ""
    }

    /// New failures, recoveries, still failing; within each, down first, then answering errors, certificates,
    /// not probed, in the analyzer's order within a kind.
    static func groups(_ alert: Alert) -> [(list: [Transition], title: String, color: String, change: StateChange)] {
        [(StateChange.newFailure, "New failures", "warning"), (.recovered, "Recovered", "info"), (.stillFailing, "Still failing", "comment")]
            .map { change, title, color in
                let list = alert.transitions.filter { $0.change == change }.enumerated()
                    .sorted { ($0.element.outcome.kind ?? .down, $0.offset) < ($1.element.outcome.kind ?? .down, $1.offset) }.map(\.element)
                return (list, title, color, change)
            }
    }

    private func line(_ t: Transition, color: String, at run: Date) -> String {
        let path = URL(string: t.url).map { $0.path.isEmpty ? "/" : $0.path } ?? t.url
        // With the status site served, each interface links to its page.
        let name = cut(flavor.plain(t.name), to: 60)
        let linked = flavor.colored(style.interfaceLink(t.id).map { flavor.link(name, $0) } ?? name, color)
        var text = "- \(linked) \(flavor.code("\(t.method) \(cut(flavor.plain(path), to: 80))")) "
        if t.change == .recovered {
            text += "recovered" + (t.previousOutcome.map { " from \($0.summary)" } ?? "")
        } else if let error = t.error, error.hasPrefix("HTTP ") {
            // For HTTP outcomes the error ("HTTP 500 Internal Server Error") already says it all.
            text += cut(flavor.plain(error), to: 160)
        } else {
            text += t.outcome.summary + (t.error.map { ": " + cut(flavor.plain($0), to: 160) } ?? "")
        }
        if t.change == .recovered {
            if let down = t.downSince { text += ", was down \(MessageStyle.span(t.since.timeIntervalSince(down)))" }
        } else {
            text += ", failing since \(style.clock(t.since)) (for \(MessageStyle.span(run.timeIntervalSince(t.since))))"
        }
        return text + " (\(cut(flavor.plain(t.service), to: 30)))"
    }

    /// At most `count` characters (never a partial character), with "…" when cut.
    static func cut(_ text: String, to count: Int) -> String {
        text.count <= count ? text : String(text.prefix(count - 1)) + "…"
    }

    private func cut(_ text: String, to count: Int) -> String { ChatComposer.cut(text, to: count) }
}

/// A message's lines while they fit: `kept` bytes stay free after the last one (the footer and the "…and N more"
/// line), and once one line did not fit no later one is added.
private struct LineBudget {
    private(set) var text: String
    let limit: Int
    let kept: Int
    private var used: Int
    private var full = true

    init(text: String, limit: Int, kept: Int) {
        self.text = text
        self.limit = limit
        self.kept = kept
        used = text.utf8.count
    }

    /// Adds `line` when it fits; false, and nothing is added from then on, when it does not.
    mutating func add(_ line: String) -> Bool {
        guard full, used + 1 + line.utf8.count + kept <= limit else {
            full = false
            return false
        }
        text += "\n" + line
        used += 1 + line.utf8.count
        return true
    }
}
