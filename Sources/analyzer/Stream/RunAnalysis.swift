// RunAnalysis: the figures of one assembled run — totals, success rate, latency percentiles, failures by
// outcome and service, missing and interrupted shards, quarantined lines — computed once and shared by the
// report, the alert, the history line and the metrics.

import Foundation
import Shared

/// Everything known about a run once it is assembled. Built result by result (in id order) while the
/// analyzer streams the run's batches: only what the report, the alert and the metrics show is kept — the
/// failures, the ten slowest, the certificates to renew, counts per service, the latencies — never every result.
struct RunAnalysis {
    let run: String
    let trigger: String
    let startedAt: Date
    let finishedAt: Date
    let shardCount: Int
    /// The failed results (and the ones not probed), in id order.
    let failures: FailureStore
    /// Failures of interfaces silenced or in maintenance (they never make an every_run alert).
    var quietFailures = 0
    /// "3/4: killed after 3600s", one per shard that produced no results.
    private(set) var missingShards: [String]
    /// "2/4: interrupted, 12 interfaces not probed".
    let interruptedShards: [String]
    private(set) var quarantinedLines = 0
    /// Scheduled runs skipped before this one, as its manifest tells.
    let gaps: [MonitoringGap]
    /// The pool snapshot the probers probed, as the manifest tells (files that failed to load, a pool unreadable).
    let pool: PoolSnapshot?
    /// Shards whose prober could not reach its canaries: nothing they saw is judged.
    let blindShards: Set<Shard>
    /// Why each blind shard was blind, one sentence each (nil when none).
    let blindSentences: [String]?
    /// locations.names as the manifest tells (nil: one location).
    let locationNames: [String]?
    /// Interfaces failing from fewer locations than the quorum: reported, never paged. (id, name, who saw what)
    var degraded: [(id: String, name: String, text: String)] = []
    private(set) var stats: RunStats
    /// Results per service.
    private(set) var serviceTotals: [String: Int] = [:]
    /// The ten slowest answered requests, slowest first (ties by id).
    private(set) var slowest: [ProbeResult] = []
    /// Results whose certificate expires within 30 days, soonest first (after `finish`).
    private(set) var certificates: [ProbeResult] = []
    /// 95th percentile of each transfer phase over the run: dns, connect, tls, first_byte, total (ms).
    private(set) var phaseP95: [(phase: String, ms: Double)] = []
    private var latencies: [Double] = []
    private var phases: [[Double]] = Array(repeating: [], count: 5)
    private var ok = 0
    private var count = 0
    private let timeZone: TimeZone

    /// The run's frame from its manifest and batch ends; results come with `add`, then `finish`.
    /// `timeZone`: for the gap sentences (notify.timezone, like every time a team reads).
    /// `scratch`: where failures past FailureStore.memoryLimit go (nil: all stay in memory).
    init(_ pending: PendingRun, timeZone: TimeZone = .gmt, scratch: String? = nil) {
        failures = FailureStore(directory: scratch)
        run = pending.id
        trigger = pending.manifest?.trigger ?? (pending.id.contains("-p") ? "manual" : "schedule")
        shardCount = pending.shardCount ?? 1
        var missing: [String] = []
        var interrupted: [String] = []
        var blind: [Shard: String] = [:]
        var starts: [Date] = []
        var ends: [Date] = []
        let names = pending.manifest?.locations
        for key in Shard.all(shardCount) {
            // "sh 2/3" with several locations, "2/3" with one.
            let shard = LocationShards.describe(key, names: names)
            if let batch = pending.batches[key] {
                switch batch.end {
                case let .trailer(trailer):
                    starts.append(trailer.startedAt)
                    ends.append(trailer.finishedAt)
                    if trailer.interrupted == true {
                        interrupted.append("\(shard): interrupted, \(trailer.notProbed ?? 0) interfaces not probed")
                    }
                    if let canaries = trailer.canaries, canaries.blind {
                        blind[key] =
                            "shard \(shard) (prober \(trailer.prober)) was blind: \(canaries.failures.count) of \(canaries.checked) canaries "
                            + "failed (\(canaries.failures.joined(separator: "; "))), so nothing it saw was judged"
                    }
                case let .shardFailed(stub):
                    missing.append("\(shard): \(stub.reason)")
                    ends.append(stub.at)
                }
            } else if let reason = pending.quarantined[key] {
                missing.append("\(shard): batch quarantined (\(reason))")
            } else {
                missing.append("\(shard): no batch arrived by the deadline")
            }
        }
        missingShards = missing
        interruptedShards = interrupted
        startedAt = pending.manifest?.startedAt ?? starts.min() ?? RunID.date(of: pending.id) ?? pending.firstSeen
        finishedAt = max(ends.max() ?? startedAt, startedAt)
        gaps = pending.manifest?.gaps ?? []
        pool = pending.manifest?.pool
        if let names { RunAnalysis.blindLocations(pending, names: names, into: &blind) }
        blindShards = Set(blind.keys)
        var sentences: [String] = []
        for key in blind.keys.sorted(by: { $0.index < $1.index }) where !sentences.contains(blind[key]!) { sentences.append(blind[key]!) }
        blindSentences = sentences.isEmpty ? nil : sentences
        locationNames = names
        self.timeZone = timeZone
        stats = RunStats(
            interfaces: 0, ok: 0, failed: 0, skipped: 0, successRate: 100, p50Ms: nil, p95Ms: nil, p99Ms: nil, startedAt: startedAt,
            finishedAt: finishedAt, trigger: trigger, missingShards: missing, quarantinedLines: 0)
        if !gaps.isEmpty { stats.gaps = gaps.map { $0.sentence(in: timeZone) } }
        if let problems = pool?.problems, !problems.isEmpty { stats.pool = problems }
        stats.blind = blindSentences
    }

    /// Takes one result in (results come in id order).
    mutating func add(_ result: ProbeResult) {
        count += 1
        serviceTotals[result.service, default: 0] += 1
        if result.outcome == .ok { ok += 1 }
        // An interface behind an open circuit keeps its verdict: failing. It is listed with the failures, saying
        // it was not probed, and counted as failed everywhere (report, status, metrics, alerts).
        if result.outcome.isFailure || result.outcome == .skipped { failures.append(result) }
        if result.status != nil, let latency = result.latencyMs {
            latencies.append(latency)
            considerSlowest(result, latency)
        }
        if let t = result.timings {
            phases[0].append(t.dns)
            phases[1].append(t.connect)
            phases[2].append(t.tls)
            phases[3].append(t.firstByte)
            phases[4].append(t.total)
        }
        if (result.tls?.daysLeft ?? Int.max) <= 30 { certificates.append(result) }
    }

    /// Keeps the ten slowest, slowest first, ties by id — without sorting every result.
    private mutating func considerSlowest(_ result: ProbeResult, _ latency: Double) {
        func slower(_ a: ProbeResult, _ b: ProbeResult) -> Bool { (a.latencyMs!, b.id) > (b.latencyMs!, a.id) }
        if slowest.count == 10, let last = slowest.last, !slower(result, last) { return }
        let at = slowest.firstIndex { slower(result, $0) } ?? slowest.count
        slowest.insert(result, at: at)
        if slowest.count > 10 { slowest.removeLast() }
    }

    /// A shard whose batch turned out unusable while it was read: reported as missing.
    mutating func shardQuarantined(_ shard: Shard, reason: String) {
        missingShards.append("\(shard): batch quarantined (\(reason))")
    }

    /// The totals, once every result is in.
    mutating func finish(quarantinedLines: Int) {
        self.quarantinedLines = quarantinedLines
        latencies.sort()
        certificates.sort { ($0.tls!.daysLeft!, $0.id) < ($1.tls!.daysLeft!, $1.id) }
        if !phases[0].isEmpty {
            phaseP95 = zip(["dns", "connect", "tls", "first_byte", "total"], phases).map { phase, values in
                let sorted = values.sorted()
                return (phase, sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.95).rounded(.up)) - 1)])
            }
        }
        let skipped = failures.indices.count { failures.outcome(at: $0) == .skipped }
        stats = RunStats(
            interfaces: count, ok: ok, failed: count - ok, skipped: skipped,
            successRate: count == 0 ? 100 : (Double(ok) / Double(count) * 1000).rounded() / 10,
            p50Ms: RunAnalysis.percentile(latencies, 50), p95Ms: RunAnalysis.percentile(latencies, 95),
            p99Ms: RunAnalysis.percentile(latencies, 99), startedAt: startedAt, finishedAt: finishedAt,
            trigger: trigger, missingShards: missingShards, quarantinedLines: quarantinedLines)
        if !gaps.isEmpty { stats.gaps = gaps.map { $0.sentence(in: timeZone) } }
        if let problems = pool?.problems, !problems.isEmpty { stats.pool = problems }
        stats.blind = blindSentences
        if !degraded.isEmpty { stats.degraded = degraded.prefix(20).map { "\($0.id): \($0.text)" } }
        latencies = []
        phases = []
    }

    var isIncomplete: Bool { !missingShards.isEmpty }
    /// Whether monitoring saw nothing for some scheduled run before this one (an overlap is not blindness).
    var followsBlindGap: Bool { gaps.contains { $0.isBlind } }
    /// Whether the pool kept interfaces from this run that no result stands for: it could not be read (the last
    /// good snapshot was probed), or a broken file never loaded (its interfaces are unknown). Files whose last good
    /// version is known are not here: their interfaces are reported one by one as not loaded.
    var poolIncomplete: Bool { pool.map { $0.stale != nil || $0.broken.contains { $0.held == nil } } ?? false }
    /// Whether a prober could not reach its canaries: its shard's results were not judged.
    var isBlind: Bool { !blindShards.isEmpty }
    /// Whether monitoring missed something this run or before it: a shard, a blind gap, part of the pool, a blind
    /// prober (what "monitoring incomplete" alerts say).
    var monitoringIncomplete: Bool { isIncomplete || followsBlindGap || poolIncomplete || isBlind }

    /// A location is blind when most of its probes failed to reach their targets (connection, DNS, timeout, TLS)
    /// while another location reached most of the same: its own network failed, not the targets. Every shard of it
    /// goes to `blind`.
    static func blindLocations(_ pending: PendingRun, names: [String], into blind: inout [Shard: String]) {
        guard names.count > 1 else { return }
        var totals: [String: (count: Int, network: Int)] = [:]
        for batch in pending.batches.values {
            guard case let .trailer(t) = batch.end, let location = t.location else { continue }
            totals[location, default: (0, 0)].count += t.count
            totals[location, default: (0, 0)].network += t.networkFailures ?? 0
        }
        func cutOff(_ location: String) -> Bool? {
            guard let t = totals[location], t.count >= 3 else { return nil }
            return t.network * 2 >= t.count
        }
        for location in names where cutOff(location) == true {
            let reached = names.filter { cutOff($0) == false }
            guard !reached.isEmpty, let t = totals[location] else { continue }
            let sentence =
                "location \(location) cannot reach its targets: \(t.network) of \(t.count) probes failed to connect (connection, DNS, "
                + "timeout, TLS) while \(reached.joined(separator: ", ")) reached them, so nothing it saw was judged"
            for key in pending.batches.keys where LocationShards.parts(of: key, names: names).location == location && blind[key] == nil {
                blind[key] = sentence
            }
        }
    }

    /// The pool's part of an incomplete cause: those sentences only.
    var poolCause: [String] {
        guard let pool else { return [] }
        var stale = pool
        stale.broken = []
        return stale.problems + pool.broken.filter { $0.held == nil }.map(\.sentence)
    }

    /// Nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
