// The operator's spool verbs on a real spool: ls, show, requeue, purge.

import Foundation
import Shared
import Testing
import TestSupport

@Suite("Spool commands")
struct SpoolCommandTests {
    @Test("ls lists queues with age and size, show prints records, requeue and purge repair")
    func verbs() throws {
        let f = try OrchestratorFixture()
        try f.spool.prepare()
        let run = RunID.manual()
        // A batch without its trailer: the analyzer quarantines it.
        let result = ProbeResult(run: run, shard: .whole, id: "svc/x", service: "svc", name: "x", method: "GET", url: "http://h/x",
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
        #expect(show.stdout.contains("-- line 1") && show.stdout.contains("\"outcome\" : \"ok\""), "\(show.stdout)")

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
