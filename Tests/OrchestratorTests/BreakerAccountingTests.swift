// Interfaces behind an open circuit breaker are probed once per run without retries and keep their real
// state: failing in the report (marked "circuit open: probed once, no retries"), in `orchestrator status` and
// in the metrics, and recovered in the first run after the fix — through the real programs and spool.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Open circuits keep the real state", .ownThread)
struct BreakerAccountingTests {
    @Test("5 interfaces behind an open breaker are probed once, counted failing in report, status and metrics, and recover at once")
    func openCircuitsCountAsFailing() throws {
        let f = try OrchestratorFixture(monitor: "interval: 1h\nretry_attempts: 2\nretry_delay: 10ms\ncircuit_breaker: {failures: 1, open_for: 1h}")
        let fixed = ManagedFlag()
        f.server.route("/broken") { _ in fixed.value ? .text(200, "back") : .text(500, "down") }
        try f.healthyInterfaces(1)
        for i in 0..<5 { try f.interface("broken\(i)", "url: /broken?i=\(i)") }

        let first = try f.run(["once"])
        #expect(first.exitCode == 1, "\(first.stderr)")
        #expect(f.server.hits("/broken") == 15, "closed: each with its 2 retries")
        let second = try f.run(["once"])
        #expect(second.exitCode == 1, "an open circuit is still a failure: \(second.stderr)")
        #expect(f.server.hits("/broken") == 20, "the second run probed each once, without retries")
        #expect(second.stdout.contains("**5 failed** of 6 interfaces · 1 ok · success rate 16.7 %"), "\(second.stdout)")
        #expect(second.stdout.contains("status 500 · "), "the real outcome: \(second.stdout)")
        #expect(second.stdout.contains("1 attempt · circuit open since "), "\(second.stdout)")
        #expect(second.stdout.contains(": probed once, no retries"), "each says how it was probed")
        #expect(second.stdout.contains("5 interface(s) with an open circuit (circuit open: probed once, no retries):"), "\(second.stdout)")

        let status = try f.run(["status"])
        #expect(status.stdout.contains("1 ok, 5 failed of 6"), "\(status.stdout)")
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
            #expect(text.contains(#"vigil_interface_probed{id="svc/broken\#(i)",service="svc",name="broken\#(i)"} 1"#))
            #expect(text.contains(#"vigil_interface_outcome{id="svc/broken\#(i)",service="svc",name="broken\#(i)",outcome="http_500"} 1"#))
        }
        #expect(text.contains("vigil_run_interfaces{result=\"failed\"} 5"))

        // Fixed: the very next run sees it (one request each, under the open circuit) and closes the circuits.
        fixed.value = true
        let third = try f.run(["once"])
        #expect(third.exitCode == 0, "\(third.stdout)")
        #expect(f.server.hits("/broken") == 25)
        #expect(third.stdout.contains("All 6 interfaces answered as expected"), "\(third.stdout)")
        #expect(third.stdout.contains("recovered from"), "\(third.stdout)")
    }
}
