// Startup: what every Vigil program does before its own work — parse the command line (printing the usage
// for --help and exiting 2 with the reason for a bad argument), load the configuration with a --spool
// override (exiting 2 with every problem, file:line), and prepare the spool (exiting 1 if it cannot).

import Foundation

/// The shared start-up steps; each exits the process with a clear message when it cannot go on.
public enum Startup {
    /// Parses the command line with `parse`, or prints the usage (exit 0) or the error (exit 2).
    /// `--version` anywhere prints the version line (stdout, exit 0); `--help` prints the usage on stdout
    /// (asked for: it is the output) and exits 0; a usage error goes to stderr with exit 2.
    public static func options<T>(_ parse: ([String]) throws -> T) -> T {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains("--version") {
            let program = (CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent }) ?? "vigil"
            FileHandle.standardOutput.write(Data((Version.line(program: program) + "\n").utf8))
            exit(0)
        }
        do {
            return try parse(arguments)
        } catch let error as UsageError {
            (error.isHelp ? FileHandle.standardOutput : FileHandle.standardError).write(Data((error.description + "\n").utf8))
            exit(error.isHelp ? 0 : 2)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            exit(2)
        }
    }

    /// The configuration at `path` (or the defaults), with `spool` overriding spool.dir.
    public static func loadConfig(path: String?, spool: String?,
                                  environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Config {
        var config = try ConfigLoader.load(path: path, environment: environment)
        if let spool { config.spool.directory = Paths.resolve(spool, against: FileManager.default.currentDirectoryPath) }
        return config
    }

    /// The configuration the common options name, or exit 2 listing every problem.
    public static func config(_ options: CommonOptions) -> Config {
        do {
            return try options.loadConfig()
        } catch {
            Log.configurationProblems(error, "not started")
            exit(2)
        }
    }

    /// The prepared spool of `config`, or exit 1.
    /// For a command that only reads the spool (and never creates one): whether it is missing, said in the log.
    public static func spoolIsMissing(_ spool: Spool) -> Bool {
        guard FileIO.status(spool.root) == nil else { return false }
        Log.error("there is no spool at \(spool.root): nothing has run with this configuration yet (or --spool/spool.dir names another place)")
        return true
    }

    public static func spool(_ config: Config) -> Spool {
        let spool = config.spool.spool
        do {
            try spool.prepare()
        } catch {
            Log.error("cannot prepare the spool at \(spool.root): \(error)")
            exit(1)
        }
        return spool
    }

    /// Exits 1 with a message naming the library and its package when libcurl cannot be loaded (every program
    /// that sends HTTP calls this first, so the problem shows at start-up, not at the first probe).
    public static func requireHTTP() {
        if case let .failure(error) = Curl.loaded {
            Log.error("HTTP is unavailable: \(error)")
            exit(1)
        }
    }

    /// The pid written in a lock file (for "another … (pid N) runs" messages).
    public static func holder(of lockPath: String) -> String {
        (try? FileIO.read(lockPath)).map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "?"
    }
}
