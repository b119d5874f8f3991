// FileLock: an advisory `flock` on a file in state/, for what must happen once across processes: one token
// fetch per service, one writer of the breaker state, one analyzer and one notifier per spool.

import Foundation

/// An exclusive lock held while the value lives (or until `unlock`). Unchecked Sendable so that `acquire` can
/// take it on a dispatch thread and hand it to the caller's task: `fd`, its one `var`, changes only in
/// `unlock`, which the lock's one owner calls (or deinit, once nobody else holds it).
public final class FileLock: @unchecked Sendable {
    public let path: String
    private var fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { unlock() }

    /// Waits for the lock (blocking the calling thread).
    public static func acquire(_ path: String) throws -> FileLock {
        let fd = try FileIO.open(path, O_RDWR | O_CREAT, mode: 0o600)
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let code = errno
            close(fd)
            throw SpoolError.system(operation: "flock", path: path, errno: code)
        }
        return FileLock(path: path, fd: fd)
    }

    /// Takes the lock if it is free, nil if another process holds it.
    public static func attempt(_ path: String) throws -> FileLock? {
        let fd = try FileIO.open(path, O_RDWR | O_CREAT, mode: 0o600)
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { return nil }
            throw SpoolError.system(operation: "flock", path: path, errno: code)
        }
        return FileLock(path: path, fd: fd)
    }

    /// Waits for the lock on a dispatch thread (for async callers).
    public static func acquire(_ path: String) async throws -> FileLock {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try FileLock.acquire(path) })
            }
        }
    }

    /// Records this process's pid in the lock file (for `status` and operators).
    public func writePid() {
        guard fd >= 0 else { return }
        ftruncate(fd, 0)
        let text = Array("\(getpid())\n".utf8)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    public func unlock() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }
}
