// NotifierFixture: a spool whose config points WeCom (and optionally a JSON webhook) at a loopback receiver,
// helpers to publish alerts the way the analyzer does, run the real notifier, and read what arrived.

import Foundation
import Shared
import TestSupport
import Testing

let webhookKey = "wecom-key-S3CRET-0042"

struct NotifierFixture {
    let dir = TemporaryDirectory("notifier")
    let server: TestServer
    let mode = ReceiverMode()

    init(notify extra: String = "", wecom: Bool = true, webhook: Bool = false, mentions: String? = nil) throws {
        server = try TestServer()
        let mode = self.mode
        server.route("/cgi-bin/webhook/send") { request in mode.reply(request) }
        server.route("/hook") { request in mode.reply(request, generic: true) }
        var notify = ConfigText.section(
            "notify",
            defaults: [
                ("timeout", "1s"), ("quick_retries", "0"), ("backoff_min", "200ms"),
                ("backoff_max", "1s"),
            ], overrides: extra)
        if wecom {
            notify += """
                  wecom:
                    webhook_url: "\(server.url("/cgi-bin/webhook/send"))?key=\(webhookKey)"
                    \(mentions ?? "mentioned_list: [zhangsan]")

                """
        }
        if webhook {
            notify += "  webhooks:\n    - {name: ops, url: \"\(server.url("/hook"))\", headers: {Authorization: Bearer hook-token-XYZ9}}\n"
        }
        try dir.write("config.yaml", notify + "spool:\n  dir: spool\n")
        try spool.prepare()
    }

    var spool: Spool { Spool(root: dir.url("spool")) }

    /// Publishes an alert for a run `minutes` after t0 with `failures` new failures.
    @discardableResult
    func publishAlert(
        minutes: Int, failures: Int = 1, severity: Severity = .critical, names: (Int) -> String = { "接口 \($0)" },
        createdAt: Date? = nil, run givenRun: String? = nil, startedAt: Date? = nil,
        extra: [Transition] = []
    ) throws -> String {
        let start = startedAt ?? Date(timeIntervalSince1970: 1_795_359_600 + Double(minutes) * 60)
        let run = givenRun ?? RunID.scheduled(tick: start)
        let transitions = (0..<failures).map { i in
            Transition(
                id: "user/api-\(i)", service: "user", name: names(i), method: "GET", url: "https://api.example.com/api/user/\(i)?id=1",
                change: severity == .resolved ? .recovered : .newFailure, outcome: .http500, previousOutcome: nil, status: 500,
                error: "HTTP 500 Internal Server Error — 服务器内部错误 \(i)", since: start)
        }
        // A recovery alert's run has nothing failing, unless `extra` says something still fails.
        let failing = (severity == .resolved ? 0 : failures) + extra.filter { $0.change != .recovered }.count
        let stats = RunStats(
            interfaces: 10, ok: 10 - failing, failed: failing, skipped: 0, successRate: 90, p50Ms: 12, p95Ms: 80,
            p99Ms: 120, startedAt: start, finishedAt: start.addingTimeInterval(5), trigger: "schedule",
            missingShards: [], quarantinedLines: 0)
        let alert = Alert(
            run: run, createdAt: createdAt ?? Date(), severity: severity, reason: .change, transitions: transitions + extra,
            stats: stats, reportPath: "/var/lib/vigil/spool/reports/\(run).md",
            report: String(repeating: "# 报告 report line with text\n", count: failures * 20))
        try spool.outbox.publish(name: RunFileName.alert(run: run), bytes: try RecordCoding.encode(alert) + [10])
        return run
    }

    func runOnce(_ extra: [String] = [], environment: [String: String] = [:]) throws -> ProgramRun {
        try Programs.run("notifier", ["--config", dir.url("config.yaml")] + extra, environment: environment, timeout: 60)
    }

    func run(_ arguments: [String]) throws -> ProgramRun {
        try Programs.run("notifier", arguments + ["--config", dir.url("config.yaml")], timeout: 60)
    }

    func startService(stderr: LineCollector? = nil) throws -> ChildProcess {
        try Programs.start("notifier", ["--config", dir.url("config.yaml")], stderr: stderr)
    }

    /// The WeCom message bodies received (and accepted or not), in arrival order.
    func wecomMessages() throws -> [JSONValue] {
        try server.requests(to: "/cgi-bin/webhook/send").map { JSONValue(node: try JSONDocument.parse($0.bodyText)) }
    }

    /// Runs named in the markdown messages the receiver accepted, in order.
    var acceptedRuns: [String] { mode.acceptedRuns }

    var deferred: [String] { FileIO.listIfPresent(spool.deferredDirectory).filter { $0.hasSuffix(".ndjson") } }
    var sent: [String] { FileIO.listIfPresent(spool.sentDirectory).filter { $0.hasSuffix(".ndjson") } }
    var failed: [String] { FileIO.listIfPresent(spool.failedDirectory).filter { $0.hasSuffix(".ndjson") } }
}

/// How the receiver answers, switchable while a notifier runs; records the runs it accepted. Unchecked
/// Sendable: `behaviour` and `accepted` are read and written only while holding `lock`.
final class ReceiverMode: @unchecked Sendable {
    enum Behaviour: Sendable {
        case ok
        case status(Int)
        case hang
        case close
        case errcode(Int)
    }

    private let lock = NSLock()
    private var behaviour = Behaviour.ok
    private var accepted: [String] = []

    func set(_ b: Behaviour) {
        lock.lock()
        behaviour = b
        lock.unlock()
    }

    var acceptedRuns: [String] {
        lock.lock()
        defer { lock.unlock() }
        return accepted
    }

    func reply(_ request: HTTPRequest, generic: Bool = false) -> HTTPReply {
        lock.lock()
        let b = behaviour
        lock.unlock()
        switch b {
        case let .status(code): return .json(code, #"{"errcode":-1,"errmsg":"server error"}"#)
        case .hang: return .hang
        case .close: return .close
        case let .errcode(code): return .json(200, #"{"errcode":\#(code),"errmsg":"refused, hint: [x]"}"#)
        case .ok:
            let body = request.bodyText
            if let range = body.range(of: #"\d{8}T\d{6}Z-(tick|m[0-9a-z]+)"#, options: .regularExpression) {
                lock.lock()
                accepted.append(String(body[range]) + (generic ? "@ops" : (body.contains("\"msgtype\":\"text\"") ? "@text" : "")))
                lock.unlock()
            }
            return .json(200, #"{"errcode":0,"errmsg":"ok"}"#)
        }
    }
}
