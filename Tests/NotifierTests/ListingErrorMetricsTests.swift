// A notifier that cannot list outbox/new (a directory it may not read: EACCES, as a remount or a permission
// mistake gives) logs it and counts it in its metrics file, vigil_spool_listing_errors_total — the real program.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Listing errors in the notifier's metrics")
struct ListingErrorMetricsTests {
    @Test("a notifier that cannot read outbox/new logs it and exports vigil_spool_listing_errors_total{errno=EACCES}")
    func unreadableOutbox() throws {
        let dir = TemporaryDirectory("listing-metrics")
        let spool = try dir.spool()
        try dir.write("config.yaml", "spool:\n  dir: \(spool.root)\n")
        // Root reads any directory: as root the notifier runs as nobody (setpriv), owning the spool but for
        // outbox/new, which is mode 000.
        var executable = Programs.path("notifier")
        var prefix: [String] = []
        if geteuid() == 0 {
            // A copy of the program in the test's directory: nobody may not traverse the build's path.
            let copy = dir.url("notifier")
            // Written through a close-on-exec descriptor: a child another test forks meanwhile must not hold it
            // open for writing, or executing the copy fails with ETXTBSY ("Text file busy").
            let fd = try FileIO.open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0o755)
            try FileIO.writeAll(fd, try FileIO.read(Programs.path("notifier")), path: copy)
            try FileIO.close(fd, path: copy)
            let chown = try ChildProcess(executable: "/bin/chown", arguments: ["-R", "nobody:nogroup", dir.path], stdout: .discard)
            #expect(chown.wait(timeout: 60) == .exited(0))
            #expect(chmod(dir.path, 0o755) == 0)
            executable = "/usr/bin/setpriv"
            prefix = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", copy]
        }
        #expect(chmod(spool.outbox.newDirectory, 0) == 0)
        let errors = LineCollector()
        let child = try ChildProcess(
            executable: executable, arguments: prefix + ["--once", "--config", dir.url("config.yaml")],
            environment: Programs.environment(["VIGIL_HOST": "listing"]), stdout: .discard, stderr: .lines { errors.append($0) })
        let ended = try #require(child.wait(timeout: 60))
        #expect(ended == .exited(0), "\(errors.text)")
        #expect(errors.text.contains("cannot list \(spool.outbox.newDirectory): opendir: Permission denied"), "\(errors.text)")
        let metrics = try String(contentsOfFile: spool.root + "/metrics/vigil-notifier-listing.prom", encoding: .utf8)
        let line = try #require(metrics.split(separator: "\n").first { $0.hasPrefix("vigil_spool_listing_errors_total{") }, "\(metrics)")
        #expect(line.hasPrefix("vigil_spool_listing_errors_total{program=\"notifier\",errno=\"EACCES\"} "), "\(line)")
        #expect((Int(line.split(separator: " ").last ?? "") ?? 0) >= 1, "\(line)")
    }
}
