// Options: the orchestrator's commands and flags, parsed by hand.

import Foundation
import Shared

enum SpoolAction: Equatable {
    case list(queue: String?, json: Bool)
    case show(String)
    case requeue(names: [String], queue: String?)
    case purge(names: [String], queue: String?, confirmed: Bool)
}

enum SilenceAction: Equatable {
    case add(match: String, duration: Double, reason: String, by: String?)
    case list
    case remove(String)
}

enum Command: Equatable {
    /// The service: keep the schedule until SIGTERM.
    case service
    /// Serve the status site read-only (web.listen) until SIGTERM.
    case site
    /// One full cycle in the foreground.
    case once
    case check
    case trigger
    case status(json: Bool)
    case spool(SpoolAction)
    case silence(SilenceAction)
    /// A self-contained first run against a local mock API and webhook receiver.
    case demo(keep: Bool)
    /// Serve the mock API (demo and benchmarks) until SIGTERM.
    case mockAPI(port: UInt16, latency: Double)
    /// Interface files from an API document.
    case importSpec(ImportRequest)
}

struct Options {
    var command = Command.service
    var common = CommonOptions()
    /// Multi-host: this orchestrator runs shards index, index+hosts, … of every scheduled run.
    var hosts = 1
    var hostIndex = 1
    /// The location this orchestrator and its probers are at (`--location`, else VIGIL_LOCATION; locations:).
    var location: String? = LocationSettings.chosen(nil)

    static let usage = """
        usage: orchestrator [COMMAND] [--config PATH] [--spool DIR] [--hosts M --host-index I] [--location NAME]

        commands:
          (none)               run as a service: keep the schedule, start probers, supervise them (until SIGTERM)
          once                 one full cycle in the foreground: probe, analyze, notify, print the report
                               (exit 0: all interfaces ok, 1: failures found, 2: the configuration is wrong)
          check [--env-file FILE]...   validate the config and every interface file, print a summary; probes nothing.
                               --env-file reads systemd EnvironmentFile= syntax and expands ${…} with those variables
                               only, as the service will (a leading "-" as in the unit: a missing file is no error;
                               "-" or /dev/stdin: standard input)
          trigger              ask the running service to start a run now
          status [--json]      the services, what fails now, the last runs and the spool's queues (from files: works with or
                               without the services); --json: the same facts as one JSON object
          spool ls [QUEUE] [--json]            list files per queue with age and size
          spool show NAME                      print a spool file's records readably (NAME: file name or path)
          spool requeue NAME... | --queue Q    move quarantined files back to their queue, make deferred/failed alerts due
          spool purge NAME... | --queue Q --yes    delete (prints what it would delete without --yes)
          silence add ID|SERVICE|GLOB --for 2h --reason "…" [--by NAME]   probe and report, but neither alert nor remind
          silence ls | silence rm SILENCE-ID   list silences (active and expired), end one
          import openapi|swagger|postman|har FILE --service NAME [--out DIR] [--only GET,HEAD] [--tag T] [--base-url URL] [--dry-run] [--prune]
                               one interface file per operation under Interface-pool/NAME/; edited files are kept
          serve                the status site (spool/site/, written by the analyzer) read-only on web.listen (127.0.0.1:8080)
          demo [--keep]        a self-contained first run: mock API and webhook receiver on 127.0.0.1, the real programs
          mock-api [--port N] [--latency 50ms]  serve the mock API used by the demo and the benchmarks
        options (before or after the command):
          --config PATH        config.yaml or config.json (default: ./config.yaml if present, else built-in defaults)
          --spool DIR          spool directory (default: spool.dir of the config)
          --env-file FILE      check, trigger, status, spool, silence: expand ${…} with this file's variables. The
                               commands that only read the spool need no secret: an unset ${…} leaves its key out
          --hosts M --host-index I   several hosts share the spool: this one runs shards I, I+M, … of each run
          --location NAME      the location this host probes from (one of locations.names; default VIGIL_LOCATION);
                               with --hosts, the hosts of one location split its shards
        """

    /// What the command line says before the command is known: its words, the flags given, each option's value.
    private struct Scanned {
        var words: [String] = []
        var flags: Set<String> = []
        /// Every `--option` as written, to refuse those the chosen command does not take.
        var given: [String] = []
        var helpRequested = false
        var port: UInt16 = 8080
        var latency = 0.05
        var queue: String?
        var silenceFor: Double?
        var reason: String?
        var by: String?
        var importRequest = ImportRequest(format: "", file: "", service: "")

        /// The words after the command and its action (`spool show NAME`: NAME; `import openapi FILE`: none).
        var operands: [String] { words.first == "import" ? Array(words.dropFirst(3)) : Array(words.dropFirst(2)) }
    }

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var args = ArgumentCursor(arguments, usage: usage)
        var scanned = Scanned()
        while let argument = args.next() {
            if argument.hasPrefix("--"), argument != "--help" { scanned.given.append(argument) }
            do {
                if try args.common(argument, into: &options.common) { continue }
            } catch let error as UsageError where error.isHelp {
                scanned.helpRequested = true
                continue
            }
            try take(argument, from: &args, into: &options, &scanned)
        }
        // From here on, errors carry the usage of the chosen command (`spool ls --help`: that command alone).
        args.usage = usage(of: scanned.words)
        if scanned.helpRequested { throw args.error(.help) }
        // An option that does not belong to the chosen command is refused, never ignored.
        let words = scanned.words
        let command = words.prefix(words.first == "spool" || words.first == "silence" ? 2 : 1).joined(separator: " ")
        for flag in scanned.given where !allowed(flag, in: command) {
            throw args.error(.misplaced(option: flag, command: command.isEmpty ? "the service" : command))
        }
        guard options.hostIndex <= options.hosts else {
            throw args.error(.conflict("--host-index \(options.hostIndex) is larger than --hosts \(options.hosts)"))
        }
        options.command = try self.command(scanned, args)
        // Commands without operands take none: `status now` is a mistake, not `status`.
        let takesOperands = ["spool", "silence", "import"].contains(words.first ?? "")
        if !takesOperands, words.count > 1 { throw args.error(.unexpectedArgument(words[1])) }
        return options
    }

    /// One argument that is not a common option: an option of some command (with its value), or a word.
    private static func take(_ argument: String, from args: inout ArgumentCursor, into options: inout Options, _ scanned: inout Scanned) throws {
        switch argument {
        case "--hosts": options.hosts = try args.value(for: argument, expected: "a number ≥ 1") { Int($0).flatMap { $0 >= 1 ? $0 : nil } }
        case "--location": options.location = try args.value(for: argument)
        case "--host-index":
            options.hostIndex = try args.value(for: argument, expected: "a number ≥ 1") { Int($0).flatMap { $0 >= 1 ? $0 : nil } }
        case "--port": scanned.port = try args.value(for: argument, expected: "a port number (0–65535)") { UInt16($0) }
        case "--latency":
            scanned.latency = try args.value(for: argument, expected: "a duration such as 50ms") {
                DurationParser.parse($0, defaultUnit: .milliseconds)
            }
        case "--queue": scanned.queue = try args.value(for: argument)
        case "--for":
            scanned.silenceFor = try args.value(for: argument, expected: "a duration such as 30m, 2h or 3d (at most 366d)") {
                DurationParser.parse($0, defaultUnit: .minutes).flatMap { $0 > 0 && $0 <= 366 * 86_400 ? $0 : nil }
            }
        case "--reason": scanned.reason = try args.value(for: argument)
        case "--by": scanned.by = try args.value(for: argument)
        case "--service": scanned.importRequest.service = try args.value(for: argument)
        case "--out": scanned.importRequest.out = try args.value(for: argument)
        case "--only":
            scanned.importRequest.only = try args.value(for: argument, expected: "HTTP methods such as GET,HEAD") { text in
                let methods = text.uppercased().split(separator: ",").map(String.init)
                return methods.allSatisfy(InterfaceDefinition.methods.contains) && !methods.isEmpty ? methods : nil
            }
        case "--tag": scanned.importRequest.tag = try args.value(for: argument)
        case "--base-url": scanned.importRequest.baseURL = try args.value(for: argument)
        case "--dry-run": scanned.importRequest.dryRun = true
        case "--prune": scanned.importRequest.prune = true
        case "--json", "--yes", "--keep": scanned.flags.insert(argument)
        default:
            guard !argument.hasPrefix("-") else { throw args.unknown(argument) }
            scanned.words.append(argument)
        }
    }

    /// The command the words name, with its operands and options.
    private static func command(_ scanned: Scanned, _ args: ArgumentCursor) throws -> Command {
        switch scanned.words.first {
        case nil: return .service
        case "serve": return .site
        case "once": return .once
        case "check": return .check
        case "trigger": return .trigger
        case "status": return .status(json: scanned.flags.contains("--json"))
        case "demo": return .demo(keep: scanned.flags.contains("--keep"))
        case "mock-api": return .mockAPI(port: scanned.port, latency: scanned.latency)
        case "import": return try importCommand(scanned, args)
        case "silence": return .silence(try silenceAction(scanned, args))
        case "spool": return .spool(try spoolAction(scanned, args))
        case let other?:
            throw args.error(.unknownCommand(other, expected: "once, check, trigger, status, spool, silence, import, serve, demo or mock-api"))
        }
    }

    /// `import FORMAT FILE --service NAME …`.
    private static func importCommand(_ scanned: Scanned, _ args: ArgumentCursor) throws -> Command {
        let operands = scanned.operands
        guard operands.isEmpty else { throw args.error(.unexpectedArgument(operands[0])) }
        let rest = Array(scanned.words.dropFirst())
        guard rest.count == 2 else {
            throw args.error(.missingOperand(command: "import", expected: "name the format (openapi, swagger, postman or har) and the file"))
        }
        guard ["openapi", "swagger", "postman", "har"].contains(rest[0]) else {
            throw args.error(.invalidValue(option: "import", found: rest[0], expected: "openapi, swagger, postman or har"))
        }
        var request = scanned.importRequest
        guard !request.service.isEmpty else { throw args.error(.missingOperand(command: "import", expected: "--service NAME")) }
        request.format = rest[0]
        request.file = rest[1]
        return .importSpec(request)
    }

    /// `silence add | ls | rm`.
    private static func silenceAction(_ scanned: Scanned, _ args: ArgumentCursor) throws -> SilenceAction {
        let operands = scanned.operands
        switch scanned.words.dropFirst().first {
        case "add":
            guard operands.count == 1, let duration = scanned.silenceFor, let reason = scanned.reason, !reason.isEmpty else {
                throw args.error(
                    .missingOperand(command: "silence add", expected: "name one interface id, service or glob, with --for and --reason"))
            }
            return .add(match: operands[0], duration: duration, reason: reason, by: scanned.by)
        case "ls": return .list
        case "rm":
            guard operands.count == 1 else {
                throw args.error(.missingOperand(command: "silence rm", expected: "name the silence (see silence ls)"))
            }
            return .remove(operands[0])
        case let other: throw args.error(.unknownCommand("silence \(other ?? "")", expected: "silence add, ls or rm"))
        }
    }

    /// `spool ls | show | requeue | purge`.
    private static func spoolAction(_ scanned: Scanned, _ args: ArgumentCursor) throws -> SpoolAction {
        let operands = scanned.operands
        let queue = scanned.queue
        switch scanned.words.dropFirst().first {
        case "ls": return .list(queue: operands.first ?? queue, json: scanned.flags.contains("--json"))
        case "show":
            guard let name = operands.first else { throw args.error(.missingOperand(command: "spool show", expected: "name a file")) }
            return .show(name)
        case "requeue":
            guard !operands.isEmpty || queue != nil else {
                throw args.error(.missingOperand(command: "spool requeue", expected: "name files or --queue"))
            }
            return .requeue(names: operands, queue: queue)
        case "purge":
            guard !operands.isEmpty || queue != nil else {
                throw args.error(.missingOperand(command: "spool purge", expected: "name files or --queue"))
            }
            return .purge(names: operands, queue: queue, confirmed: scanned.flags.contains("--yes"))
        case let other: throw args.error(.unknownCommand("spool \(other ?? "")", expected: "spool ls, show, requeue or purge"))
        }
    }

    /// Options each command takes besides --config and --spool (every command but demo and mock-api takes those).
    private static let commandOptions: [String: Set<String>] = [
        "": ["--hosts", "--host-index", "--location"], "serve": [], "once": ["--location"],
        "check": ["--env-file", "--hosts", "--host-index", "--location"],
        "trigger": ["--env-file"], "status": ["--json", "--env-file"], "spool ls": ["--json", "--queue", "--env-file"],
        "spool show": ["--env-file"], "spool requeue": ["--queue", "--env-file"], "spool purge": ["--queue", "--yes", "--env-file"],
        "silence add": ["--for", "--reason", "--by", "--env-file"], "silence ls": ["--env-file"], "silence rm": ["--env-file"],
        "demo": ["--keep"], "mock-api": ["--port", "--latency"],
        "import": ["--service", "--out", "--only", "--tag", "--base-url", "--dry-run", "--prune"],
    ]

    private static func allowed(_ flag: String, in command: String) -> Bool {
        // Unknown commands are reported below with their own message.
        guard let own = commandOptions[command] else { return true }
        if flag == "--config" || flag == "--spool" { return command != "demo" && command != "mock-api" }
        return own.contains(flag)
    }

    /// The usage lines of the command named by `words` (the whole usage when it names none).
    static func usage(of words: [String]) -> String {
        guard let first = words.first else { return usage }
        let key = words.prefix(first == "spool" || first == "silence" ? 2 : 1).joined(separator: " ")
        let lines = usage.split(separator: "\n", omittingEmptySubsequences: false)
        var picked: [Substring] = []
        var inPicked = false
        for line in lines {
            let trimmed = line.drop { $0 == " " }
            if line.hasPrefix("  "), !line.hasPrefix("    "), !trimmed.hasPrefix("--") {
                inPicked =
                    trimmed.hasPrefix(key + " ") || trimmed == key || (key == first && trimmed.hasPrefix(first + " |"))
                    || trimmed.hasPrefix(key + "|")
            } else if !line.hasPrefix("    ") {
                inPicked = false
            }
            if inPicked { picked.append(line) }
        }
        guard !picked.isEmpty else { return usage }
        let options = lines.drop { !$0.hasPrefix("options:") }
        return "usage: orchestrator \(key) …\n\n" + picked.joined(separator: "\n") + "\n" + options.joined(separator: "\n")
    }

    /// The shards of an N-way run this host takes.
    func localShards(of count: Int) -> [Shard] {
        Shard.all(count).filter { ($0.index - 1) % hosts == hostIndex - 1 }
    }
}
