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
    do {
        config = try options.common.loadConfig()
    } catch {
        Log.configurationProblems(error, "nothing probed")
        return 2
    }
    let spool = try Startup.spool(config)
    // Several locations: this prober's must be one of them, and every result says which.
    let location = LocationSettings.chosen(options.location)
    if let problem = LocationSettings.problem(location, config: config) {
        Log.error(problem + "; nothing probed")
        return 2
    }

    var run: String
    if options.runFromSchedule {
        // Timers fire a little after the tick; the latest tick at or before now is the run they belong to.
        let tick = config.monitor.schedule.latest(atOrBefore: Date())
        run = tick.map { RunID.scheduled(tick: $0) } ?? ""
    } else {
        run = options.run ?? ""
    }
    // What to probe: the snapshot the orchestrator validated for the run; by hand, one made now the same way.
    // The live pool is never read here (a file being saved cannot blind the run).
    let snapshot: PoolSnapshot
    if let id = options.poolSnapshot {
        do {
            snapshot = try PoolSnapshot.read(id, in: spool)
        } catch {
            Log.error("cannot read the interface pool snapshot \(id): \(error); nothing probed")
            return 2
        }
    } else {
        guard let made = PoolSnapshotter(config: config, spool: spool).snapshot() else { return 2 }
        snapshot = made
        // What checking the whole pool's copy parsed goes back before this shard's definitions are loaded above it
        // (else it set the prober's peak: Benchmarks/scale.sh, prober alone, 78.8 → 81–83 MB).
        Memory.trim()
    }
    let selection = PoolSelection(
        snapshot: snapshot, spool: spool, config: config, shard: options.shard, only: options.only, location: location)
    let selected: PackedDefinitions
    let poolCount: Int
    do {
        (selected, poolCount) = try selection.probed()
    } catch {
        Log.configurationProblems(error, "nothing probed")
        return 2
    }
    if run.isEmpty {
        // A run of its own: nobody else announces it, and the analyzer reports no run without its manifest.
        let now = Date()
        run = RunID.byHand(at: now)
        var manifest = RunManifest(
            run: run, shards: options.shard.count, startedAt: now, deadline: now.addingTimeInterval(config.scheduler.maxRuntime),
            trigger: "manual")
        manifest.pool = snapshot
        manifest.locations = config.locations?.names
        do {
            try spool.runs.publish(name: RunFileName.manifest(run: run), bytes: try RecordCoding.encode(manifest) + [10], control: true)
        } catch {
            Log.error("run \(run): cannot publish its manifest: \(error); nothing probed")
            return 1
        }
    }
    let unloaded = selection.notLoaded(run: run)
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
    let context = ProbeContext(
        run: run, shard: options.shard, config: config, client: client, tokens: tokens, stop: stop, location: location)
    Log.info(
        "run \(run) shard \(options.shard): probing \(selected.count) of \(poolCount) interfaces (pool snapshot \(snapshot.id)"
            + (unloaded.isEmpty ? "" : "; \(unloaded.count) not loaded: their file is broken") + "), concurrency \(config.monitor.concurrency)")

    let exitCode = await BatchPublisher.probeAndPublish(selected, notLoaded: unloaded, context: context, spool: spool, stopGrace: probeTimeout)
    _ = signals
    Log.info("prober stopped" + Memory.peakNote)
    return exitCode
}
