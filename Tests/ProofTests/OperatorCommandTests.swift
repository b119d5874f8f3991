// Operator commands mid-incident, as on a packaged host: the secrets live in a root-only env file, so the
// service user's shell has none. The commands that only read the spool (status, spool, silence, notifier list,
// replay) still work; `--env-file /dev/stdin` works as another user; replay delivers what waits in
// outbox/new when no notifier runs, or says exactly what to run. And every .prom file passes promtool.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Operator commands without secrets", .ownThread)
struct OperatorCommandTests {
    /// A deployment whose config needs two secrets, with one analyzed failing run whose alert waits in
    /// outbox/new (no notifier has run).
    final class Incident {
        let dir = TemporaryDirectory("operator")
        let server: TestServer
        let run: String
        static let secrets = ["SHOP_PASSWORD": "pw-\(UInt32.random(in: 1000...9999))", "WECOM_KEY": "key-\(UInt32.random(in: 1000...9999))"]

        /// `spoolSettings`: more lines under `spool:`; `beforeSpool` runs on the spool's path before it is made
        /// (a test mounts a small file system there).
        init(spoolSettings: String = "", beforeSpool: (String) throws -> Void = { _ in }) throws {
            server = try TestServer()
            server.route("/cgi-bin/webhook/send", reply: .json(200, #"{"errcode":0,"errmsg":"ok"}"#))
            try dir.write(
                "config.yaml",
                """
                monitor:
                  interface_pool: pool
                services:
                  shop:
                    base_url: \(server.baseURL)
                    auth:
                      url: /token
                      body: {username: monitor, password: "${SHOP_PASSWORD}"}
                      token_field: token
                notify:
                  timezone: Asia/Shanghai
                  quick_retries: 0
                  wecom:
                    webhook_url: "\(server.url("/cgi-bin/webhook/send"))?key=${WECOM_KEY}"
                spool:
                  dir: spool
                """ + spoolSettings.split(separator: "\n").map { "\n  " + $0 }.joined())
            try dir.write("pool/shop/cart.yaml", "name: cart\nurl: /cart\nauth: true\n")
            try FileIO.makeDirectory(dir.url("spool"), mode: 0o700)
            try beforeSpool(dir.url("spool"))
            let spool = Spool(root: dir.url("spool"))
            try spool.prepare()
            // Now, to the second: the notifier refuses alerts older than notify.max_age.
            let at = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            run = RunID.manual(at: at)
            let manifest = RunManifest(run: run, shards: 1, startedAt: at, deadline: at.addingTimeInterval(600), trigger: "manual")
            try spool.runs.publish(name: RunFileName.manifest(run: run), bytes: try RecordCoding.encode(manifest) + [10])
            let result = ProbeResult(
                run: run, shard: .whole, id: "shop/cart", service: "shop", name: "cart", method: "GET", url: server.url("/cart"),
                outcome: .http500, status: 500, latencyMs: 12, attempts: 1, startedAt: at, error: "HTTP 500")
            let trailer = BatchTrailer(run: run, shard: .whole, count: 1, prober: "test:1", startedAt: at, finishedAt: at)
            try spool.results.publish(
                name: "\(run).1of1.test.prober-1.ndjson",
                bytes: Array((try RecordCoding.encodeString(result) + "\n" + RecordCoding.encodeString(trailer) + "\n").utf8))
            // The analyzer has the secrets (it does not need them, but the unit gives them to it).
            let analyzer = try Programs.run("analyzer", ["--config", config, "--once"], environment: Self.secrets)
            #expect(analyzer.exitCode == 0, "\(analyzer.stderr)")
            #expect(spool.outbox.pending().count == 1, "the alert waits in outbox/new")
        }

        var config: String { dir.url("config.yaml") }

        /// Runs `program` through /bin/sh with `stdin` piped in, as the service user when this test is root
        /// (setpriv to nobody, who then owns the deployment), with no secret in the environment.
        func run(_ program: String, _ arguments: [String], stdin: String = "") throws -> ProgramRun {
            var environment = Programs.environment()
            for name in Self.secrets.keys { environment.removeValue(forKey: name) }
            let quoted = ([Programs.path(program)] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            let user = OperatorCommandTests.asServiceUser ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : ""
            let script = "printf '%s' \"$VIGIL_TEST_STDIN\" | \(user)\(quoted.joined(separator: " "))"
            environment["VIGIL_TEST_STDIN"] = stdin
            let errors = LineCollector()
            let child = try ChildProcess(
                executable: "/bin/sh", arguments: ["-c", script], environment: environment, stdout: .capture,
                stderr: .lines { errors.append($0) })
            guard let termination = child.wait(timeout: 60) else {
                child.signal(SIGKILL)
                return ProgramRun(termination: child.wait(), stdout: child.output(), stderr: errors.text + "\n[killed after 60 s]")
            }
            return ProgramRun(termination: termination, stdout: child.output(), stderr: errors.text)
        }

        /// Hands the deployment to the service user (nobody), as the package's vigil user owns its spool.
        func handToServiceUser() throws {
            guard OperatorCommandTests.asServiceUser else { return }
            let chown = try ChildProcess(executable: "/bin/chown", arguments: ["-R", "65534:65534", dir.path])
            #expect(chown.wait() == .exited(0))
            chmod(dir.path, 0o755)
        }
    }

    /// Root can become another user (CI and the developers' machines run as root); elsewhere the commands run as
    /// this user, which proves the same about the secrets.
    static let asServiceUser = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")

    @Test("with no secret in the environment, status, spool ls, silence and notifier list work and say where the alert is")
    func readOnlyCommands() throws {
        let incident = try Incident()
        try incident.handToServiceUser()
        let status = try incident.run("orchestrator", ["status", "--config", incident.config])
        #expect(status.exitCode == 0, "\(status.stderr)")
        #expect(status.stdout.contains("shop/cart: http_500 since "), "\(status.stdout)")
        #expect(status.stdout.contains("GMT+8"), "times in notify.timezone, the zone named: \(status.stdout)")
        #expect(status.stdout.contains("alert waiting in outbox/new"), "not \"alert sent\" for an alert nobody sent: \(status.stdout)")
        let ls = try incident.run("orchestrator", ["--config", incident.config, "spool", "ls", "outbox"])
        #expect(ls.exitCode == 0 && ls.stdout.contains(incident.run), "\(ls.stdout) \(ls.stderr)")
        let state = try incident.run("orchestrator", ["spool", "show", "interfaces.ndjson", "--config", incident.config])
        #expect(state.exitCode == 0 && state.stdout.contains("\"id\": \"shop/cart\""), "state files can be shown: \(state.stdout) \(state.stderr)")
        let add = try incident.run("orchestrator", ["silence", "add", "shop", "--for", "1h", "--reason", "known", "--config", incident.config])
        #expect(add.exitCode == 0 && add.stdout.contains("silenced until ") && add.stdout.contains("GMT+8"), "\(add.stdout) \(add.stderr)")
        let list = try incident.run("orchestrator", ["silence", "ls", "--config", incident.config])
        #expect(list.exitCode == 0 && list.stdout.contains("active  shop"), "\(list.stdout) \(list.stderr)")
        // Options before the command, as `notifier --config X list`.
        let notifierList = try incident.run("notifier", ["--config", incident.config, "list"])
        #expect(notifierList.exitCode == 0, "\(notifierList.stderr)")
        #expect(notifierList.stdout.contains("outbox/new: 1\n  \(incident.run).alert.ndjson"), "\(notifierList.stdout)")
        for run in [status, ls, add, list, notifierList] {
            for secret in Incident.secrets.values { #expect(!(run.stdout + run.stderr).contains(secret)) }
        }
    }

    @Test("replay with no notifier running: without the secrets it says exactly what to run; with --env-file - it delivers")
    func replayWithoutService() throws {
        let incident = try Incident()
        try incident.handToServiceUser()
        let bare = try incident.run("notifier", ["replay", "--all", "--config", incident.config])
        #expect(bare.exitCode == 1, "\(bare.stdout) \(bare.stderr)")
        #expect(bare.stdout.contains("no notifier is running, and this environment lacks WECOM_KEY"), "\(bare.stdout)")
        #expect(bare.stdout.contains("notify.wecom.webhook_url: ${WECOM_KEY} is not set"), "\(bare.stdout)")
        #expect(bare.stdout.contains("notifier replay --all --env-file /etc/vigil/vigil.env --config \(incident.config)"), "\(bare.stdout)")
        #expect(incident.server.hits("/cgi-bin/webhook/send") == 0, "nothing sent without the key")

        let env = Incident.secrets.map { "\($0.key)=\($0.value)\n" }.sorted().joined()
        let replay = try incident.run("notifier", ["replay", "--all", "--env-file", "-", "--config", incident.config], stdin: env)
        #expect(replay.exitCode == 0, "\(replay.stdout) \(replay.stderr)")
        #expect(replay.stdout.contains("1 alert(s) queued for delivery now"), "the alert in outbox/new is not \"unknown\": \(replay.stdout)")
        let sent = incident.server.requests(to: "/cgi-bin/webhook/send")
        #expect(sent.count == 1 && sent.first?.bodyText.contains("1 new failure") == true, "\(sent.map(\.bodyText))")
        let status = try incident.run("orchestrator", ["status", "--config", incident.config])
        #expect(status.stdout.contains(", alert sent\n"), "\(status.stdout)")
    }

    @Test("check --env-file /dev/stdin as another user reads the descriptor it was given (never reopens it: EACCES)")
    func envFileFromStdin() throws {
        let incident = try Incident()
        try incident.handToServiceUser()
        let env = Incident.secrets.map { "\($0.key)=\($0.value)\n" }.sorted().joined()
        for name in ["/dev/stdin", "-", "/dev/fd/0"] {
            let check = try incident.run("orchestrator", ["check", "--config", incident.config, "--env-file", name], stdin: env)
            #expect(check.exitCode == 0, "\(name): \(check.stdout) \(check.stderr)")
            #expect(check.stdout.contains("environment: 2 variable(s) from "), "\(name): \(check.stdout)")
        }
        let without = try incident.run("orchestrator", ["check", "--config", incident.config])
        #expect(without.exitCode == 2 && without.stdout.contains("environment variable SHOP_PASSWORD is not set"), "check still needs them")
    }

    @Test("every .prom file a real cycle writes passes promtool check metrics")
    func promtoolLint() throws {
        guard let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first(where: FileManager.default.isExecutableFile) else {
            print("skipped: promtool not installed (Debian package prometheus); .ci/run installs it")
            return
        }
        let incident = try Incident()
        incident.server.route("/token", reply: .json(200, #"{"token":"t"}"#))
        incident.server.route("/cart", reply: .text(500, "down"))
        let once = try Programs.run("orchestrator", ["once", "--config", incident.config], environment: Incident.secrets)
        #expect(once.exitCode == 1, "a failure found: \(once.stderr)")
        let metrics = incident.dir.url("spool/metrics")
        let files = FileIO.listIfPresent(metrics).filter { $0.hasSuffix(".prom") }
        #expect(files.contains { $0.hasPrefix("vigil-analyzer-") } && files.contains { $0.hasPrefix("vigil-notifier-") }, "\(files)")
        for file in files {
            let check = try ChildProcess(
                executable: "/bin/sh", arguments: ["-c", "'\(promtool)' check metrics < '\(metrics)/\(file)'"], stdout: .capture,
                stderr: .capture)
            let termination = check.wait(timeout: 60)
            #expect(termination == .exited(0), "\(file): \(check.output())")
        }
        let analyzerFile = try #require(files.first { $0.hasPrefix("vigil-analyzer-") })
        let analyzer = try String(contentsOfFile: metrics + "/" + analyzerFile, encoding: .utf8)
        #expect(analyzer.contains("vigil_run_phase_p95_seconds{phase=\"total\"}"), "\(analyzer)")
    }
}
