// Options: the analyzer's command line.
//   analyzer [--config PATH] [--spool DIR] [--once | --standby]

import Shared

struct Options {
    var common = CommonOptions()
    var once = false
    var standby = false

    static let usage = """
        usage: analyzer [--config PATH] [--spool DIR] [--once | --standby]

        Assembles result batches into runs, writes a Markdown report per run to spool/reports/, keeps the last
        status of every interface, and publishes an alert to spool/outbox/ when the team must hear about it.
          --config PATH   config.yaml or config.json (default: ./config.yaml if present, else built-in defaults)
          --spool DIR     spool directory (default: spool.dir of the config)
          --once          process what is in the spool now (complete runs, and runs past their deadline), then exit
          --standby       while another analyzer owns the spool (another host), wait and take over when it stops or
                          its heartbeat is 30 s old, instead of exiting
        As a service (without --once) it waits for batches and stops cleanly on SIGTERM; SIGHUP reloads the config.
        """

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var args = ArgumentCursor(arguments, usage: usage)
        while let argument = args.next() {
            if try args.common(argument, into: &options.common) { continue }
            switch argument {
            case "--once": options.once = true
            case "--standby": options.standby = true
            default: throw args.unknown(argument)
            }
        }
        if options.once && options.standby { throw args.error(.conflict("--once and --standby: a standby is a service")) }
        return options
    }
}
