// RunAnalysis: the figures of one assembled run — totals, success rate, latency percentiles, failures by
// outcome and service, missing and interrupted shards, quarantined lines — computed once and shared by the
// report, the alert, the history line and the metrics.

import Foundation
import Shared

/// Everything known about a run once it is assembled.
struct RunAnalysis {
    let run: String
    let trigger: String
    let startedAt: Date
    let finishedAt: Date
    let shardCount: Int
    let results: [ProbeResult]
    /// The failed results, in id order.
    let failures: [ProbeResult]
    /// "3/4: killed after 3600s", one per shard that produced no results.
    let missingShards: [String]
    /// "2/4: interrupted, 12 interfaces not probed".
    let interruptedShards: [String]
    let quarantinedLines: Int
    /// Scheduled runs skipped before this one, as its manifest tells.
    let gaps: [MonitoringGap]
    private(set) var stats: RunStats

    /// `timeZone`: for the gap sentences (notify.timezone, like every time a team reads).
    init(_ pending: PendingRun, timeZone: TimeZone = .gmt) {
        run = pending.id
        trigger = pending.manifest?.trigger ?? (pending.id.contains("-p") ? "manual" : "schedule")
        shardCount = pending.shardCount ?? 1
        var results: [ProbeResult] = []
        var missing: [String] = []
        var interrupted: [String] = []
        var starts: [Date] = []
        var ends: [Date] = []
        for shard in Shard.all(shardCount) {
            if let batch = pending.batches[shard] {
                switch batch.end {
                case let .trailer(trailer):
                    results += batch.results
                    starts.append(trailer.startedAt)
                    ends.append(trailer.finishedAt)
                    if trailer.interrupted == true {
                        interrupted.append("\(shard): interrupted, \(trailer.notProbed ?? 0) interfaces not probed")
                    }
                case let .shardFailed(stub):
                    missing.append("\(shard): \(stub.reason)")
                    ends.append(stub.at)
                }
            } else if let reason = pending.quarantined[shard] {
                missing.append("\(shard): batch quarantined (\(reason))")
            } else {
                missing.append("\(shard): no batch arrived by the deadline")
            }
        }
        // Probers write their batches sorted by id, so one batch needs no sorting; several are merged by
        // sorting an index (not the large result values themselves) and copying each result once.
        if zip(results, results.dropFirst()).allSatisfy({ $0.id <= $1.id }) {
            self.results = results
        } else {
            let order = results.indices.sorted { results[$0].id < results[$1].id }
            self.results = order.map { results[$0] }
        }
        // An interface behind an open circuit keeps its verdict: failing. It is listed with the failures, saying
        // it was not probed, and counted as failed everywhere (report, status, metrics, alerts).
        failures = self.results.filter { $0.outcome.isFailure || $0.outcome == .skipped }
        missingShards = missing
        interruptedShards = interrupted
        quarantinedLines = pending.batches.values.reduce(0) { $0 + $1.badLines }
        startedAt = pending.manifest?.startedAt ?? starts.min() ?? RunID.date(of: pending.id) ?? pending.firstSeen
        finishedAt = max(ends.max() ?? startedAt, startedAt)

        var ok = 0
        var skipped = 0
        var latencies: [Double] = []
        latencies.reserveCapacity(results.count)
        for result in self.results {
            if result.outcome == .ok { ok += 1 } else if result.outcome == .skipped { skipped += 1 }
            if result.status != nil, let latency = result.latencyMs { latencies.append(latency) }
        }
        latencies.sort()
        let failed = results.count - ok
        stats = RunStats(
            interfaces: results.count, ok: ok, failed: failed, skipped: skipped,
            successRate: results.isEmpty ? 100 : (Double(ok) / Double(results.count) * 1000).rounded() / 10,
            p50Ms: RunAnalysis.percentile(latencies, 50), p95Ms: RunAnalysis.percentile(latencies, 95),
            p99Ms: RunAnalysis.percentile(latencies, 99), startedAt: startedAt, finishedAt: finishedAt,
            trigger: trigger, missingShards: missing, quarantinedLines: quarantinedLines)
        gaps = pending.manifest?.gaps ?? []
        if !gaps.isEmpty { stats.gaps = gaps.map { $0.sentence(in: timeZone) } }
    }

    var skipped: [ProbeResult] { results.filter { $0.outcome == .skipped } }

    /// The `count` slowest answered requests, slowest first (ties by id), without sorting every result.
    func slowest(_ count: Int) -> [ProbeResult] {
        var top: [Int] = []
        func slower(_ a: Int, _ b: Int) -> Bool {
            (results[a].latencyMs!, results[b].id) > (results[b].latencyMs!, results[a].id)
        }
        for i in results.indices where results[i].status != nil && results[i].latencyMs != nil {
            if top.count == count, let last = top.last, !slower(i, last) { continue }
            let at = top.firstIndex { slower(i, $0) } ?? top.count
            top.insert(i, at: at)
            if top.count > count { top.removeLast() }
        }
        return top.map { results[$0] }
    }
    var isIncomplete: Bool { !missingShards.isEmpty }
    /// Whether monitoring saw nothing for some scheduled run before this one (an overlap is not blindness).
    var followsBlindGap: Bool { gaps.contains { $0.isBlind } }

    /// Nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
