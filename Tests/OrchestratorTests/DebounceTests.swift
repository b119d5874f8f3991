// Debounce through the real programs: with failure_threshold 2 one bad sample alerts nobody and two alert once;
// with success_threshold 2 one good sample does not announce a recovery, two do. Every sample is in the report.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Alert thresholds", .ownThread)
struct DebounceTests {
    @Test("failure_threshold: 2 and success_threshold: 2 — alerts wait for two samples in a row, reports do not")
    func thresholds() throws {
        // The breaker stays out of the way (three failures would open it and stop the samples).
        let f = try OrchestratorFixture(
            monitor: "interval: 1h\ncircuit_breaker: {failures: 50}",
            alerts: "mode: change\n  failure_threshold: 2\n  success_threshold: 2")
        f.server.route("/flaky", reply: .text(200, "fine"))
        try f.interface("flaky", "url: /flaky")
        var alerts = f.outboxFiles().count
        func run(_ expectAlert: Bool, _ what: Comment) throws -> ProgramRun {
            let once = try f.run(["once"])
            let now = f.outboxFiles().count
            #expect(now - alerts == (expectAlert ? 1 : 0), what)
            alerts = now
            return once
        }
        _ = try run(false, "healthy: nothing to say")
        f.server.route("/flaky", reply: .text(500, "down"))
        let firstBad = try run(false, "one bad sample is not an outage yet")
        #expect(firstBad.stdout.contains("**1 failed** of 1"), "the report shows the sample: \(firstBad.stdout)")
        _ = try run(true, "two bad samples in a row: one alert")
        _ = try run(false, "still down: no repeat before repeat_interval")
        f.server.route("/flaky", reply: .text(200, "fine"))
        _ = try run(false, "one good sample is not a recovery yet")
        _ = try run(true, "two good samples: the recovery is announced")
        let sent = try f.sentText()
        #expect(sent.contains("new_failure") && sent.contains("recovered"), "\(sent.prefix(400))")
    }
}
