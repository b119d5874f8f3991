// Spool: the directory that holds everything in flight, laid out as in DESIGN.md (runs/, results/, outbox/
// with deferred/ sent/ failed/, reports/, state/, quarantine/, metrics/). Every program opens it the same way
// and prepares the layout it needs at start-up.

import Foundation

/// The spool directory and its queues.
public struct Spool: Sendable {
    public let root: String
    public let permissions: SpoolPermissions
    /// Free-space floor below which writers refuse to publish.
    public let floorBytes: UInt64

    public init(root: String, permissions: SpoolPermissions = .private, floorBytes: UInt64 = 0) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        self.permissions = permissions
        self.floorBytes = floorBytes
    }

    /// Run manifests, orchestrator → analyzer.
    public var runs: Queue { queue("runs") }
    /// Result batches, prober and orchestrator → analyzer.
    public var results: Queue { queue("results") }
    /// Alerts to deliver, analyzer → notifier.
    public var outbox: Queue { queue("outbox") }

    public var deferredDirectory: String { root + "/outbox/deferred" }
    public var sentDirectory: String { root + "/outbox/sent" }
    public var failedDirectory: String { root + "/outbox/failed" }
    /// Processed batches and manifests kept for `spool.retention`.
    public var archiveDirectory: String { root + "/results/archive" }
    public var reportsDirectory: String { root + "/reports" }
    public var stateDirectory: String { root + "/state" }
    public var tokensDirectory: String { root + "/state/tokens" }
    public var quarantineDirectory: String { root + "/quarantine" }
    /// One run_summary line per reported run (written by the analyzer).
    public var historyPath: String { root + "/state/history.ndjson" }
    public var metricsDirectory: String { root + "/metrics" }

    public var quarantine: Quarantine { Quarantine(directory: quarantineDirectory, permissions: permissions) }

    /// The queue called `name`.
    public func queue(_ name: String) -> Queue {
        Queue(name: name, path: root + "/" + name, permissions: permissions, floorBytes: floorBytes)
    }

    /// Creates the whole layout (idempotent).
    public func prepare() throws {
        try FileIO.makeDirectory(root, mode: permissions.directoryMode)
        for queue in [runs, results, outbox] { try queue.prepare() }
        for dir in [deferredDirectory, sentDirectory, failedDirectory, archiveDirectory, reportsDirectory,
                    stateDirectory, tokensDirectory, quarantineDirectory, metricsDirectory] {
            try FileIO.makeDirectory(dir, mode: permissions.directoryMode)
        }
        chmod(tokensDirectory, 0o700)
    }

    /// Deletes files in `directory` whose mtime is older than `age` (retention of reports, sent alerts and
    /// archived batches). Returns the names removed.
    @discardableResult
    public func prune(_ directory: String, olderThan age: TimeInterval, now: Date = Date()) -> [String] {
        var removed: [String] = []
        for name in FileIO.listIfPresent(directory) {
            let path = directory + "/" + name
            guard let st = FileIO.status(path), (st.st_mode & S_IFMT) == S_IFREG,
                  now.timeIntervalSince(st.modificationDate) > age
            else { continue }
            if (try? FileIO.unlink(path)) != nil { removed.append(name) }
        }
        return removed
    }
}
