// The orchestrator's command line in process: every command with its options, and every way to get it wrong
// (unknown option, misplaced option, missing value, invalid value), each with its message.

import Foundation
import Shared
import Testing
@testable import orchestrator

@Suite("Orchestrator command line, in process")
struct OptionsTests {
    @Test("commands and their options parse to what they say")
    func valid() throws {
        #expect(try Options.parse([]).command == .serve)
        #expect(try Options.parse(["once", "--config", "c.yaml"]).configPath == "c.yaml")
        #expect(try Options.parse(["status", "--json"]).command == .status(json: true))
        #expect(try Options.parse(["spool", "ls", "outbox", "--json"]).command == .spool(.list(queue: "outbox", json: true)))
        #expect(try Options.parse(["spool", "purge", "--queue", "quarantine", "--yes"]).command
            == .spool(.purge(names: [], queue: "quarantine", confirmed: true)))
        #expect(try Options.parse(["silence", "add", "pay/*", "--for", "2h", "--reason", "deploy"]).command
            == .silence(.add(match: "pay/*", duration: 7200, reason: "deploy", by: nil)))
        #expect(try Options.parse(["mock-api", "--port", "0", "--latency", "50ms"]).command == .mockAPI(port: 0, latency: 0.05))
        let hosts = try Options.parse(["--hosts", "3", "--host-index", "2"])
        #expect(hosts.localShards(of: 7).map(\.index) == [2, 5])
    }

    /// (arguments, what the error must say)
    static let wrong: [([String], String)] = [
        (["--no-such"], "unknown argument \"--no-such\""),
        (["check", "--yes"], "--yes does not go with check"),
        (["status", "--keep"], "--keep does not go with status"),
        (["demo", "--spool", "s"], "--spool does not go with demo"),
        (["once", "--env-file", "x"], "--env-file does not go with once"),
        (["--config"], "--config needs a value"),
        (["--hosts", "0"], "--hosts: expected a number ≥ 1"),
        (["--hosts", "2", "--host-index", "3"], "--host-index 3 is larger than --hosts 2"),
        (["silence", "add", "x", "--for", "forever", "--reason", "r"], "--for: expected a duration"),
        (["silence", "add", "x", "--for", "1h"], "silence add: name one interface id, service or glob, with --for and --reason"),
        (["spool", "frobnicate"], "spool: expected ls, show, requeue or purge"),
        (["launch"], "unknown command \"launch\""),
    ]

    @Test("every way to get it wrong is a usage error that says what was expected", arguments: wrong.indices)
    func invalid(_ row: Int) {
        let (arguments, message) = Self.wrong[row]
        #expect {
            try Options.parse(arguments)
        } throws: { error in
            guard let usage = error as? UsageError else { return false }
            return !usage.isHelp && usage.description.contains(message)
        }
    }

    @Test("--help is a clean exit with the usage of the command asked about")
    func help() {
        #expect {
            try Options.parse(["silence", "add", "--help"])
        } throws: { error in
            guard let usage = error as? UsageError else { return false }
            return usage.isHelp && usage.description.hasPrefix("usage: orchestrator silence add") && !usage.description.contains("mock-api")
        }
    }
}
