// Options: the notifier's commands.
//   notifier [--config PATH] [--spool DIR] [--once]
//   notifier replay [--all | ALERT ...] [--sent] [--config PATH] [--spool DIR]
//   notifier list [--config PATH] [--spool DIR]

import Shared

enum Command: Equatable {
    /// Deliver the outbox: as a service, or once.
    case deliver(once: Bool)
    /// Make deferred (and failed) alerts due now, or re-send delivered ones with `sent`.
    case replay(selection: [String], all: Bool, sent: Bool, mention: Bool)
    /// Show what waits and what was sent recently.
    case list
}

struct Options {
    var command = Command.deliver(once: false)
    var configPath: String?
    var spoolDirectory: String?

    static let usage = """
    usage: notifier [--config PATH] [--spool DIR] [--once]
           notifier replay [--all | ALERT ...] [--sent] [--config PATH] [--spool DIR]
           notifier list [--config PATH] [--spool DIR]

    Delivers alerts from spool/outbox/ to the configured channels (WeCom group robots, JSON webhooks; without any,
    the message is printed and kept in outbox/sent/ as not delivered). A failed delivery is kept in outbox/deferred/
    and retried with back-off until it goes through; nothing is dropped.
      --once          deliver what is due now, then exit (default: run as a service until SIGTERM)
      replay          send deferred and failed alerts now (ALERT: an alert id, run id or file name; --all: every one);
                      with --sent, send delivered alerts again, marked as re-sent and without @mentions
                      unless --mention
      list            what waits in new/, deferred/ (attempts, last error, next attempt), failed/, and recent sent/
    """

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var selection: [String] = []
        var all = false
        var sent = false
        var mention = false
        var once = false
        var verb = "deliver"
        var remaining = arguments
        if let first = arguments.first, first == "replay" || first == "list" {
            verb = first
            remaining.removeFirst()
        }
        var args = ArgumentCursor(remaining, usage: usage)
        while let argument = args.next() {
            switch argument {
            case "--config": options.configPath = try args.value(for: argument)
            case "--spool": options.spoolDirectory = try args.value(for: argument)
            case "--once" where verb == "deliver": once = true
            case "--all" where verb == "replay": all = true
            case "--sent" where verb == "replay": sent = true
            case "--mention" where verb == "replay": mention = true
            case "--help", "-h": throw args.help
            default:
                guard verb == "replay", !argument.hasPrefix("-") else { throw args.unknown(argument) }
                selection.append(argument)
            }
        }
        switch verb {
        case "replay":
            guard all || !selection.isEmpty else { throw UsageError("replay: name the alerts to send, or --all\n\n\(usage)") }
            options.command = .replay(selection: selection, all: all, sent: sent, mention: mention)
        case "list": options.command = .list
        default: options.command = .deliver(once: once)
        }
        return options
    }
}
