// Delivery to a WeCom robot and a JSON webhook on loopback: message shape, mentions, the 4 096-byte limit,
// the console fallback, and channels tracked separately.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Notifier delivery", .ownThread)
struct DeliveryTests {
    @Test("a critical alert arrives as WeCom markdown mentioning people, with a text follow-up for phone mentions")
    func shapeAndMentions() throws {
        let f = try NotifierFixture(mentions: "mentioned_list: [zhangsan, \"@all\"]\n    mentioned_mobile_list: [\"13800001111\"]")
        let run = try f.publishAlert(minutes: 0)
        let result = try f.runOnce(["--once"])
        #expect(result.exitCode == 0, "\(result.stderr)")
        let messages = try f.wecomMessages()
        #expect(messages.count == 2)
        #expect(messages[0].value(at: "msgtype") == .string("markdown"))
        let content = try #require(messages[0].value(at: "markdown.content")?.text)
        #expect(content.hasPrefix("## 🔴 Vigil: 1 new failure"))
        #expect(content.contains("接口 0") && content.contains("`GET /api/user/0`") && content.contains(run))
        #expect(content.contains("<@zhangsan>"))
        #expect(messages[1].value(at: "msgtype") == .string("text"))
        #expect(messages[1].value(at: "text.mentioned_list") == .array([.string("zhangsan"), .string("@all")]))
        #expect(messages[1].value(at: "text.mentioned_mobile_list") == .array([.string("13800001111")]))
        #expect(f.sent == ["\(run).alert@wecom.ndjson"])
        #expect(f.spool.outbox.pending().isEmpty && FileIO.listIfPresent(f.spool.outbox.curDirectory).isEmpty)
        let state = try f.dir.read("spool/outbox/sent/\(run).alert@wecom.ndjson")
        #expect(state.contains("\"kind\":\"delivery\"") && state.contains("\"delivered\":true") && state.contains("\"parts_sent\":2"))
    }

    @Test("a recovery is one markdown message without mentions")
    func resolvedWithoutMentions() throws {
        let f = try NotifierFixture(mentions: "mentioned_list: [zhangsan]\n    mentioned_mobile_list: [\"13800001111\"]")
        try f.publishAlert(minutes: 0, severity: .resolved)
        #expect(try f.runOnce(["--once"]).exitCode == 0)
        let messages = try f.wecomMessages()
        #expect(messages.count == 1)
        let content = messages.first?.value(at: "markdown.content")?.text ?? ""
        #expect(content.hasPrefix("## 🟢 Vigil: 1 recovered") && !content.contains("<@"))
    }

    @Test("a long alert is cut to at most 4 096 bytes of valid UTF-8 with the summary first and a pointer to the report")
    func truncation() throws {
        let f = try NotifierFixture()
        let run = try f.publishAlert(minutes: 0, failures: 150, names: { "获取用户信息接口第\($0)号（很长的中文名称）" })
        let alertSize = FileIO.status(f.spool.outbox.newDirectory + "/\(run).alert.ndjson")?.st_size ?? 0
        #expect(alertSize > 10_000, "the alert carries a report of more than 10 KB")
        #expect(try f.runOnce(["--once"]).exitCode == 0)
        let body = try #require(f.server.requests(to: "/cgi-bin/webhook/send").first?.body)
        let content = try #require(JSONValue(node: try JSONDocument.parse(String(decoding: body, as: UTF8.self))).value(at: "markdown.content")?.text)
        let bytes = Array(content.utf8)
        #expect(bytes.count <= 4096 && bytes.count > 3000, "\(bytes.count) bytes")
        #expect(String(strictUTF8: bytes) != nil, "valid UTF-8")
        #expect(content.hasPrefix("## 🔴 Vigil: 150 new failures"))
        #expect(content.contains("> 0/10 ok") || content.contains("/10 ok"))
        let more = try #require(content.range(of: #"…and (\d+) more — see the report"#, options: .regularExpression))
        let shown = content.components(separatedBy: "\n- ").count - 1
        #expect(content[more].contains("\(150 - shown) more"), "the count of what was left out is right")
        #expect(content.contains("Report: /var/lib/vigil/spool/reports/\(run).md"))
        #expect(content.hasSuffix("<@zhangsan>"))
        #expect(content.components(separatedBy: "<font").count == content.components(separatedBy: "</font>").count, "no construct cut in half")
    }

    @Test("with no channel configured the message is printed and kept in sent/ as not delivered")
    func consoleFallback() throws {
        let f = try NotifierFixture(wecom: false)
        let run = try f.publishAlert(minutes: 0)
        let result = try f.runOnce(["--once"])
        #expect(result.exitCode == 0)
        #expect(result.stdout.contains("no channel configured: not delivered to anyone"))
        #expect(result.stdout.contains("## 🔴 Vigil: 1 new failure"))
        #expect(f.sent == ["\(run).alert@stdout.ndjson"])
        #expect(try f.dir.read("spool/outbox/sent/\(run).alert@stdout.ndjson").contains("\"delivered\":false"))
    }

    @Test("WeCom and a JSON webhook are delivered and tracked separately; the webhook gets the record and an Idempotency-Key")
    func twoChannels() throws {
        let f = try NotifierFixture(webhook: true)
        let run = try f.publishAlert(minutes: 0)
        f.server.route("/hook") { _ in .text(503, "down") }
        #expect(try f.runOnce(["--once"]).exitCode == 0)
        #expect(f.sent == ["\(run).alert@wecom.ndjson"])
        #expect(f.deferred == ["\(run).alert@ops.ndjson"])
        f.server.route("/hook") { _ in .text(200, "ok") }
        // Its back-off has passed (the file's mtime is its next attempt).
        try f.spool.deliveries.makeDue("\(run).alert@ops.ndjson")
        #expect(try f.runOnce(["--once"]).exitCode == 0)
        #expect(f.sent == ["\(run).alert@ops.ndjson", "\(run).alert@wecom.ndjson"])
        let hook = try #require(f.server.requests(to: "/hook").last)
        #expect(hook.header("Idempotency-Key") == "alert-\(run)")
        #expect(hook.header("Authorization") == "Bearer hook-token-XYZ9")
        let record = try RecordDecoder().decode(Alert.self, from: hook.body)
        #expect(record.run == run && record.transitions.count == 1)
        #expect(f.server.hits("/cgi-bin/webhook/send") == 1, "WeCom is not sent twice while the webhook is retried")
    }

    @Test("neither the webhook key nor channel credentials appear in logs or in the spool")
    func secrets() throws {
        let f = try NotifierFixture(webhook: true)
        f.mode.set(.status(500))
        try f.publishAlert(minutes: 0)
        let result = try f.runOnce(["--once"])
        #expect(result.stderr.contains("deferred"))
        let spoolText = try f.spool.allFiles().map { try f.dir.read("spool/" + $0) }.joined()
        for secret in [webhookKey, "hook-token-XYZ9"] {
            #expect(!result.stderr.contains(secret) && !result.stdout.contains(secret), "\(secret) in the logs")
            #expect(!spoolText.contains(secret), "\(secret) in the spool")
        }
    }
}

@Suite("Notifier pacing and metrics", .ownThread)
struct PacingTests {
    @Test("WeCom messages are paced to wecom_per_minute; what waits at a stop is kept, not lost")
    func rateLimit() throws {
        let f = try NotifierFixture(notify: "wecom_per_minute: 2")
        for minute in [0, 15, 30, 45] { try f.publishAlert(minutes: minute) }
        let errors = LineCollector()
        let service = try f.startService(stderr: errors)
        defer {
            service.signal(SIGKILL)
            _ = service.wait()
        }
        #expect(eventually(timeout: 10) { f.acceptedRuns.count == 2 })
        #expect(
            eventually(timeout: 10) { errors.text.contains("wecom: 2 message(s) sent in the last minute (wecom_per_minute); the next waits") },
            "\(errors.text)")
        #expect(f.acceptedRuns.count == 2, "no more than 2 in a minute")
        service.signal(SIGTERM)
        #expect(service.wait(timeout: 15) == .exited(0), "\(errors.text)")
        let waiting = f.deferred.count + f.spool.outbox.pending().count
        #expect(f.sent.count == 2 && waiting == 2, "the other two wait: sent \(f.sent), deferred \(f.deferred)")
        try f.dir.write("config.yaml", try f.dir.read("config.yaml").replacingOccurrences(of: "wecom_per_minute: 2", with: "wecom_per_minute: 20"))
        #expect(try f.run(["replay", "--all"]).exitCode == 0)
        #expect(f.sent.count == 4 && f.acceptedRuns.count == 4)
    }

    @Test("delivery counters and the deferred backlog go to a textfile-collector file")
    func metrics() throws {
        let f = try NotifierFixture()
        f.mode.set(.status(500))
        try f.publishAlert(minutes: 0)
        #expect(try f.runOnce(["--once"]).exitCode == 0)
        let files = FileIO.listIfPresent(f.spool.metricsDirectory)
        let name = try #require(files.first { $0.hasPrefix("vigil-notifier-") && $0.hasSuffix(".prom") })
        let text = try f.dir.read("spool/metrics/\(name)")
        #expect(text.contains("vigil_notifier_deferred 1\n") && text.contains("vigil_notifier_deferred_total 1\n"))
        #expect(text.contains("# TYPE vigil_notifier_delivered_total counter"))
        #expect(text.hasSuffix("\n"))
    }
}

@Suite("Garbage in outbox/new", .ownThread)
struct OutboxGarbageTests {
    @Test("a 50 MB garbage file in outbox/new is quarantined unread, the real alert is delivered, the notifier stays under 64 MB")
    func garbageAlert() throws {
        let f = try NotifierFixture()
        _ = try f.publishAlert(minutes: 0)
        let fd = open(f.spool.outbox.newDirectory + "/alert-garbage.ndjson", O_WRONLY | O_CREAT | O_EXCL, 0o600)
        #expect(fd >= 0)
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        for _ in 0..<50 { #expect(chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == chunk.count) }
        close(fd)
        let once = try f.runOnce(["--once"])
        #expect(once.exitCode == 0, "\(once.stderr)")
        #expect(try f.wecomMessages().count == 1, "the real alert was delivered")
        #expect(FileIO.listIfPresent(f.spool.outbox.newDirectory).isEmpty)
        let reasons = try FileIO.listIfPresent(f.spool.quarantineDirectory).filter { $0.hasSuffix(".reason") }
            .map { try String(contentsOfFile: f.spool.quarantineDirectory + "/" + $0, encoding: .utf8) }.joined()
        #expect(reasons.contains("more than the 16MiB a consumer reads from this queue"), "\(reasons)")
        // The program reports its own high-water mark (VmHWM) in its last line.
        let peak = try #require(
            once.stderr.components(separatedBy: "notifier stopped (peak RSS ").dropFirst().first
                .flatMap { Double($0.prefix { $0 != " " }) }, "\(once.stderr)")
        print("PROOF garbage-50MB notifier peak_rss_mb=\(peak)")
        #expect(peak < 64, "notifier peak RSS \(peak) MB")
    }
}
