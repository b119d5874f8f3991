// Waiter: sleeps until a file arrives in one of the watched `new/` directories (inotify IN_MOVED_TO or
// IN_CREATE, which `link` produces), until `wake()` is called (signals use it), or until the rescan timer
// fires. inotify is only a hint: it says nothing on NFS and can overflow, so callers rescan on every wake-up.

import Foundation

/// Why `wait` returned.
public enum WakeReason: Sendable, Equatable {
    /// Something appeared in a watched directory (or the event queue overflowed).
    case files
    /// `wake()` was called.
    case woken
    /// The rescan interval passed.
    case timeout
}

/// Blocks a thread until a watched directory changes. One owner calls `wait`; any thread may call `wake`.
public final class Waiter: @unchecked Sendable {
    private let inotify: Int32
    private let pipeRead: Int32
    private let pipeWrite: Int32

    /// Watches `directories` (missing ones are skipped: the timer still rescans them).
    public init(directories: [String]) {
        inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if inotify >= 0 {
            for dir in directories {
                _ = inotify_add_watch(inotify, dir, UInt32(IN_MOVED_TO | IN_CREATE))
            }
        } else {
            Log.warning("inotify unavailable (\(String(cString: strerror(errno)))): polling only")
        }
        (pipeRead, pipeWrite) = FileIO.makePipe(nonBlocking: true)
    }

    deinit {
        if inotify >= 0 { close(inotify) }
        close(pipeRead)
        close(pipeWrite)
    }

    /// Wakes the current (or next) `wait` at once. Safe from any thread.
    public func wake() {
        var byte: UInt8 = 1
        _ = write(pipeWrite, &byte, 1)
    }

    /// Waits at most `timeout` seconds.
    public func wait(timeout: TimeInterval) -> WakeReason {
        var fds = [pollfd(fd: pipeRead, events: Int16(POLLIN), revents: 0)]
        if inotify >= 0 { fds.append(pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)) }
        let millis = Int32(max(0, min(timeout, 86_400)) * 1000)
        let n = poll(&fds, nfds_t(fds.count), millis)
        if n <= 0 { return .timeout }
        var drain = [UInt8](repeating: 0, count: 4096)
        if fds[0].revents != 0 {
            while read(pipeRead, &drain, drain.count) > 0 {}
            if inotify >= 0 { while read(inotify, &drain, drain.count) > 0 {} }
            return .woken
        }
        // Events are only hints (IN_Q_OVERFLOW included): drain them and let the caller rescan.
        while read(inotify, &drain, drain.count) > 0 {}
        return .files
    }

    /// `wait` on a dispatch thread, so that an async caller does not block the cooperative pool.
    public func next(timeout: TimeInterval) async -> WakeReason {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: self.wait(timeout: timeout))
            }
        }
    }
}
