// RunAssembly: the runs in progress. Manifests and batches are claimed as they arrive and held (in cur/)
// until their run is complete — every shard has a batch or a shard_failed stub — or its deadline has passed.
// No run without a manifest: batches whose run has none wait a bounded time for it (`orphanDeadline`) and then
// go to quarantine, never reported (a prober run by hand publishes its own). A second batch for a shard
// (a repeated prober, or a stub written beside a real batch) is kept aside and archived with the run; a second
// manifest (every host of a multi-host run publishes one) adds its gaps and is archived with the run.

import Foundation
import Shared

/// One batch, known by its end (trailer or stub); its results are streamed when the run is reported.
struct ReceivedBatch {
    let claim: ClaimedFile
    let shard: Shard
    let end: BatchEnd
}

/// A run being assembled.
struct PendingRun {
    let id: String
    var manifest: RunManifest?
    var manifestClaim: ClaimedFile?
    var batches: [Shard: ReceivedBatch] = [:]
    /// Shards whose batch was unreadable as a whole, with the reason.
    var quarantined: [Shard: String] = [:]
    /// Claims to archive with the run that did not contribute (duplicates).
    var extraClaims: [ClaimedFile] = []
    let firstSeen: Date

    /// How many shards the run has: the manifest's count, else the count batches carry.
    /// With several locations, a shard per location (LocationShards keys).
    var shardCount: Int? {
        manifest.map { $0.shards * max(1, $0.locations?.count ?? 1) } ?? batches.keys.first?.count ?? quarantined.keys.first?.count
    }

    var isComplete: Bool {
        guard let n = shardCount else { return false }
        return Shard.all(n).allSatisfy { batches[$0] != nil || quarantined[$0] != nil }
    }

    /// When the run is reported even if shards are missing; for a run without a manifest, when its batches go
    /// to quarantine unless the manifest came.
    func deadline(maxRuntime: TimeInterval, grace: TimeInterval) -> Date {
        if let manifest { return manifest.deadline.addingTimeInterval(grace) }
        return orphanDeadline(maxRuntime: maxRuntime, grace: grace)
    }

    /// How long batches wait for their run's manifest. The run's own deadline is unknown, so the longest any run
    /// may last (scheduler.max_runtime) plus the analyzer's grace, counted from when the batch says it finished
    /// (the latest trailer's finished_at, a stub's time) — a manifest is published before any prober starts, so
    /// by then it should be there — but never from later than the analyzer first saw the run (its claim): a
    /// trailer dated in the future (another host's clock, a stray file) cannot make the wait unbounded.
    func orphanDeadline(maxRuntime: TimeInterval, grace: TimeInterval) -> Date {
        let ends = batches.values.map { batch -> Date in
            switch batch.end {
            case let .trailer(t): t.finishedAt
            case let .shardFailed(s): s.at
            }
        }
        let from = min(ends.max() ?? firstSeen, firstSeen)
        return from.addingTimeInterval(maxRuntime + grace)
    }

    /// All claims the run holds, to archive once it is reported.
    var allClaims: [ClaimedFile] {
        [manifestClaim].compactMap { $0 } + batches.values.map(\.claim) + extraClaims
    }
}

/// The runs in progress, keyed by run id.
struct RunAssembly {
    private(set) var runs: [String: PendingRun] = [:]

    mutating func add(manifest: RunManifest, claim: ClaimedFile) {
        var run = runs[manifest.run] ?? PendingRun(id: manifest.run, firstSeen: Date())
        if var first = run.manifest {
            // Every host of a multi-host run publishes the run's manifest: the first one frames the run, each
            // later one adds the gaps its host saw (identical ones once) and is archived with the run.
            let known = first.gaps ?? []
            let added = (manifest.gaps ?? []).reduce(into: [MonitoringGap]()) { gaps, gap in
                if !known.contains(gap) && !gaps.contains(gap) { gaps.append(gap) }
            }
            if !added.isEmpty {
                first.gaps = (known + added).sorted { $0.from < $1.from }
                run.manifest = first
            }
            run.extraClaims.append(claim)
        } else {
            run.manifest = manifest
            run.manifestClaim = claim
        }
        runs[manifest.run] = run
    }

    mutating func add(batch: ReceivedBatch) {
        let id = batch.end.run
        var run = runs[id] ?? PendingRun(id: id, firstSeen: Date())
        if let existing = run.batches[batch.shard] {
            // A real batch beats a shard_failed stub; otherwise the first one stays.
            if case .shardFailed = existing.end, case .trailer = batch.end {
                run.extraClaims.append(existing.claim)
                run.batches[batch.shard] = batch
            } else {
                run.extraClaims.append(batch.claim)
            }
        } else {
            run.batches[batch.shard] = batch
            run.quarantined[batch.shard] = nil
        }
        runs[id] = run
    }

    mutating func addQuarantined(run id: String, shard: Shard, reason: String) {
        var run = runs[id] ?? PendingRun(id: id, firstSeen: Date())
        if run.batches[shard] == nil { run.quarantined[shard] = reason }
        runs[id] = run
    }

    /// Runs to report now, oldest first: those with a manifest, complete or past their deadline.
    /// A run without a manifest is never reported (see `orphans`).
    func ready(now: Date, maxRuntime: TimeInterval, grace: TimeInterval) -> [PendingRun] {
        runs.values.filter { $0.manifest != nil }
            .filter { $0.isComplete || now >= $0.deadline(maxRuntime: maxRuntime, grace: grace) }
            .sorted { $0.id < $1.id }
    }

    /// Runs whose manifest never came in time: their batches go to quarantine (junk named like a batch of such a
    /// run is already there), and nothing of them is reported nor changes any interface's state.
    func orphans(now: Date, maxRuntime: TimeInterval, grace: TimeInterval) -> [PendingRun] {
        runs.values.filter { $0.manifest == nil && now >= $0.orphanDeadline(maxRuntime: maxRuntime, grace: grace) }
            .sorted { $0.id < $1.id }
    }

    /// The earliest deadline of the runs still waiting (to wake up then).
    /// The earliest deadline of a run not in `excluding` (runs waiting for a retry have their own time).
    func nextDeadline(maxRuntime: TimeInterval, grace: TimeInterval, excluding: Set<String> = []) -> Date? {
        runs.values.filter { !excluding.contains($0.id) }.map { $0.deadline(maxRuntime: maxRuntime, grace: grace) }.min()
    }

    mutating func remove(_ id: String) { runs[id] = nil }

    /// Puts back a run whose batches changed while it was reported (one found unusable went to quarantine).
    mutating func update(_ run: PendingRun) { runs[run.id] = run }
}
