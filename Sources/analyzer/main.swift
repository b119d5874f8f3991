// analyzer: assembles result batches into runs, writes one Markdown report per run, keeps the state of every
// interface and publishes an alert when the team must hear about it. One analyzer per spool (state/
// analyzer.lock). Service by default; --once processes what is there and exits.

import Foundation
import Shared

Log.setup(program: "analyzer")
let options = Startup.options(Options.parse)
let config = Startup.config(path: options.configPath, spool: options.spoolDirectory)
let spool = Startup.spool(config)
let lockPath = spool.stateDirectory + "/analyzer.lock"
guard let lock = try? FileLock.attempt(lockPath) else {
    let holder = Startup.holder(of: lockPath)
    if options.once {
        Log.notice("an analyzer service (pid \(holder)) holds \(lockPath); it will process the spool")
        exit(0)
    }
    Log.error("another analyzer (pid \(holder)) already runs on \(spool.root): one analyzer per spool")
    exit(1)
}
lock.writePid()

let analyzer = Analyzer(config: config, spool: spool)
analyzer.recover()
let runner = ServiceRunner(name: "analyzer", watching: [spool.runs.newDirectory, spool.results.newDirectory])
Log.info("analyzer started on \(spool.root)" + (options.once ? " (once)" : ""))
await runner.run(once: options.once, reload: {
    do {
        analyzer.reload(try Startup.loadConfig(path: options.configPath, spool: options.spoolDirectory))
    } catch {
        Log.configurationProblems(error, "reload failed, keeping the old configuration")
    }
}, status: {
    "\(analyzer.waitingRuns) run(s) waiting for shards"
}, pass: {
    analyzer.pass(stopping: { runner.isStopping })
})
analyzer.handBack()
Log.info("analyzer stopped" + Memory.peakNote)
lock.unlock()
exit(runner.exitStatus)
