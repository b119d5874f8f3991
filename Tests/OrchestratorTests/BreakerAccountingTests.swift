// Interfaces behind an open circuit breaker are not probed, and still count as failing: in the report, in
// `orchestrator status` and in the metrics — through the real programs and spool.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Open circuits are failures", .ownThread)
struct BreakerAccountingTests {
    @Test("5 interfaces behind an open breaker are counted failing in report, status and metrics")
    func openCircuitsCountAsFailing() throws {
        let f = try OrchestratorFixture(monitor: "interval: 1h\ncircuit_breaker: {failures: 1, open_for: 1h}")
        f.server.route("/broken", reply: .text(500, "down"))
        try f.healthyInterfaces(1)
        for i in 0..<5 { try f.interface("broken\(i)", "url: /broken?i=\(i)") }

        let first = try f.run(["once"])
        #expect(first.exitCode == 1, "\(first.stderr)")
        #expect(f.server.hits("/broken") == 5)
        let second = try f.run(["once"])
        #expect(second.exitCode == 1, "an open circuit is still a failure: \(second.stderr)")
        #expect(f.server.hits("/broken") == 5, "the second run probed none of them")
        #expect(
            second.stdout.contains("**5 failed** of 6 interfaces · 1 ok · 5 of the failed not probed (circuit open) · success rate 16.7 %"),
            "\(second.stdout)")
        #expect(second.stdout.contains("not probed: circuit open since"), "each says why it was not probed")

        let status = try f.run(["status"])
        #expect(status.stdout.contains("1 ok, 5 failed (5 not probed: circuit open) of 6"), "\(status.stdout)")
        // The same facts as one JSON object, as the reference decoder reads it.
        let json = try f.run(["status", "--json"])
        #expect(json.exitCode == 0 && json.stdout.hasSuffix("}\n") && json.stdout.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let interfaces = try #require(object["interfaces"] as? [String: Any])
        #expect(interfaces["total"] as? Int == 6 && interfaces["failing"] as? Int == 5)
        let failingNow = try #require(interfaces["failing_now"] as? [[String: Any]])
        #expect(Set(failingNow.compactMap { $0["id"] as? String }) == Set((0..<5).map { "svc/broken\($0)" }))
        let lastRuns = try #require(object["last_runs"] as? [[String: Any]])
        #expect(lastRuns.count == 2 && lastRuns.allSatisfy { $0["failed"] as? Int == 5 && $0["ok"] as? Int == 1 })
        #expect((object["queues"] as? [[String: Any]])?.map { $0["queue"] as? String } == ["runs", "results", "outbox"])
        #expect(object["spool"] as? String == f.spool.root && object["reports"] as? Int == 2)

        let metrics = try #require(FileIO.listIfPresent(f.spool.metricsDirectory).first { $0.hasPrefix("vigil-analyzer-") })
        let text = try f.dir.read("spool/metrics/\(metrics)")
        for i in 0..<5 {
            #expect(text.contains(#"vigil_interface_up{id="svc/broken\#(i)",service="svc",name="broken\#(i)"} 0"#), "broken\(i)")
            #expect(text.contains(#"vigil_interface_probed{id="svc/broken\#(i)",service="svc",name="broken\#(i)"} 0"#))
        }
        #expect(text.contains("vigil_run_interfaces{result=\"failed\"} 5"))
    }
}
