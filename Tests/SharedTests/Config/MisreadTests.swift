// The places where a loader used to read a file differently from what it says, each asserted on the loaded
// configuration or on the exact `file:line` message: line endings and byte-order marks, huge numbers, trailing
// commas, core-schema types in bodies, ${…} values, schedules set twice, control characters in JSON.

import Foundation
import Shared
import TestSupport
import Testing

/// The message of loading `text` as `name` (every issue, one per line), with the directory removed.
private func loadError(_ name: String, _ text: String, environment: [String: String] = [:]) throws -> String {
    let dir = TemporaryDirectory("misread")
    try dir.write(name, text)
    let error = try #require(throws: ConfigError.self) { try ConfigLoader.load(path: dir.url(name), environment: environment) }
    return error.description.replacingOccurrences(of: dir.path + "/", with: "")
}

private func load(_ text: String, name: String = "config.yaml", environment: [String: String] = [:]) throws -> Config {
    let dir = TemporaryDirectory("misread")
    try dir.write(name, text)
    return try ConfigLoader.load(path: dir.url(name), environment: environment)
}

/// Copies examples/ into `dir/name`, rewriting every text file with `transform`.
private func copyExamples(to dir: TemporaryDirectory, _ name: String, _ transform: (String) -> String) throws -> String {
    let root = dir.url(name)
    for relative in FileManager.default.subpaths(atPath: examplesDirectory) ?? [] {
        let source = examplesDirectory + "/" + relative
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
        _ = try dir.write(name + "/" + relative, transform(try String(contentsOfFile: source, encoding: .utf8)))
    }
    return root
}

@Suite("Config files are never misread", .ownThread)
struct MisreadTests {
    @Test("examples/config.yaml and every interface file load to the same configuration with CRLF and BOM + CRLF")
    func lineEndings() throws {
        let dir = TemporaryDirectory("endings")
        let environment = ["USER_API_PASSWORD": "pw", "WECOM_WEBHOOK_URL": "https://127.0.0.1/hook?key=k"]
        func loaded(_ name: String, _ transform: (String) -> String) throws -> (Config, [InterfaceDefinition]) {
            let root = try copyExamples(to: dir, name, transform)
            var config = try ConfigLoader.load(path: root + "/config.yaml", environment: environment)
            let pool = try InterfacePool.load(config: config, environment: environment)
            config.source = nil
            config.monitor.interfacePool = config.monitor.interfacePool.replacingOccurrences(of: root, with: "")
            config.spool.directory = config.spool.directory.replacingOccurrences(of: dir.path + "/" + name, with: "")
            return (config, pool.interfaces)
        }
        let (lf, lfPool) = try loaded("lf") { $0 }
        #expect(lfPool.count >= 6 && lf.notify.wecom.count == 1 && lf.services.count == 3)
        for (name, transform) in [
            ("crlf", { (t: String) in t.replacingOccurrences(of: "\n", with: "\r\n") }),
            ("bom-crlf", { (t: String) in "\u{FEFF}" + t.replacingOccurrences(of: "\n", with: "\r\n") }),
            ("cr", { (t: String) in t.replacingOccurrences(of: "\n", with: "\r") }),
        ] {
            let (config, pool) = try loaded(name, transform)
            #expect(config == lf, "\(name)")
            #expect(pool == lfPool, "\(name): the same interfaces, ids and source lines")
        }
    }

    @Test("a CRLF config whose first line is a comment is read, not taken for an empty file")
    func crlfLeadingComment() throws {
        let config = try load("# team config\r\nmonitor:\r\n  interval: 5\r\nnotify:\r\n  wecom:\r\n    webhook_url: http://127.0.0.1/x\r\n")
        #expect(config.monitor.schedule == .interval(300))
        #expect(config.notify.wecom.count == 1)
        #expect(
            try loadError("config.yaml", "# c\r\nmonitor:\r\n  intervall: 5\r\n")
                .hasPrefix("config.yaml:3: monitor.intervall: unknown key; did you mean \"interval\"?"))
    }

    @Test("a file holding only null is refused, not taken for the defaults; an empty one means the defaults")
    func nullDocument() throws {
        let message = "the file holds only null; write the settings as \"key: value\" lines (an empty file means the defaults)"
        #expect(try loadError("config.yaml", "# settings\n~\n") == "config.yaml:2: " + message)
        #expect(try loadError("config.json", "null") == "config.json:1: " + message)
        #expect(try load("# nothing set yet\n").monitor.schedule == Config.defaults().monitor.schedule)
        // An explicit empty document is null in YAML, so it is refused too; "..." alone holds no document.
        #expect(try loadError("config.yaml", "---\n# settings to come\n") == "config.yaml:1: " + message)
        #expect(try load("...\n").monitor.schedule == Config.defaults().monitor.schedule)
    }

    @Test("a byte-order mark is skipped: errors quote the key, not an invisible character")
    func byteOrderMark() throws {
        #expect(
            try loadError("config.yaml", "\u{FEFF}monitr:\n  interval: 5\n")
                .hasPrefix("config.yaml:1: monitr: unknown key; did you mean \"monitor\"?"))
        #expect(try load("\u{FEFF}{\"monitor\": {\"interval\": 5}}", name: "config.json").monitor.schedule == .interval(300))
    }

    @Test(
        "huge and out-of-range numbers are errors with file and line, never a crash",
        arguments: [
            ("monitor:\n  interval: 1e300\n", "config.yaml:2: monitor.interval: expected a duration from 1s to 7d, found \"1e300\""),
            (
                "monitor:\n  interval: 1e400\n",
                "config.yaml:2: monitor.interval: expected a duration such as 10 (minutes), 10s, 15m, 500ms or 1h, found \"1e400\""
            ),
            (
                "spool:\n  min_free: 99999999999999999999\n",
                "config.yaml:2: spool.min_free: expected a size from 0 to 1PiB such as 64MB or 1GB, found \"99999999999999999999\""
            ),
            (
                "monitor:\n  concurrency: 99999999999999999999\n",
                "config.yaml:2: monitor.concurrency: expected a whole number from 1 to 10000, found \"99999999999999999999\""
            ),
            (
                "monitor:\n  timeout: 999999999999999999999h\n",
                "config.yaml:2: monitor.timeout: expected a duration from 1ms to 1h, found \"999999999999999999999h\""
            ),
            ("spool:\n  retention: 0\n", "config.yaml:2: spool.retention: expected a duration from 1h to 3650d, found \"0\""),
            (
                "monitor:\n  interval: .inf\n",
                "config.yaml:2: monitor.interval: expected a duration such as 10 (minutes), 10s, 15m, 500ms or 1h, found \".inf\""
            ),
            (
                "monitor:\n  interval: 0x1p3\n",
                "config.yaml:2: monitor.interval: expected a duration such as 10 (minutes), 10s, 15m, 500ms or 1h, found \"0x1p3\""
            ),
        ])
    func hugeNumbers(_ text: String, _ message: String) throws {
        #expect(try loadError("config.yaml", text) == message)
    }

    @Test("durations are formatted without trapping, whatever their size")
    func formatting() {
        #expect(DurationParser.format(1e300) == "1e+300s")
        #expect(DurationParser.format(.infinity) == "infs")
        #expect(DurationParser.format(7 * 86_400) == "7d")
        #expect(DurationParser.formatBytes(1 << 50) == "1PiB" && DurationParser.formatBytes(1000) == "1000B")
    }

    @Test("a trailing comma in a flow list adds nothing; an empty entry is refused")
    func trailingComma() throws {
        let config = try load("notify:\n  wecom:\n    webhook_url: http://127.0.0.1/x\n    mentioned_list: [\"zhangsan\", ]\n")
        #expect(config.notify.wecom.first?.mentionedList == ["zhangsan"])
        #expect(
            try loadError("config.yaml", "notify:\n  wecom:\n    mentioned_list: [a, , b]\n")
                == "config.yaml:3: column 25: empty entry in a flow collection: write a value between the commas")
    }

    @Test("monitor.interval with a schedule is refused, naming both; so are two schedules")
    func oneSchedule() throws {
        #expect(
            try loadError("config.yaml", "monitor:\n  interval: 15\n  schedule: \"0 * * * *\"\n")
                == "config.yaml:3: monitor.schedule: monitor.interval and monitor.schedule both set the schedule; keep only one "
                + "(interval: a fixed period aligned to the clock; schedule: a cron expression)")
        #expect(
            try loadError("config.yaml", "monitor:\n  interval: 15\nscheduler:\n  schedule: \"@hourly\"\n")
                .hasPrefix("config.yaml:4: scheduler.schedule: monitor.interval and scheduler.schedule both set the schedule"))
    }

    @Test(
        "cron steps beyond the field are refused",
        arguments: [
            ("*/61 * * * *", "minute: expected a step from 1 to 59 after /, found \"61\""),
            ("0 */24 * * *", "hour: expected a step from 1 to 23 after /, found \"24\""),
            ("0 0 */0 * *", "day of month: expected a step from 1 to 31 after /, found \"0\""),
            ("0 0 * */13 *", "month: expected a step from 1 to 12 after /, found \"13\""),
            ("0 0 * * 1-5/8", "day of week: expected a step from 1 to 7 after /, found \"8\""),
            ("0 0 * * */99999999999999999999", "day of week: expected a step from 1 to 7 after /, found \"99999999999999999999\""),
        ])
    func cronSteps(_ expression: String, _ message: String) {
        let error = #expect(throws: CronExpression.ParseError.self) { try CronExpression(parsing: expression) }
        #expect(error?.message == message)
    }

    @Test("a schedule that never fires is flagged; one that fires is not")
    func idleSchedules() throws {
        let now = try #require(Timestamp.parse("2026-11-23T00:00:00Z"))
        let utc = try #require(TimeZone(identifier: "UTC"))
        #expect(
            ScheduleSetting.cron(try CronExpression(parsing: "* * 31 2 *")).idleWarning(after: now, timeZone: utc)
                == "cron \"* * 31 2 *\" has no run in the next 366 days: no run will start")
        #expect(
            ScheduleSetting.cron(try CronExpression(parsing: "0 0 29 2 *")).idleWarning(after: now, timeZone: utc) != nil,
            "the next 29 February is in 2028")
        #expect(ScheduleSetting.cron(try CronExpression(parsing: "0 3 */2 * *")).idleWarning(after: now, timeZone: utc) == nil)
        #expect(ScheduleSetting.interval(900).idleWarning(after: now, timeZone: utc) == nil)
    }

    @Test("bodies follow the YAML 1.2 core schema: yes stays text, 007 is 7, ${…} is text, .inf is refused")
    func bodyTypes() throws {
        let dir = TemporaryDirectory("bodies")
        let config = try dir.write("config.yaml", "monitor:\n  interface_pool: pool\nservices:\n  s:\n    base_url: http://127.0.0.1:1\n")
        try dir.write(
            "pool/s/a.yaml",
            """
            name: a
            url: /a
            method: POST
            body: {answer: yes, on: on, n: 007, hex: 0x1F, f: 1., t: True, nul: ~, pin: "${PIN}", date: 2026-01-01}
            """)
        let loaded = try ConfigLoader.load(path: config, environment: [:])
        let pool = try InterfacePool.load(config: loaded, environment: ["PIN": "0042"])
        guard case let .json(body)? = pool.interfaces.first?.body else {
            Issue.record("expected a JSON body")
            return
        }
        #expect(body.serialized() == #"{"answer":"yes","on":"on","n":7,"hex":31,"f":1.0,"t":true,"nul":null,"pin":"0042","date":"2026-01-01"}"#)
        try dir.write("pool/s/a.yaml", "name: a\nurl: /a\nbody: {x: 1, limit: .inf}\n")
        let error = try #require(throws: ConfigError.self) { try InterfacePool.load(config: loaded, environment: [:]) }
        #expect(error.description == "pool/s/a.yaml:3: body: \".inf\" is a YAML number that JSON cannot carry; quote it to send it as text")
    }

    @Test("settings that want a boolean take true/false/yes/no/on/off in any case, and nothing else")
    func booleans() throws {
        for (text, value) in [("yes", true), ("On", true), ("TRUE", true), ("no", false), ("off", false), ("False", false)] {
            #expect(try load("alerts:\n  on_incomplete_run: \(text)\n").alerts.onIncompleteRun == value, "\(text)")
        }
        #expect(
            try loadError("config.yaml", "alerts:\n  on_incomplete_run: 1\n")
                == "config.yaml:2: alerts.on_incomplete_run: expected true or false, found \"1\"")
    }

    @Test("a raw control character in a JSON string is refused with its line; CR line endings count lines")
    func jsonControlCharacters() throws {
        #expect(
            try loadError("config.json", "{\"monitor\": {\"interval\": \"5\tm\"}}")
                == "config.json:1: column 28: a control character (U+0009) inside a string must be escaped, e.g. \\t or \\u0009")
        #expect(
            try loadError("config.json", "{\r\"monitor\":\r {\"intervall\": 5}}")
                .hasPrefix("config.json:3: monitor.intervall: unknown key"))
    }

    @Test("YAML nested deeper than 256 levels is refused, as JSON is")
    func depth() throws {
        let deep = "a: " + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "\n"
        #expect(try loadError("config.yaml", deep) == "config.yaml:1: column 259: nesting deeper than 256 levels")
        let json = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(try loadError("config.json", json) == "config.json:1: column 257: nesting deeper than 256 levels")
    }
}

@Suite("systemd environment files", .ownThread)
struct EnvironmentFileTests {
    /// The cases of systemd's own src/test/test-env-file.c, with their expected assignments.
    @Test(
        "systemd's test-env-file.c cases read as systemd reads them",
        arguments: [
            ("a=a\nb=b\\\nc\nd=d\\\ne\\\nf\ng=g\\ \nh=h\ni=i\\", ["a=a", "b=bc", "d=def", "g=g ", "h=h", "i=i"]),
            ("a=a\\\n", ["a=a"]),
            (
                "# Generated\n\nHWMON_MODULES=\"coretemp f71882fg\"\n\n# For compatibility reasons\n\nMODULE_0=coretemp\nMODULE_1=f71882fg",
                ["HWMON_MODULES=coretemp f71882fg", "MODULE_0=coretemp", "MODULE_1=f71882fg"]
            ),
            ("a=\nb=", ["a=", "b="]),
            // Since systemd v254 a line after a comment ending in a backslash is a line of its own.
            (
                "#SPAMD_ARGS=\"-d --socketpath=/var/lib/bulwark/spamd \\\n#--nouser-config                                     \\\nnormal=line",
                ["normal=line"]
            ),
        ])
    func systemdCases(_ text: String, _ expected: [String]) {
        let file = EnvironmentFile(parsing: text, file: "vigil.env")
        #expect(file.assignments.map { "\($0.name)=\($0.value)" } == expected)
    }

    @Test("quotes, escapes, comments, CRLF, and the lines systemd ignores (reported with their line)")
    func syntax() {
        let text =
            "; comment\r\nWECOM=\"https://h/send?key=a b\"\r\n  SPACED  =  value with  spaces  \r\nSINGLE='$HOME \\n'\r\n"
            + "DOUBLE=\"a\\\"b\\\\c\\$d\\e\"\r\nnot an assignment\r\n1BAD=x\r\nLAST=z"
        let file = EnvironmentFile(parsing: text, file: "vigil.env")
        #expect(
            file.variables == [
                "WECOM": "https://h/send?key=a b", "SPACED": "value with  spaces", "SINGLE": "$HOME \\n",
                "DOUBLE": "a\"b\\c$d\\e", "LAST": "z",
            ])
        #expect(
            file.ignored.map(\.description) == [
                "vigil.env:6: not an assignment (no \"=\"): systemd ignores this line",
                "vigil.env:7: \"1BAD\" is not a variable name (letters, digits, _): systemd ignores this assignment",
            ])
        #expect(file.assignments.first { $0.name == "LAST" }?.line == 8)
    }
}
