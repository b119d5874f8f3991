// prober: probes the interfaces of one shard once and publishes one batch of results (results + trailer)
// to spool/results/; run by hand (no --run), it first publishes the manifest of its own run. Exit 0 when the
// batch is published, whatever the targets did; 2 on a config error; 1 when nothing could be published.
// SIGTERM: stop starting probes, give those in flight until monitor.timeout, publish what was measured with
// the trailer marked interrupted.

import Foundation
import Shared

await Program.main("prober") {
    let options = try Startup.options(Options.parse)
    try Startup.requireHTTP()

    // One malloc arena: the prober's threads mostly wait, and per-thread arenas each keep what was freed in them
    // (with 100 000 interfaces that doubled the resident size for nothing).
    Memory.limitArenas()

    let config: Config
    let selected: PackedDefinitions
    let poolCount: Int
    do {
        config = try options.common.loadConfig()
        // Only this shard's interfaces are read, checked and held (packed: a probe rebuilds its definition).
        (selected, poolCount) = try InterfacePool.loadPacked(config: config, reading: { options.shard.contains(id: $0) }) { definition in
            definition.enabled && options.shard.contains(id: definition.id)
                && (options.only.isEmpty || options.only.contains { definition.id.hasPrefix($0) })
        }
    } catch let error as ConfigError {
        for issue in error.issues { Log.error("\(issue)") }
        Log.error("configuration invalid: \(error.issues.count) problem(s); nothing probed")
        return 2
    } catch {
        Log.error("configuration invalid: \(error)")
        return 2
    }

    let spool = try Startup.spool(config)

    var run: String
    if options.runFromSchedule {
        // Timers fire a little after the tick; the latest tick at or before now is the run they belong to.
        let tick = config.monitor.schedule.latest(atOrBefore: Date())
        run = tick.map { RunID.scheduled(tick: $0) } ?? ""
    } else {
        run = options.run ?? ""
    }
    if run.isEmpty {
        // A run of its own: nobody else announces it, and the analyzer reports no run without its manifest.
        let now = Date()
        run = RunID.byHand(at: now)
        let manifest = RunManifest(
            run: run, shards: options.shard.count, startedAt: now, deadline: now.addingTimeInterval(config.scheduler.maxRuntime),
            trigger: "manual")
        do {
            try spool.runs.publish(name: RunFileName.manifest(run: run), bytes: try RecordCoding.encode(manifest) + [10], control: true)
        } catch {
            Log.error("run \(run): cannot publish its manifest: \(error); nothing probed")
            return 1
        }
    }
    // What loading the pool parsed and dropped goes back to the system before probing starts.
    Memory.trim()
    let stop = StopSignal()
    let probeTimeout = config.monitor.timeout
    let signals = SignalWatcher([SIGTERM, SIGINT]) { number in
        Log.notice("\(SignalWatcher.name(number)): starting no new probes; publishing what was measured")
        stop.trigger()
    }

    let client = HTTPClient()
    let tokens = TokenStore(directory: spool.tokensDirectory, services: config.services, client: client, timeout: probeTimeout)
    let context = ProbeContext(run: run, shard: options.shard, config: config, client: client, tokens: tokens, stop: stop)
    Log.info(
        "run \(run) shard \(options.shard): probing \(selected.count) of \(poolCount) interfaces, "
            + "concurrency \(config.monitor.concurrency)")

    let exitCode = await BatchPublisher.probeAndPublish(selected, context: context, spool: spool, stopGrace: probeTimeout)
    _ = signals
    Log.info("prober stopped" + Memory.peakNote)
    return exitCode
}
