// Options: the orchestrator's commands and flags, parsed by hand.

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
    case serve
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
}

struct Options {
    var command = Command.serve
    var configPath: String?
    var spoolDirectory: String?
    /// Multi-host: this orchestrator runs shards index, index+hosts, … of every scheduled run.
    var hosts = 1
    var hostIndex = 1
    /// `check --env-file`: systemd EnvironmentFile= files whose variables replace the shell's for `${…}`.
    var environmentFiles: [String] = []

    static let usage = """
    usage: orchestrator [COMMAND] [--config PATH] [--spool DIR] [--hosts M --host-index I]

    commands:
      (none)               run as a service: keep the schedule, start probers, supervise them (until SIGTERM)
      once                 one full cycle in the foreground: probe, analyze, notify, print the report
                           (exit 0: all interfaces ok, 1: failures found, 2: the configuration is wrong)
      check [--env-file FILE]...   validate the config and every interface file, print a summary; probes nothing.
                           --env-file reads systemd EnvironmentFile= syntax and expands ${…} with those variables
                           only, as the service will (a leading "-" as in the unit: a missing file is no error)
      trigger              ask the running service to start a run now
      status [--json]      the services, what fails now, the last runs and the spool's queues (from files: works with or
                           without the services); --json: the same facts as one JSON object
      spool ls [QUEUE] [--json]            list files per queue with age and size
      spool show NAME                      print a spool file's records readably (NAME: file name or path)
      spool requeue NAME... | --queue Q    move quarantined files back to their queue, make deferred/failed alerts due
      spool purge NAME... | --queue Q --yes    delete (prints what it would delete without --yes)
      silence add ID|SERVICE|GLOB --for 2h --reason "…" [--by NAME]   probe and report, but neither alert nor remind
      silence ls | silence rm SILENCE-ID   list silences (active and expired), end one
      demo [--keep]        a self-contained first run: mock API and webhook receiver on 127.0.0.1, the real programs
      mock-api [--port N] [--latency 50ms]  serve the mock API used by the demo and the benchmarks
    options:
      --config PATH        config.yaml or config.json (default: ./config.yaml if present, else built-in defaults)
      --spool DIR          spool directory (default: spool.dir of the config)
      --hosts M --host-index I   several hosts share the spool: this one runs shards I, I+M, … of each run
    """

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var args = ArgumentCursor(arguments, usage: usage)
        var words: [String] = []
        var flags: Set<String> = []
        var port: UInt16 = 8080
        var latency = 0.05
        var queue: String?
        var silenceFor: Double?
        var reason: String?
        var by: String?
        var given: [String] = []
        var helpRequested = false
        func value(_ flag: String) throws -> String { try args.value(for: flag) }
        while let argument = args.next() {
            if argument.hasPrefix("--"), argument != "--help" { given.append(argument) }
            switch argument {
            case "--config": options.configPath = try value(argument)
            case "--spool": options.spoolDirectory = try value(argument)
            case "--hosts":
                guard let n = Int(try value(argument)), n >= 1 else { throw UsageError("--hosts: expected a number ≥ 1") }
                options.hosts = n
            case "--host-index":
                guard let i = Int(try value(argument)), i >= 1 else { throw UsageError("--host-index: expected a number ≥ 1") }
                options.hostIndex = i
            case "--port":
                guard let p = UInt16(try value(argument)) else { throw UsageError("--port: expected a port number") }
                port = p
            case "--latency":
                let text = try value(argument)
                guard let d = DurationParser.parse(text, defaultUnit: .milliseconds) else { throw UsageError("--latency: expected a duration such as 50ms") }
                latency = d
            case "--queue": queue = try value(argument)
            case "--for":
                guard let d = DurationParser.parse(try value(argument), defaultUnit: .minutes), d > 0, d <= 366 * 86_400 else {
                    throw UsageError("--for: expected a duration such as 30m, 2h or 3d (at most 366d)")
                }
                silenceFor = d
            case "--reason": reason = try value(argument)
            case "--by": by = try value(argument)
            case "--env-file": options.environmentFiles.append(try value(argument))
            case "--json", "--yes", "--keep": flags.insert(argument)
            case "--help", "-h": helpRequested = true
            default:
                guard !argument.hasPrefix("-") else { throw args.unknown(argument) }
                words.append(argument)
            }
        }
        // `orchestrator spool ls --help`: the usage of that command alone (and the common options).
        if helpRequested { throw UsageError(usage(of: words), isHelp: true) }
        // An option that does not belong to the chosen command is refused, never ignored.
        let command = words.prefix(words.first == "spool" || words.first == "silence" ? 2 : 1).joined(separator: " ")
        for flag in given where !allowed(flag, in: command) {
            throw UsageError("\(flag) does not go with \(command.isEmpty ? "the service" : command)\n\n\(usage(of: words))")
        }
        guard options.hostIndex <= options.hosts else {
            throw UsageError("--host-index \(options.hostIndex) is larger than --hosts \(options.hosts)")
        }
        switch words.first {
        case nil, "serve": options.command = .serve
        case "once": options.command = .once
        case "check": options.command = .check
        case "trigger": options.command = .trigger
        case "status": options.command = .status(json: flags.contains("--json"))
        case "demo": options.command = .demo(keep: flags.contains("--keep"))
        case "mock-api": options.command = .mockAPI(port: port, latency: latency)
        case "silence":
            let rest = Array(words.dropFirst(2))
            switch words.dropFirst().first {
            case "add":
                guard rest.count == 1, let duration = silenceFor, let reason, !reason.isEmpty else {
                    throw UsageError("silence add: name one interface id, service or glob, with --for and --reason\n\n\(usage)")
                }
                options.command = .silence(.add(match: rest[0], duration: duration, reason: reason, by: by))
            case "ls": options.command = .silence(.list)
            case "rm":
                guard rest.count == 1 else { throw UsageError("silence rm: name the silence (see silence ls)\n\n\(usage)") }
                options.command = .silence(.remove(rest[0]))
            default: throw UsageError("silence: expected add, ls or rm\n\n\(usage)")
            }
        case "spool":
            let names = Array(words.dropFirst(2))
            switch words.dropFirst().first {
            case "ls": options.command = .spool(.list(queue: names.first ?? queue, json: flags.contains("--json")))
            case "show":
                guard let name = names.first else { throw UsageError("spool show: name a file\n\n\(usage)") }
                options.command = .spool(.show(name))
            case "requeue":
                guard !names.isEmpty || queue != nil else { throw UsageError("spool requeue: name files or --queue\n\n\(usage)") }
                options.command = .spool(.requeue(names: names, queue: queue))
            case "purge":
                guard !names.isEmpty || queue != nil else { throw UsageError("spool purge: name files or --queue\n\n\(usage)") }
                options.command = .spool(.purge(names: names, queue: queue, confirmed: flags.contains("--yes")))
            default: throw UsageError("spool: expected ls, show, requeue or purge\n\n\(usage)")
            }
        default: throw UsageError("unknown command \"\(words[0])\"\n\n\(usage)")
        }
        return options
    }

    /// Options each command takes besides --config and --spool (every command but demo and mock-api takes those).
    private static let commandOptions: [String: Set<String>] = [
        "": ["--hosts", "--host-index"], "serve": ["--hosts", "--host-index"], "once": [], "check": ["--env-file", "--hosts", "--host-index"],
        "trigger": [], "status": ["--json"], "spool ls": ["--json", "--queue"], "spool show": [], "spool requeue": ["--queue"],
        "spool purge": ["--queue", "--yes"], "silence add": ["--for", "--reason", "--by"], "silence ls": [], "silence rm": [],
        "demo": ["--keep"], "mock-api": ["--port", "--latency"],
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
                inPicked = trimmed.hasPrefix(key + " ") || trimmed == key || (key == first && trimmed.hasPrefix(first + " |"))
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
