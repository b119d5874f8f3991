// `orchestrator check` as an operator runs it before starting the services: with the unit's environment file
// instead of the shell's variables, with warnings for schedules that never run and env-file lines systemd
// would ignore, and with secrets masked in everything it prints.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("orchestrator check", .ownThread)
struct CheckTests {
    private func fixture() throws -> OrchestratorFixture {
        let f = try OrchestratorFixture()
        try f.healthyInterfaces(1)
        let config = try String(contentsOfFile: f.config, encoding: .utf8)
            .replacingOccurrences(of: "base_url: \(f.server.baseURL)", with: "base_url: \"${API_BASE}\"")
        try f.dir.write("config.yaml", config + "\nnotify:\n  wecom:\n    webhook_url: \"${WECOM_URL}\"\n")
        return f
    }

    @Test("--env-file expands ${…} with the file's variables only, as systemd gives them to the service")
    func environmentFile() throws {
        let f = try fixture()
        let hook = "http://127.0.0.1:9/cgi-bin/webhook/send?key=k-secret-123"
        let shell = ["API_BASE": f.server.baseURL, "WECOM_URL": hook]
        #expect(try f.run(["check"], environment: shell).exitCode == 0, "the shell has both variables")

        try f.dir.write("partial.env", "API_BASE=\(f.server.baseURL)\n")
        let partial = try f.run(["check", "--env-file", f.dir.url("partial.env")], environment: shell)
        #expect(partial.exitCode == 2, "the service would not get WECOM_URL, so neither does check")
        #expect(
            partial.stdout.contains("config.yaml:18: notify.wecom.webhook_url: environment variable WECOM_URL is not set"),
            "\(partial.stdout)")

        try f.dir.write("vigil.env", "# secrets\r\nAPI_BASE=\"\(f.server.baseURL)\"\r\nWECOM_URL='\(hook)'\r\nstray line\r\n")
        let full = try f.run(["check", "--env-file", f.dir.url("vigil.env")])
        #expect(full.exitCode == 0, "\(full.stdout)\(full.stderr)")
        #expect(full.stdout.contains("environment: 2 variable(s) from \(f.dir.url("vigil.env")); the shell's environment is not used"))
        #expect(full.stdout.contains("warning: \(f.dir.url("vigil.env")):4: not an assignment (no \"=\"): systemd ignores this line"))
        #expect(full.stdout.contains("channels: wecom (WeCom http://127.0.0.1:9/cgi-bin/webhook/send?key=***)"))
        #expect(!full.stdout.contains("k-secret-123") && !full.stderr.contains("k-secret-123"))
        #expect(f.server.requests.isEmpty, "check probes nothing")
    }

    @Test("check refuses a pattern that does not compile and a path it cannot follow, with file:line and why")
    func badChecks() throws {
        let f = try OrchestratorFixture()
        try f.interface(
            "bad-checks",
            """
            url: /ok
            expect:
              body_matches: ['ok', '(unclosed']
              headers: {Content-Type: {matches: 'a{2,1}'}, X-Both: {equals: a, exists: true}}
              json:
                - {path: "data.items[*].id", equals: 1}
                - {path: code, matches: '[z-a]'}
                - {path: code}
                - {path: code, equals: 0, in: [0]}
                - {path: $..id, exists: true}
                - {path: total, less_than: ten}
                - {path: kind, type: integer}
            """)
        let check = try f.run(["check"])
        #expect(check.exitCode == 2)
        let file = "pool/svc/bad-checks.yaml"
        for line in [
            "\(file):4: expect.body_matches[1]: not a regular expression: expected ')' in /(unclosed/",
            "\(file):5: expect.headers.Content-Type.matches: not a regular expression: range lower bound '2' must be less than or equal to upper bound '1' in /a{2,1}/",
            "\(file):5: expect.headers.X-Both: expected one check, found 2 (equals, exists); write one per header",
            "\(file):7: expect.json[0].path: \"data.items[*].id\" is not a supported path: at character 12: wildcards ([*]) select many values; name one position (see \"JSON paths\" in docs/configuration.md)",
            "\(file):8: expect.json[1].matches: not a regular expression: character 'z' must compare less than or equal to 'a' in /[z-a]/",
            "\(file):9: expect.json[2]: expected one check besides path: equals, not_equals, in, exists, type, matches, less_than, greater_than, min_length, max_length",
            "\(file):10: expect.json[3]: expected one check per item, found 2 (equals, in); write one item each",
            "\(file):11: expect.json[4].path: \"$..id\" is not a supported path: at character 2: recursive descent (..) is not supported; write the whole path (see \"JSON paths\" in docs/configuration.md)",
            "\(file):12: expect.json[5].less_than: expected a number such as 0 or 2.5, found \"ten\"",
            "\(file):13: expect.json[6].type: expected one of string, number, bool, array, object, null, found \"integer\"",
        ] {
            #expect(check.stdout.contains(line), "missing: \(line)\n\(check.stdout)")
        }
        #expect(f.server.requests.isEmpty, "check probes nothing")
    }

    @Test("check says what a service's expect gives its interfaces, and which replace or leave it out")
    func inheritance() throws {
        let f = try OrchestratorFixture()
        let config = try String(contentsOfFile: f.config, encoding: .utf8)
        try f.dir.write(
            "config.yaml",
            config.replacingOccurrences(
                of: "    base_url: \(f.server.baseURL)\n",
                with: "    base_url: \(f.server.baseURL)\n    expect: {status: 200, json: [{path: code, equals: 0}], cert_min_days: 30}\n"))
        try f.healthyInterfaces(2)
        try f.interface("health", "url: /ok\nexpect: {inherit: false}")
        try f.interface("legacy", "url: /ok\nexpect: {json: [{path: $.code, equals: \"0\"}], status: [200, 203]}")
        let check = try f.run(["check"])
        #expect(check.exitCode == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("    expect for every interface: status 200; json code equals 0; cert_min_days 30\n"), "\(check.stdout)")
        #expect(
            check.stdout.contains(
                "      inherited by 3 of 4; replaced in part by svc/legacy (status, json code); left out (inherit: false) by svc/health\n"),
            "\(check.stdout)")
    }

    @Test("with routes, check says where each service's alerts go")
    func routes() throws {
        let f = try OrchestratorFixture()
        try f.healthyInterfaces(1)
        try f.dir.write("pool/cms/page.yaml", "name: page\nurl: http://127.0.0.1:9/page\n")
        let config = try String(contentsOfFile: f.config, encoding: .utf8)
        try f.dir.write(
            "config.yaml",
            config + """

                notify:
                  dingtalk: {name: svc-ding, webhook_url: "http://127.0.0.1:9/robot/send?access_token=t0ken-0001"}
                  slack: {name: ops, webhook_url: "http://127.0.0.1:9/services/a/b/c"}
                  routes:
                    - {match: {kinds: [certificate]}, channels: [ops], continue: true}
                    - {match: {services: [svc]}, channels: [svc-ding]}
                """)
        let check = try f.run(["check"])
        #expect(check.exitCode == 0, "\(check.stdout)\(check.stderr)")
        let file = f.config
        // svc: certificates to ops and on, then svc-ding takes everything of svc.
        #expect(
            check.stdout.contains("    alerts go to: ops (kinds certificate) [route \(file):20]; then svc-ding [route \(file):21]\n"),
            "\(check.stdout)")
        // cms: only its certificates have a route; every channel is routed, so the rest has none (and check says so).
        #expect(
            check.stdout.contains(
                "    alerts go to: ops (kinds certificate) [route \(file):20]; otherwise no channel: printed, not delivered [default]\n"),
            "\(check.stdout)")
        #expect(check.stdout.contains("channels: svc-ding (DingTalk), ops (Slack)") && !check.stdout.contains("t0ken-0001"), "\(check.stdout)")
        #expect(check.stdout.contains("warning: every channel is named by a route and notify.default_channels is not set"))
    }

    @Test("a missing env file is an error unless written with a leading \"-\", as in the unit")
    func missingEnvironmentFile() throws {
        let f = try fixture()
        let missing = try f.run(["check", "--env-file", f.dir.url("absent.env")])
        #expect(missing.exitCode == 2)
        #expect(missing.stdout.contains("\(f.dir.url("absent.env")): no such file"), "\(missing.stdout)")
        let optional = try f.run(["check", "--env-file", "-" + f.dir.url("absent.env")], environment: ["API_BASE": "x"])
        #expect(optional.exitCode == 2, "with no file, no variables: API_BASE is unset for the service too")
        #expect(optional.stdout.contains("environment variable API_BASE is not set"), "\(optional.stdout)")
        let misplaced = try f.run(["once", "--env-file", f.dir.url("absent.env")])
        #expect(misplaced.exitCode == 2 && misplaced.stderr.contains("--env-file does not go with once"), "\(misplaced.stderr)")
    }

    @Test("check names the HTTP engine; a program that cannot load libcurl says which library and package, at start-up")
    func httpEngine() throws {
        let f = try fixture()
        let check = try f.run(["check"], environment: ["API_BASE": f.server.baseURL, "WECOM_URL": "http://127.0.0.1:9/x"])
        let line = try #require(check.stdout.split(separator: "\n").first { $0.hasPrefix("http: ") }, "\(check.stdout)")
        #expect(line.hasPrefix("http: libcurl/") && line.contains("TLS ") && line.contains("HTTP/2 "), "\(line)")

        // A broken libcurl.so.4 found first on the library path stands in for a machine without libcurl.
        try f.dir.write("lib/libcurl.so.4", "not a library")
        let prober = try Programs.run(
            "prober", ["--config", f.config],
            environment: [
                "LD_LIBRARY_PATH": f.dir.url("lib"), "API_BASE": "x",
                "WECOM_URL": "http://127.0.0.1:9/x",
            ])
        #expect(prober.exitCode == 1)
        #expect(prober.stderr.contains("cannot load libcurl.so.4") && prober.stderr.contains("libcurl4"), "\(prober.stderr)")
        #expect(f.server.requests.isEmpty)
    }

    @Test("check warns about a schedule with no run in a year, and refuses steps beyond a field")
    func schedules() throws {
        let never = try OrchestratorFixture(monitor: "schedule: \"* * 31 2 *\"")
        try never.healthyInterfaces(1)
        let check = try never.run(["check"])
        #expect(check.exitCode == 0)
        #expect(check.stdout.contains("next runs: none"))
        #expect(check.stdout.contains("warning: cron \"* * 31 2 *\" has no run in the next 366 days: no run will start"))

        let step = try OrchestratorFixture(monitor: "schedule: \"*/61 * * * *\"")
        let refused = try step.run(["check"])
        #expect(refused.exitCode == 2)
        #expect(
            refused.stdout.contains("config.yaml:5: monitor.schedule: minute: expected a step from 1 to 59 after /, found \"61\""),
            "\(refused.stdout)")
    }
}
