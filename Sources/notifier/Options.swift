// Options: the notifier's commands.
//   notifier [--config PATH] [--spool DIR] [--env-file FILE] [--once | --standby]
//   notifier replay [--all | ALERT ...] [--sent] [--config PATH] [--spool DIR] [--env-file FILE]
//   notifier list [--config PATH] [--spool DIR] [--env-file FILE]
// The common options go before or after the command.

import Shared

enum Command: Equatable {
    /// Deliver the outbox: as a service, or once.
    case deliver(once: Bool)
    /// Make deferred (and failed) alerts due now, or re-send delivered ones with `sent`.
    case replay(selection: [String], all: Bool, sent: Bool, mention: Bool)
    /// Show what waits and what was sent recently.
    case list

    /// Whether the command delivers, and so needs every channel's secrets.
    var delivers: Bool { if case .deliver = self { true } else { false } }
}

struct Options {
    var command = Command.deliver(once: false)
    var common = CommonOptions()
    /// Deliver as a standby: wait for the role while another notifier owns it.
    var standby = false

    static let usage = """
        usage: notifier [--config PATH] [--spool DIR] [--once | --standby]
               notifier replay [--all | ALERT ...] [--sent [--mention]] [--config PATH] [--spool DIR]
               notifier list [--config PATH] [--spool DIR]

        Delivers alerts from spool/outbox/ to the configured channels (WeCom group robots, JSON webhooks; without any,
        the message is printed and kept in outbox/sent/ as not delivered). A failed delivery is kept in outbox/deferred/
        and retried with back-off until it goes through; nothing is dropped.
          --once          deliver what is due now, then exit (default: run as a service until SIGTERM)
          --standby       while another notifier owns the spool (another host), wait and take over when it stops or
                          its heartbeat is 30 s old, instead of exiting
          replay          send deferred and failed alerts now (ALERT: an alert id, run id or file name; --all: every one);
                          with --sent, send delivered alerts again, marked as re-sent and without @mentions
                          unless --mention
          list            what waits in new/, deferred/ (attempts, last error, next attempt), failed/, and recent sent/
          --config, --spool and --env-file (systemd EnvironmentFile= syntax; - for standard input) go before or after
          the command; list and replay need no secret: an unset ${…} leaves its channel out
        """

    /// The usage of one command (`replay --help` shows only replay's lines).
    static func usage(of verb: String) -> String {
        let lines = usage.split(separator: "\n", omittingEmptySubsequences: false)
        switch verb {
        case "replay":
            return "usage: notifier replay [--all | ALERT ...] [--sent [--mention]] [--config PATH] [--spool DIR]\n\n"
                + lines.drop { !$0.hasPrefix("  replay") }.prefix(3).joined(separator: "\n")
        case "list":
            return "usage: notifier list [--config PATH] [--spool DIR]\n\n" + lines.filter { $0.hasPrefix("  list") }.joined(separator: "\n")
        default: return usage
        }
    }

    /// Options each command takes besides --config and --spool.
    private static let commandOptions: [String: Set<String>] = [
        "deliver": ["--once", "--standby"], "replay": ["--all", "--sent", "--mention"], "list": [],
    ]

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var selection: [String] = []
        var flags: Set<String> = []
        var verb = "deliver"
        var remaining = arguments
        // The command is the first word that is not an option's value: `notifier --config X list` is `list`.
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            if ["--config", "--spool", "--env-file"].contains(word) {
                index += 2
                continue
            }
            if !word.hasPrefix("-") {
                if word == "replay" || word == "list" {
                    verb = word
                    remaining.remove(at: index)
                }
                break
            }
            index += 1
        }
        var args = ArgumentCursor(remaining, usage: usage(of: verb))
        while let argument = args.next() {
            if try args.common(argument, into: &options.common) { continue }
            if argument.hasPrefix("-") {
                guard commandOptions.values.contains(where: { $0.contains(argument) }) else { throw args.unknown(argument) }
                guard commandOptions[verb]?.contains(argument) == true else {
                    throw args.error(.misplaced(option: argument, command: verb == "deliver" ? "delivering" : verb))
                }
                flags.insert(argument)
            } else {
                guard verb == "replay" else {
                    throw args.error(verb == "deliver" ? .unknownCommand(argument, expected: "replay or list") : .unexpectedArgument(argument))
                }
                selection.append(argument)
            }
        }
        switch verb {
        case "replay":
            let all = flags.contains("--all")
            guard all || !selection.isEmpty else {
                throw args.error(.missingOperand(command: "replay", expected: "name the alerts to send, or --all"))
            }
            guard !(all && !selection.isEmpty) else { throw args.error(.conflict("replay: name alerts or give --all, not both")) }
            guard flags.contains("--sent") || !flags.contains("--mention") else { throw args.error(.conflict("replay: --mention goes with --sent")) }
            options.command = .replay(selection: selection, all: all, sent: flags.contains("--sent"), mention: flags.contains("--mention"))
        case "list": options.command = .list
        default:
            options.command = .deliver(once: flags.contains("--once"))
            options.standby = flags.contains("--standby")
            if options.standby && flags.contains("--once") { throw args.error(.conflict("--once and --standby: a standby is a service")) }
        }
        return options
    }
}
