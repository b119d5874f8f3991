// Spool: the directory that holds everything in flight, laid out as in DESIGN.md (runs/, results/, outbox/
// with deferred/ sent/ failed/, reports/, state/, quarantine/, metrics/). Every program opens it the same way
// and prepares the layout it needs at start-up.

import Foundation
import Synchronization

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

    /// The largest file a consumer reads from each queue; a larger one is quarantined unread. Batches are read
    /// as a stream (1 GiB: a million results with room to spare); a run manifest is one line (1 MiB); an alert
    /// is read whole and stays within channel limits whatever the failures (16 MiB).
    public static func fileLimit(of queue: String) -> Int64 {
        switch queue {
        case "results": 1 << 30
        case "runs": 1 << 20
        default: 16 << 20
        }
    }

    /// Logs a failed claim once per file and error (a file that cannot be claimed — a directory the service
    /// may not rename, a foreign owner's file in a sticky directory — is seen again on every pass; one line says
    /// so, and `orchestrator status` counts what waits in new/ too long).
    public static func reportClaimFailure(_ queue: Queue, _ name: String, _ error: Error) {
        let key = "\(queue.name)/\(name)\u{0}\(error)"
        guard reportedClaimFailures.withLock({ $0.count < 10_000 && $0.insert(key).inserted }) else { return }
        Log.error("cannot claim \(queue.name)/new/\(name): \(error); it stays in new/ (reported once)")
    }

    private static let reportedClaimFailures = Mutex<Set<String>>([])

    /// Claims `new/NAME` of `queue` and makes sure it is something a consumer may read: a regular file (not a
    /// FIFO that would block `open`, not a symbolic link that leads to /dev/zero or out of the spool, not a
    /// directory) within the queue's size limit. Anything else is quarantined unread, with the reason; nil
    /// then, as when another consumer won the claim.
    public func claim(_ queue: Queue, _ name: String, from directory: String? = nil, by owner: ClaimOwner = .current) throws -> ClaimedFile? {
        guard try claimable(name, in: directory ?? queue.newDirectory, by: owner) else { return nil }
        guard let claimed = try queue.claim(name, from: directory, by: owner) else { return nil }
        return try admit(claimed.path, name: name, limit: Spool.fileLimit(of: queue.name)) ? claimed : nil
    }

    /// Whether `path` is a regular file (not followed if a link) no larger than `limit`: safe to open and read.
    public static func isPlainFile(_ path: String, limit: Int64) -> Bool {
        var st = stat()
        return fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & S_IFMT) == S_IFREG && Int64(st.st_size) <= limit
    }

    /// False (after quarantining it, once) when `name` is too long to take the claim suffix: renaming it into
    /// `cur/` would fail on every pass, forever.
    public func claimable(_ name: String, in directory: String, by owner: ClaimOwner = .current) throws -> Bool {
        guard (name + owner.longestClaimSuffix).utf8.count > 255 else { return true }
        try quarantine.file(
            at: directory + "/" + name, name: String(name.prefix(180)) + "…",
            reason: "a name of \(name.utf8.count) bytes leaves no room for the claim suffix (names are at most 255 bytes); not read")
        return false
    }

    /// True when the claimed file at `path` may be read; otherwise it is quarantined with the reason.
    public func admit(_ path: String, name: String, limit: Int64) throws -> Bool {
        var st = stat()
        guard fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return false }
        let reason: String
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            guard Int64(st.st_size) > limit else { return true }
            reason = "\(st.st_size) bytes, more than the \(DurationParser.formatBytes(UInt64(limit))) a consumer reads from this queue"
        case S_IFLNK: reason = "a symbolic link, not a file: consumers never follow links (it could lead anywhere)"
        case S_IFIFO: reason = "a FIFO, not a file: reading it would block"
        case S_IFDIR: reason = "a directory, not a file"
        default: reason = "a device or socket, not a file"
        }
        try quarantine.file(at: path, name: name, reason: reason + "; not read")
        return false
    }

    /// The queue called `name`.
    public func queue(_ name: String) -> Queue {
        Queue(name: name, path: root + "/" + name, permissions: permissions, floorBytes: floorBytes)
    }

    /// Creates the whole layout (idempotent).
    public func prepare() throws {
        try FileIO.makeDirectory(root, mode: permissions.directoryMode)
        for queue in [runs, results, outbox] { try queue.prepare() }
        for dir in [
            deferredDirectory, sentDirectory, failedDirectory, archiveDirectory, reportsDirectory,
            stateDirectory, tokensDirectory, quarantineDirectory, metricsDirectory,
        ] {
            try FileIO.makeDirectory(dir, mode: permissions.directoryMode)
        }
        chmod(tokensDirectory, 0o700)
        // The service's group may pass through the spool to metrics/ (and read nothing else): node_exporter's
        // textfile collector joins the group to read the metrics.
        if permissions == .private {
            chmod(root, 0o710)
            chmod(metricsDirectory, 0o750)
        }
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
