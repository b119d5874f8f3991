// A second orchestrator on a shared spool, under another host name, whose shards overlap a live one's is refused
// at start-up with the reason: it would probe every interface a second time.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Duplicate orchestrators", .ownThread)
struct DuplicateOrchestratorTests {
    @Test("same shards under another host name: refused; a host disagreeing on --hosts: refused")
    func refused() throws {
        let f = try OrchestratorFixture()
        try f.healthyInterfaces(1)
        let errors = LineCollector()
        let a = try f.startService(environment: ["VIGIL_HOST": "host-a"], stderr: errors)
        defer {
            a.signal(SIGKILL)
            _ = a.wait()
        }
        let stateFile = f.spool.stateDirectory + "/orchestrator-host-a.json"
        #expect(eventually(timeout: 20) { FileIO.status(stateFile) != nil && errors.text.contains("orchestrator started") })

        let second = try f.run([], environment: ["VIGIL_HOST": "host-b"], timeout: 30)
        #expect(second.exitCode == 1)
        #expect(second.stderr.contains("on host host-a already runs shards of --host-index 1 of 1"), "\(second.stderr)")
        let disagreeing = try f.run(["--hosts", "2", "--host-index", "2"], environment: ["VIGIL_HOST": "host-c"], timeout: 30)
        #expect(disagreeing.exitCode == 1 && disagreeing.stderr.contains("runs with --hosts 1, this one with --hosts 2"), "\(disagreeing.stderr)")
        #expect(a.termination == nil, "the first one keeps running")
    }
}
