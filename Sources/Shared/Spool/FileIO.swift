// FileIO: the few POSIX calls the spool protocol is built from, each checked, EINTR-safe, and turned into a
// SpoolError that names the path. Nothing here buffers silently: a write either reached the kernel or threw.

import Foundation

/// Checked wrappers around open/write/fsync/link/rename/unlink and directory listing.
public enum FileIO {
    /// Opens `path` with `flags`, retrying on EINTR.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o600) throws -> Int32 {
        while true {
            let fd = Foundation.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw SpoolError.system(operation: "open", path: path, errno: errno)
        }
    }

    /// Writes every byte of `bytes` to `fd` (short writes continue, EINTR retries).
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw SpoolError.system(operation: "write", path: path, errno: errno)
            }
            offset += n
        }
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { try writeAll(fd, $0, path: path) }
    }

    public static func fsync(_ fd: Int32, path: String) throws {
        while Foundation.fsync(fd) != 0 {
            if errno == EINTR { continue }
            throw SpoolError.system(operation: "fsync", path: path, errno: errno)
        }
    }

    /// Closes `fd`. A failing close is an error: on network file systems it is where a write error shows.
    public static func close(_ fd: Int32, path: String) throws {
        if Foundation.close(fd) != 0, errno != EINTR {
            throw SpoolError.system(operation: "close", path: path, errno: errno)
        }
    }

    /// Makes a completed rename or link in `directory` durable.
    public static func fsyncDirectory(_ directory: String) throws {
        let fd = try open(directory, O_RDONLY | O_DIRECTORY)
        defer { Foundation.close(fd) }
        try fsync(fd, path: directory)
    }

    /// Creates `path` and its parents with `mode` (and forces the mode on the leaf despite the umask).
    public static func makeDirectory(_ path: String, mode: mode_t) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            if isDir.boolValue { return }
            throw SpoolError.system(operation: "mkdir", path: path, errno: ENOTDIR)
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try makeDirectory(parent, mode: mode) }
        if mkdir(path, mode) != 0, errno != EEXIST {
            throw SpoolError.system(operation: "mkdir", path: path, errno: errno)
        }
        chmod(path, mode)
    }

    /// Names in `directory`, excluding dot files, sorted (spool names sort by age).
    public static func list(_ directory: String) throws -> [String] {
        try entries(directory, hidden: false).sorted()
    }

    /// The names in `directory`: the visible ones, or (`hidden`) those starting with "." but "." and "..".
    private static func entries(_ directory: String, hidden: Bool) throws -> [String] {
        guard let dir = opendir(directory) else {
            throw SpoolError.system(operation: "opendir", path: directory, errno: errno)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard name.hasPrefix(".") == hidden, name != ".", name != ".." else { continue }
            names.append(name)
        }
        return names
    }

    /// `list`, but an absent directory is empty rather than an error.
    public static func listIfPresent(_ directory: String) -> [String] {
        (try? list(directory)) ?? []
    }

    /// The hidden entries (names starting with ".") of `directory`, which no consumer ever takes.
    public static func hidden(_ directory: String) -> [String] {
        ((try? entries(directory, hidden: true)) ?? []).sorted()
    }

    /// `link(from, to)`: publishes without ever replacing an existing name (EEXIST → alreadyExists).
    public static func link(_ from: String, _ to: String) throws {
        if Foundation.link(from, to) != 0 {
            if errno == EEXIST { throw SpoolError.alreadyExists(path: to) }
            throw SpoolError.system(operation: "link", path: to, errno: errno)
        }
    }

    /// `rename(from, to)`; returns false when `from` is gone (ENOENT), which the claim protocol expects.
    @discardableResult
    public static func rename(_ from: String, _ to: String) throws -> Bool {
        if Foundation.rename(from, to) != 0 {
            if errno == ENOENT { return false }
            throw SpoolError.system(operation: "rename", path: from + " -> " + to, errno: errno)
        }
        return true
    }

    /// `unlink(path)`; an already absent file is fine.
    public static func unlink(_ path: String) throws {
        if Foundation.unlink(path) != 0, errno != ENOENT {
            throw SpoolError.system(operation: "unlink", path: path, errno: errno)
        }
    }

    /// `stat` of `path`, nil when it does not exist.
    public static func status(_ path: String) -> stat? {
        var st = stat()
        // stat(2), not fstatat(2) with the same meaning: libfaketime (the suite's time-bomb check, a year ahead)
        // shifts the times stat and utimensat see, and fstatat would mix real file times with the faked clock.
        return stat(path, &st) == 0 ? st : nil
    }

    /// Sets both times of `path` (the notifier's deferred queue uses mtime as "next attempt").
    public static func setModificationTime(_ path: String, to date: Date) throws {
        let seconds = date.timeIntervalSince1970
        var times = [timespec](repeating: timespec(), count: 2)
        for i in 0..<2 {
            times[i].tv_sec = Int(seconds.rounded(.down))
            times[i].tv_nsec = Int((seconds - seconds.rounded(.down)) * 1e9)
        }
        if utimensat(AT_FDCWD, path, times, 0) != 0 {
            throw SpoolError.system(operation: "utimensat", path: path, errno: errno)
        }
    }

    /// Reads a whole (small) file.
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { Foundation.close(fd) }
        return try read(descriptor: fd, name: path)
    }

    /// Everything left to read on `fd` (not closed); `name` names it in errors.
    public static func read(descriptor fd: Int32, name path: String) throws -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SpoolError.system(operation: "read", path: path, errno: errno)
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// The last line of a file that is not blank (without its newline), read from the end; nil for an empty or
    /// unreadable file, or when that line is longer than `window` bytes.
    public static func lastLine(_ path: String, window: Int = 1 << 16) -> [UInt8]? {
        guard let fd = try? open(path, O_RDONLY) else { return nil }
        defer { Foundation.close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0 else { return nil }
        let size = Int(info.st_size)
        let length = min(size, window)
        var tail = [UInt8](repeating: 0, count: length)
        let n = tail.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, length, off_t(size - length)) }
        guard n == length else { return nil }
        var end = length
        while end > 0 {
            var start = end - 1
            while start > 0 && tail[start - 1] != 10 { start -= 1 }
            let line = tail[start..<end].filter { $0 != 10 && $0 != 13 }
            if !line.allSatisfy({ $0 == 32 || $0 == 9 }) {
                // A line cut by the window is not a whole line.
                return start > 0 || length == size ? line : nil
            }
            end = start
        }
        return nil
    }

    /// Replaces `path` atomically with `bytes` (tmp file beside it, fsync, rename, fsync dir). For state files
    /// that have a single writer; spool queues use `Queue.publish`, which never replaces.
    /// `durable: false` skips the fsyncs, for views that are written again after every run (the status site):
    /// a crash leaves the old file or the new one, never half of one.
    public static func replaceAtomically(_ path: String, with bytes: [UInt8], mode: mode_t = 0o600, durable: Bool = true) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = dir + "/.tmp." + (path as NSString).lastPathComponent + ".\(getpid()).\(SpoolName.nextSequence())"
        let fd = try open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        do {
            fchmod(fd, mode)
            try writeAll(fd, bytes, path: tmp)
            if durable { try fsync(fd, path: tmp) }
            try close(fd, path: tmp)
        } catch {
            Foundation.close(fd)
            Foundation.unlink(tmp)
            throw error
        }
        do {
            try rename(tmp, path)
            if durable { try fsyncDirectory(dir.isEmpty ? "." : dir) }
        } catch {
            Foundation.unlink(tmp)
            throw error
        }
    }

    /// Replaces `path` atomically for a view written again after every run (a status page), without allocating
    /// a new inode each time: the new bytes go into a hidden twin (`.name.swap`, reused from the last time) that
    /// renameat2(RENAME_EXCHANGE) swaps with the page in one step. Where the kernel or file system cannot
    /// exchange, a temporary file and rename() do the same (slower on ext4 with many pages).
    public static func replaceView(_ path: String, with bytes: [UInt8], mode: mode_t) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let twin = dir + "/." + (path as NSString).lastPathComponent + ".swap"
        guard let exchange = renameExchange, status(path) != nil else {
            return try replaceAtomically(path, with: bytes, mode: mode, durable: false)
        }
        let fd = try open(twin, O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        do {
            fchmod(fd, mode)
            try writeAll(fd, bytes, path: twin)
            try close(fd, path: twin)
        } catch {
            Foundation.close(fd)
            throw error
        }
        // AT_FDCWD (-100), RENAME_EXCHANGE (1 << 1).
        if exchange(-100, twin, -100, path, 2) != 0 {
            try replaceAtomically(path, with: bytes, mode: mode, durable: false)
        }
    }

    private typealias Renameat2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32

    /// glibc's renameat2 (2.28 and later), looked up at run time: the Glibc module does not declare it.
    private static let renameExchange: Renameat2? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: Renameat2.self)
    }()

    /// A pipe whose ends are close-on-exec (and non-blocking when asked).
    public static func makePipe(nonBlocking: Bool = false) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return (-1, -1) }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            if nonBlocking { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        }
        return (fds[0], fds[1])
    }

    /// Free bytes available to unprivileged writers on the file system holding `path`.
    public static func freeBytes(_ path: String) -> UInt64? {
        var st = statvfs()
        guard statvfs(path, &st) == 0 else { return nil }
        return UInt64(st.f_bavail) * UInt64(st.f_frsize)
    }

    /// Whether a process with `pid` exists on this host (kill 0: ESRCH means gone).
    public static func processExists(_ pid: Int32) -> Bool {
        if kill(pid, 0) == 0 { return true }
        return errno == EPERM
    }

    /// Whether process `pid` can be the one that claimed a file at `claimedAt`: it exists, and it started
    /// before then. A pid reused by a process started later (busy hosts recycle pids) is not the holder, so a
    /// dead consumer's claims are recovered at once rather than after the janitor's lease.
    public static func processHolds(_ pid: Int32, claimedAt: Date) -> Bool {
        guard processExists(pid) else { return false }
        guard let started = processStartTime(pid) else { return true }
        return started <= claimedAt.addingTimeInterval(2)
    }

    /// When `pid` started: its age (now on the boot clock, less its start in clock ticks after boot, from
    /// /proc) taken from now. The age never depends on the wall clock, so a clock stepped since boot (or one
    /// faked a year ahead by the suite's check) still gives the process's start on the clock Date() reads.
    public static func processStartTime(_ pid: Int32) -> Date? {
        guard let stat = try? read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // Fields after the command name (which may hold spaces): state is field 3, starttime field 22.
        let fields = String(decoding: stat[(close + 1)...], as: UTF8.self).split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]) else { return nil }
        var boot = timespec()
        guard clock_gettime(CLOCK_BOOTTIME, &boot) == 0 else { return nil }
        let age = Double(boot.tv_sec) + Double(boot.tv_nsec) / 1e9 - ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
        return Date().addingTimeInterval(-max(0, age))
    }
}

extension stat {
    /// Last modification time.
    public var modificationDate: Date {
        Date(timeIntervalSince1970: Double(st_mtim.tv_sec) + Double(st_mtim.tv_nsec) / 1e9)
    }

    /// Last status change (a rename updates it: used as the claim time of files in `cur/`).
    public var changeDate: Date {
        Date(timeIntervalSince1970: Double(st_ctim.tv_sec) + Double(st_ctim.tv_nsec) / 1e9)
    }
}
