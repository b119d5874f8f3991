// ServiceState: what the orchestrator service tells the world about itself, in
// state/orchestrator-<host>.json (pid, up since, schedule, current and next run, last runs), rewritten
// atomically as it changes. `orchestrator status` and `trigger` read it, so they work from files alone.

import Foundation
import Shared

/// A finished run as the status shows it.
struct RunBrief: Codable, Sendable, Equatable {
    let run: String
    let trigger: String
    let startedAt: Date
    let finishedAt: Date
    let failedShards: [String]

    enum CodingKeys: String, CodingKey {
        case run, trigger
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case failedShards = "failed_shards"
    }
}

/// `{"v":1,"kind":"orchestrator_state",…}`
struct ServiceState: Codable, Sendable, Equatable {
    var v = 1
    var kind = RecordKind.orchestratorState.rawValue
    var host: String
    var pid: Int32
    var startedAt: Date
    var running: Bool
    var schedule: String
    var hosts: Int
    var hostIndex: Int
    /// The location it probes from (`locations:`), nil with one location.
    var location: String?
    var nextRun: Date?
    var currentRun: String?
    var currentRunStartedAt: Date?
    var lastRuns: [RunBrief] = []
    var updatedAt: Date
    /// Skipped ticks not yet carried by a published run manifest (kept across restarts).
    var gaps: [MonitoringGap]?

    enum CodingKeys: String, CodingKey {
        case v, kind, host, pid
        case startedAt = "started_at"
        case running, schedule, hosts
        case hostIndex = "host_index"
        case location
        case nextRun = "next_run"
        case currentRun = "current_run"
        case currentRunStartedAt = "current_run_started_at"
        case lastRuns = "last_runs"
        case updatedAt = "updated_at"
        case gaps
    }

    static func read(_ path: String) -> ServiceState? {
        guard let bytes = try? FileIO.read(path) else { return nil }
        return try? RecordDecoder().decode(ServiceState.self, from: bytes)
    }

    func write(_ path: String) {
        do {
            try FileIO.replaceAtomically(path, with: try RecordCoding.encode(self) + [10])
        } catch {
            Log.warning("cannot write \(path): \(error)")
        }
    }

    /// Live orchestrators of other hosts on this spool (a heartbeat within `freshness` seconds) whose shards
    /// would overlap ours, with the reason: two of them would probe the same interfaces twice.
    static func conflicts(
        in directory: String, hosts: Int, hostIndex: Int, location: String? = nil, now: Date = Date(),
        freshness: TimeInterval = 120
    ) -> [String] {
        FileIO.listIfPresent(directory).filter { $0.hasPrefix("orchestrator-") && $0.hasSuffix(".json") }.compactMap { name in
            // Another location probes every interface too: that is the point of locations, not an overlap.
            guard let other = read(directory + "/" + name), other.host != SpoolName.host, other.running,
                now.timeIntervalSince(other.updatedAt) < freshness, other.location == location
            else { return nil }
            if other.hosts != hosts {
                return "orchestrator \(other.pid) on host \(other.host) runs with --hosts \(other.hosts), this one with --hosts \(hosts): "
                    + "every host of a spool must say the same"
            }
            if other.hostIndex == hostIndex {
                return "orchestrator \(other.pid) on host \(other.host) already runs shards of --host-index \(hostIndex) of \(hosts): "
                    + "give each host its own --host-index (or stop the other)"
            }
            return nil
        }
    }

    /// Whether the process named here is alive (only knowable on its own host).
    var isAlive: Bool { running && host == SpoolName.host && FileIO.processExists(pid) }
}
