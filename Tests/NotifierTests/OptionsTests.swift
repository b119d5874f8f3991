// The notifier's command line in process: its three commands, their options, and every mistake as one
// usage error with the usage of the command that was being parsed.

import Shared
import TestSupport
import Testing

@testable import notifier

@Suite("Notifier command line, in process", .ownThread)
struct NotifierOptionsTests {
    @Test("commands and their options parse to what they say")
    func valid() throws {
        #expect(try Options.parse([]).command == .deliver(once: false))
        #expect(try Options.parse(["--once", "--spool", "/s"]).common == CommonOptions(spoolDirectory: "/s"))
        #expect(try Options.parse(["list", "--config", "c.yaml"]).command == .list)
        #expect(try Options.parse(["replay", "--all"]).command == .replay(selection: [], all: true, sent: false, mention: false))
        #expect(
            try Options.parse(["replay", "--sent", "--mention", "r1", "r2"]).command
                == .replay(selection: ["r1", "r2"], all: false, sent: true, mention: true))
    }

    static let wrong: [([String], UsageError.Problem, String)] = [
        (["--all"], .misplaced(option: "--all", command: "delivering"), "usage: notifier [--config"),
        (["replay", "--once", "x"], .misplaced(option: "--once", command: "replay"), "usage: notifier replay"),
        (["list", "--sent"], .misplaced(option: "--sent", command: "list"), "usage: notifier list"),
        (["list", "extra"], .unexpectedArgument("extra"), "usage: notifier list"),
        (["send"], .unknownCommand("send", expected: "replay or list"), "usage: notifier [--config"),
        (["--frobnicate"], .unknownOption("--frobnicate"), "usage: notifier [--config"),
        (["replay"], .missingOperand(command: "replay", expected: "name the alerts to send, or --all"), "usage: notifier replay"),
        (["replay", "--all", "r1"], .conflict("replay: name alerts or give --all, not both"), "usage: notifier replay"),
        (["replay", "--mention", "r1"], .conflict("replay: --mention goes with --sent"), "usage: notifier replay"),
        (["replay", "r1", "--spool"], .missingValue(option: "--spool"), "usage: notifier replay"),
    ]

    @Test("every mistake is one usage error with the usage of its command", arguments: wrong.indices)
    func invalid(_ row: Int) {
        let (arguments, problem, usage) = Self.wrong[row]
        #expect {
            try Options.parse(arguments)
        } throws: { error in
            guard let error = error as? UsageError else { return false }
            return error.problem == problem && error.description.hasPrefix(error.reason + "\n\n" + usage)
        }
    }

    @Test(
        "--help of a command shows that command",
        arguments: [
            (["replay", "--help"], "usage: notifier replay"),
            (["list", "-h"], "usage: notifier list"),
            (["--help"], "usage: notifier [--config"),
        ])
    func help(_ arguments: [String], _ usage: String) {
        #expect {
            try Options.parse(arguments)
        } throws: { error in
            (error as? UsageError).map { $0.isHelp && $0.description.hasPrefix(usage) } ?? false
        }
    }
}
