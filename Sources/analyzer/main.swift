// analyzer: assembles result batches into runs, writes one Markdown report per run, keeps the state of every
// interface and publishes an alert when the team must hear about it. One analyzer per spool (state/
// analyzer.lock). Service by default; --once processes what is there and exits.

import Foundation
import Shared

Log.setup(program: "analyzer")
let options: Options
do {
    options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    let text = "\(error)"
    FileHandle.standardError.write(Data((text + "\n").utf8))
    exit(text.hasPrefix("usage:") ? 0 : 2)
}

func loadConfig() throws -> Config {
    var config = try ConfigLoader.load(path: options.configPath)
    if let dir = options.spoolDirectory {
        config.spool.directory = Paths.resolve(dir, against: FileManager.default.currentDirectoryPath)
    }
    return config
}

let config: Config
do {
    config = try loadConfig()
} catch {
    Log.error("configuration invalid:\n\(error)")
    exit(2)
}
let spool = config.spool.spool
do {
    try spool.prepare()
} catch {
    Log.error("cannot prepare the spool at \(spool.root): \(error)")
    exit(1)
}
let lockPath = spool.stateDirectory + "/analyzer.lock"
guard let lock = try? FileLock.attempt(lockPath) else {
    let holder = (try? FileIO.read(lockPath)).map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "?"
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
        analyzer.reload(try loadConfig())
    } catch {
        Log.error("configuration reload failed, keeping the old one:\n\(error)")
    }
}, status: {
    "\(analyzer.waitingRuns) run(s) waiting for shards"
}, pass: {
    analyzer.pass(stopping: { runner.isStopping })
})
analyzer.handBack()
Log.info("analyzer stopped")
lock.unlock()
exit(0)
