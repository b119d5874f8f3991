// Startup: what every Vigil program does before its own work — parse the command line (printing the usage
// for --help and ending with 2 and the reason for a bad argument), load the configuration with a --spool
// override (2 with every problem, file:line), and prepare the spool (1 if it cannot). A step that cannot go
// on says why and throws `Exit`; `Program.main` turns it into the exit status. Only that one place exits.

import Foundation

/// The end of a program with `status`: what it had to say was already printed or logged.
public struct Exit: Error, Equatable {
    public let status: Int32

    public init(_ status: Int32) { self.status = status }
}

/// The frame of every Vigil program's main.
public enum Program {
    /// Sets up logging for `name`, runs `body`, and exits with the status it returns or throws (`Exit`); any
    /// other error is logged and ends the program with 1. The one place a Vigil program exits.
    public static func main(_ name: String, _ body: @MainActor () async throws -> Int32) async -> Never {
        Log.setup(program: name)
        let status: Int32
        do {
            status = try await body()
        } catch let end as Exit {
            status = end.status
        } catch {
            Log.error("\(name) failed: \(error)")
            status = 1
        }
        exit(status)
    }
}

/// The shared start-up steps; each throws `Exit` with a clear message when it cannot go on.
public enum Startup {
    /// Parses the command line with `parse`, or prints the usage (exit 0) or the error (exit 2).
    /// `--version` anywhere prints the version line (stdout, exit 0); `--help` prints the usage on stdout
    /// (asked for: it is the output) and exits 0; a usage error goes to stderr with exit 2.
    public static func options<T>(_ parse: ([String]) throws -> T) throws(Exit) -> T {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains("--version") {
            let program = (CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent }) ?? "vigil"
            FileHandle.standardOutput.write(Data((Version.line(program: program) + "\n").utf8))
            throw Exit(0)
        }
        do {
            return try parse(arguments)
        } catch let error as UsageError {
            (error.isHelp ? FileHandle.standardOutput : FileHandle.standardError).write(Data((error.description + "\n").utf8))
            throw Exit(error.isHelp ? 0 : 2)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw Exit(2)
        }
    }

    /// The configuration at `path` (or the defaults), with `spool` overriding spool.dir.
    public static func loadConfig(
        path: String?, spool: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment, toleratingUnsetVariables: Bool = false
    ) throws -> Config {
        var config = try ConfigLoader.load(path: path, environment: environment, toleratingUnsetVariables: toleratingUnsetVariables)
        if let spool { config.spool.directory = Paths.resolve(spool, against: FileManager.default.currentDirectoryPath) }
        return config
    }

    /// The configuration the common options name, or `Exit(2)` after listing every problem.
    /// `toleratingUnsetVariables`: for commands that only read the spool (see `Config.unresolved`).
    public static func config(_ options: CommonOptions, toleratingUnsetVariables: Bool = false) throws(Exit) -> Config {
        do {
            return try options.loadConfig(toleratingUnsetVariables: toleratingUnsetVariables)
        } catch {
            Log.configurationProblems(error, toleratingUnsetVariables ? "nothing done" : "not started")
            throw Exit(2)
        }
    }

    /// For a command that only reads the spool (and never creates one): whether it is missing, said in the log.
    public static func spoolIsMissing(_ spool: Spool) -> Bool {
        guard FileIO.status(spool.root) == nil else { return false }
        Log.error("there is no spool at \(spool.root): nothing has run with this configuration yet (or --spool/spool.dir names another place)")
        return true
    }

    /// The prepared spool of `config`, or `Exit(1)`.
    public static func spool(_ config: Config) throws(Exit) -> Spool {
        let spool = config.spool.spool
        do {
            try spool.prepare()
        } catch {
            Log.error("cannot prepare the spool at \(spool.root): \(error)")
            throw Exit(1)
        }
        return spool
    }

    /// `Exit(1)` with a message naming the library and its package when libcurl cannot be loaded (every program
    /// that sends HTTP calls this first, so the problem shows at start-up, not at the first probe).
    public static func requireHTTP() throws(Exit) {
        if case let .failure(error) = Curl.loaded {
            Log.error("HTTP is unavailable: \(error)")
            throw Exit(1)
        }
    }

    /// The pid written in a lock file (for "another … (pid N) runs" messages).
    public static func holder(of lockPath: String) -> String {
        (try? FileIO.read(lockPath)).map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "?"
    }
}
