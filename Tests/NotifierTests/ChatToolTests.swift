// DingTalk, Feishu and Slack through the real notifier against receivers that enforce their documented rules;
// templated webhooks; routes that split one run's alert between two teams' robots.

import Foundation
import Shared
import TestSupport
import Testing

/// A notifier fixture whose config has the given `notify:` channel lines (indented two spaces).
private func fixture(_ channels: (TestServer, ChatReceivers) -> String) throws -> (NotifierFixture, ChatReceivers) {
    let f = try NotifierFixture(wecom: false)
    let receivers = ChatReceivers(f.server)
    try f.dir.write(
        "config.yaml",
        """
        notify:
          timeout: 5s
          quick_retries: 0
          backoff_min: 200ms
          backoff_max: 1s
        \(channels(f.server, receivers))
        spool:
          dir: spool
        """)
    return (f, receivers)
}

private func robots(_ s: TestServer, _ r: ChatReceivers) -> String {
    """
      dingtalk:
        - name: ding
          webhook_url: "\(s.url("/robot/send"))?access_token=\(r.dingtalkToken)"
          secret: \(r.dingtalkSecret)
          at_mobiles: ["13800000000"]
      feishu:
        - name: lark
          webhook_url: "\(s.url("/open-apis/bot/v2/hook/" + r.feishuKey))"
          secret: \(r.feishuSecret)
          at_user_ids: [ou_oncall]
      slack:
        - name: slack
          webhook_url: "\(s.url(r.slackPath))"
    """
}

@Suite("DingTalk, Feishu and Slack", .ownThread)
struct ChatToolTests {
    @Test("each robot gets its own message, signed where it has a secret, with mentions as its API wants them")
    func goodDelivery() throws {
        let (f, r) = try fixture(robots)
        let run = try f.publishAlert(minutes: 0, failures: 2)
        let result = try f.runOnce(["--once"])
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(f.sent.sorted() == ["ding", "lark", "slack"].map { "\(run).alert@\($0).ndjson" })
        let ding = try #require(r.messages("dingtalk").first?.body)
        #expect(ding.value(at: "markdown.title")?.text == "🔴 Vigil: 2 new failures (down)")
        let text = try #require(ding.value(at: "markdown.text")?.text)
        #expect(text.hasPrefix("### 🔴 Vigil: 2 new failures (down)\n> Run \(run) (schedule)"), "\(text)")
        #expect(text.contains("**New failures (2)**") && text.hasSuffix("\n@13800000000"), "\(text)")
        #expect(ding.value(at: "at.atMobiles.0")?.text == "13800000000" && ding.value(at: "at.isAtAll") == .bool(false))
        let lark = try #require(r.messages("feishu").first?.body)
        #expect(lark.value(at: "card.header.template")?.text == "red")
        #expect(lark.value(at: "card.elements.0.text.content")?.text?.hasSuffix("<at id=ou_oncall></at>") == true)
        let slack = try #require(r.messages("slack").first?.body)
        #expect(slack.value(at: "blocks.0.text.text")?.text == "🔴 Vigil: 2 new failures (down)")
        #expect(slack.value(at: "blocks.1.text.text")?.text?.contains("*New failures (2)*") == true)
        let spoolText = try f.spool.allFiles().map { try f.dir.read("spool/" + $0) }.joined()
        for secret in [r.dingtalkSecret, r.dingtalkToken, r.feishuSecret, r.feishuKey, "slackkey0003"] {
            #expect(!result.stderr.contains(secret) && !spoolText.contains(secret), "\(secret) leaked")
        }
    }

    @Test(
        "each robot's throttling answer defers the alert; once due again, every alert arrives, in order", arguments: ["dingtalk", "feishu", "slack"])
    func throttling(_ channel: String) throws {
        let (f, r) = try fixture(robots)
        r.throttle(channel, 1)
        let runs = try [0, 15, 30].map { try f.publishAlert(minutes: $0) }
        let first = try f.runOnce(["--once"])
        #expect(first.exitCode == 0)
        let name = ["dingtalk": "ding", "feishu": "lark", "slack": "slack"][channel]!
        #expect(f.deferred.filter { $0.hasSuffix("@\(name).ndjson") }.count == 3, "the first is throttled, the others wait behind it: \(f.deferred)")
        #expect(first.stderr.contains("deferred"), "\(first.stderr)")
        #expect(r.runs(channel).isEmpty && r.refused(channel) == 1, "one attempt, then the channel is left alone for this pass")
        // The back-off passes (a deferred file's mtime is its next attempt).
        for file in f.deferred { try f.spool.deliveries.makeDue(file) }
        #expect(try f.runOnce(["--once"]).exitCode == 0)
        #expect(r.runs(channel) == runs, "delivered in the original order")
        #expect(f.deferred.isEmpty)
    }

    @Test("a bad key or signature is a misconfigured channel: deferred with the robot's error at every attempt")
    func badKey() throws {
        let (f, r) = try fixture { s, r in
            """
              dingtalk: {name: ding, webhook_url: "\(s.url("/robot/send"))?access_token=wrong", secret: \(r.dingtalkSecret)}
              feishu: {name: lark, webhook_url: "\(s.url("/open-apis/bot/v2/hook/" + r.feishuKey))", secret: not-the-secret}
              slack: {name: slack, webhook_url: "\(s.url("/services/T0001/B0002/revoked"))"}
            """
        }
        try f.publishAlert(minutes: 0)
        for attempt in 1...2 {
            let run = try f.runOnce(["--once"])
            #expect(
                run.stderr.contains("channel ding is misconfigured: DingTalk code 300001: token is not exist"), "attempt \(attempt): \(run.stderr)")
            #expect(run.stderr.contains("channel lark is misconfigured: Feishu code 19021: sign match fail"), "attempt \(attempt): \(run.stderr)")
            #expect(run.stderr.contains("channel slack is misconfigured: HTTP 404 Not Found"), "attempt \(attempt): \(run.stderr)")
            #expect(f.deferred.count == 3 && f.sent.isEmpty && f.failed.isEmpty)
            for file in f.deferred { try f.spool.deliveries.makeDue(file) }
        }
        #expect(r.refused("dingtalk") == 2 && r.refused("feishu") == 2 && r.refused("slack") == 0)
    }

    @Test("an alert of 3 000 long failures is cut within each robot's limit, and its mentions are kept")
    func oversized() throws {
        let (f, r) = try fixture(robots)
        try f.publishAlert(minutes: 0, failures: 3000, names: { String(repeating: "很长的接口名称", count: 20) + " \($0)" })
        #expect(try f.runOnce(["--once"]).exitCode == 0)
        #expect(f.sent.count == 3, "all three accepted what they were sent: \(f.deferred) \(f.failed)")
        let ding = try #require(r.messages("dingtalk").first?.body.value(at: "markdown.text")?.text)
        #expect(ding.utf8.count <= 20_000 && ding.hasSuffix("@13800000000") && ding.contains("more — see the report"))
        let lark = try #require(r.messages("feishu").first)
        #expect(lark.raw.utf8.count <= 20 * 1024 && lark.raw.contains("<at id=ou_oncall></at>"))
        let slack = try #require(r.messages("slack").first?.body.value(at: "blocks.1.text.text")?.text)
        #expect(slack.count <= 3000 && slack.contains("more — see the report"))
    }
}

@Suite("Routes and templates", .ownThread)
struct RoutingTests {
    /// Three robots; pay's interfaces go to ding, cms's to lark, the rest to slack (named by no route: the default).
    func twoTeamsFixture() throws -> (NotifierFixture, ChatReceivers) {
        try fixture { s, r in
            robots(s, r) + """

                  routes:
                    - match: {services: [pay]}
                      channels: [ding]
                    - match: {services: [cms]}
                      channels: [lark]
                """
        }
    }

    @Test("one run's failures of two services go to two teams' robots, and nothing else to either")
    func twoTeams() throws {
        let (f, r) = try twoTeamsFixture()
        let start = Date(timeIntervalSince1970: 1_795_359_600)
        func failure(_ service: String, _ i: Int) -> Transition {
            Transition(
                id: "\(service)/api-\(i)", service: service, name: "\(service) api \(i)", method: "GET", url: "https://\(service).example.com/\(i)",
                change: .newFailure, outcome: .timeout, previousOutcome: nil, status: nil, error: "no answer", since: start)
        }
        try f.publishAlert(minutes: 0, failures: 0, extra: [failure("pay", 1), failure("cms", 1), failure("pay", 2), failure("search", 1)])
        let result = try f.runOnce(["--once"])
        #expect(result.exitCode == 0, "\(result.stderr)")
        let ding = try #require(r.messages("dingtalk").first?.raw)
        #expect(ding.contains("pay api 1") && ding.contains("pay api 2") && !ding.contains("cms api") && !ding.contains("search api"))
        #expect(ding.contains("2 new failures (down)"), "the headline counts the team's part")
        let lark = try #require(r.messages("feishu").first?.raw)
        #expect(lark.contains("cms api 1") && !lark.contains("pay api") && !lark.contains("search api"))
        // slack is named by no route: it is the default, and gets what no route took.
        let slack = try #require(r.messages("slack").first?.raw)
        #expect(slack.contains("search api 1") && !slack.contains("pay api") && !slack.contains("cms api"))
        #expect(r.messages("dingtalk").count == 1 && r.messages("feishu").count == 1 && r.messages("slack").count == 1)
    }

    @Test("a mass outage's alert: the interfaces it only counts reach their team's robot, counted in the headline and the lists")
    func omittedRouted() throws {
        let (f, r) = try twoTeamsFixture()
        let start = Date(timeIntervalSince1970: 1_795_359_600)
        let run = RunID.scheduled(tick: start)
        let listed = (1...3).map { i in
            Transition(
                id: "pay/api-\(i)", service: "pay", name: "pay api \(i)", method: "GET", url: "https://pay.example.com/\(i)",
                change: .newFailure, outcome: .timeout, previousOutcome: nil, status: nil, error: "no answer", since: start)
        }
        let stats = RunStats(
            interfaces: 5000, ok: 0, failed: 5000, skipped: 0, successRate: 0, p50Ms: nil, p95Ms: nil, p99Ms: nil, startedAt: start,
            finishedAt: start.addingTimeInterval(5), trigger: "schedule", missingShards: [], quarantinedLines: 0)
        var alert = Alert(
            run: run, createdAt: Date(), severity: .critical, reason: .change, transitions: listed, stats: stats,
            reportPath: "/var/lib/vigil/spool/reports/\(run).md", report: "# report\n")
        // cms has no interface listed at all: only counted.
        alert.omitted = [
            OmittedTransitions(service: "cms", change: .newFailure, outcome: .http500, previousOutcome: nil, count: 2000),
            OmittedTransitions(service: "pay", change: .newFailure, outcome: .timeout, previousOutcome: nil, count: 997),
        ]
        try f.spool.outbox.publish(name: RunFileName.alert(run: run), bytes: try RecordCoding.encode(alert) + [10])
        let result = try f.runOnce(["--once"])
        #expect(result.exitCode == 0, "\(result.stderr)")
        let ding = try #require(r.messages("dingtalk").first?.raw)
        #expect(ding.contains("1000 new failures (down)") && ding.contains("pay api 1") && ding.contains("997 more"), "\(ding)")
        #expect(!ding.contains("cms") && !ding.contains("2000"))
        let lark = try #require(r.messages("feishu").first?.raw)
        #expect(lark.contains("2000 new failures") && lark.contains("2000 more") && !lark.contains("pay api"), "\(lark)")
        #expect(r.messages("slack").isEmpty, "nothing was left for the default channel")
    }

    @Test("an alert no route and no default channel takes is printed and kept as not delivered, never dropped")
    func unrouted() throws {
        let (f, _) = try fixture { s, r in
            robots(s, r) + "\n  routes:\n    - {match: {services: [pay]}, channels: [ding, lark, slack]}\n"
        }
        let run = try f.publishAlert(minutes: 0, failures: 0)
        let result = try f.runOnce(["--once"])
        #expect(result.exitCode == 0 && result.stdout.contains("(no route takes it: not delivered to anyone)"), "\(result.stdout)")
        #expect(f.sent == ["\(run).alert@unrouted.ndjson"])
        #expect(try f.dir.read("spool/outbox/sent/\(run).alert@unrouted.ndjson").contains("\"delivered\":false"))
    }

    @Test("a templated webhook gets the alert's fields in the operator's shape; a bad template is refused by check")
    func template() throws {
        let (f, _) = try fixture { s, _ in
            """
              webhooks:
                - name: incidents
                  url: "\(s.url("/incident"))"
                  template: '{"title": "{{icon}} {{headline}}", "run": "{{run}}", "failed": {{failed}}, "items": "{{new_failures}}", "link": "{{report}}"}'
            """
        }
        f.server.route("/incident", reply: .text(200, "accepted"))
        let run = try f.publishAlert(minutes: 0, names: { "名 \"quoted\" \($0)" })
        #expect(try f.runOnce(["--once"]).exitCode == 0)
        let request = try #require(f.server.requests(to: "/incident").first)
        #expect(request.header("Idempotency-Key") == "alert-\(run)" && request.header("Content-Type") == "application/json")
        let body = try JSONValue(node: JSONDocument.parse(request.bodyText))
        #expect(body.value(at: "title")?.text == "🔴 1 new failure (down)")
        #expect(body.value(at: "run")?.text == run && body.value(at: "failed") == .number("1"))
        #expect(body.value(at: "items")?.text?.hasPrefix(#"- 名 "quoted" 0 (user) GET https://api.example.com/api/user/0?id=1: HTTP 500"#) == true)
        #expect(body.value(at: "link")?.text == "/var/lib/vigil/spool/reports/\(run).md")

        try f.dir.write("bad.yaml", "notify:\n  webhooks:\n    - {name: x, url: \"http://127.0.0.1:9/\", template: '{\"a\": {{nope}}}'}\n")
        let bad = try Programs.run("notifier", ["list", "--config", f.dir.url("bad.yaml")], timeout: 60)
        #expect(bad.exitCode == 2 && bad.stderr.contains("bad.yaml:3: notify.webhooks[0].template: unknown placeholder {{nope}}"), "\(bad.stderr)")
        try f.dir.write("bad2.yaml", "notify:\n  webhooks:\n    - {name: x, url: \"http://127.0.0.1:9/\", template: '{\"a\": {{headline}}}'}\n")
        let notJSON = try Programs.run("notifier", ["list", "--config", f.dir.url("bad2.yaml")], timeout: 60)
        #expect(notJSON.exitCode == 2 && notJSON.stderr.contains("the template does not give JSON for a sample alert"), "\(notJSON.stderr)")
    }

    @Test("a route naming a channel that does not exist, or an unknown outcome, is a config error with its line")
    func badRoutes() throws {
        let dir = TemporaryDirectory("routes")
        try dir.write(
            "config.yaml",
            """
            notify:
              slack: {name: ops, webhook_url: "http://127.0.0.1:9/services/a/b/c"}
              routes:
                - match: {services: [pay], outcomes: [http_999]}
                  channels: [pay-robot]
              default_channels: [nobody]
            """)
        let run = try Programs.run("notifier", ["list", "--config", dir.url("config.yaml")], timeout: 60)
        #expect(run.exitCode == 2)
        for line in [
            "config.yaml:4: notify.routes[0].match.outcomes: expected one of ok, http_500",
            "config.yaml:5: notify.routes[0].channels: no channel is named \"pay-robot\" (channels: ops)",
            "config.yaml:6: notify.default_channels: no channel is named \"nobody\" (channels: ops)",
        ] {
            #expect(run.stderr.contains(line), "missing \(line): \(run.stderr)")
        }
    }
}
