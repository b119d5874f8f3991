// A broken interface file costs only its own interfaces: runs probe the pool snapshot the orchestrator
// validated, the good files are probed and reported, the broken file's interfaces are reported as not loaded
// with file:line (one alert, recovered when fixed), a file that never loaded and a pool that cannot be read are
// monitoring problems of their own — through the real programs and spool, with `once`, and with the service
// while a prober is killed and the orchestrator is sent SIGHUP mid-run.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Pool snapshots", .ownThread)
struct PoolSnapshotTests {
    /// Alerts the notifier printed (once) or that wait in the outbox (service), decoded, oldest first.
    private func alerts(_ f: OrchestratorFixture) throws -> [Alert] {
        try [f.spool.sentDirectory, f.spool.outbox.newDirectory].flatMap { dir in
            try FileIO.listIfPresent(dir).filter { $0.hasSuffix(".ndjson") }.sorted().map {
                try RecordDecoder().decode(Alert.self, from: try FileIO.read(dir + "/" + $0).split(separator: 10).first ?? [])
            }
        }.sorted { $0.stats.startedAt < $1.stats.startedAt }
    }

    private let payGood = "interfaces:\n  - name: pay-a\n    url: /ok?p=a\n  - name: pay-b\n    url: /ok?p=b\n"

    @Test(
        "unparsable, wrong type, half-written: the good files are probed, the broken file's interfaces are not loaded with file:line, one alert, recovered when fixed"
    )
    func brokenFileCostsOnlyItself() throws {
        let f = try OrchestratorFixture()
        try f.healthyInterfaces(2)
        try f.dir.write("pool/svc/pay.yaml", payGood)
        let first = try f.run(["once"])
        #expect(first.exitCode == 0, "\(first.stderr)")
        #expect(first.stdout.contains("All 4 interfaces answered as expected"), "\(first.stdout)")

        // Unparsable: a flow sequence opened on line 4 and never closed (the parser stops at line 5).
        try f.dir.write("pool/svc/pay.yaml", "interfaces:\n  - name: pay-a\n    url: /ok?p=a\n  - name: [pay-b\n    url: /ok?p=b\n")
        let broken = try f.run(["once"])
        #expect(broken.exitCode == 1, "\(broken.stderr)")
        let report = broken.stdout
        #expect(report.contains("**2 failed** of 4 interfaces · 2 ok"), "the good files were probed: \(report)")
        #expect(report.contains("**Interface pool**: pool/svc/pay.yaml:5: column 5: "), "file:line in the report: \(report)")
        #expect(report.contains("its 2 interfaces are not probed until the file is fixed"), "\(report)")
        #expect(report.contains("not loaded (interface file broken)"), "\(report)")
        #expect(broken.stderr.contains("error: pool/svc/pay.yaml:5: column 5: "), "the log says the same: \(broken.stderr)")
        #expect(f.server.hits("/ok") == 6, "4 probes, then only the 2 good ones")
        var sent = try alerts(f)
        #expect(sent.count == 1, "one alert: \(sent.map(\.headline))")
        let alert = try #require(sent.last)
        #expect(alert.headline == "2 new failures (not loaded)", "\(alert.headline)")
        #expect(alert.tone == .orange, "a file to fix is not an outage")
        #expect(Set(alert.transitions.map(\.id)) == ["svc/pay#pay-a", "svc/pay#pay-b"])
        #expect(alert.transitions.allSatisfy { $0.outcome == .notLoaded })
        let check = try f.run(["check"])
        #expect(
            check.exitCode != 0 && (check.stdout + check.stderr).contains("pool/svc/pay.yaml:5: column 5: "), "check names it too: \(check.stderr)")
        let status = try f.run(["status"])
        #expect(status.stdout.contains("svc/pay#pay-a: not_loaded since"), "\(status.stdout)")
        #expect(status.stdout.contains("; 1 file(s) not loaded:\n  pool/svc/pay.yaml:5: column 5: "), "\(status.stdout)")
        let snapshots = try #require(FileIO.status(f.spool.stateDirectory + "/pool"))
        #expect(snapshots.st_mode & 0o777 == 0o700, "copies of the operator's files are private, like tokens/")

        // A wrong type, then a half-written file: still failing, never a second page.
        try f.dir.write("pool/svc/pay.yaml", "interfaces:\n  - name: pay-a\n    url: [1, 2]\n  - name: pay-b\n    url: /ok?p=b\n")
        let wrongType = try f.run(["once"])
        #expect(wrongType.stdout.contains("pool/svc/pay.yaml:3"), "\(wrongType.stdout)")
        try f.dir.write("pool/svc/pay.yaml", "interfaces:\n  - name: pay-a\n    url: \"/ok?p=")
        let halfWritten = try f.run(["once"])
        #expect(halfWritten.stdout.contains("its 2 interfaces are not probed"), "\(halfWritten.stdout)")
        sent = try alerts(f)
        #expect(sent.count == 1, "no page per run: \(sent.map(\.headline))")

        // Fixed: recovered in the next run.
        try f.dir.write("pool/svc/pay.yaml", payGood)
        let fixed = try f.run(["once"])
        #expect(fixed.exitCode == 0, "\(fixed.stdout)")
        sent = try alerts(f)
        #expect(sent.count == 2 && sent.last?.headline == "2 recovered", "\(sent.map(\.headline))")
    }

    @Test("an unchanged pool is not copied again by the next process; a changed file or service is")
    func reusedWhileUnchanged() throws {
        let f = try OrchestratorFixture()
        try f.healthyInterfaces(2)
        let first = try f.run(["once"])
        #expect(first.stderr.contains("interface pool snapshot "), "\(first.stderr)")
        let again = try f.run(["once"])
        #expect(again.exitCode == 0 && !again.stderr.contains("interface pool snapshot "), "reused: \(again.stderr)")
        try f.interface("i0", "url: /ok?i=changed")
        let changed = try f.run(["once"])
        #expect(changed.stderr.contains("interface pool snapshot "), "a saved file is copied and checked: \(changed.stderr)")
        // The pool unchanged, the config not: its files are checked again (here they no longer hold).
        let config = try f.dir.read("config.yaml")
        try f.dir.write("config.yaml", config.replacingOccurrences(of: "    base_url: ", with: "    # base_url: "))
        let moved = try f.run(["once"])
        #expect(moved.stderr.contains("has no base_url"), "a service's base_url gone: checked again: \(moved.stderr)")
    }

    @Test("a file that never loaded and a pool that cannot be read are monitoring problems, paged once, the last good snapshot probed")
    func unknownFileAndUnreadablePool() throws {
        let f = try OrchestratorFixture()
        try f.healthyInterfaces(2)
        #expect(try f.run(["once"]).exitCode == 0)
        try f.dir.write("pool/svc/new.yaml", "name: new\nurl: [\n")
        let unknown = try f.run(["once"])
        #expect(unknown.stdout.contains("All 2 interfaces answered as expected"), "\(unknown.stdout)")
        #expect(unknown.stdout.contains("pool/svc/new.yaml:"), "\(unknown.stdout)")
        #expect(unknown.stdout.contains("it never loaded, so its interfaces are unknown and not probed"), "\(unknown.stdout)")
        var sent = try alerts(f)
        #expect(sent.count == 1 && sent[0].reason == .incomplete, "\(sent.map(\.headline))")
        #expect(sent.first?.headline.hasPrefix("monitoring incomplete: pool/svc/new.yaml:") == true, "\(sent.map(\.headline))")
        _ = try f.run(["once"])
        #expect(try alerts(f).count == 1, "the same cause pages once")
        try FileIO.unlink(f.dir.url("pool/svc/new.yaml"))

        // The whole pool gone (an unmounted share, a mistaken mv): the last good snapshot is probed.
        #expect(rename(f.dir.url("pool"), f.dir.url("pool-away")) == 0)
        let away = try f.run(["once"])
        #expect(away.stdout.contains("All 2 interfaces answered as expected"), "probed from the last good snapshot: \(away.stdout)")
        #expect(away.stdout.contains("the interface pool could not be read ("), "\(away.stdout)")
        #expect(away.stdout.contains("the last good snapshot, of "), "\(away.stdout)")
        sent = try alerts(f)
        #expect(sent.count == 2 && sent[1].headline.contains("the interface pool could not be read"), "\(sent.map(\.headline))")
    }

    @Test("the service: a prober killed mid-run and SIGHUP mid-run while a file is broken; one page, recovered after the fix")
    func serviceWithKillAndReload() throws {
        let f = try OrchestratorFixture(monitor: "interval: 1s\ntimeout: 10")
        f.server.route("/slow", reply: .text(200, "ok", delay: 0.4))
        try f.interface("slow", "url: /slow")
        try f.dir.write("pool/svc/pay.yaml", payGood)
        let logs = LineCollector()
        let service = try f.startService(stderr: logs)
        let analyzer = try Programs.start("analyzer", ["--config", f.config], stderr: logs)
        defer {
            for p in [service, analyzer] {
                p.signal(SIGKILL)
                _ = p.wait()
            }
        }
        func reports(containing text: String) -> Int {
            f.reports.count { (try? f.dir.read("spool/reports/\($0)").contains(text)) == true }
        }
        #expect(eventually(timeout: 30) { reports(containing: "All 3 interfaces answered as expected") >= 1 }, "\(logs.text)")
        try f.dir.write("pool/svc/pay.yaml", "interfaces:\n  - name: pay-a\n    url: /ok?p=a\n  - name: [pay-b\n")
        #expect(eventually(timeout: 30) { reports(containing: "pool/svc/pay.yaml:4") >= 1 }, "\(logs.text)")

        // A prober killed while its run goes: that run misses a shard; the next runs go on from the snapshot.
        #expect(eventually(timeout: 20) { probers(of: f).first.map { kill($0, SIGKILL) == 0 } ?? false }, "a prober to kill")
        // SIGHUP while a run goes: the reload keeps the schedule and the snapshot; the file is still broken.
        #expect(eventually(timeout: 20) { !probers(of: f).isEmpty })
        service.signal(SIGHUP)
        #expect(eventually(timeout: 20) { logs.text.contains("configuration reloaded:") }, "\(logs.text)")
        let afterReload = reports(containing: "pool/svc/pay.yaml:4")
        #expect(eventually(timeout: 30) { reports(containing: "pool/svc/pay.yaml:4") >= afterReload + 2 }, "runs go on")

        try f.dir.write("pool/svc/pay.yaml", payGood)
        #expect(eventually(timeout: 30) { ((try? alerts(f)) ?? []).contains { $0.headline.hasPrefix("2 recovered") } }, "\(logs.text)")
        let sent = try alerts(f)
        let pages = sent.filter { $0.transitions.contains { $0.change == .newFailure && $0.outcome == .notLoaded } }
        #expect(pages.count == 1, "one page for the broken file: \(sent.map(\.headline))")
        #expect(!sent.contains { $0.transitions.contains { $0.id == "svc/slow" } }, "the good interface never paged")
        #expect(!logs.text.contains("Fatal error"), "\(logs.text)")
    }

    /// Pids of the probers running on this fixture's spool.
    private func probers(of f: OrchestratorFixture) -> [pid_t] {
        FileIO.listIfPresent("/proc").compactMap { name -> pid_t? in
            guard let pid = pid_t(name), let bytes = try? FileIO.read("/proc/\(name)/cmdline") else { return nil }
            let arguments = bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard arguments.first.map({ $0.hasSuffix("/prober") }) == true, arguments.contains(f.config) else { return nil }
            return arguments.contains("--pool-snapshot") ? pid : nil
        }
    }
}
