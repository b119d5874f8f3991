// Every program answers --version and --help the same way: on stdout, exit 0; an unknown argument is a usage
// error on stderr with exit 2.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Command lines", .ownThread)
struct CommandLineTests {
    @Test("--version names the program, Vigil's version and the libcurl it loaded", arguments: ["orchestrator", "prober", "analyzer", "notifier"])
    func version(_ program: String) throws {
        let run = try Programs.run(program, ["--version"], timeout: 30)
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("\(program) \(Version.vigil) (libcurl/"), "\(run.stdout)")
        #expect(run.stderr.isEmpty)
    }

    @Test(
        "--help prints the usage on stdout and exits 0; an unknown option is refused on stderr with 2",
        arguments: ["orchestrator", "prober", "analyzer", "notifier"])
    func help(_ program: String) throws {
        let help = try Programs.run(program, ["--help"], timeout: 30)
        #expect(help.exitCode == 0 && help.stdout.hasPrefix("usage: \(program)"), "\(help.stdout) \(help.stderr)")
        let wrong = try Programs.run(program, ["--no-such-flag"], timeout: 30)
        #expect(wrong.exitCode == 2 && wrong.stdout.isEmpty, "\(wrong.stdout)")
        #expect(wrong.stderr.hasPrefix("unknown option \"--no-such-flag\"\n\nusage: \(program)"), "\(wrong.stderr)")
    }
}

@Suite("Read-only commands", .ownThread)
struct ReadOnlyCommandTests {
    @Test("status, spool ls and notifier list never create a spool: they say there is none (exit 1)")
    func noSpoolCreated() throws {
        let dir = TemporaryDirectory("readonly")
        let missing = dir.url("nowhere/spool")
        for (program, arguments) in [("orchestrator", ["status"]), ("orchestrator", ["spool", "ls"]), ("notifier", ["list"])] {
            let run = try Programs.run(program, arguments + ["--spool", missing], timeout: 30)
            #expect(run.exitCode == 1, "\(program) \(arguments): \(run.stderr)")
            #expect(run.stderr.contains("there is no spool at \(missing)"), "\(run.stderr)")
            #expect(FileIO.status(dir.url("nowhere")) == nil, "\(program) \(arguments) created nothing")
        }
    }

    @Test("spool ls prints a header, and (empty) for an empty queue")
    func emptyListing() throws {
        let dir = TemporaryDirectory("ls")
        try Spool(root: dir.url("spool")).prepare()
        let run = try Programs.run("orchestrator", ["spool", "ls", "outbox", "--spool", dir.url("spool")], timeout: 30)
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(run.stdout == "QUEUE            AGE              SIZE       NAME\n(empty)\n", "\(run.stdout)")
    }
}

@Suite("Orchestrator subcommands", .ownThread)
struct SubcommandLineTests {
    @Test("an option that does not belong to the command is refused with that command's usage; --help on a subcommand shows its own")
    func misplacedAndHelp() throws {
        let misplaced = try Programs.run("orchestrator", ["check", "--yes", "--port", "1"], timeout: 30)
        #expect(misplaced.exitCode == 2 && misplaced.stderr.hasPrefix("--yes does not go with check"), "\(misplaced.stderr)")
        #expect(misplaced.stderr.contains("usage: orchestrator check") && !misplaced.stderr.contains("mock-api"), "\(misplaced.stderr)")
        let demo = try Programs.run("orchestrator", ["demo", "--config", "x.yaml"], timeout: 30)
        #expect(demo.exitCode == 2 && demo.stderr.hasPrefix("--config does not go with demo"), "\(demo.stderr)")
        let help = try Programs.run("orchestrator", ["spool", "ls", "--help"], timeout: 30)
        #expect(help.exitCode == 0 && help.stdout.hasPrefix("usage: orchestrator spool ls"), "\(help.stdout)")
        #expect(help.stdout.contains("spool ls [QUEUE] [--json]") && !help.stdout.contains("spool purge"), "\(help.stdout)")
    }
}
