// The analyzer's command line in process.

import Shared
import TestSupport
import Testing

@testable import analyzer

@Suite("Analyzer command line, in process", .ownThread)
struct AnalyzerOptionsTests {
    @Test("--once and the common options; anything else is refused with the usage")
    func parse() throws {
        let options = try Options.parse(["--once", "--spool", "/s", "--config", "c.yaml"])
        #expect(options.once && options.common == CommonOptions(configPath: "c.yaml", spoolDirectory: "/s"))
        for (arguments, problem) in [
            (["--twice"], UsageError.Problem.unknownOption("--twice")), (["once"], .unexpectedArgument("once")),
            (["--config"], .missingValue(option: "--config")), (["-h"], .help),
        ] {
            #expect {
                try Options.parse(arguments)
            } throws: { error in
                (error as? UsageError).map { $0.problem == problem && $0.description.contains("usage: analyzer") } ?? false
            }
        }
    }
}
