// Options: the analyzer's command line.
//   analyzer [--config PATH] [--spool DIR] [--once]

import Shared

struct Options {
    var common = CommonOptions()
    var once = false

    static let usage = """
        usage: analyzer [--config PATH] [--spool DIR] [--once]

        Assembles result batches into runs, writes a Markdown report per run to spool/reports/, keeps the last
        status of every interface, and publishes an alert to spool/outbox/ when the team must hear about it.
          --config PATH   config.yaml or config.json (default: ./config.yaml if present, else built-in defaults)
          --spool DIR     spool directory (default: spool.dir of the config)
          --once          process what is in the spool now (complete runs, and runs past their deadline), then exit
        As a service (without --once) it waits for batches and stops cleanly on SIGTERM; SIGHUP reloads the config.
        """

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var args = ArgumentCursor(arguments, usage: usage)
        while let argument = args.next() {
            if try args.common(argument, into: &options.common) { continue }
            guard argument == "--once" else { throw args.unknown(argument) }
            options.once = true
        }
        return options
    }
}
