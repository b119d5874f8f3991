// SpoolError: everything that can go wrong while moving files through the spool, each case with the path
// and the system error so that an operator can act on the message alone.

import Foundation

/// A failed spool operation.
public enum SpoolError: Error, CustomStringConvertible, Equatable {
    /// A system call failed; `operation` names it (open, write, fsync, rename, …).
    case system(operation: String, path: String, errno: Int32)
    /// Free space on the spool's file system is below the floor: the writer refuses to publish.
    case diskFull(path: String, freeBytes: UInt64, floorBytes: UInt64)
    /// The name is already published (for idempotent outputs this means "done before").
    case alreadyExists(path: String)
    /// A file is not what the protocol expects (missing trailer, wrong count, newer version…).
    case invalidFile(path: String, reason: String)

    public var description: String {
        switch self {
        case let .system(operation, path, code):
            return "\(operation) \(path): \(String(cString: strerror(code))) (errno \(code))"
        case let .diskFull(path, free, floor):
            return "\(path): only \(ByteCount.format(free)) free, below the floor of \(ByteCount.format(floor)); "
                + "refusing to publish until space is freed"
        case let .alreadyExists(path):
            return "\(path) already exists"
        case let .invalidFile(path, reason):
            return "\(path): \(reason)"
        }
    }

    /// True for an error that says nothing about a file's content — no space (or the free-space floor), an I/O
    /// error, a file system gone (ENOTCONN, ESTALE), a lock, no memory or descriptors — so the file stays where it
    /// can be tried again (never in quarantine, which is for content that cannot be read).
    public static func isTransient(_ error: Error) -> Bool {
        guard let error = error as? SpoolError else { return false }
        switch error {
        case .diskFull: return true
        case let .system(_, _, code):
            return [ENOSPC, EDQUOT, EFBIG, EIO, ENOTCONN, ESTALE, EAGAIN, EINTR, ENOLCK, ETIMEDOUT, ENOMEM, EMFILE, ENFILE, EBUSY, EROFS]
                .contains(code)
        default: return false
        }
    }

    /// True for ENOSPC/EDQUOT/EFBIG and the free-space floor: the writer should back off and retry later.
    public var isOutOfSpace: Bool {
        switch self {
        case .diskFull: return true
        case let .system(_, _, code): return code == ENOSPC || code == EDQUOT || code == EFBIG
        default: return false
        }
    }
}

/// Human-readable byte counts (`12.3 MB`) for messages and `spool ls`.
public enum ByteCount {
    public static func format(_ bytes: UInt64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
