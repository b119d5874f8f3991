// Waiter: sleeps until a file arrives in one of the watched `new/` directories (inotify IN_MOVED_TO or
// IN_CREATE, which `link` produces), until `wake()` is called (signals use it), or until the rescan timer
// fires. inotify is only a hint: it says nothing on NFS and can overflow, so callers rescan on every wake-up.
// Before each wait the watched directories are stat'ed: one whose device or inode differs from the watch's (a
// remount, a directory replaced) is watched again, so a watch never stays on a detached mount.

import Foundation
import Synchronization

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
public final class Waiter: Sendable {
    private let inotify: Int32
    private let pipeRead: Int32
    private let pipeWrite: Int32
    private let watches: Mutex<[Watch]>

    /// One watched directory: its watch descriptor (nil: not watched yet) and the identity it had then.
    private struct Watch {
        let directory: String
        var descriptor: Int32?
        var identity: FileIdentity?
    }

    /// Watches `directories` (missing ones are skipped: the timer still rescans them, and they are watched
    /// once they appear).
    public init(directories: [String]) {
        inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if inotify < 0 { Log.warning("inotify unavailable (\(String(cString: strerror(errno)))): polling only") }
        watches = Mutex(directories.map { Watch(directory: $0, descriptor: nil, identity: nil) })
        (pipeRead, pipeWrite) = FileIO.makePipe(nonBlocking: true)
        refreshWatches()
    }

    /// Re-creates the watch of every directory whose device or inode is no longer the one it was watched
    /// with (logged once per change); watches directories that have appeared since. Returns the directories
    /// watched again because they changed.
    @discardableResult
    public func refreshWatches() -> [String] {
        guard inotify >= 0 else { return [] }
        return watches.withLock { list in
            var rewatched: [String] = []
            for index in list.indices {
                let current = FileIdentity(of: list[index].directory)
                guard current != list[index].identity || list[index].descriptor == nil, let current else { continue }
                let replaced = list[index].identity != nil
                if replaced {
                    if let old = list[index].descriptor { _ = inotify_rm_watch(inotify, old) }
                    Log.notice("re-watching \(list[index].directory): it was remounted")
                    rewatched.append(list[index].directory)
                }
                let descriptor = inotify_add_watch(inotify, list[index].directory, UInt32(IN_MOVED_TO | IN_CREATE))
                list[index].descriptor = descriptor >= 0 ? descriptor : nil
                list[index].identity = descriptor >= 0 ? current : nil
            }
            return rewatched
        }
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
        refreshWatches()
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

/// A file's device and inode: what `Waiter` compares to notice a directory replaced or remounted.
public struct FileIdentity: Sendable, Equatable {
    public let device: UInt64
    public let inode: UInt64

    /// The identity of `path` (nil when it cannot be stat'ed).
    public init?(of path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
