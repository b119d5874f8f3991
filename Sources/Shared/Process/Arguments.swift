// Arguments: the one command-line layer of the four programs. A cursor reads argv; the options every
// program shares (--config, --spool, --help; --version is answered before parsing) are taken in one place;
// every mistake is one case of `UsageError.Problem`, rendered in one place with the usage of the command
// that was being parsed. `--help` is not a mistake: it is the `.help` case, printed on stdout with exit 0.

import Foundation

/// A command line that cannot be run, or a request for the usage.
public struct UsageError: Error, Equatable, CustomStringConvertible {
    public enum Problem: Equatable, Sendable {
        /// `--help` (or `-h`): print the usage, exit 0.
        case help
        case unknownOption(String)
        case unknownCommand(String, expected: String)
        /// A word where none is taken (e.g. `analyzer once`).
        case unexpectedArgument(String)
        case missingValue(option: String)
        case invalidValue(option: String, found: String, expected: String)
        /// An option of another command (`check --yes`).
        case misplaced(option: String, command: String)
        /// The command needs an operand it was not given (`spool show` without a name).
        case missingOperand(command: String, expected: String)
        /// Options that contradict each other.
        case conflict(String)
    }

    public let problem: Problem
    /// The usage of the command being parsed (the whole program's when none was chosen yet).
    public let usage: String

    public init(_ problem: Problem, usage: String) {
        self.problem = problem
        self.usage = usage
    }

    public var isHelp: Bool { problem == .help }

    /// The one-line reason (empty for help).
    public var reason: String {
        switch problem {
        case .help: ""
        case let .unknownOption(option): "unknown option \"\(option)\""
        case let .unknownCommand(word, expected): "unknown command \"\(word)\" (expected \(expected))"
        case let .unexpectedArgument(word): "unexpected argument \"\(word)\""
        case let .missingValue(option): "\(option) needs a value"
        case let .invalidValue(option, found, expected): "\(option): expected \(expected), found \"\(found)\""
        case let .misplaced(option, command): "\(option) does not go with \(command)"
        case let .missingOperand(command, expected): "\(command): \(expected)"
        case let .conflict(text): text
        }
    }

    /// What is printed: the usage alone for help, else the reason and then the usage.
    public var description: String { isHelp ? usage : reason + "\n\n" + usage }
}

/// --config, --spool and --env-file, which every program takes (before or after its command).
public struct CommonOptions: Equatable, Sendable {
    public var configPath: String?
    public var spoolDirectory: String?
    /// systemd EnvironmentFile= files whose variables replace the shell's for `${…}` (`-` or `/dev/stdin`:
    /// standard input; a leading `-` before a path: a missing file is no error, as in a unit).
    public var environmentFiles: [String] = []

    public init(configPath: String? = nil, spoolDirectory: String? = nil, environmentFiles: [String] = []) {
        self.configPath = configPath
        self.spoolDirectory = spoolDirectory
        self.environmentFiles = environmentFiles
    }

    /// The variables `${…}` expands from: those of the --env-file files when any is given (as under systemd,
    /// the shell's are then not used), else `environment`.
    public func variables(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> EnvironmentFiles {
        guard !environmentFiles.isEmpty else { return EnvironmentFiles(variables: environment) }
        return try EnvironmentFiles.load(environmentFiles)
    }

    /// The configuration these options name (or the defaults), with --spool overriding spool.dir.
    /// `toleratingUnsetVariables`: for commands that only read the spool (see `Config.unresolved`).
    public func loadConfig(
        environment: [String: String] = ProcessInfo.processInfo.environment, toleratingUnsetVariables: Bool = false
    ) throws -> Config {
        try Startup.loadConfig(
            path: configPath, spool: spoolDirectory, environment: try variables(environment: environment).variables,
            toleratingUnsetVariables: toleratingUnsetVariables)
    }
}

/// The arguments still to read.
public struct ArgumentCursor {
    private var rest: ArraySlice<String>
    /// The usage errors carry; narrowed once the command is known.
    public var usage: String

    public init(_ arguments: [String], usage: String) {
        rest = arguments[...]
        self.usage = usage
    }

    public mutating func next() -> String? { rest.popFirst() }

    /// Takes a common option (`--config`, `--spool`) into `common`, or throws `.help` for --help/-h;
    /// false for any other argument.
    public mutating func common(_ argument: String, into common: inout CommonOptions) throws -> Bool {
        switch argument {
        case "--config": common.configPath = try value(for: argument)
        case "--spool": common.spoolDirectory = try value(for: argument)
        case "--env-file": common.environmentFiles.append(try value(for: argument))
        case "--help", "-h": throw error(.help)
        default: return false
        }
        return true
    }

    /// The value after `option`.
    public mutating func value(for option: String) throws -> String {
        guard let next = rest.first, !next.hasPrefix("--") else { throw error(.missingValue(option: option)) }
        rest.removeFirst()
        return next
    }

    /// The value after `option`, converted by `convert`; `expected` says what was wanted when it fails.
    public mutating func value<T>(for option: String, expected: String, _ convert: (String) -> T?) throws -> T {
        let text = try value(for: option)
        guard let converted = convert(text) else { throw error(.invalidValue(option: option, found: text, expected: expected)) }
        return converted
    }

    /// The error for an argument nobody understood: an option, or a word where none is taken.
    public func unknown(_ argument: String) -> UsageError {
        error(argument.hasPrefix("-") ? .unknownOption(argument) : .unexpectedArgument(argument))
    }

    public func error(_ problem: UsageError.Problem) -> UsageError { UsageError(problem, usage: usage) }
}
