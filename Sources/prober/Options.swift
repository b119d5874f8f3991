// Options: the prober's command line, parsed by hand (an enum-free struct: the prober has one job).
//   prober [--config PATH] [--run ID] [--shard K/N] [--spool DIR] [--only ID-PREFIX]

import Shared

/// What the command line asked for.
struct Options {
    var common = CommonOptions()
    var run: String?
    /// `--run tick`: the run id of the latest scheduled tick, so probers started by timers agree on it.
    var runFromSchedule = false
    var shard = Shard.whole
    var only: [String] = []
    /// The pool snapshot to probe (state/pool/<id>/ in the spool), as the orchestrator hands it with the run.
    var poolSnapshot: String?
    /// This prober's location (one of locations.names), as the orchestrator hands it.
    var location: String?

    static let usage = """
        usage: prober [--config PATH] [--run ID] [--shard K/N] [--spool DIR] [--only ID-PREFIX]... [--location NAME] [--pool-snapshot ID]

        Probes the interfaces of one shard once and publishes one batch of results to the spool.
          --config PATH      config.yaml or config.json (default: ./config.yaml if present, else built-in defaults)
          --run ID           the run this batch belongs to (default: a new run id; the probe is a run of its own, whose
                             manifest the prober publishes first);
                             --run tick: the run of the latest tick of the configured schedule (for timer-started probers)
          --shard K/N        probe shard K of N, also written KofN (interfaces split by a stable hash of their id; default 1/1)
          --spool DIR        spool directory (default: spool.dir of the config)
          --only PREFIX      probe only interfaces whose id starts with PREFIX (repeatable)
          --location NAME    the location this prober probes from (one of locations.names; default VIGIL_LOCATION)
          --pool-snapshot ID probe the interface pool snapshot ID of the spool (state/pool/ID/), as the orchestrator
                             validated it for the run (default: snapshot the pool now, as the orchestrator would)
        Exit status: 0 when the batch was published (whatever the targets did), 2 on a config error,
        1 when the batch could not be published.
        """

    /// Parses argv (without the program name); `--help` is the `.help` usage error.
    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var args = ArgumentCursor(arguments, usage: usage)
        while let argument = args.next() {
            if try args.common(argument, into: &options.common) { continue }
            switch argument {
            case "--run":
                let run = try args.value(for: argument, expected: "a run id (e.g. 20261122T150000Z-tick) or tick") {
                    $0 == "tick" || RunID.isValid($0) ? $0 : nil
                }
                if run == "tick" { options.runFromSchedule = true } else { options.run = run }
            case "--shard": options.shard = try args.value(for: argument, expected: "K/N (or KofN) with 1 ≤ K ≤ N", Shard.init(parsing:))
            case "--only": options.only.append(try args.value(for: argument))
            case "--location": options.location = try args.value(for: argument)
            case "--pool-snapshot":
                options.poolSnapshot = try args.value(for: argument, expected: "a pool snapshot id (16 hex digits)") {
                    PoolSnapshot.isValidID($0) ? $0 : nil
                }
            default: throw args.unknown(argument)
            }
        }
        return options
    }
}
