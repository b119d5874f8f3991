// The orchestrator's command line in process: every command with its options, and every way to get it wrong
// (unknown option, misplaced option, missing value, invalid value), each with its message.

import Foundation
import Shared
import TestSupport
import Testing

@testable import orchestrator

@Suite("Orchestrator command line, in process", .ownThread)
struct OptionsTests {
    @Test("commands and their options parse to what they say")
    func valid() throws {
        #expect(try Options.parse([]).command == .service)
        #expect(try Options.parse(["serve", "--config", "c.yaml"]).command == .site)
        #expect(try Options.parse(["once", "--config", "c.yaml"]).common == CommonOptions(configPath: "c.yaml"))
        #expect(try Options.parse(["status", "--spool", "/s"]).common.spoolDirectory == "/s")
        #expect(try Options.parse(["status", "--json"]).command == .status(json: true))
        #expect(try Options.parse(["spool", "ls", "outbox", "--json"]).command == .spool(.list(queue: "outbox", json: true)))
        #expect(
            try Options.parse(["spool", "purge", "--queue", "quarantine", "--yes"]).command
                == .spool(.purge(names: [], queue: "quarantine", confirmed: true)))
        #expect(
            try Options.parse(["silence", "add", "pay/*", "--for", "2h", "--reason", "deploy"]).command
                == .silence(.add(match: "pay/*", duration: 7200, reason: "deploy", by: nil)))
        #expect(try Options.parse(["mock-api", "--port", "0", "--latency", "50ms"]).command == .mockAPI(port: 0, latency: 0.05))
        let hosts = try Options.parse(["--hosts", "3", "--host-index", "2"])
        #expect(hosts.localShards(of: 7).map(\.index) == [2, 5])
    }

    /// (arguments, the problem, the start of the usage printed with it)
    static let wrong: [([String], UsageError.Problem, String)] = [
        (["--no-such"], .unknownOption("--no-such"), "usage: orchestrator [COMMAND]"),
        (["check", "--yes"], .misplaced(option: "--yes", command: "check"), "usage: orchestrator check"),
        (["check", "--yes", "--port", "1"], .misplaced(option: "--yes", command: "check"), "usage: orchestrator check"),
        (["status", "--keep"], .misplaced(option: "--keep", command: "status"), "usage: orchestrator status"),
        (["demo", "--spool", "s"], .misplaced(option: "--spool", command: "demo"), "usage: orchestrator demo"),
        (["once", "--env-file", "x"], .misplaced(option: "--env-file", command: "once"), "usage: orchestrator once"),
        (["--json"], .misplaced(option: "--json", command: "the service"), "usage: orchestrator [COMMAND]"),
        (["--config"], .missingValue(option: "--config"), "usage: orchestrator [COMMAND]"),
        (["status", "--config", "--json"], .missingValue(option: "--config"), "usage: orchestrator [COMMAND]"),
        (["--hosts", "0"], .invalidValue(option: "--hosts", found: "0", expected: "a number ≥ 1"), "usage:"),
        (["mock-api", "--port", "70000"], .invalidValue(option: "--port", found: "70000", expected: "a port number (0–65535)"), "usage:"),
        (["--hosts", "2", "--host-index", "3"], .conflict("--host-index 3 is larger than --hosts 2"), "usage: orchestrator [COMMAND]"),
        (
            ["silence", "add", "x", "--for", "forever", "--reason", "r"],
            .invalidValue(option: "--for", found: "forever", expected: "a duration such as 30m, 2h or 3d (at most 366d)"), "usage:"
        ),
        (
            ["silence", "add", "x", "--for", "1h"],
            .missingOperand(command: "silence add", expected: "name one interface id, service or glob, with --for and --reason"),
            "usage: orchestrator silence add"
        ),
        (["spool", "show"], .missingOperand(command: "spool show", expected: "name a file"), "usage: orchestrator spool show"),
        (["spool", "frobnicate"], .unknownCommand("spool frobnicate", expected: "spool ls, show, requeue or purge"), "usage:"),
        (["launch"], .unknownCommand("launch", expected: "once, check, trigger, status, spool, silence, import, serve, demo or mock-api"), "usage:"),
        (["status", "now"], .unexpectedArgument("now"), "usage: orchestrator status"),
    ]

    @Test(
        "every way to get it wrong is one usage error that says what was expected, with that command's usage",
        arguments: wrong.indices)
    func invalid(_ row: Int) {
        let (arguments, problem, usage) = Self.wrong[row]
        #expect {
            try Options.parse(arguments)
        } throws: { error in
            guard let error = error as? UsageError else { return false }
            return error.problem == problem && error.description.hasPrefix(error.reason + "\n\n" + usage)
        }
    }

    @Test("the rendered reasons read as sentences")
    func rendering() {
        let usage = "usage: x"
        let rendered: [(UsageError.Problem, String)] = [
            (.unknownOption("--x"), "unknown option \"--x\""),
            (.missingValue(option: "--config"), "--config needs a value"),
            (.invalidValue(option: "--port", found: "http", expected: "a port number"), "--port: expected a port number, found \"http\""),
            (.misplaced(option: "--yes", command: "check"), "--yes does not go with check"),
            (.unknownCommand("launch", expected: "once or check"), "unknown command \"launch\" (expected once or check)"),
            (.unexpectedArgument("now"), "unexpected argument \"now\""),
        ]
        for (problem, text) in rendered {
            #expect(UsageError(problem, usage: usage).description == text + "\n\nusage: x")
        }
        #expect(UsageError(.help, usage: usage).description == usage)
    }

    @Test(
        "--help is a clean exit with the usage of the command asked about",
        arguments: [
            (["silence", "add", "--help"], "usage: orchestrator silence add"),
            (["spool", "ls", "-h"], "usage: orchestrator spool ls"),
            (["once", "--help"], "usage: orchestrator once"),
            (["--help"], "usage: orchestrator [COMMAND]"),
        ])
    func help(_ arguments: [String], _ usage: String) {
        #expect {
            try Options.parse(arguments)
        } throws: { error in
            guard let error = error as? UsageError else { return false }
            return error.isHelp && error.description.hasPrefix(usage) && (arguments.count == 1 || !error.description.contains("mock-api"))
        }
    }
}
