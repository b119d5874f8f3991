// SpoolName: names that are unique without coordination and sort by age (Maildir's rule, with microseconds
// and a per-process sequence), the identity of this host and process, and the `~host.pid.seq` claim suffix.

import Foundation
import Synchronization

/// Builds and reads spool file names.
public enum SpoolName {
    private static let sequence = Atomic<Int>(0)

    /// A process-wide increasing number (part of unique names and temporary names).
    public static func nextSequence() -> Int {
        sequence.add(1, ordering: .relaxed).newValue
    }

    /// This host's name as it appears in spool names: letters, digits, `-` and `_` only, so that names split
    /// cleanly on `.` and never contain `/`, `:` or `~`. Hosts sharing a spool must have distinct names.
    public static let host: String = {
        if let override = ProcessInfo.processInfo.environment["VIGIL_HOST"], !override.isEmpty {
            return sanitize(override)
        }
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        let name = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return sanitize(name.isEmpty ? "localhost" : name)
    }()

    /// Replaces every character outside `[A-Za-z0-9_-]` with `_`.
    public static func sanitize(_ text: String) -> String {
        String(
            text.unicodeScalars.map { scalar -> Character in
                switch scalar {
                case "a"..."z", "A"..."Z", "0"..."9", "-", "_": return Character(scalar)
                default: return "_"
                }
            })
    }

    /// The host and pid a spool name was written by, for names that carry them (`<unixsec>.<usec>.<host>.<program>-<pid>…`
    /// and batches `<run>.<k>of<N>.<host>.<program>-<pid>.ndjson`); nil for names derived from a run alone.
    public static func writer(of name: String) -> (host: String, pid: Int32)? {
        let parts = name.split(separator: ".")
        guard parts.count >= 5, let dash = parts[3].lastIndex(of: "-"), let pid = Int32(parts[3][parts[3].index(after: dash)...]), pid > 0
        else { return nil }
        return (String(parts[2]), pid)
    }

    /// The writer of a tmp/ entry: named in the file name, or — for a name several writers share, such as a run
    /// manifest — in the `~host.pid` suffix SpoolWriter adds.
    public static func tmpWriter(of entry: String) -> (host: String, pid: Int32)? {
        writer(of: entry) ?? ClaimOwner.parse(claimedName: entry).map { ($0.owner.host, $0.owner.pid) }
    }

    /// `<unixsec>.<usec>.<host>.<program>-<pid>.<seq>.ndjson`
    public static func unique(program: String, now: Date = Date()) -> String {
        let seconds = now.timeIntervalSince1970
        let whole = Int(seconds.rounded(.down))
        let micros = Int((seconds - Double(whole)) * 1_000_000)
        let usec = String(micros)
        let padded = String(repeating: "0", count: max(0, 6 - usec.count)) + usec
        return "\(whole).\(padded).\(host).\(program)-\(getpid()).\(nextSequence()).ndjson"
    }
}

/// Who holds a claim: the host and process that renamed a file into `cur/`.
public struct ClaimOwner: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let pid: Int32

    public init(host: String, pid: Int32) {
        self.host = host
        self.pid = pid
    }

    /// This process.
    public static var current: ClaimOwner { ClaimOwner(host: SpoolName.host, pid: getpid()) }

    /// The writer suffix of a shared name in `tmp/` (and of claims before claim sequences): `~host.pid`.
    public var suffix: String { "~\(host).\(pid)" }

    /// The suffix of one claim: `~host.pid.seq`, where `seq` is a per-process sequence, so that two claims of
    /// the same name (two hosts' manifests of one run, a name published again after its first claim) never
    /// share a claim name.
    public func claimSuffix(sequence: Int) -> String { "~\(host).\(pid).\(sequence)" }

    /// The longest claim suffix this owner can add (for the 255-byte name limit).
    public var longestClaimSuffix: String { claimSuffix(sequence: Int.max) }

    public var description: String { "\(host):\(pid)" }

    /// Splits `NAME~host.pid.seq` (or the older `NAME~host.pid`) into the original name and its owner; nil when
    /// the name carries no claim. Hosts never contain `.` (see `SpoolName.host`).
    public static func parse(claimedName: String) -> (name: String, owner: ClaimOwner)? {
        guard let tilde = claimedName.lastIndex(of: "~") else { return nil }
        let name = String(claimedName[..<tilde])
        let parts = claimedName[claimedName.index(after: tilde)...].split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty, let pid = Int32(parts[1]),
            parts.count == 2 || UInt64(parts[2]) != nil
        else { return nil }
        return (name, ClaimOwner(host: String(parts[0]), pid: pid))
    }
}
