// BatchPublisher: runs the probes and publishes the batch — every result, then the trailer with the count —
// as one spool file named after the run and shard. The breaker state is saved after the batch is out, so a
// failed publish does not advance anyone's circuit.

import Foundation
import Shared

enum BatchPublisher {
    /// Probes `interfaces` and publishes the batch; returns the process exit code.
    static func probeAndPublish(_ interfaces: [InterfaceDefinition], context: ProbeContext, spool: Spool,
                                stopGrace: TimeInterval) async -> Int32 {
        var probeRun = ProbeRun(interfaces: interfaces, context: context,
                                breaker: CircuitBreaker(stateDirectory: spool.stateDirectory,
                                                        threshold: context.config.monitor.breakerFailures,
                                                        openFor: context.config.monitor.breakerOpenFor))
        let work = Task { () -> (RunOutcome, CircuitBreaker) in
            let outcome = await probeRun.execute()
            return (outcome, probeRun.breaker)
        }
        // On a stop, probes in flight get `stopGrace` seconds before they are cancelled.
        let canceller = Task {
            while !context.stop.isStopping { try await Task.sleep(nanoseconds: 50_000_000) }
            try await Task.sleep(nanoseconds: UInt64(stopGrace * 1e9))
            work.cancel()
        }
        let (outcome, breaker) = await work.value
        canceller.cancel()

        let trailer = BatchTrailer(run: context.run, shard: context.shard, count: outcome.results.count,
                                   prober: "\(SpoolName.host):\(getpid())", startedAt: outcome.startedAt,
                                   finishedAt: outcome.finishedAt, interrupted: outcome.interrupted ? true : nil,
                                   notProbed: outcome.notProbed > 0 ? outcome.notProbed : nil)
        let name = RunFileName.batch(run: context.run, shard: context.shard, program: "prober")
        CrashPoint.hit("prober-before-publish")
        do {
            let writer = try spool.results.writer(name: name)
            for result in outcome.results { try writer.write(record: result) }
            try writer.write(record: trailer)
            try writer.commit()
        } catch {
            Log.error("cannot publish the batch of run \(context.run) shard \(context.shard): \(error)")
            return 1
        }
        do {
            try breaker.save()
        } catch {
            Log.warning("cannot save the circuit breaker state: \(error)")
        }
        let failed = outcome.results.filter { $0.outcome.isFailure }.count
        let skipped = outcome.results.filter { $0.outcome == .skipped }.count
        let tokenFetches = await context.tokens.fetches
        Log.info("published results/new/\(name): \(outcome.results.count) results, \(failed) failed, \(skipped) skipped, "
            + "\(tokenFetches) token fetch(es), \(String(format: "%.1f", outcome.finishedAt.timeIntervalSince(outcome.startedAt)))s"
            + (outcome.interrupted ? ", interrupted (\(outcome.notProbed) not probed)" : ""))
        return 0
    }
}
