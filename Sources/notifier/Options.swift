// Options: the notifier's commands.
//   notifier [--config PATH] [--spool DIR] [--once]
//   notifier replay [--all | ALERT ...] [--sent] [--config PATH] [--spool DIR]
//   notifier list [--config PATH] [--spool DIR]

import Shared

enum Command: Equatable {
    /// Deliver the outbox: as a service, or once.
    case deliver(once: Bool)
    /// Make deferred (and failed) alerts due now, or re-send delivered ones with `sent`.
    case replay(selection: [String], all: Bool, sent: Bool)
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
                      with --sent, send delivered alerts again
      list            what waits in new/, deferred/ (attempts, last error, next attempt), failed/, and recent sent/
    """

    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var rest = arguments[...]
        var selection: [String] = []
        var all = false
        var sent = false
        var once = false
        var verb = "deliver"
        if let first = rest.first, first == "replay" || first == "list" {
            verb = first
            rest = rest.dropFirst()
        }
        func value(_ flag: String) throws -> String {
            guard let next = rest.popFirst(), !next.hasPrefix("--") else { throw UsageError(description: "\(flag) needs a value\n\n\(usage)") }
            return next
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--config": options.configPath = try value(argument)
            case "--spool": options.spoolDirectory = try value(argument)
            case "--once" where verb == "deliver": once = true
            case "--all" where verb == "replay": all = true
            case "--sent" where verb == "replay": sent = true
            case "--help", "-h": throw UsageError(description: usage)
            default:
                guard verb == "replay", !argument.hasPrefix("-") else {
                    throw UsageError(description: "unknown argument \"\(argument)\"\n\n\(usage)")
                }
                selection.append(argument)
            }
        }
        switch verb {
        case "replay":
            guard all || !selection.isEmpty else { throw UsageError(description: "replay: name the alerts to send, or --all\n\n\(usage)") }
            options.command = .replay(selection: selection, all: all, sent: sent)
        case "list": options.command = .list
        default: options.command = .deliver(once: once)
        }
        return options
    }
}
