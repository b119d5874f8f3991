// PoolSnapshotter: makes the pool snapshot a run probes (see PoolSnapshot). The live pool is looked at once per
// run (a stat of each file); only when something changed is it copied into the spool, the copy validated (so what
// was checked is exactly what is probed, even while an editor is saving), broken files taken out with their last
// good version held, and the result published by one rename. Each host keeps a pointer to its current snapshot.

import Foundation

/// Makes and keeps this host's pool snapshots in `state/pool/`.
public final class PoolSnapshotter {
    public let config: Config
    private let environment: [String: String]
    private let spool: Spool
    private var fingerprint: String?
    /// The snapshot the last run used (after a restart: the one this host's pointer names).
    public private(set) var current: PoolSnapshot?
    /// The ids the current snapshot probes (known once this process made or checked a snapshot), to say which
    /// came and went: a rename is not mistaken for a fix.
    private var ids: Set<String>?
    private var made = 0

    public init(config: Config, spool: Spool, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.config = config
        self.spool = spool
        self.environment = environment
        if let bytes = try? FileIO.read(pointer), let last = try? RecordCoding.makeDecoder().decode(PoolSnapshot.self, from: Data(bytes)),
            PoolSnapshot.isValidID(last.id), FileIO.status(directory(last.id)) != nil
        {
            var kept = last
            kept.stale = nil
            current = kept
            if let text = try? FileIO.read(fingerprintFile) { fingerprint = String(decoding: text, as: UTF8.self) }
        }
    }

    /// Takes over what `other` knew (after a reload: the ids, so the next snapshot says which came and went).
    public func inherit(from other: PoolSnapshotter) {
        ids = other.ids
        if current == nil { current = other.current }
    }

    private var root: String { spool.stateDirectory + "/pool" }
    private var pointer: String { root + "/current." + SpoolName.host + ".json" }
    /// The fingerprint of the pool the current snapshot was made from: a new process (each `once`, a restart)
    /// reuses the snapshot while the pool is unchanged instead of copying and checking it again.
    private var fingerprintFile: String { root + "/current." + SpoolName.host + ".fingerprint" }
    private func directory(_ id: String) -> String { root + "/" + id }
    private var pool: String { config.monitor.interfacePool }
    private var displayRoot: String { (pool as NSString).lastPathComponent }

    /// The snapshot for a run starting now: the current one when the pool did not change, a new one when it did,
    /// the last good one (marked stale, saying why) when the pool cannot be read. Nil, after logging why, when
    /// there is no snapshot at all to probe.
    public func snapshot(now: Date = Date()) -> PoolSnapshot? {
        let files: [String]
        do {
            files = try listing()
        } catch {
            guard var last = current else {
                Log.error("the interface pool cannot be read (\(error)) and there is no earlier snapshot: nothing can be probed")
                return nil
            }
            if fingerprint != nil { Log.error("the interface pool cannot be read (\(error)); probing the last good snapshot \(last.id)") }
            fingerprint = nil
            last.stale = "\(error)"
            return last
        }
        let print = Self.fingerprint(of: files, in: pool, checkedAgainst: servicesSignature)
        if let current, print == fingerprint { return current }
        do {
            var seen: Set<String> = []
            let made = try make(files, now: now, ids: &seen)
            report(made, after: current)
            if let before = ids { reportChanges(from: before, to: seen) }
            ids = seen
            current = made
            fingerprint = print
            try? FileIO.replaceAtomically(pointer, with: try RecordCoding.encode(made) + [10], mode: spool.permissions.fileMode)
            try? FileIO.replaceAtomically(
                fingerprintFile, with: Array(print.utf8), mode: spool.permissions.fileMode)
            prune(now: now)
            return made
        } catch {
            guard var last = current else {
                Log.error("cannot make a snapshot of the interface pool: \(error); nothing can be probed")
                return nil
            }
            Log.error("cannot make a snapshot of the interface pool: \(error); probing the last good snapshot \(last.id)")
            last.stale = "\(error)"
            return last
        }
    }

    /// The pool's files, or an error when the pool itself cannot be read (missing, not a directory, no permission).
    private func listing() throws -> [String] {
        guard let st = FileIO.status(pool) else { throw SpoolError.system(operation: "stat", path: pool, errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw SpoolError.system(operation: "opendir", path: pool, errno: ENOTDIR) }
        _ = try FileIO.list(pool)
        return InterfacePool.files(in: pool)
    }

    /// What a file's check depends on besides the file: each service's base_url and whether it has auth.
    private var servicesSignature: String {
        config.services.keys.sorted().map { name in
            let service = config.services[name]
            return "\(name)\u{0}\(service?.baseURL ?? "")\u{0}\(service?.auth != nil)"
        }.joined(separator: "\u{1}")
    }

    /// What changes when a file is saved (name, size, modification and change times, inode), and what its check
    /// depends on in the config (`checkedAgainst`).
    static func fingerprint(of files: [String], in directory: String, checkedAgainst config: String = "") -> String {
        var bytes: [UInt8] = Array(config.utf8) + [0]
        for relative in files {
            bytes += Array(relative.utf8) + [0]
            if let st = FileIO.status(directory + "/" + relative) {
                for value in [Int(st.st_size), st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec, Int(st.st_ino)] {
                    withUnsafeBytes(of: value) { bytes += $0 }
                }
            }
        }
        return SHA256.hex(SHA256.hash(bytes))
    }

    /// Copies `files` into a new directory, validates the copy, takes broken files out (holding their last good
    /// version) and publishes it as `state/pool/<digest>/`.
    private func make(_ files: [String], now: Date, ids: inout Set<String>) throws -> PoolSnapshot {
        // Copies of the operator's interface files: what they hold (a literal password in a URL, if someone wrote
        // one) is as private as tokens/ — only the service user reads it, and no record ever quotes it.
        try FileIO.makeDirectory(root, mode: 0o700)
        chmod(root, 0o700)
        made += 1
        let temporary = root + "/.tmp-\(getpid())-\(made)"
        try? FileManager.default.removeItem(atPath: temporary)
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        // An empty pool is a snapshot too: files/ is there whatever it holds.
        try FileIO.makeDirectory(temporary + "/files", mode: spool.permissions.directoryMode)
        var digest: [UInt8] = []
        var unreadable: [PoolSnapshot.Problem] = []
        for relative in files {
            do {
                let bytes = try FileIO.read(pool + "/" + relative)
                try write(bytes, to: temporary + "/files/" + relative)
                // Each file's own digest goes into the snapshot's: the pool's bytes are never held all at once.
                digest += Array("F\(relative)\u{0}\(bytes.count)\u{0}".utf8) + SHA256.hash(bytes)
            } catch {
                unreadable.append(.init(file: relative, reason: "\(displayRoot)/\(relative): cannot be read: \(error)", held: nil))
            }
        }
        var good = 0
        var broken: [BrokenPoolFile] = []
        _ = try InterfacePool.loadTolerant(
            config: config, environment: environment, from: (temporary + "/files", displayRoot), idsOnly: true,
            eachID: {
                good += 1
                ids.insert($0)
            }, broken: { broken.append($0) })
        var problems = unreadable
        for file in broken {
            try FileIO.unlink(temporary + "/files/" + file.relativePath)
            let held = try hold(file.relativePath, in: temporary)
            problems.append(.init(file: file.relativePath, reason: file.reason, held: held ? 0 : nil))
            digest += Array("B\(file.relativePath)\u{0}\(file.reason)\u{0}".utf8)
        }
        for index in unreadable.indices where try hold(problems[index].file, in: temporary) {
            problems[index].held = 0
        }
        try countHeld(&problems, in: temporary, digest: &digest)
        problems.sort { $0.file < $1.file }
        let id = SHA256.hex(SHA256.hash(digest).prefix(8))
        let snapshot = PoolSnapshot(
            id: id, createdAt: now, displayRoot: displayRoot, interfaces: good, files: files.count - problems.count, broken: problems)
        try write(try RecordCoding.encode(snapshot) + [10], to: temporary + "/snapshot.json")
        try FileIO.fsyncDirectory(temporary)
        if FileIO.status(directory(id)) == nil {
            do {
                guard try FileIO.rename(temporary, directory(id)) else { throw SpoolError.alreadyExists(path: directory(id)) }
                try FileIO.fsyncDirectory(root)
            } catch let SpoolError.system(_, _, code) where code == ENOTEMPTY || code == EEXIST {
                // Another process (a prober started beside this one) published the same snapshot meanwhile: its
                // name is its content, so that one serves.
                guard FileIO.status(directory(id)) != nil else { throw SpoolError.system(operation: "rename", path: directory(id), errno: code) }
            }
        }
        return (try? PoolSnapshot.read(id, in: spool)) ?? snapshot
    }

    /// Copies the last good version of a broken file (from the current snapshot) into `held/`; false when none.
    private func hold(_ relative: String, in temporary: String) throws -> Bool {
        guard let current else { return false }
        for kind in ["files", "held"] {
            guard let bytes = try? FileIO.read(directory(current.id) + "/" + kind + "/" + relative) else { continue }
            try write(bytes, to: temporary + "/held/" + relative)
            return true
        }
        return false
    }

    /// How many interfaces each held file defines (a held file that no longer loads, after a config change, is
    /// dropped: its interfaces are unknown).
    private func countHeld(_ problems: inout [PoolSnapshot.Problem], in temporary: String, digest: inout [UInt8]) throws {
        guard problems.contains(where: { $0.held != nil }) else { return }
        var counts: [String: Int] = [:]
        var unloadable: [BrokenPoolFile] = []
        _ = try InterfacePool.loadTolerant(
            config: config, environment: environment, from: (temporary + "/held", displayRoot),
            each: { counts[$0.sourceFile, default: 0] += 1 }, broken: { unloadable.append($0) })
        for file in unloadable { try? FileIO.unlink(temporary + "/held/" + file.relativePath) }
        for index in problems.indices where problems[index].held != nil {
            let relative = problems[index].file
            let count = unloadable.contains { $0.relativePath == relative } ? nil : counts[displayRoot + "/" + relative, default: 0]
            problems[index].held = count
            if let count, let bytes = try? FileIO.read(temporary + "/held/" + relative) {
                digest += Array("H\(relative)\u{0}\(count)\u{0}".utf8) + SHA256.hash(bytes)
            }
        }
    }

    /// Writes `bytes` to a new file at `path` (parents made), durably.
    private func write(_ bytes: [UInt8], to path: String) throws {
        try FileIO.makeDirectory((path as NSString).deletingLastPathComponent, mode: spool.permissions.directoryMode)
        let fd = try FileIO.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: spool.permissions.fileMode)
        do {
            try FileIO.writeAll(fd, bytes, path: path)
            try FileIO.fsync(fd, path: path)
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
        try FileIO.close(fd, path: path)
    }

    /// One log line per file that broke or loads again, and one for the snapshot.
    private func report(_ made: PoolSnapshot, after last: PoolSnapshot?) {
        let before = Dictionary((last?.broken ?? []).map { ($0.file, $0.reason) }) { a, _ in a }
        for problem in made.broken where before[problem.file] != problem.reason {
            Log.error(problem.sentence)
        }
        for file in before.keys.sorted() where !made.broken.contains(where: { $0.file == file }) {
            Log.notice("\(made.displayRoot)/\(file) loads again")
        }
        guard made.id != last?.id else { return }
        Log.info(
            "interface pool snapshot \(made.id): \(made.interfaces) interfaces from \(made.files) file(s)"
                + (made.broken.isEmpty ? "" : "; \(made.broken.count) file(s) not loaded"))
    }

    /// One line for the ids that came, one for those that went (at most 20 named each).
    private func reportChanges(from before: Set<String>, to after: Set<String>) {
        for (words, changed) in [("new in", after.subtracting(before)), ("gone from", before.subtracting(after))] where !changed.isEmpty {
            let sorted = changed.sorted()
            Log.notice(
                "interfaces \(words) the pool (\(changed.count)): " + sorted.prefix(20).joined(separator: ", ")
                    + (changed.count > 20 ? ", … (\(changed.count - 20) more)" : ""))
        }
    }

    /// Removes snapshots no host points to that are older than twice a run's longest life (at least an hour), and
    /// temporaries left by a crash.
    private func prune(now: Date) {
        let keep = max(3600, 2 * config.scheduler.maxRuntime)
        var referenced: Set<String> = []
        for name in FileIO.listIfPresent(root) where name.hasPrefix("current.") {
            if let bytes = try? FileIO.read(root + "/" + name), let s = try? RecordCoding.makeDecoder().decode(PoolSnapshot.self, from: Data(bytes)) {
                referenced.insert(s.id)
            }
        }
        if let current { referenced.insert(current.id) }
        for name in FileIO.listIfPresent(root) + FileIO.hidden(root) where PoolSnapshot.isValidID(name) || name.hasPrefix(".tmp-") {
            guard !referenced.contains(name), let st = FileIO.status(root + "/" + name), (st.st_mode & S_IFMT) == S_IFDIR,
                now.timeIntervalSince(Date(timeIntervalSince1970: TimeInterval(st.st_mtim.tv_sec))) > keep
            else { continue }
            try? FileManager.default.removeItem(atPath: root + "/" + name)
        }
    }
}
