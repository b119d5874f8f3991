// Loading config.yaml / config.json: the seed example, defaults, units, ${ENV}, and every kind of mistake
// reported with file and line.

import Foundation
import Shared
import TestSupport
import Testing

/// The repository's examples folder.
let examplesDirectory: String = {
    var dir = URL(fileURLWithPath: #filePath)
    while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.path + "/Package.swift") {
        dir.deleteLastPathComponent()
    }
    return dir.path + "/examples"
}()

@Suite("Config loading", .ownThread)
struct ConfigLoaderTests {
    @Test("the shipped example config loads with the seed's units")
    func seedExample() throws {
        let config = try ConfigLoader.load(path: examplesDirectory + "/config.yaml", environment: ["USER_API_PASSWORD": "s3cret-pass"])
        #expect(config.monitor.schedule == .interval(15 * 60))
        #expect(config.monitor.timeout == 10)
        #expect(config.monitor.concurrency == 5)
        #expect(config.monitor.retryAttempts == 3)
        #expect(config.monitor.breakerFailures == 3 && config.monitor.breakerOpenFor == 300)
        #expect(config.scheduler.maxRuntime == 3600 && config.scheduler.startDelay == 5 && config.scheduler.probers == 1)
        #expect(config.monitor.interfacePool == examplesDirectory + "/Interface-pool")
        let user = try #require(config.services["user"])
        #expect(user.baseURL == "https://api.example.com")
        #expect(user.auth?.tokenField == "data.access_token")
        #expect(user.auth?.body?.value(at: "password") == .string("s3cret-pass"))
        #expect(Redactor.redact("password is s3cret-pass") == "password is ***", "env secrets are registered")
        #expect(config.alerts.mode == .change && config.alerts.repeatInterval == 3600)
        #expect(config.notify.isEmpty, "an empty webhook means no channel")
        #expect(config.spool.retention == 7 * 86_400)
    }

    @Test("JSON configs load the same way, and durations accept strings")
    func jsonConfig() throws {
        let dir = TemporaryDirectory("cfgjson")
        let path = try dir.write(
            "config.json",
            """
            {"monitor": {"interval": "30s", "timeout": "500ms", "schedule": null, "interface_pool": "pool"},
             "notify": {"webhooks": [{"name": "ops", "url": "http://127.0.0.1:9/hook?token=abcdef123"}]}}
            """)
        let config = try ConfigLoader.load(path: path, environment: [:])
        #expect(config.monitor.schedule == .interval(30))
        #expect(config.monitor.timeout == 0.5)
        #expect(config.monitor.interfacePool == dir.path + "/pool")
        #expect(config.notify.webhooks.first?.name == "ops")
        #expect(Redactor.redact("x abcdef123 y") == "x *** y")
    }

    @Test("a cron schedule replaces the interval")
    func cron() throws {
        let dir = TemporaryDirectory("cfgcron")
        let path = try dir.write("config.yaml", "monitor:\n  schedule: \"*/5 9-17 * * 1-5\"\n")
        let config = try ConfigLoader.load(path: path, environment: [:])
        guard case let .cron(expression) = config.monitor.schedule else {
            Issue.record("expected a cron schedule")
            return
        }
        #expect(expression.source == "*/5 9-17 * * 1-5")
    }

    @Test("no config file means the built-in defaults")
    func defaults() throws {
        let config = Config.defaults(directory: "/srv/vigil")
        #expect(config.spool.directory == "/srv/vigil/spool")
        #expect(config.monitor.interfacePool == "/srv/vigil/Interface-pool")
        #expect(config.scheduler.gracefulShutdown == 30)
    }

    @Test(
        "mistakes are reported with file, line, key and what was expected",
        arguments: [
            ("monitor:\n  interval: 15\n   timeout: 10\n", "config.yaml:3:", "indentation"),
            ("monitor:\n\tinterval: 15\n", "config.yaml:2:", "tab"),
            ("services:\n  user:\n    base_url: \"https://x\n", "config.yaml:3:", "unterminated"),
            ("monitor:\n  intervall: 15\n", "config.yaml:2: monitor.intervall: unknown key; did you mean \"interval\"", ""),
            ("monitor:\n  timeout: ten\n", "config.yaml:2: monitor.timeout: expected a duration", "found \"ten\""),
            ("monitor:\n  concurrency: many\n", "config.yaml:2: monitor.concurrency: expected a whole number", ""),
            ("monitor:\n  concurrency: [1, 2]\n", "config.yaml:2: monitor.concurrency: expected a text value", "a list"),
            (
                "services:\n  user:\n    auth:\n      url: /t\n      body: {password: \"${NOT_SET_VAR}\"}\n",
                "config.yaml:5: services.user.auth.body.password:", "NOT_SET_VAR is not set"
            ),
            ("alerts:\n  mode: sometimes\n", "config.yaml:2: alerts.mode: expected one of change, every_run", ""),
            ("monitor: 5\n", "config.yaml:1: monitor: expected a mapping", ""),
            ("scheduler:\n  schedule: \"61 * * * *\"\n", "config.yaml:2: scheduler.schedule: minute", ""),
        ])
    func mistakes(_ text: String, _ prefix: String, _ phrase: String) throws {
        let dir = TemporaryDirectory("cfgbad")
        try dir.write("config.yaml", text)
        do {
            _ = try ConfigLoader.load(path: dir.url("config.yaml"), environment: [:])
            Issue.record("expected an error for \(text.debugDescription)")
        } catch let error as ConfigError {
            let message = error.description.replacingOccurrences(of: dir.path + "/", with: "")
            #expect(message.contains(prefix), "\(message)")
            #expect(phrase.isEmpty || message.contains(phrase), "\(message)")
        }
    }

    @Test("every mistake of a file is reported in one pass")
    func allMistakes() throws {
        let dir = TemporaryDirectory("cfgmany")
        try dir.write("config.yaml", "monitor:\n  timeout: x\n  concurrency: y\nspool:\n  retention: z\n")
        let error = try #require(throws: ConfigError.self) { try ConfigLoader.load(path: dir.url("config.yaml"), environment: [:]) }
        #expect(error.issues.map(\.line) == [2, 3, 5])
    }
}

@Suite("Environment and durations", .ownThread)
struct EnvironmentTests {
    @Test("references expand, defaults apply, $$ escapes, missing names are errors")
    func expansion() throws {
        let env = Environment(["A": "1", "EMPTY": ""])
        #expect(try env.expand("x${A}y").text == "x1y")
        #expect(try env.expand("${B:-fallback}").text == "fallback")
        #expect(try env.expand("${EMPTY:-d}").text == "d")
        #expect(try env.expand("cost $$5").text == "cost $5")
        #expect(throws: Environment.ExpansionError.missing("B")) { try env.expand("${B}") }
        #expect(throws: Environment.ExpansionError.self) { try env.expand("${bad name}") }
    }

    @Test(
        "durations in the seed's units and with suffixes",
        arguments: [
            ("15", DurationParser.Unit.minutes, 900.0), ("10", .seconds, 10), ("15m", .seconds, 900), ("500ms", .seconds, 0.5),
            ("1h30m", .seconds, 5400), ("7d", .seconds, 604_800), ("2.5", .seconds, 2.5),
        ])
    func durations(_ text: String, _ unit: DurationParser.Unit, _ expected: Double) {
        #expect(DurationParser.parse(text, defaultUnit: unit) == expected)
    }

    @Test("bad durations and sizes are nil")
    func badDurations() {
        for text in ["ten", "5x", "-1", "", "m"] { #expect(DurationParser.parse(text, defaultUnit: .seconds) == nil, "\(text)") }
        #expect(DurationParser.bytes("64MB") == 64 << 20)
        #expect(DurationParser.bytes("lots") == nil)
        #expect(DurationParser.format(5400) == "1h30m" && DurationParser.format(0.5) == "500ms")
    }
}
