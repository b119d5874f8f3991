// analyzer: assembles result batches into runs, writes one Markdown report per run, keeps the state of every
// interface and publishes an alert when the team must hear about it. One analyzer per spool: state/analyzer.lock
// on this host, and the owner record state/owner-analyzer.json across hosts (Ownership). Service by default;
// --once processes what is there and exits; --standby waits for the role (Standby) instead of refusing.

import Foundation
import Shared

await Program.main("analyzer") {
    let options = try Startup.options(Options.parse)
    let config = try Startup.config(options.common)
    let spool = try Startup.spool(config)
    let lockPath = spool.stateDirectory + "/analyzer.lock"
    let main = ServiceMain(name: "analyzer", watching: [spool.runs.newDirectory, spool.results.newDirectory], rescan: config.spool.rescan)
    if options.standby {
        guard let (lock, ownership) = Standby.wait(role: "analyzer", lockPath: lockPath, spool: spool, stopping: { main.runner.isStopping })
        else { return main.runner.exitStatus }
        return await serve(config: config, spool: spool, options: options, main: main, lock: lock, ownership: ownership)
    }
    let lock: FileLock
    switch ServiceMain.lock(lockPath) {
    case let .success(held): lock = held
    case let .failure(other) where options.once:
        Log.notice("an analyzer service (pid \(other.holder)) holds \(lockPath); it will process the spool")
        return 0
    case let .failure(other):
        Log.error("another analyzer (pid \(other.holder)) already runs on \(spool.root): one analyzer per spool")
        return 1
    }
    let ownership: Ownership
    do {
        ownership = try Ownership.acquire(role: "analyzer", spool: spool)
    } catch let error as OwnershipError {
        if options.once, case .held = error {
            Log.notice("\(error); it will process the spool")
            return 0
        }
        Log.error("\(error)")
        return 1
    }
    return await serve(config: config, spool: spool, options: options, main: main, lock: lock, ownership: ownership)
}

/// The analyzer service, once it holds the lock and the role.
func serve(config: Config, spool: Spool, options: Options, main: ServiceMain, lock: FileLock, ownership: Ownership) async -> Int32 {
    let analyzer = Analyzer(config: config, spool: spool, ownership: ownership)
    analyzer.recover()
    ownership.startHeartbeats { lost in
        Log.error("\(lost)")
        main.runner.requestStop()
    }
    Log.info("analyzer started on \(spool.root)" + (options.once ? " (once)" : ""))
    let status = await main.run(
        once: options.once, lock: lock,
        reload: ServiceMain.reloadConfig(options.common) { analyzer.reload($0) },
        status: { "\(analyzer.waitingRuns) run(s) waiting for shards" },
        pass: {
            let wait = analyzer.pass(stopping: { main.runner.isStopping })
            if ownership.lost != nil { main.runner.requestStop() }
            return wait
        },
        stop: {
            analyzer.handBack()
            ownership.release()
        })
    // Another host owns the role now: a failure for the service manager, and for whoever reads the journal.
    return ownership.lost != nil ? 1 : status
}
