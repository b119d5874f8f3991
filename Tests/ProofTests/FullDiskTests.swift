// A full disk is a transient error, not bad input: the spool on a small tmpfs is filled below the free-space
// floor while the notifier splits an alert into its deliveries; the alert stays in the outbox (nothing in
// quarantine) and is delivered once space returns. Needs root to mount; says so and checks nothing elsewhere.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("A full disk", .ownThread)
struct FullDiskTests {
    /// Mounts a tmpfs of `megabytes` at `path`; nil with the reason when this machine refuses.
    static func mountTmpfs(at path: String, megabytes: Int) -> String? {
        guard getuid() == 0 else { return "not root: cannot mount a small file system" }
        let mount = try? ChildProcess(
            executable: "/bin/mount", arguments: ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0700", "tmpfs", path], stdout: .capture,
            stderr: .capture)
        guard let mount else { return "cannot run /bin/mount" }
        let termination = mount.wait()
        return termination == .exited(0) ? nil : "mount -t tmpfs refused: \(mount.output())"
    }

    static func unmount(_ path: String) {
        if let child = try? ChildProcess(executable: "/bin/umount", arguments: ["-l", path], stdout: .discard, stderr: .discard) {
            _ = child.wait()
        }
    }

    /// Free bytes on the file system of `path`.
    static func free(_ path: String) -> UInt64 {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return 0 }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    @Test("below the disk floor while an alert is split: it stays in the outbox, nothing in quarantine, delivered once space returns")
    func alertWaitsForSpace() throws {
        var refused: String?
        var mounted: String?
        let incident: OperatorCommandTests.Incident
        do {
            incident = try OperatorCommandTests.Incident(spoolSettings: "min_free: 4MB") { path in
                refused = Self.mountTmpfs(at: path, megabytes: 16)
                if refused == nil { mounted = path }
            }
        } catch {
            if let mounted { Self.unmount(mounted) }
            throw error
        }
        defer {
            if let mounted { Self.unmount(mounted) }
            _ = incident.dir  // the directory (and its mount point) outlives the mount
        }
        if let refused {
            print("skipped: \(refused)")
            return
        }
        let spool = incident.dir.url("spool")
        let alert = try #require(Spool(root: spool).outbox.pending().first)
        // Leave 1 MB: below the 4 MB floor and below the quarter of it alerts may use.
        let filler = spool + "/filler"
        let size = Int(Self.free(spool)) - (1 << 20)
        #expect(size > 0)
        // Close-on-exec: a child another test spawns meanwhile must not hold the filler open once it is unlinked.
        let fd = open(filler, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        #expect(fd >= 0)
        var left = size
        let chunk = [UInt8](repeating: 0x2E, count: 1 << 16)
        while left > 0 {
            let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress!, min(left, $0.count)) }
            guard n > 0 else { break }
            left -= n
        }
        close(fd)
        #expect(Self.free(spool) < 2 << 20, "the disk is below the floor now")

        let full = try Programs.run("notifier", ["--once", "--config", incident.config], environment: OperatorCommandTests.Incident.secrets)
        #expect(full.exitCode == 0, "\(full.stderr)")
        #expect(full.stderr.contains("cannot publish its deliveries") && full.stderr.contains("below the floor"), "\(full.stderr)")
        #expect(Spool(root: spool).outbox.pending() == [alert], "the alert waits in outbox/new")
        #expect(FileIO.listIfPresent(spool + "/quarantine").isEmpty, "a full disk is not bad input")
        #expect(incident.server.hits("/cgi-bin/webhook/send") == 0)

        try FileIO.unlink(filler)
        let freed = try Programs.run("notifier", ["--once", "--config", incident.config], environment: OperatorCommandTests.Incident.secrets)
        #expect(freed.exitCode == 0, "\(freed.stderr)")
        #expect(incident.server.hits("/cgi-bin/webhook/send") == 1, "delivered once space returned: \(freed.stderr)")
        #expect(Spool(root: spool).outbox.pending().isEmpty && FileIO.listIfPresent(spool + "/quarantine").isEmpty)
        #expect(FileIO.listIfPresent(spool + "/outbox/sent").count == 1, "one delivery, in sent/")
    }
}
