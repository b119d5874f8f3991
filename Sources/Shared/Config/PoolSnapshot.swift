// PoolSnapshot: what a run's probers probe — a copy of the interface pool, validated once by whoever starts the
// run (the orchestrator) and kept in the spool under state/pool/<id>/. Probers read the copy, never the live
// pool: a half-saved file cannot blind them. A file that fails to load costs only its own interfaces (its last
// good version is held beside the copy so they are reported as not loaded, with the file:line and reason); a
// pool that cannot be read at all leaves the last good snapshot in use, and the run says so.

import Foundation

/// A validated copy of the interface pool (`state/pool/<id>/snapshot.json`), as a run's manifest names it.
public struct PoolSnapshot: Codable, Sendable, Equatable {
    public var v = 1
    /// Content digest (16 hex digits) of everything the snapshot holds: its directory name.
    public var id: String
    public var createdAt: Date
    /// The pool's own folder name (`Interface-pool`), for file names that read as the operator's.
    public var displayRoot: String
    /// Interfaces that loaded, and the files they came from.
    public var interfaces: Int
    public var files: Int
    /// Files that failed to load; their interfaces (as their last good version had them) are not probed.
    public var broken: [Problem]
    /// Set on a run's copy when the pool could not be read at all: why, and that this is the last good snapshot.
    public var stale: String?

    /// A file that failed to load.
    public struct Problem: Codable, Sendable, Equatable {
        /// Path inside the pool (`pay/endpoints.yaml`).
        public var file: String
        /// `Interface-pool/pay/endpoints.yaml:12: url: …`, the first problem (with a count of the others).
        public var reason: String
        /// Interfaces its last good version defined (reported as not loaded); nil when it never loaded.
        public var held: Int?

        /// `<reason> — its 3 interfaces are not probed until the file is fixed`.
        public var sentence: String {
            let cost =
                held.map { $0 == 1 ? "its 1 interface is not probed" : "its \($0) interfaces are not probed" }
                ?? "it never loaded, so its interfaces are unknown and not probed"
            return "\(reason) — \(cost) until the file is fixed"
        }

        public init(file: String, reason: String, held: Int?) {
            self.file = file
            self.reason = reason
            self.held = held
        }
    }

    public init(id: String, createdAt: Date, displayRoot: String, interfaces: Int, files: Int, broken: [Problem], stale: String? = nil) {
        self.id = id
        self.createdAt = createdAt
        self.displayRoot = displayRoot
        self.interfaces = interfaces
        self.files = files
        self.broken = broken
        self.stale = stale
    }

    enum CodingKeys: String, CodingKey {
        case v, id
        case createdAt = "created_at"
        case displayRoot = "display_root"
        case interfaces, files, broken, stale
    }

    /// What monitoring misses because of the pool, one sentence per cause; empty when nothing.
    public var problems: [String] {
        var out: [String] = []
        if let stale {
            out.append("the interface pool could not be read (\(stale)); the last good snapshot, of \(Timestamp.format(createdAt)), was probed")
        }
        return out + broken.map(\.sentence)
    }

    /// Whether a snapshot id is one this code makes (16 lowercase hex digits): it becomes a path.
    public static func isValidID(_ id: String) -> Bool {
        id.utf8.count == 16 && id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// The snapshot directory for `id` under the spool.
    public static func directory(_ id: String, in spool: Spool) -> String { spool.stateDirectory + "/pool/" + id }

    /// Reads the snapshot `id` of `spool`.
    public static func read(_ id: String, in spool: Spool) throws -> PoolSnapshot {
        guard isValidID(id) else { throw SpoolError.invalidFile(path: id, reason: "not a pool snapshot id (16 hex digits)") }
        let path = directory(id, in: spool) + "/snapshot.json"
        do {
            return try RecordCoding.makeDecoder().decode(PoolSnapshot.self, from: Data(try FileIO.read(path)))
        } catch let error as SpoolError {
            throw error
        } catch {
            throw SpoolError.invalidFile(path: path, reason: RecordCoding.describe(error))
        }
    }

    /// Each host's current snapshot (`state/pool/current.<host>.json`), by host name: what `status` shows.
    public static func current(in spool: Spool) -> [(host: String, snapshot: PoolSnapshot)] {
        let root = spool.stateDirectory + "/pool"
        return FileIO.listIfPresent(root).filter { $0.hasPrefix("current.") && $0.hasSuffix(".json") }.sorted().compactMap { name in
            guard let bytes = try? FileIO.read(root + "/" + name),
                let snapshot = try? RecordCoding.makeDecoder().decode(PoolSnapshot.self, from: Data(bytes))
            else { return nil }
            return (String(name.dropFirst("current.".count).dropLast(".json".count)), snapshot)
        }
    }
}
