// FaultyFileSystem: a real FUSE file system (python3-fusepy over libfuse2) that passes every call through to a
// backing directory, except the ones a rules file tells it to fail with EIO — "rename /results/archive/ 2" fails
// the next two renames whose target path contains /results/archive/ — so that a program under test meets a real
// I/O error from the kernel, as on a shared spool whose brick restarts. Needs /dev/fuse, fusermount and root.

import Foundation
import Shared

/// A mounted pass-through file system that fails chosen calls with EIO.
public final class FaultyFileSystem {
    /// Where the programs under test see the files.
    public let mountPoint: String
    /// Where the files really are.
    public let backing: String
    private let rules: String
    private let process: ChildProcess
    /// The calls it failed (one line each), from its stderr.
    public let failures = LineCollector()

    /// Whether this machine can mount one (python3 with fusepy, /dev/fuse, fusermount, root).
    public static let available: Bool =
        getuid() == 0 && FileManager.default.fileExists(atPath: "/dev/fuse") && FileManager.default.isExecutableFile(atPath: "/usr/bin/fusermount")
        && (tool("/usr/bin/python3", ["-c", "import fusepy"]) == 0 || tool("/usr/bin/python3", ["-c", "from fuse import FUSE"]) == 0)

    /// Runs a tool to its end; its exit status (nil if it did not end within 30 s or could not start).
    private static func tool(_ path: String, _ arguments: [String]) -> Int32? {
        guard
            let child = try? ChildProcess(
                executable: path, arguments: arguments, environment: ProcessInfo.processInfo.environment,
                stdout: .discard, stderr: .discard)
        else { return nil }
        guard let termination = child.wait(timeout: 30) else {
            child.signal(SIGKILL)
            _ = child.wait()
            return nil
        }
        if case let .exited(code) = termination { return code }
        return nil
    }

    /// Mounts `backing` at `mountPoint` (created) with a rules file beside them; returns once it is mounted.
    public init(backing: String, mountPoint: String, rules: String) throws {
        self.backing = backing
        self.mountPoint = mountPoint
        self.rules = rules
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let script = (mountPoint as NSString).deletingLastPathComponent + "/faultyfs.py"
        try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
        let failures = self.failures
        process = try ChildProcess(
            executable: "/usr/bin/python3", arguments: ["-u", script, backing, mountPoint, rules],
            environment: ProcessInfo.processInfo.environment, stdout: .discard, stderr: .lines { failures.append($0) })
        guard eventually(timeout: 20, { Self.isMounted(mountPoint) }) else {
            process.signal(SIGKILL)
            _ = process.wait(timeout: 5)
            throw SpoolError.invalidFile(path: mountPoint, reason: "the FUSE file system did not mount: \(failures.text)")
        }
    }

    /// Fails the next `count` calls of `operation` (rename, link, unlink, write, open) whose path contains `path`.
    public func fail(_ operation: String, _ path: String, times count: Int) throws {
        try fail([(operation, path, count)])
    }

    /// Several rules at once (each counts down on its own).
    public func fail(_ list: [(operation: String, path: String, count: Int)]) throws {
        try list.map { "\($0.operation) \($0.path) \($0.count)\n" }.joined().write(toFile: rules, atomically: true, encoding: .utf8)
    }

    /// Lets every call through.
    public func heal() throws { try "".write(toFile: rules, atomically: true, encoding: .utf8) }

    /// Unmounts and waits for the file system process.
    public func unmount() {
        _ = Self.tool("/usr/bin/fusermount", ["-u", mountPoint])
        if process.wait(timeout: 10) == nil {
            process.signal(SIGKILL)
            _ = process.wait(timeout: 5)
            _ = Self.tool("/usr/bin/fusermount", ["-uz", mountPoint])
        }
    }

    deinit { unmount() }

    private static func isMounted(_ path: String) -> Bool {
        guard let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return false }
        return mounts.split(separator: "\n").contains { $0.split(separator: " ").dropFirst().first.map(String.init) == path }
    }

    private static let script = #"""
        import errno, os, sys
        try:
            from fusepy import FUSE, FuseOSError, Operations
        except ImportError:
            from fuse import FUSE, FuseOSError, Operations

        class Faulty(Operations):
            def __init__(self, root, rules):
                self.root, self.rules = root, rules

            def full(self, path):
                return os.path.join(self.root, path.lstrip('/'))

            def fault(self, op, path):
                try:
                    lines = open(self.rules).read().split('\n')
                except FileNotFoundError:
                    return
                hit, out = False, []
                for line in lines:
                    parts = line.split()
                    if not hit and len(parts) == 3 and parts[0] == op and parts[1] in path and int(parts[2]) > 0:
                        hit, line = True, '%s %s %d' % (parts[0], parts[1], int(parts[2]) - 1)
                    out.append(line)
                if hit:
                    with open(self.rules + '.tmp', 'w') as f:
                        f.write('\n'.join(out))
                    os.rename(self.rules + '.tmp', self.rules)
                    print('EIO %s %s' % (op, path), file=sys.stderr, flush=True)
                    raise FuseOSError(errno.EIO)

            def access(self, path, mode):
                if not os.access(self.full(path), mode):
                    raise FuseOSError(errno.EACCES)

            def chmod(self, path, mode):
                os.chmod(self.full(path), mode)

            def chown(self, path, uid, gid):
                os.chown(self.full(path), uid, gid)

            def getattr(self, path, fh=None):
                st = os.lstat(self.full(path))
                return {k: getattr(st, k) for k in ('st_atime', 'st_ctime', 'st_gid', 'st_mode', 'st_mtime', 'st_nlink',
                                                    'st_size', 'st_uid', 'st_ino')}

            def readdir(self, path, fh):
                return ['.', '..'] + os.listdir(self.full(path))

            def readlink(self, path):
                return os.readlink(self.full(path))

            def mkdir(self, path, mode):
                os.mkdir(self.full(path), mode)

            def rmdir(self, path):
                os.rmdir(self.full(path))

            def statfs(self, path):
                s = os.statvfs(self.full(path))
                return {k: getattr(s, k) for k in ('f_bavail', 'f_bfree', 'f_blocks', 'f_bsize', 'f_favail', 'f_ffree',
                                                   'f_files', 'f_flag', 'f_frsize', 'f_namemax')}

            def unlink(self, path):
                self.fault('unlink', path)
                os.unlink(self.full(path))

            def symlink(self, name, target):
                os.symlink(target, self.full(name))

            def rename(self, old, new):
                self.fault('rename', new)
                os.rename(self.full(old), self.full(new))

            def link(self, target, name):
                self.fault('link', target)
                os.link(self.full(name), self.full(target))

            def utimens(self, path, times=None):
                os.utime(self.full(path), times)

            def open(self, path, flags):
                self.fault('open', path)
                return os.open(self.full(path), flags)

            def create(self, path, mode, fi=None):
                self.fault('open', path)
                return os.open(self.full(path), os.O_RDWR | os.O_CREAT | os.O_EXCL, mode)

            def read(self, path, length, offset, fh):
                os.lseek(fh, offset, os.SEEK_SET)
                return os.read(fh, length)

            def write(self, path, buf, offset, fh):
                self.fault('write', path)
                os.lseek(fh, offset, os.SEEK_SET)
                return os.write(fh, buf)

            def truncate(self, path, length, fh=None):
                with open(self.full(path), 'r+') as f:
                    f.truncate(length)

            def flush(self, path, fh):
                return 0

            def release(self, path, fh):
                os.close(fh)

            def fsync(self, path, fdatasync, fh):
                os.fsync(fh)

            def fsyncdir(self, path, datasync, fh):
                return 0

        if __name__ == '__main__':
            FUSE(Faulty(sys.argv[1], sys.argv[3]), sys.argv[2], foreground=True, nothreads=True)
        """#
}
