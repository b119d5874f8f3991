// analyzer: assembles result batches into runs, writes one Markdown report per run, keeps the state of every
// interface and publishes an alert when the team must hear about it. One analyzer per spool (state/
// analyzer.lock). Service by default; --once processes what is there and exits.

import Foundation
import Shared

await Program.main("analyzer") {
    let options = try Startup.options(Options.parse)
    let config = try Startup.config(options.common)
    let spool = try Startup.spool(config)
    let lockPath = spool.stateDirectory + "/analyzer.lock"
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
    let analyzer = Analyzer(config: config, spool: spool)
    analyzer.recover()
    let main = ServiceMain(name: "analyzer", watching: [spool.runs.newDirectory, spool.results.newDirectory], rescan: config.spool.rescan)
    Log.info("analyzer started on \(spool.root)" + (options.once ? " (once)" : ""))
    return await main.run(
        once: options.once, lock: lock,
        reload: ServiceMain.reloadConfig(options.common) { analyzer.reload($0) },
        status: { "\(analyzer.waitingRuns) run(s) waiting for shards" },
        pass: { analyzer.pass(stopping: { main.runner.isStopping }) },
        stop: { analyzer.handBack() })
}
