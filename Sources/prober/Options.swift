// Options: the prober's command line, parsed by hand (an enum-free struct: the prober has one job).
//   prober [--config PATH] [--run ID] [--shard K/N] [--spool DIR] [--only ID-PREFIX]

import Shared

/// What the command line asked for.
struct Options {
    var configPath: String?
    var run: String?
    /// `--run tick`: the run id of the latest scheduled tick, so probers started by timers agree on it.
    var runFromSchedule = false
    var shard = Shard.whole
    var spoolDirectory: String?
    var only: [String] = []

    static let usage = """
    usage: prober [--config PATH] [--run ID] [--shard K/N] [--spool DIR] [--only ID-PREFIX]...

    Probes the interfaces of one shard once and publishes one batch of results to the spool.
      --config PATH      config.yaml or config.json (default: ./config.yaml if present, else built-in defaults)
      --run ID           the run this batch belongs to (default: a new run id; the probe is a run of its own);
                         --run tick: the run of the latest tick of the configured schedule (for timer-started probers)
      --shard K/N        probe shard K of N, also written KofN (interfaces split by a stable hash of their id; default 1/1)
      --spool DIR        spool directory (default: spool.dir of the config)
      --only PREFIX      probe only interfaces whose id starts with PREFIX (repeatable)
    Exit status: 0 when the batch was published (whatever the targets did), 2 on a config error,
    1 when the batch could not be published.
    """

    /// Parses argv (without the program name). `--help` throws a UsageError carrying the usage text.
    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var args = ArgumentCursor(arguments, usage: usage)
        while let argument = args.next() {
            switch argument {
            case "--config": options.configPath = try args.value(for: argument)
            case "--run":
                let run = try args.value(for: argument)
                if run == "tick" {
                    options.runFromSchedule = true
                    continue
                }
                guard RunID.isValid(run) else { throw UsageError("--run: \"\(run)\" is not a run id (e.g. 20261122T150000Z-tick, or tick)") }
                options.run = run
            case "--shard":
                let text = try args.value(for: argument)
                guard let shard = Shard(parsing: text) else { throw UsageError("--shard: expected K/N (or KofN) with 1 ≤ K ≤ N, found \"\(text)\"") }
                options.shard = shard
            case "--spool": options.spoolDirectory = try args.value(for: argument)
            case "--only": options.only.append(try args.value(for: argument))
            case "--help", "-h": throw args.help
            default: throw args.unknown(argument)
            }
        }
        return options
    }
}
