// Deployment: the config, interface pool and spool as the command line selects them, loaded the same way by
// every command. Loading errors come back whole (every issue, file:line), so `check` can print them all.

import Foundation
import Shared

struct Deployment {
    var config: Config
    var pool: InterfacePool
    var spool: Spool
    /// The config file as an absolute path (passed on to the children), nil for built-in defaults.
    var configPath: String?
    /// The variables `${…}` expand from.
    var variables: [String: String] = [:]

    /// `needsPool: false` for commands that only look at the spool (status, trigger, spool): they must work
    /// when an interface file is broken, which is when an operator needs them, and with no secret in the
    /// environment (as on a packaged host, where they live in the root-only env file): an unset `${…}` leaves
    /// its key out (`Config.unresolved`).
    /// `environment`: the variables `${…}` expands from (default: the --env-file files', else this process's).
    /// `readsOnly`: the command needs no secret (status, trigger, spool, silence): see `Config.unresolved`.
    static func load(
        _ options: Options, needsPool: Bool = true, readsOnly: Bool = false, environment: [String: String]? = nil
    ) throws -> Deployment {
        let variables = try environment ?? options.common.variables().variables
        let config = try Startup.loadConfig(
            path: options.common.configPath, spool: options.common.spoolDirectory, environment: variables,
            toleratingUnsetVariables: readsOnly)
        let pool =
            needsPool
            ? try InterfacePool.load(config: config, environment: variables, toleratingUnsetVariables: readsOnly)
            : InterfacePool(directory: config.monitor.interfacePool, interfaces: [])
        return Deployment(config: config, pool: pool, spool: config.spool.spool, configPath: config.source, variables: variables)
    }

    /// What a run probes: a pool snapshot made (when the pool changed) from this deployment's pool.
    func snapshotter() -> PoolSnapshotter { PoolSnapshotter(config: config, spool: spool, environment: variables) }

    /// `load`, or nil after logging why (for the commands that only read the spool).
    /// `load` for a command that only reads the spool (or adds a silence) and needs no secret, or nil after
    /// logging why.
    static func loadOrReport(_ options: Options, needsPool: Bool = true) -> Deployment? {
        do {
            return try load(options, needsPool: needsPool, readsOnly: true)
        } catch {
            Log.configurationProblems(error, "nothing done")
            return nil
        }
    }

    /// Arguments that make a child program see the same deployment.
    var childArguments: [String] {
        (configPath.map { ["--config", $0] } ?? []) + ["--spool", spool.root]
    }

    /// Where this host keeps its service state.
    var stateFile: String { spool.stateDirectory + "/orchestrator-\(SpoolName.host).json" }
    var lockFile: String { spool.stateDirectory + "/orchestrator-\(SpoolName.host).lock" }
    var triggerDirectory: String { spool.stateDirectory + "/trigger" }
    var runHistory: String { spool.stateDirectory + "/orchestrator-runs.ndjson" }
}

/// The executables beside this one: `vigil-prober` as installed by the package, `prober` in the build tree.
enum Programs {
    static func path(_ name: String) -> String {
        let installed = Paths.executableDirectory + "/vigil-" + name
        return access(installed, X_OK) == 0 ? installed : Paths.executableDirectory + "/" + name
    }

    /// The sibling programs a run needs that are missing (e.g. after `swift run orchestrator`, which builds only
    /// the orchestrator), with the message to print.
    static func missing(_ names: [String]) -> String? {
        let absent = names.filter { access(path($0), X_OK) != 0 }
        guard !absent.isEmpty else { return nil }
        return "\(absent.joined(separator: ", ")) not found beside the orchestrator in \(Paths.executableDirectory); "
            + "build every program with `swift build` (or set VIGIL_BIN_DIR)"
    }
}
