// ProbeRun: probes the interfaces of one shard with at most `monitor.concurrency` requests in flight, asks
// the circuit breaker before each probe and tells it every outcome; results are
// written out as they complete. On SIGTERM it starts nothing new and cancels what is still in flight at the deadline.

import Foundation
import Shared

/// What a run produced.
struct RunOutcome {
    /// Results written, failed (not ok, not skipped), skipped.
    let written: Int
    let failed: Int
    let skipped: Int
    let startedAt: Date
    let finishedAt: Date
    let interrupted: Bool
    let notProbed: Int
    /// Results that failed to reach their target (connection, dns, timeout, tls).
    let networkFailures: Int
}

struct ProbeRun {
    let interfaces: PackedDefinitions
    /// Results already known: interfaces whose file is broken (PoolSelection), written first.
    var notLoaded: [ProbeResult] = []
    let context: ProbeContext
    var breaker: CircuitBreaker

    /// Probes everything; each result goes to `write` as soon as it is known (in completion order), so memory
    /// does not grow with the pool. A `write` failure stops the run.
    mutating func execute(write: (ProbeResult) throws -> Void) async throws -> RunOutcome {
        let started = Date()
        let concurrency = max(1, context.config.monitor.concurrency)
        // One byte per interface, by position (not the id beside each: 24 bytes × 100 000).
        var outcomes = [Outcome?](repeating: nil, count: interfaces.count)
        var written = 0
        for result in notLoaded {
            try write(result)
            written += 1
        }
        var writeError: Error?
        let context = self.context
        let interfaces = self.interfaces
        let snapshot = breaker
        await withTaskGroup(of: (Int, Probe.Attempts?).self) { group in
            var next = 0
            func startNext() -> Bool {
                guard next < interfaces.count, !context.stop.isStopping else { return false }
                let index = next
                next += 1
                // Decided as each probe starts (a decision per interface held for the whole run was 3 MB).
                let decision = snapshot.decision(for: interfaces.id(at: index))
                group.addTask {
                    let probe = await Probe.run(interfaces[index], decision: decision, context: context)
                    // A probe cut off by cancellation measured nothing: it is counted as not probed.
                    return (index, Task.isCancelled && context.stop.isStopping ? nil : probe)
                }
                return true
            }
            for _ in 0..<concurrency where !startNext() { break }
            while let (index, probe) = await group.next() {
                if let result = probe?.result, writeError == nil {
                    do {
                        try write(result)
                        outcomes[index] = result.outcome
                        written += 1
                    } catch {
                        writeError = error
                        context.stop.trigger()
                    }
                }
                _ = startNext()
            }
        }
        if let writeError { throw writeError }
        for (index, outcome) in outcomes.enumerated() {
            // (An answer with no circuit to close changes nothing: its id is not even rebuilt.)
            if let outcome, CircuitBreaker.counts(outcome) == true || !breaker.entries.isEmpty {
                breaker.record(interfaces.id(at: index), outcome: outcome)
            }
        }
        return RunOutcome(
            written: written, failed: outcomes.filter { $0?.isFailure == true }.count + notLoaded.count,
            skipped: outcomes.filter { $0 == .skipped }.count, startedAt: started, finishedAt: Date(),
            interrupted: context.stop.isStopping, notProbed: interfaces.count - written,
            networkFailures: outcomes.filter { $0?.isNetworkFailure == true }.count)
    }
}
