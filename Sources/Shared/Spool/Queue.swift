// Queue: one Maildir-style queue (tmp/ new/ cur/) and its protocol. Publish writes tmp/NAME and links it
// into new/ (never over an existing name); claim renames new/NAME to cur/NAME~host.pid.seq (never over an
// existing claim), and the rename that succeeds owns the file; ack deletes (or moves) the claim only after the consumer's outputs are published.

import Foundation

/// How a publish ended.
public enum PublishResult: Sendable, Equatable {
    /// The file is now in `new/` at this path.
    case published(String)
    /// A file of that name was already in `new/`: for an idempotent output, the work was done before.
    case alreadyExists(String)
}

/// A file this process has claimed: it sits in `cur/` under `name~host.pid.seq`.
public struct ClaimedFile: Sendable, Equatable {
    /// The published name (without the claim suffix).
    public let name: String
    /// Where the claimed file is now.
    public let path: String

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}

/// Directory and file modes of a spool: private (0700/0600) or shared with a group (0770/0660).
public struct SpoolPermissions: Sendable, Equatable {
    public var directoryMode: mode_t
    public var fileMode: mode_t

    public static let `private` = SpoolPermissions(directoryMode: 0o700, fileMode: 0o600)
    public static let groupShared = SpoolPermissions(directoryMode: 0o2770, fileMode: 0o660)
}

/// One queue of the spool (`runs`, `results`, `outbox`).
public struct Queue: Sendable {
    public let name: String
    public let path: String
    public let permissions: SpoolPermissions
    /// Free bytes below which `writer(name:)` refuses to start a file.
    public let floorBytes: UInt64

    public var tmpDirectory: String { path + "/tmp" }
    public var newDirectory: String { path + "/new" }
    public var curDirectory: String { path + "/cur" }

    public init(name: String, path: String, permissions: SpoolPermissions = .private, floorBytes: UInt64 = 0) {
        self.name = name
        self.path = path
        self.permissions = permissions
        self.floorBytes = floorBytes
    }

    /// Creates tmp/, new/ and cur/.
    public func prepare() throws {
        for dir in [path, tmpDirectory, newDirectory, curDirectory] {
            try FileIO.makeDirectory(dir, mode: permissions.directoryMode)
        }
    }

    // MARK: Publish

    /// Starts a file that becomes visible in `new/NAME` only when `commit()` succeeds. Below the free-space
    /// floor it is refused; a `control` record (a run manifest, a shard_failed stub, an alert: small, and what
    /// keeps a run from vanishing) may still use the reserve, down to a quarter of the floor.
    public func writer(name: String, control: Bool = false) throws -> SpoolWriter {
        let floor = control ? floorBytes / 4 : floorBytes
        if floor > 0, let free = FileIO.freeBytes(path), free < floor {
            throw SpoolError.diskFull(path: path, freeBytes: free, floorBytes: floor)
        }
        return try SpoolWriter(queue: self, name: name)
    }

    /// Publishes a whole file at once (`control`: see `writer`).
    @discardableResult
    public func publish(name: String, bytes: [UInt8], control: Bool = false) throws -> PublishResult {
        let writer = try writer(name: name, control: control)
        try writer.write(bytes)
        return try writer.commit()
    }

    // MARK: Claim and acknowledge

    /// Names waiting in `new/`, oldest first.
    public func pending() -> [String] {
        FileIO.listReportingErrors(newDirectory)
    }

    /// Claims `new/NAME` (or NAME in `directory`, e.g. the notifier's `deferred/`) for `owner`. Nil when
    /// another consumer got it first (its rename won). The claim name carries a per-process sequence and the
    /// rename never replaces an existing claim: two claims of one name (every host of a run publishes its
    /// manifest) stay two files.
    public func claim(_ name: String, from directory: String? = nil, by owner: ClaimOwner = .current) throws -> ClaimedFile? {
        let source = (directory ?? newDirectory) + "/" + name
        while true {
            let target = curDirectory + "/" + name + owner.claimSuffix(sequence: SpoolName.nextSequence())
            switch try Self.renameNoReplace(source, target) {
            case .renamed: return ClaimedFile(name: name, path: target)
            case .sourceGone: return nil
            case .targetExists: continue  // a claim of that name is there (a reused pid): take the next sequence
            }
        }
    }

    private enum RenameOutcome { case renamed, sourceGone, targetExists }

    /// rename(2) that never replaces `to`: renameat2(RENAME_NOREPLACE) where the kernel and file system have
    /// it, else a check before rename (claim names are unique per process, so the check is a second guard).
    private static func renameNoReplace(_ from: String, _ to: String) throws -> RenameOutcome {
        if let renameat2 = renameAt2 {
            // AT_FDCWD (-100), RENAME_NOREPLACE (1 << 0).
            if renameat2(-100, from, -100, to, 1) == 0 { return .renamed }
            switch errno {
            case ENOENT: return .sourceGone
            case EEXIST: return .targetExists
            case EINVAL, ENOSYS, ENOTSUP: break  // this file system cannot: fall back below
            default: throw SpoolError.system(operation: "rename", path: from + " -> " + to, errno: errno)
            }
        }
        if FileIO.status(to) != nil { return .targetExists }
        return try FileIO.rename(from, to) ? .renamed : .sourceGone
    }

    private typealias Renameat2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32

    /// glibc's renameat2 (2.28 and later), looked up at run time: the Glibc module does not declare it.
    private static let renameAt2: Renameat2? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: Renameat2.self)
    }()

    /// Files in `cur/` claimed by `owner`.
    public func claims(of owner: ClaimOwner) -> [ClaimedFile] {
        FileIO.listIfPresent(curDirectory).compactMap { entry in
            guard let parsed = ClaimOwner.parse(claimedName: entry), parsed.owner == owner else { return nil }
            return ClaimedFile(name: parsed.name, path: curDirectory + "/" + entry)
        }
    }

    /// Deletes a claimed file: the consumer's outputs are published, the input is done.
    public func ack(_ file: ClaimedFile) throws {
        try FileIO.unlink(file.path)
        try FileIO.fsyncDirectory(curDirectory)
    }

    /// Moves a claimed file into `directory` (an archive, `deferred/`, `sent/`…) under `name`. A file already
    /// there under that name is not replaced: this one keeps its claim entry's name (`NAME~host.pid.seq`), so
    /// a run's second manifest is archived beside the first.
    public func move(_ file: ClaimedFile, to directory: String, as name: String? = nil) throws {
        try FileIO.makeDirectory(directory, mode: permissions.directoryMode)
        let entry = (file.path as NSString).lastPathComponent
        var outcome = try Self.renameNoReplace(file.path, directory + "/" + (name ?? file.name))
        if outcome == .targetExists { outcome = try Self.renameNoReplace(file.path, directory + "/" + entry) }
        if outcome == .targetExists { outcome = try FileIO.rename(file.path, directory + "/" + entry) ? .renamed : .sourceGone }
        guard outcome == .renamed else {
            throw SpoolError.system(operation: "rename", path: file.path, errno: ENOENT)
        }
        try FileIO.fsyncDirectory(directory)
    }

    /// Puts a claimed file back into `new/` so that it is processed again.
    public func release(_ file: ClaimedFile) throws {
        try requeue(claimedPath: file.path, name: file.name)
    }

    // MARK: Recovery

    /// Moves back to `new/` every claim of this host whose process is gone (start-up recovery: a consumer
    /// that was killed left its files in `cur/`). Returns the names requeued.
    @discardableResult
    public func requeueOrphanedClaims(host: String = SpoolName.host) -> [String] {
        var requeued: [String] = []
        for entry in FileIO.listIfPresent(curDirectory) {
            guard let parsed = ClaimOwner.parse(claimedName: entry), parsed.owner.host == host, parsed.owner.pid != getpid(),
                let st = FileIO.status(curDirectory + "/" + entry), !FileIO.processHolds(parsed.owner.pid, claimedAt: st.changeDate)
            else { continue }
            if (try? requeue(claimedPath: curDirectory + "/" + entry, name: parsed.name)) != nil {
                requeued.append(parsed.name)
            }
        }
        return requeued
    }

    /// The janitor's rule: claims older than `lease` (by the time of the claiming rename) go back to `new/`,
    /// except those of live processes on this host, which are merely slow.
    @discardableResult
    public func requeueExpiredClaims(lease: TimeInterval, now: Date = Date()) -> [String] {
        var requeued: [String] = []
        for entry in FileIO.listIfPresent(curDirectory) {
            let full = curDirectory + "/" + entry
            guard let parsed = ClaimOwner.parse(claimedName: entry), let st = FileIO.status(full),
                now.timeIntervalSince(st.changeDate) > lease
            else { continue }
            if parsed.owner.host == SpoolName.host, FileIO.processHolds(parsed.owner.pid, claimedAt: st.changeDate) { continue }
            if (try? requeue(claimedPath: full, name: parsed.name)) != nil { requeued.append(parsed.name) }
        }
        return requeued
    }

    /// Removes files in `tmp/` not modified for `age` (Maildir: 36 hours): a writer that died mid-file.
    @discardableResult
    public func removeStaleTemporaries(olderThan age: TimeInterval = 36 * 3600, now: Date = Date()) -> [String] {
        var removed: [String] = []
        for entry in FileIO.listIfPresent(tmpDirectory) {
            let full = tmpDirectory + "/" + entry
            guard let st = FileIO.status(full), now.timeIntervalSince(st.modificationDate) > age else { continue }
            if (try? FileIO.unlink(full)) != nil { removed.append(entry) }
        }
        return removed
    }

    /// Removes rsync's temporaries (`.NAME.XXXXXX`) from `new/` not modified for `age`: a copy into `new/`
    /// killed on the receiving side left them. No consumer takes a hidden name; other hidden names are kept.
    @discardableResult
    public func removeStaleTransferTemporaries(olderThan age: TimeInterval = 36 * 3600, now: Date = Date()) -> [String] {
        FileIO.hidden(newDirectory).filter { entry in
            let suffix = entry.split(separator: ".", omittingEmptySubsequences: false).last ?? ""
            guard entry.dropFirst().contains("."), suffix.count == 6, suffix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }),
                let st = FileIO.status(newDirectory + "/" + entry), (st.st_mode & S_IFMT) == S_IFREG,
                now.timeIntervalSince(st.modificationDate) > age
            else { return false }
            return (try? FileIO.unlink(newDirectory + "/" + entry)) != nil
        }
    }

    /// Removes files in `tmp/` whose writer, named in the file name, was a process of this host that is gone
    /// (a prober killed with its orchestrator): they will never be finished, and `status` would show them as
    /// being written for 36 hours.
    @discardableResult
    public func removeOrphanedTemporaries(host: String = SpoolName.host) -> [String] {
        FileIO.listIfPresent(tmpDirectory).filter { entry in
            // The writer is named in the file name, or (for shared names) in its `~host.pid` suffix.
            guard let writer = SpoolName.tmpWriter(of: entry),
                writer.host == host, writer.pid != getpid(), !FileIO.processExists(writer.pid)
            else { return false }
            return (try? FileIO.unlink(tmpDirectory + "/" + entry)) != nil
        }
    }

    /// Whether a file whose name starts with `prefix` is in `new/`, `cur/` or any of `others` (the check
    /// that makes derived outputs idempotent).
    public func contains(prefix: String, alsoIn others: [String] = []) -> Bool {
        for dir in [newDirectory, curDirectory] + others
        where FileIO.listIfPresent(dir).contains(where: {
            $0.hasPrefix(prefix)
        }) {
            return true
        }
        return false
    }

    private func requeue(claimedPath: String, name: String) throws {
        // link + unlink instead of rename: a file of the same name in new/ must never be replaced.
        let target = newDirectory + "/" + name
        try FileIO.link(claimedPath, target)
        try FileIO.unlink(claimedPath)
        try FileIO.fsyncDirectory(newDirectory)
    }
}
