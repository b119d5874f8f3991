// ProbeRun: probes the interfaces of one shard with at most `monitor.concurrency` requests in flight, asks
// the circuit breaker before each probe and tells it every outcome, and collects the results in a stable
// order. On SIGTERM it starts nothing new and cancels what is still in flight at the deadline.

import Foundation
import Shared

/// What a run produced.
struct RunOutcome {
    let results: [ProbeResult]
    let startedAt: Date
    let finishedAt: Date
    let interrupted: Bool
    let notProbed: Int
}

struct ProbeRun {
    let interfaces: [InterfaceDefinition]
    let context: ProbeContext
    var breaker: CircuitBreaker

    mutating func execute() async -> RunOutcome {
        let started = Date()
        let concurrency = max(1, context.config.monitor.concurrency)
        let decisions = interfaces.map { breaker.decision(for: $0.id) }
        var results: [ProbeResult] = []
        results.reserveCapacity(interfaces.count)
        let context = self.context
        let interfaces = self.interfaces
        await withTaskGroup(of: ProbeResult?.self) { group in
            var next = 0
            func startNext() -> Bool {
                guard next < interfaces.count, !context.stop.isStopping else { return false }
                let index = next
                next += 1
                group.addTask {
                    let result = await Probe.run(interfaces[index], decision: decisions[index], context: context)
                    // A probe cut off by cancellation measured nothing: it is counted as not probed.
                    return Task.isCancelled && context.stop.isStopping ? nil : result
                }
                return true
            }
            for _ in 0..<concurrency where !startNext() { break }
            while let result = await group.next() {
                if let result { results.append(result) }
                _ = startNext()
            }
        }
        for result in results { breaker.record(result.id, outcome: result.outcome) }
        results.sort { $0.id < $1.id }
        let interrupted = context.stop.isStopping
        return RunOutcome(results: results, startedAt: started, finishedAt: Date(), interrupted: interrupted,
                          notProbed: interfaces.count - results.count)
    }
}
