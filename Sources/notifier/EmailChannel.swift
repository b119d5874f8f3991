// EmailChannel: an alert as an e-mail over SMTP (libcurl): the headline as the subject, then the run's figures,
// the report's link and the report itself (Markdown) as the body. Base64 body and an encoded-word subject, so
// any UTF-8 passes any server. A refused login or a rejected address is a misconfigured channel; a 4xx reply
// or a lost connection is tried again later; a message too large for the server goes to failed/.

import Foundation
import Shared

struct EmailChannel: Channel {
    let settings: EmailSettings
    let timeout: TimeInterval
    var style = MessageStyle()
    var name: String { settings.name }
    let reachesTeam = true

    /// The report is cut here: a message stays well under common 10 MB limits.
    static let reportLimit = 1 << 20

    /// The RFC 5322 message, CRLF line ends.
    func message(for alert: Alert, replay: ReplayMark?, now: Date = Date()) -> [UInt8] {
        let subject = "[Vigil] \(alert.tone.emoji) \(alert.headline)" + (replay == nil ? "" : " (re-sent)")
        let link = style.reportLink(alert)
        var body = "\(alert.tone.emoji) Vigil: \(alert.headline)\n\n"
        body += "Run \(alert.run) (\(alert.stats.trigger)) · \(style.clock(alert.stats.startedAt, withDate: true))\n"
        body += "\(alert.stats.ok)/\(alert.stats.interfaces) ok · \(alert.stats.failed) failed\n"
        for (list, title, _, change) in ChatComposer.groups(alert) where alert.count(of: change) > 0 {
            let total = alert.count(of: change)
            body += "\n\(title) (\(total)):\n"
            for t in list {
                body +=
                    "- \(t.name) (\(t.service)) \(t.method) \(t.url): "
                    + (t.change == .recovered ? "recovered" : t.outcome.summary + (t.error.map { " — " + $0.flattenedToOneLine() } ?? "")) + "\n"
            }
            if total > list.count { body += "- … and \(total - list.count) more (the report lists them)\n" }
        }
        body += "\nReport: \(link)\n\n"
        let report = Array(alert.report.utf8)
        body += String(decoding: report.prefix(Self.reportLimit), as: UTF8.self)
        if report.count > Self.reportLimit { body += "\n… (the report is cut here; the whole report: \(link))\n" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = style.timeZone
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        // The run id was checked when the alert was read (RecordName); escaping every value here as well keeps a
        // CR or LF from any source (a hand-made alert, a config value) from starting a header of its own. The
        // subject is an encoded word (folded with CRLF and a space) whenever it holds a control character.
        var headers = [
            "Date: \(formatter.string(from: now))", "From: \(settings.from)", "To: \(settings.to.joined(separator: ", "))",
            "Message-ID: <\(alert.id).\(settings.name)@vigil>", "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", "X-Vigil-Run: \(alert.run)",
        ].map { TerminalText.escape($0, keepingNewlines: false) }
        headers.insert("Subject: \(Self.encodedWord(subject))", at: 3)
        var lines = headers + [""]
        let encoded = Base64.encode(Array(body.replacingOccurrences(of: "\n", with: "\r\n").utf8))
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(String(encoded[index..<end]))
            index = end
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    /// RFC 2047: `=?UTF-8?B?…?=` for a header that is not plain ASCII, in pieces of at most 75 characters.
    static func encodedWord(_ text: String) -> String {
        guard !text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 }) else { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            // 45 bytes encode to 60 characters: with "=?UTF-8?B?" and "?=", 72 ≤ 75.
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?\(Base64.encode(chunk))?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Base64.encode(chunk))?=") }
        return words.joined(separator: "\r\n ")
    }

    func deliver(_ alert: Alert, fromPart part: Int, replay: ReplayMark?, stop: @escaping @Sendable () -> Bool) async -> AttemptResult {
        let envelope = SMTP.Envelope(
            url: settings.url, from: settings.from, recipients: settings.to, username: settings.username, password: settings.password,
            caFile: settings.caFile, requireTLS: settings.startTLS && settings.url.lowercased().hasPrefix("smtp://"), timeout: timeout)
        let outcome = await SMTP.send(message(for: alert, replay: replay), envelope: envelope)
        if outcome.succeeded { return .delivered(partsSent: 1) }
        let text = Redactor.redact("SMTP \(outcome.reply > 0 ? "reply \(outcome.reply): " : "")\(outcome.message)")
        switch outcome.code {
        case 67: return .misconfigured(text + " (check username and password)", partsSent: 0)  // CURLE_LOGIN_DENIED
        case 64: return .misconfigured(text + " (the server offers no STARTTLS; set starttls: false to send in clear text)", partsSent: 0)
        case 6, 7, 28: return .retryLater(text, partsSent: 0, retryAfter: nil)
        default:
            if outcome.reply == 552 || outcome.reply == 554 { return .refused(text) }
            if (500..<600).contains(outcome.reply) { return .misconfigured(text, partsSent: 0) }
            return .retryLater(text, partsSent: 0, retryAfter: nil)
        }
    }
}
