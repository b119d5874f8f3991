// BatchPublisher: runs the probes and publishes the batch — every result as it completes, then the trailer
// with the count — as one spool file named after the run and shard. The breaker state is saved after the
// batch is out, so a failed publish does not advance anyone's circuit.

import Foundation
import Shared

enum BatchPublisher {
    /// Probes `interfaces` and publishes the batch; returns the process exit code.
    static func probeAndPublish(
        _ interfaces: PackedDefinitions, notLoaded: [ProbeResult] = [], context: ProbeContext, spool: Spool,
        stopGrace: TimeInterval
    ) async -> Int32 {
        let name = RunFileName.batch(run: context.run, shard: context.shard, program: "prober")
        // Results stream into tmp/NAME as they complete; the file reaches new/ only with its trailer.
        let writer: SpoolWriter
        do {
            writer = try spool.results.writer(name: name)
        } catch {
            Log.error("cannot start the batch of run \(context.run) shard \(context.shard): \(error)")
            return 1
        }
        // The way out first: a prober that cannot reach its canaries says so, and nothing it sees is judged.
        let canaries = await Canaries.check(context.config.monitor.canaries, client: context.client, timeout: context.config.monitor.timeout)
        let outcome: RunOutcome
        let breaker: CircuitBreaker
        switch await probe(interfaces, notLoaded: notLoaded, context: context, spool: spool, writer: writer, stopGrace: stopGrace) {
        case let .success(value): (outcome, breaker) = value
        case let .failure(error):
            writer.abandon()
            Log.error("cannot write the batch of run \(context.run) shard \(context.shard): \(error)")
            return 1
        }
        let trailer = trailer(of: outcome, context: context, canaries: canaries)
        CrashPoint.hit("prober-before-publish")
        do {
            try writer.write(record: trailer)
            try writer.commit()
        } catch {
            Log.error("cannot publish the batch of run \(context.run) shard \(context.shard): \(error)")
            return 1
        }
        do {
            // A blind shard saw its own network fail, not the targets: no circuit learns from it.
            if canaries?.blind != true { try breaker.save() }
        } catch {
            Log.warning("cannot save the circuit breaker state: \(error)")
        }
        await logPublished(name, outcome, context: context)
        return 0
    }

    /// Runs the probes, each result written as it completes; on a stop, probes in flight get `stopGrace`
    /// seconds before they are cancelled.
    private static func probe(
        _ interfaces: PackedDefinitions, notLoaded: [ProbeResult], context: ProbeContext, spool: Spool, writer: SpoolWriter,
        stopGrace: TimeInterval
    ) async -> Result<(RunOutcome, CircuitBreaker), Error> {
        let box = WriterBox(writer)
        var probeRun = ProbeRun(
            interfaces: interfaces, notLoaded: notLoaded, context: context,
            breaker: CircuitBreaker(
                stateDirectory: spool.stateDirectory,
                threshold: context.config.monitor.breakerFailures,
                openFor: context.config.monitor.breakerOpenFor))
        let work = Task { () -> Result<(RunOutcome, CircuitBreaker), Error> in
            do {
                let outcome = try await probeRun.execute { try box.writer.write(record: $0) }
                return .success((outcome, probeRun.breaker))
            } catch {
                return .failure(error)
            }
        }
        let canceller = Task {
            while !context.stop.isStopping { try await Task.sleep(nanoseconds: 50_000_000) }
            try await Task.sleep(nanoseconds: UInt64(stopGrace * 1e9))
            work.cancel()
        }
        let finished = await work.value
        canceller.cancel()
        return finished
    }

    /// The batch's last record: how many results it holds, who probed them and when, and what the canaries saw.
    private static func trailer(of outcome: RunOutcome, context: ProbeContext, canaries: CanaryReport?) -> BatchTrailer {
        var trailer = BatchTrailer(
            run: context.run, shard: context.shard, count: outcome.written,
            prober: "\(SpoolName.host):\(getpid())", startedAt: outcome.startedAt,
            finishedAt: outcome.finishedAt, interrupted: outcome.interrupted ? true : nil,
            notProbed: outcome.notProbed > 0 ? outcome.notProbed : nil)
        trailer.canaries = canaries
        if let location = context.location {
            trailer.location = location
            trailer.networkFailures = outcome.networkFailures
        }
        return trailer
    }

    /// The one line that says the batch is out: its counts, the token fetches and how long it took.
    private static func logPublished(_ name: String, _ outcome: RunOutcome, context: ProbeContext) async {
        let tokenFetches = await context.tokens.fetches
        Log.info(
            "published results/new/\(name): \(outcome.written) results, \(outcome.failed) failed, \(outcome.skipped) skipped, "
                + "\(tokenFetches) token fetch(es), \(String(format: "%.1f", outcome.finishedAt.timeIntervalSince(outcome.startedAt)))s"
                + (outcome.interrupted ? ", interrupted (\(outcome.notProbed) not probed)" : ""))
    }
}

/// Lets the probe loop (which runs in a task) write through the one writer this process owns. Unchecked
/// Sendable: the writer is used by that task alone — results are written by the one loop that drains the probes'
/// task group, never by the probes — until `probe` has awaited the task; only then does the caller use it again.
private final class WriterBox: @unchecked Sendable {
    let writer: SpoolWriter

    init(_ writer: SpoolWriter) { self.writer = writer }
}
