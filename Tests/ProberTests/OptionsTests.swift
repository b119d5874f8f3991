// The prober's command line in process: run ids, shards, prefixes, and each mistake with what was expected.

import Shared
import TestSupport
import Testing

@testable import prober

@Suite("Prober command line, in process", .ownThread)
struct ProberOptionsTests {
    @Test("options parse to what they say")
    func valid() throws {
        let options = try Options.parse([
            "--run", "20261122T150000Z-tick", "--shard", "2of3", "--only", "pay/", "--only", "cms/",
            "--config", "c.yaml",
        ])
        #expect(options.run == "20261122T150000Z-tick" && options.shard == Shard(index: 2, count: 3))
        #expect(options.only == ["pay/", "cms/"] && options.common == CommonOptions(configPath: "c.yaml"))
        let tick = try Options.parse(["--run", "tick"])
        #expect(tick.runFromSchedule && tick.run == nil)
    }

    static let wrong: [([String], UsageError.Problem)] = [
        (["--run", "yesterday"], .invalidValue(option: "--run", found: "yesterday", expected: "a run id (e.g. 20261122T150000Z-tick) or tick")),
        (["--shard", "3/2"], .invalidValue(option: "--shard", found: "3/2", expected: "K/N (or KofN) with 1 ≤ K ≤ N")),
        (["--shard"], .missingValue(option: "--shard")),
        (["--only", "--run", "tick"], .missingValue(option: "--only")),
        (["--once"], .unknownOption("--once")),
        (["probe"], .unexpectedArgument("probe")),
    ]

    @Test("--help is the usage, not a mistake")
    func help() {
        #expect {
            try Options.parse(["--shard", "1/2", "--help"])
        } throws: { error in
            (error as? UsageError).map { $0.isHelp && $0.description == Options.usage } ?? false
        }
    }

    @Test("every mistake is one usage error with the prober's usage", arguments: wrong.indices)
    func invalid(_ row: Int) {
        let (arguments, problem) = Self.wrong[row]
        #expect {
            try Options.parse(arguments)
        } throws: { error in
            guard let error = error as? UsageError else { return false }
            return error.problem == problem && error.description.hasPrefix(error.reason + "\n\nusage: prober")
        }
    }
}
