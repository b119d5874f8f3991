// Alert: what the analyzer tells the notifier — the run, severity, the interfaces that changed state, the
// run's statistics, the report's path and text. The notifier renders it per channel; the generic webhook
// receives it as is. One alert per run at most, named after the run.

import Foundation

/// How an interface's state moved between two runs.
public enum StateChange: String, Codable, Sendable, CaseIterable {
    case newFailure = "new_failure"
    case stillFailing = "still_failing"
    case recovered
}

/// One interface in an alert.
public struct Transition: Codable, Sendable, Equatable {
    public var id: String
    public var service: String
    public var name: String
    public var method: String
    public var url: String
    public var change: StateChange
    public var outcome: Outcome
    public var previousOutcome: Outcome?
    public var status: Int?
    public var error: String?
    /// Since when the interface has been in its current state.
    public var since: Date
    /// For a recovery: since when it had been failing (so a message can say "was down 7 min").
    public var downSince: Date?

    public init(
        id: String, service: String, name: String, method: String, url: String, change: StateChange,
        outcome: Outcome, previousOutcome: Outcome?, status: Int?, error: String?, since: Date
    ) {
        self.id = id
        self.service = service
        self.name = name
        self.method = method
        self.url = url
        self.change = change
        self.outcome = outcome
        self.previousOutcome = previousOutcome
        self.status = status
        self.error = error
        self.since = since
    }

    enum CodingKeys: String, CodingKey {
        case id, service, name, method, url, change, outcome
        case previousOutcome = "previous_outcome"
        case status, error, since
        case downSince = "down_since"
    }
}

/// The figures of one run.
public struct RunStats: Codable, Sendable, Equatable {
    public var interfaces: Int
    public var ok: Int
    public var failed: Int
    public var skipped: Int
    /// ok / interfaces, in percent: an interface not probed counts as failing. 100 when nothing was probed,
    /// which no person reads as such: see `nothingProbed`.
    public var successRate: Double
    public var p50Ms: Double?
    public var p95Ms: Double?
    public var p99Ms: Double?
    public var startedAt: Date
    public var finishedAt: Date
    public var trigger: String
    /// Shards with no batch, or with a `shard_failed` stub: "3/4: killed after 3600s".
    public var missingShards: [String]
    public var quarantinedLines: Int
    /// Scheduled runs skipped before this one ("monitoring was blind from 10:01 to 10:04 (…)"); absent when none.
    public var gaps: [String]?
    /// Interface files that failed to load, and a pool that could not be read (PoolSnapshot.problems); absent when none.
    public var pool: [String]?
    /// Shards whose prober could not reach its canaries (monitor.canaries), so nothing they saw was judged; absent
    /// when none.
    public var blind: [String]?
    /// Several locations: interfaces that failed from fewer locations than the quorum (reported, not paged).
    public var degraded: [String]?

    /// Why a run measured nothing ("every shard is missing", "no interface to probe"), nil when it measured
    /// something: such a run is never shown as "success 100 %".
    public var nothingProbed: String? {
        guard interfaces == 0 else { return nil }
        if let blind, !blind.isEmpty { return "the probers could not reach their canaries, so nothing was judged" }
        return missingShards.isEmpty
            ? "no interface to probe (the pool is empty, or every interface is disabled)"
            : "\(missingShards.count) shard(s) missing and no result from any other"
    }

    public init(
        interfaces: Int, ok: Int, failed: Int, skipped: Int, successRate: Double, p50Ms: Double?,
        p95Ms: Double?, p99Ms: Double?, startedAt: Date, finishedAt: Date, trigger: String,
        missingShards: [String], quarantinedLines: Int
    ) {
        self.interfaces = interfaces
        self.ok = ok
        self.failed = failed
        self.skipped = skipped
        self.successRate = successRate
        self.p50Ms = p50Ms
        self.p95Ms = p95Ms
        self.p99Ms = p99Ms
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.trigger = trigger
        self.missingShards = missingShards
        self.quarantinedLines = quarantinedLines
    }

    enum CodingKeys: String, CodingKey {
        case interfaces, ok, failed, skipped
        case successRate = "success_rate"
        case p50Ms = "p50_ms"
        case p95Ms = "p95_ms"
        case p99Ms = "p99_ms"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case trigger
        case missingShards = "missing_shards"
        case quarantinedLines = "quarantined_lines"
        case gaps, pool, blind, degraded
    }
}

/// Why an alert was raised.
public enum AlertReason: String, Codable, Sendable {
    /// Interfaces newly failed or recovered (`alerts.mode: change`).
    case change
    /// Some interfaces are still failing and `repeat_interval` has passed since the last alert.
    case reminder
    /// `alerts.mode: every_run`: the run had failures.
    case everyRun = "every_run"
    /// The run is incomplete: shards are missing (a monitoring failure of its own).
    case incomplete
    /// Monitoring is whole again after an incomplete run was announced: every shard reported, every location
    /// and prober judged, the pool loaded.
    case restored = "monitoring_restored"
}

/// How loud an alert is.
public enum Severity: String, Codable, Sendable {
    case critical
    case warning
    case resolved
}

/// `{"v":1,"kind":"alert",…}`.
public struct Alert: Codable, Sendable, Equatable {
    public var v = RecordCoding.version
    public var kind = RecordKind.alert.rawValue
    /// `alert-<run>`: the idempotency key receivers can use to drop a repeat.
    public var id: String
    public var run: String
    public var createdAt: Date
    public var severity: Severity
    public var reason: AlertReason
    /// Interfaces that changed state in this run (and, for reminders and every_run, those still failing).
    public var transitions: [Transition]
    /// Transitions left out of `transitions` (a mass outage), counted by what routes match on; nil when none.
    public var omitted: [OmittedTransitions]?
    public var stats: RunStats
    public var reportPath: String
    public var report: String

    public init(
        run: String, createdAt: Date, severity: Severity, reason: AlertReason, transitions: [Transition],
        stats: RunStats, reportPath: String, report: String
    ) {
        self.id = "alert-" + run
        self.run = run
        self.createdAt = createdAt
        self.severity = severity
        self.reason = reason
        self.transitions = transitions
        self.stats = stats
        self.reportPath = reportPath
        self.report = report
    }

    enum CodingKeys: String, CodingKey {
        case v, kind, id, run
        case createdAt = "created_at"
        case severity, reason, transitions, omitted, stats
        case reportPath = "report_path"
        case report
    }

    /// How many interfaces made `change`, listed or left out.
    public func count(of change: StateChange) -> Int {
        transitions.count { $0.change == change } + (omitted ?? []).filter { $0.change == change }.reduce(0) { $0 + $1.count }
    }

    /// The outcomes of the interfaces that made `change`, listed or left out (one per interface).
    public func outcomes(of change: StateChange) -> [Outcome] {
        transitions.filter { $0.change == change }.map(\.outcome)
            + (omitted ?? []).filter { $0.change == change }.flatMap { repeatElement($0.outcome, count: $0.count) }
    }

    /// Listed transitions at most `perGroup` per service and change and `total` in all, in order; the rest counted
    /// by service, change, outcome and previous outcome (what routes match on), so that every team's part of a
    /// mass outage still reaches its channel and the alert stays far below what a consumer reads (16 MiB).
    public static func capped(_ transitions: [Transition], perGroup: Int = 100, total: Int = 2_000)
        -> (kept: [Transition], omitted: [OmittedTransitions]?)
    {
        guard transitions.count > perGroup else { return (transitions, nil) }
        struct Key: Hashable {
            let service: String
            let change: StateChange
            let outcome: Outcome
            let previousOutcome: Outcome?
        }
        var kept: [Transition] = []
        var perKey: [String: Int] = [:]
        var left: [Key: Int] = [:]
        for t in transitions {
            let group = t.service + "\u{0}" + t.change.rawValue
            if kept.count < total, perKey[group, default: 0] < perGroup {
                perKey[group, default: 0] += 1
                kept.append(t)
            } else {
                left[Key(service: t.service, change: t.change, outcome: t.outcome, previousOutcome: t.previousOutcome), default: 0] += 1
            }
        }
        guard !left.isEmpty else { return (transitions, nil) }
        let omitted = left.map { key, count in
            OmittedTransitions(
                service: key.service, change: key.change, outcome: key.outcome, previousOutcome: key.previousOutcome, count: count)
        }.sorted {
            ($0.service, $0.change.rawValue, $0.outcome.rawValue, $0.previousOutcome?.rawValue ?? "")
                < ($1.service, $1.change.rawValue, $1.outcome.rawValue, $1.previousOutcome?.rawValue ?? "")
        }
        return (kept, omitted)
    }
}

/// Interfaces of one service that made the same change with the same outcome, left out of an alert's list.
public struct OmittedTransitions: Codable, Sendable, Equatable {
    public var service: String
    public var change: StateChange
    public var outcome: Outcome
    public var previousOutcome: Outcome?
    public var count: Int

    public init(service: String, change: StateChange, outcome: Outcome, previousOutcome: Outcome?, count: Int) {
        self.service = service
        self.change = change
        self.outcome = outcome
        self.previousOutcome = previousOutcome
        self.count = count
    }

    /// A transition standing for the group where routes are matched (no id, name or URL).
    public var representative: Transition {
        Transition(
            id: "", service: service, name: "", method: "", url: "", change: change, outcome: outcome, previousOutcome: previousOutcome,
            status: nil, error: nil, since: Date(timeIntervalSince1970: 0))
    }

    enum CodingKeys: String, CodingKey {
        case service, change, outcome
        case previousOutcome = "previous_outcome"
        case count
    }
}

/// `{"v":1,"kind":"run_summary",…}`: one line per run in `state/history.ndjson`.
public struct RunSummary: Codable, Sendable, Equatable {
    public var v = RecordCoding.version
    public var kind = RecordKind.runSummary.rawValue
    public var run: String
    public var stats: RunStats
    public var report: String
    public var alert: String?

    public init(run: String, stats: RunStats, report: String, alert: String?) {
        self.run = run
        self.stats = stats
        self.report = report
        self.alert = alert
    }

    /// The summaries in a history file that satisfy `filter`, oldest first, at most the last `count`
    /// (unreadable lines are skipped: the file is append-only and a torn last line is possible).
    public static func history(at path: String, last count: Int = .max, where filter: (RunSummary) -> Bool = { _ in true })
        -> [RunSummary]
    {
        guard let reader = try? LineReader(path: path) else { return [] }
        let decoder = RecordDecoder()
        var out: [RunSummary] = []
        while let line = try? reader.next() {
            guard let summary = try? decoder.decode(RunSummary.self, from: line.bytes), filter(summary) else { continue }
            out.append(summary)
            if out.count > count { out.removeFirst() }
        }
        return out
    }
}
