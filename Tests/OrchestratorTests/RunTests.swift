// Runs with real processes: shards, supervision at the deadline, `once`, and the shipped examples.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Orchestrator runs", .ownThread)
struct RunTests {
    @Test("a run with 4 probers over a pool split 4 ways publishes 4 batches and one report")
    func fourShards() throws {
        let f = try OrchestratorFixture(scheduler: "probers: 4")
        try f.healthyInterfaces(20)
        let once = try f.run(["once"])
        #expect(once.exitCode == 0, "\(once.stderr)")
        let batches = try f.batches()
        #expect(batches.count == 4)
        #expect(Set(batches.map { $0.1.shard }) == Set(Shard.all(4)))
        #expect(f.reports.count == 1)
        #expect(once.stdout.hasPrefix("Report: \(f.spool.reportsDirectory)/"))
        #expect(once.stdout.contains("All 20 interfaces answered as expected"))
        #expect(once.stdout.contains("| Shards | 4 of 4 reported |"))
        #expect(f.server.hits("/ok") == 20)
        #expect(once.stderr.contains("[") && once.stderr.contains("shard 3/4] published"), "prober logs are relayed with their shard")
    }

    @Test("a prober that hangs is killed at max_runtime and its shard becomes shard_failed")
    func hangingProber() throws {
        let f = try OrchestratorFixture(scheduler: "probers: 2\nmax_runtime: 2s\ngraceful_shutdown: 1s", monitor: "interval: 1h\ntimeout: 60")
        f.server.route("/hang", reply: .hang)
        try f.interface(OrchestratorFixture.id(in: Shard(index: 1, count: 2), prefix: "hang"), "url: /hang")
        try f.interface(OrchestratorFixture.id(in: Shard(index: 2, count: 2), prefix: "fine"), "url: /ok")
        let started = Date()
        let once = try f.run(["once"])
        #expect(once.exitCode == 1, "failures found: \(once.stderr)")
        #expect(Date().timeIntervalSince(started) < 20)
        let ends = try f.batches().map(\.1)
        #expect(ends.count == 2)
        let stub = try #require(
            ends.compactMap { end -> ShardFailed? in
                if case let .shardFailed(s) = end { return s }
                return nil
            }.first)
        #expect(stub.shard == Shard(index: 1, count: 2))
        #expect(stub.reason == "killed after 2s (scheduler.max_runtime)")
        #expect(once.stdout.contains("**Shard 1/2: killed after 2s (scheduler.max_runtime)**"))
        #expect(FileIO.listIfPresent(f.spool.results.tmpDirectory).isEmpty)
    }

    @Test("a prober that crashes before publishing gets a shard_failed stub saying how it ended")
    func crashingProber() throws {
        let f = try OrchestratorFixture(scheduler: "probers: 2")
        try f.healthyInterfaces(6)
        let once = try f.run(["once"], environment: ["VIGIL_CRASH_AT": "prober-before-publish"])
        #expect(once.exitCode == 1)
        #expect(once.stderr.contains("shard 1/2 failed: prober killed by SIGKILL"), "\(once.stderr)")
        #expect(once.stdout.contains("**Shard 1/2: prober killed by SIGKILL**"))
        #expect(try f.batches().count == 2, "one stub per shard")
    }

    @Test("`once` on the shipped examples works end to end with the targets pointed at the test server")
    func shippedExamples() throws {
        let server = try TestServer()
        server.route("/auth/token") { request in
            request.bodyText.contains("\"password\":\"example-Secret-77\"")
                ? .json(200, #"{"code":0,"data":{"access_token":"example-token-1","expires_in":3600}}"#) : .text(401, "no")
        }
        server.route("/api/user/info") { request in
            request.header("Authorization") == "Bearer example-token-1" ? .json(200, #"{"code":0,"data":{}}"#) : .text(401, "no")
        }
        for path in [
            "/api/user/nickname", "/login", "/api/nurse/schedule", "/health", "/api/admin/dashboard/stats", "/api/admin/audit",
            "/api/admin/report/export",
        ] {
            server.route(path, reply: .json(200, #"{"code":0}"#))
        }
        server.route("/api/nurse/schedule/detail", reply: .json(200, #"{"code":0,"data":{}}"#))
        let dir = TemporaryDirectory("examples")
        let env = [
            "USER_API_BASE": server.baseURL, "NURSE_API_BASE": server.baseURL, "ADMIN_API_BASE": server.baseURL,
            "USER_API_PASSWORD": "example-Secret-77",
        ]
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/config.yaml").path
        let once = try Programs.run("orchestrator", ["once", "--config", examples, "--spool", dir.url("spool")], environment: env)
        #expect(once.exitCode == 0, "\(once.stderr)")
        #expect(once.stdout.contains("All 9 interfaces answered as expected"), "\(once.stdout)")
        #expect(once.stdout.contains("no channel configured: not delivered to anyone") == false, "nothing to alert about")
        #expect(server.hits("/auth/token") == 1)
        server.route("/api/admin/audit", reply: .text(503, "maintenance"))
        let failing = try Programs.run("orchestrator", ["once", "--config", examples, "--spool", dir.url("spool")], environment: env)
        #expect(failing.exitCode == 1)
        #expect(failing.stdout.contains("**1 failed** of 9 interfaces"))
        #expect(failing.stdout.contains("no channel configured: not delivered to anyone"), "the alert is printed when no webhook is set")
        // A 200 with a business error fails the user service's `expect` (json code equals 0), told apart from the 503.
        server.route("/api/user/info", reply: .json(200, #"{"code":500,"msg":"database unavailable"}"#))
        let business = try Programs.run("orchestrator", ["once", "--config", examples, "--spool", dir.url("spool")], environment: env)
        #expect(business.exitCode == 1)
        #expect(business.stdout.contains("Of the 2 failed: 1 down, 1 answering errors."), "\(business.stdout)")
        #expect(
            business.stdout.contains(
                #"Error: json code: expected 0, found 500 (msg: "database unavailable"); json data: expected an object, missing (no member "data") (msg: "database unavailable")"#
            ),
            "every failing check is named: \(business.stdout)")
        #expect(business.stdout.contains("Vigil: 1 new failure (answering errors), 1 still failing"), "\(business.stdout)")
        let spoolText = try Spool(root: dir.url("spool")).allFiles().filter { !$0.hasPrefix("state/tokens/") }
            .map { try dir.read("spool/" + $0) }.joined()
        #expect(!spoolText.contains("example-Secret-77") && !spoolText.contains("example-token-1"))
        #expect(!(once.stderr + failing.stderr).contains("example-Secret-77"))
    }

    @Test("broken interface files make `once` name each file and line and probe the rest, and `check` list every problem")
    func wrongConfig() throws {
        let f = try OrchestratorFixture()
        try f.healthyInterfaces(1)
        try f.interface("bad", "url: /x\nmethod: FETCH")
        try f.interface("worse", "url: relative-without-slash")
        let once = try f.run(["once"])
        #expect(once.exitCode == 1, "a run that could not monitor everything is not clean")
        #expect(once.stderr.contains("pool/svc/bad.yaml:3: method: expected one of GET"), "\(once.stderr)")
        #expect(once.stdout.contains("All 1 interfaces answered as expected"), "the good file was probed: \(once.stdout)")
        #expect(once.stdout.contains("pool/svc/worse.yaml:2: url: expected a path starting with /"), "\(once.stdout)")
        let broken = try f.dir.read("config.yaml")
        try f.dir.write("config.yaml", broken.replacingOccurrences(of: "interval: 1h", with: "interval: often"))
        let wrongConfig = try f.run(["once"])
        #expect(wrongConfig.exitCode == 2 && wrongConfig.stderr.contains("monitor.interval: expected a duration"), "\(wrongConfig.stderr)")
        try f.dir.write("config.yaml", broken)
        let probes = f.server.requests.count
        let check = try f.run(["check"])
        #expect(check.exitCode == 2)
        #expect(check.stdout.contains("configuration has 2 problem(s):"))
        #expect(check.stdout.contains("pool/svc/worse.yaml:2: url: expected a path starting with /"), "\(check.stdout)")
        #expect(f.server.requests.count == probes, "check probes nothing")
    }

    @Test("`check` prints services, interfaces, the schedule and its next three runs")
    func checkSummary() throws {
        let f = try OrchestratorFixture(monitor: "schedule: \"*/15 * * * *\"")
        try f.healthyInterfaces(3)
        let check = try f.run(["check"])
        #expect(check.exitCode == 0)
        #expect(check.stdout.contains("schedule: cron \"*/15 * * * *\""))
        let next = try #require(check.stdout.split(separator: "\n").first { $0.hasPrefix("next runs: ") })
        // Times for people: notify.timezone, the zone named (LocalClock's format).
        let people = DateFormatter()
        people.locale = Locale(identifier: "en_US_POSIX")
        people.dateFormat = "yyyy-MM-dd HH:mm:ss zzz"
        let times = next.dropFirst("next runs: ".count).split(separator: ",").compactMap {
            people.date(from: $0.trimmingCharacters(in: .whitespaces))
        }
        #expect(times.count == 3, "\(next)")
        #expect(times.first.map { $0 > Date() && $0 < Date().addingTimeInterval(901) } == true, "the next run is within 15 minutes: \(next)")
        #expect(times.allSatisfy { Int($0.timeIntervalSince1970) % 900 == 0 })
        #expect(check.stdout.contains("svc: 3 interface(s), base_url \(f.server.baseURL)"))
        #expect(f.server.requests.isEmpty)
    }
}
