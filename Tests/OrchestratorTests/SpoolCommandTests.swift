// The operator's spool verbs on a real spool: ls, show, requeue, purge.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Spool commands", .ownThread)
struct SpoolCommandTests {
    @Test("ls lists queues with age and size, show prints records, requeue and purge repair")
    func verbs() throws {
        let f = try OrchestratorFixture()
        try f.spool.prepare()
        let run = RunID.manual()
        // A batch without its trailer: the analyzer quarantines it.
        let result = ProbeResult(
            run: run, shard: .whole, id: "svc/x", service: "svc", name: "x", method: "GET", url: "http://h/x",
            outcome: .ok, status: 200, latencyMs: 1, attempts: 1, startedAt: Date())
        let name = "\(run).1of1.test.prober-1.ndjson"
        try f.spool.results.publish(name: name, bytes: Array((try RecordCoding.encodeString(result) + "\n").utf8))
        #expect(try f.analyzeOnce().exitCode == 0)

        let ls = try f.run(["spool", "ls", "quarantine"])
        #expect(ls.exitCode == 0)
        #expect(ls.stdout.contains("quarantine") && ls.stdout.contains(name) && ls.stdout.contains("ago"), "\(ls.stdout)")
        let json = try f.run(["spool", "ls", "--json"])
        let records = json.stdout.split(separator: "\n").compactMap { try? JSONDocument.parse(String($0)) }
        #expect(records.contains { $0["name"]?.scalar == name && $0["queue"]?.scalar == "quarantine" })

        let show = try f.run(["spool", "show", name])
        #expect(show.exitCode == 0)
        #expect(show.stdout.contains("-- line 1") && show.stdout.contains("\"outcome\": \"ok\""), "\(show.stdout)")
        // The record's own order: v and kind first, as written.
        #expect(show.stdout.contains("-- line 1\n{\n  \"v\": 1,\n  \"kind\": \"result\","), "\(show.stdout)")

        let requeue = try f.run(["spool", "requeue", name])
        #expect(requeue.exitCode == 0)
        #expect(f.spool.results.pending() == [name])
        #expect(FileIO.status(f.spool.quarantineDirectory + "/" + name + ".reason") == nil)

        let dryRun = try f.run(["spool", "purge", name])
        #expect(dryRun.exitCode == 1 && dryRun.stdout.contains("add --yes to delete them"))
        #expect(f.spool.results.pending() == [name])
        #expect(try f.run(["spool", "purge", name, "--yes"]).exitCode == 0)
        #expect(f.spool.results.pending().isEmpty)
    }
}

@Suite("spool purge safety", .ownThread)
struct PurgeSafetyTests {
    @Test("purge never deletes a tmp file a live process writes, nor anything outside the spool")
    func purgeSafety() throws {
        let f = try OrchestratorFixture()
        try f.spool.prepare()
        let live = f.spool.results.tmpDirectory + "/1795359600.000001.\(SpoolName.host).prober-\(getpid()).1.ndjson"
        let dead = f.spool.results.tmpDirectory + "/1795359600.000002.\(SpoolName.host).prober-2147483646.1.ndjson"
        _ = FileManager.default.createFile(atPath: live, contents: Data("partial".utf8))
        _ = FileManager.default.createFile(atPath: dead, contents: Data("left over".utf8))
        let purge = try f.run(["spool", "purge", "--queue", "results/tmp", "--yes"])
        #expect(purge.stdout.contains("kept \(live): process \(getpid()) is still writing it"), "\(purge.stdout)")
        #expect(FileIO.status(live) != nil && FileIO.status(dead) == nil)

        let outside = TemporaryDirectory("outside")
        let precious = try outside.write("precious.ndjson", "keep me\n")
        let refused = try f.run(["spool", "purge", precious, "--yes"])
        #expect(refused.exitCode != 0 && refused.stderr.contains("is outside the spool"), "\(refused.stderr)")
        #expect(FileIO.status(precious) != nil)
    }

    @Test("status names hidden files in a queue's new/, which no consumer takes")
    func hiddenFiles() throws {
        let f = try OrchestratorFixture()
        try f.spool.prepare()
        _ = FileManager.default.createFile(atPath: f.spool.results.newDirectory + "/.half-copied.ndjson", contents: Data("x".utf8))
        let status = try f.run(["status"])
        #expect(
            status.stdout.contains("1 hidden file(s) in results/new are never processed (rename or remove them): .half-copied.ndjson"),
            "\(status.stdout)")
    }

    @Test("status counts files that waited in new/ longer than the lease (a consumer down, or one that cannot claim them)")
    func staleFiles() throws {
        let f = try OrchestratorFixture()
        try f.spool.prepare()
        let path = f.spool.outbox.newDirectory + "/stuck.alert.ndjson"
        _ = FileManager.default.createFile(atPath: path, contents: Data("{}\n".utf8))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: path)
        _ = FileManager.default.createFile(atPath: f.spool.outbox.newDirectory + "/fresh.alert.ndjson", contents: Data("{}\n".utf8))
        let status = try f.run(["status"])
        #expect(status.stdout.contains("1 file(s) in outbox/new older than the lease"), "\(status.stdout)")
        #expect(status.stdout.contains("stuck.alert.ndjson") && !status.stdout.contains("fresh.alert.ndjson"), "\(status.stdout)")
    }
}

@Suite("Status", .ownThread)
struct StatusTests {
    @Test("status says which services run, which interfaces fail right now and since when, and the silences in force")
    func servicesAndFailures() throws {
        let f = try OrchestratorFixture()
        f.server.route("/down", reply: .json(500, #"{"code":500}"#))
        try f.healthyInterfaces(2)
        try f.interface("down", "url: /down")
        let once = try f.run(["once"])
        #expect(once.exitCode == 1, "a failure was found: \(once.stderr)")
        #expect(try f.run(["silence", "add", "svc/down", "--for", "2h", "--reason", "known"]).exitCode == 0)
        let lines = LineCollector()
        let notifier = try Programs.start("notifier", ["--config", f.config], stderr: lines)
        defer {
            notifier.signal(SIGKILL)
            _ = notifier.wait()
        }
        #expect(eventually(timeout: 30) { lines.text.contains("notifier started") }, "\(lines.text)")
        let status = try f.run(["status"])
        #expect(status.exitCode == 0, "\(status.stderr)")
        #expect(status.stdout.contains("notifier: running, pid \(notifier.pid), up since "), "\(status.stdout)")
        #expect(status.stdout.contains("analyzer: not running (last pid "), "\(status.stdout)")
        #expect(status.stdout.contains("interfaces: 2 ok, 1 failing now\n  svc/down: http_500 since "), "\(status.stdout)")
        #expect(
            status.stdout.contains("silence ") && status.stdout.contains(": svc/down until ") && status.stdout.contains("— known"), "\(status.stdout)"
        )
        // The same facts for scripts: one JSON object.
        let json = try f.run(["status", "--json"])
        #expect(json.exitCode == 0, "\(json.stderr)")
        let facts = JSONValue(node: try JSONDocument.parse(json.stdout))
        #expect(facts.value(at: "interfaces.total")?.text == "3" && facts.value(at: "interfaces.failing")?.text == "1", "\(json.stdout)")
        #expect(facts.value(at: "interfaces.failing_now")?.text == nil)
        guard case let .array(failing)? = facts.value(at: "interfaces.failing_now"), case let .array(services)? = facts.value(at: "services") else {
            Issue.record("failing_now and services are lists: \(json.stdout)")
            return
        }
        #expect(failing.first?.value(at: "id")?.text == "svc/down" && failing.first?.value(at: "outcome")?.text == "http_500")
        #expect(
            services.contains {
                $0.value(at: "name")?.text == "notifier" && $0.value(at: "running") == .bool(true)
                    && $0.value(at: "pid")?.text == "\(notifier.pid)"
            }, "\(json.stdout)")
    }

    @Test("spool show prints an alert's report as Markdown after the record, not as one escaped line")
    func showAlert() throws {
        let f = try OrchestratorFixture()
        f.server.route("/down", reply: .json(500, #"{"code":500}"#))
        try f.interface("down", "url: /down")
        _ = try f.run(["once"])
        let sent = try #require(FileIO.listIfPresent(f.spool.sentDirectory).first { $0.contains(".alert") })
        let show = try f.run(["spool", "show", sent])
        #expect(show.exitCode == 0, "\(show.stderr)")
        #expect(show.stdout.contains("\"report\": \"(below, as Markdown)\""), "\(show.stdout)")
        #expect(show.stdout.contains("-- report (Markdown)\n# Vigil report — run "), "\(show.stdout)")
    }
}
