// Alert decisions over sequences of runs: change mode (new failure, still failing, reminder, recovery) and
// every_run mode.

import Foundation
import Shared
import TestSupport
import Testing

/// Publishes run `n` (15 minutes apart) with the given outcomes and analyzes it; returns the alerts added.
private func step(_ f: AnalyzerFixture, _ n: Int, _ outcomes: [String: Outcome], seen: inout Int) throws -> [Alert] {
    let start = t0.addingTimeInterval(Double(n) * 900)
    let run = RunID.scheduled(tick: start)
    try f.publishBatch(
        run: run, results: outcomes.keys.sorted().map { AnalyzerFixture.result($0, outcomes[$0]!, run: run, at: start) },
        start: start)
    let result = try f.analyzeOnce()
    #expect(result.exitCode == 0, "\(result.stderr)")
    let all = try f.alerts()
    defer { seen = all.count }
    return Array(all.dropFirst(seen))
}

@Suite("Alert logic", .ownThread)
struct AlertLogicTests {
    @Test("change mode: new failure, silence while failing, reminder after repeat_interval, recovery")
    func changeMode() throws {
        let f = try AnalyzerFixture()
        var seen = 0
        #expect(try step(f, 0, ["a/x": .ok, "b/y": .ok], seen: &seen).isEmpty, "all ok from the start: nothing to say")
        let failed = try step(f, 1, ["a/x": .http500, "b/y": .ok], seen: &seen)
        #expect(failed.count == 1)
        #expect(failed.first?.reason == .change && failed.first?.severity == .critical)
        #expect(failed.first?.transitions.map(\.change) == [.newFailure])
        #expect(failed.first?.transitions.first?.id == "a/x")
        #expect(try step(f, 2, ["a/x": .http500, "b/y": .ok], seen: &seen).isEmpty, "still failing, 15 minutes later")
        #expect(try step(f, 3, ["a/x": .timeout, "b/y": .ok], seen: &seen).isEmpty, "another failure class is not a new failure")
        #expect(try step(f, 4, ["a/x": .skipped, "b/y": .ok], seen: &seen).isEmpty, "skipped by the breaker: still failing")
        let reminder = try step(f, 5, ["a/x": .http500, "b/y": .ok], seen: &seen)
        #expect(reminder.count == 1, "an hour after the first alert")
        #expect(reminder.first?.reason == .reminder && reminder.first?.severity == .warning)
        #expect(reminder.first?.transitions.map(\.change) == [.stillFailing])
        #expect(reminder.first?.transitions.first?.since == t0.addingTimeInterval(900))
        let recovered = try step(f, 6, ["a/x": .ok, "b/y": .ok], seen: &seen)
        #expect(recovered.count == 1)
        #expect(recovered.first?.severity == .resolved && recovered.first?.transitions.map(\.change) == [.recovered])
        #expect(recovered.first?.transitions.first?.previousOutcome == .http500)
        #expect(try step(f, 7, ["a/x": .ok, "b/y": .ok], seen: &seen).isEmpty)
        let both = try step(f, 8, ["a/x": .http404, "b/y": .dns], seen: &seen)
        #expect(both.first?.transitions.map(\.id) == ["a/x", "b/y"])
        #expect(try f.history().count == 9)
    }

    @Test("every_run mode: an alert for every run with failures, none for a clean run")
    func everyRun() throws {
        let f = try AnalyzerFixture(alerts: "mode: every_run")
        var seen = 0
        #expect(try step(f, 0, ["a/x": .http500], seen: &seen).first?.reason == .everyRun)
        #expect(try step(f, 1, ["a/x": .http500], seen: &seen).count == 1)
        #expect(try step(f, 2, ["a/x": .ok], seen: &seen).isEmpty)
    }

    @Test("a silence: no reminder while it lasts (every_run included); when it expires on a failing interface, the next run alerts")
    func silences() throws {
        let f = try AnalyzerFixture(alerts: "mode: change\nrepeat_interval: 20m")
        var seen = 0
        #expect(try step(f, 0, ["a/x": .http500], seen: &seen).count == 1, "the failure is announced")
        // Silenced from run 1 to just before run 4 (runs are 15 minutes apart).
        let silence = Silence(
            id: "s-test", match: "a/*", createdAt: t0.addingTimeInterval(600), until: t0.addingTimeInterval(3 * 900 + 60),
            reason: "known", by: nil)
        _ = try f.dir.write("spool/state/silences/s-test.json", try RecordCoding.encodeString(silence) + "\n")
        #expect(try step(f, 2, ["a/x": .http500], seen: &seen).isEmpty, "a reminder was due (30 min > 20 min), but silenced")
        #expect(try step(f, 3, ["a/x": .http500, "b/y": .ok], seen: &seen).isEmpty)
        let after = try step(f, 5, ["a/x": .http500, "b/y": .ok], seen: &seen)
        #expect(after.count == 1 && after.first?.transitions.map(\.id) == ["a/x"], "expired while failing: alerted again")
        #expect(try f.report(RunID.scheduled(tick: t0.addingTimeInterval(2 * 900))).contains("- Quiet: silenced until "))
    }

    @Test("a failure that began under a silence and recovers after it ended was never announced: no recovery message either")
    func silencedFailureRecovers() throws {
        let f = try AnalyzerFixture(alerts: "mode: change\nrepeat_interval: 20m")
        var seen = 0
        #expect(try step(f, 0, ["a/x": .ok, "b/y": .ok], seen: &seen).isEmpty)
        // Silenced from before run 1 to just before run 3 (runs are 15 minutes apart).
        let silence = Silence(
            id: "s-quiet", match: "a/x", createdAt: t0.addingTimeInterval(600), until: t0.addingTimeInterval(2 * 900 + 60),
            reason: "deploy", by: nil)
        _ = try f.dir.write("spool/state/silences/s-quiet.json", try RecordCoding.encodeString(silence) + "\n")
        #expect(try step(f, 1, ["a/x": .http500, "b/y": .ok], seen: &seen).isEmpty, "it begins silenced: not announced")
        #expect(try step(f, 2, ["a/x": .http500, "b/y": .ok], seen: &seen).isEmpty)
        #expect(try step(f, 3, ["a/x": .ok, "b/y": .ok], seen: &seen).isEmpty, "never announced as down: no \"recovered\" either")
        // The next failure, not silenced, is announced, and so is its recovery.
        let down = try step(f, 4, ["a/x": .http500, "b/y": .ok], seen: &seen)
        #expect(down.count == 1 && down.first?.transitions.map(\.change) == [.newFailure], "\(down.map(\.transitions))")
        let up = try step(f, 5, ["a/x": .ok, "b/y": .ok], seen: &seen)
        #expect(up.count == 1 && up.first?.transitions.map(\.change) == [.recovered], "\(up.map(\.transitions))")
    }

    @Test("every_run mode: a silenced failure alone makes no alert")
    func everyRunSilenced() throws {
        let f = try AnalyzerFixture(alerts: "mode: every_run")
        let silence = Silence(
            id: "s-all", match: "a/x", createdAt: t0.addingTimeInterval(-60), until: t0.addingTimeInterval(86_400),
            reason: "known", by: nil)
        _ = try f.dir.write("spool/state/silences/s-all.json", try RecordCoding.encodeString(silence) + "\n")
        var seen = 0
        #expect(try step(f, 0, ["a/x": .http500, "b/y": .ok], seen: &seen).isEmpty)
        #expect(try step(f, 1, ["a/x": .http500, "b/y": .dns], seen: &seen).count == 1, "an unsilenced failure still alerts")
    }
}
