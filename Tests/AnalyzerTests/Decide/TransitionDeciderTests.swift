// The state decider in process (no child processes, no clock): a table of sample sequences and thresholds,
// and what the team hears after each run — through InterfaceRules.decide, the very function the streaming
// join calls for each interface (there is no second path for tests).

import Foundation
import Shared
import TestSupport
import Testing

@testable import analyzer

/// One interface through the production rules, run after run: no silences, thresholds as given.
func decide(
    _ result: ProbeResult, previous: InterfaceStatus?, run: String, at start: Date, thresholds: (failure: Int, success: Int),
    silences: [Silence] = []
) -> (latest: InterfaceStatus?, heard: HeardChanges, quiet: String?) {
    var alerting = Config.defaults(directory: "/").alerts
    alerting.failureThreshold = thresholds.failure
    alerting.successThreshold = thresholds.success
    let rules = InterfaceRules(
        run: run, runStartedAt: start, alerting: alerting, services: [:],
        quiet: QuietRules(silences: silences, windows: [], at: start, timeZone: .gmt))
    var heard = HeardChanges()
    let decided = rules.decide([result], previous: previous, into: &heard)
    return (decided.latest ?? previous, heard, decided.quiet)
}

@Suite("State transitions, in process", .ownThread)
struct TransitionDeciderTests {
    /// (outcomes run by run, failure threshold, success threshold, the change announced after each run).
    static let table: [([Outcome], Int, Int, [StateChange?])] = [
        ([.ok, .http500, .ok], 1, 1, [nil, .newFailure, .recovered]),
        ([.http500, .http500, .http500], 1, 1, [.newFailure, .stillFailing, .stillFailing]),
        ([.http500, .http500, .ok, .ok], 2, 2, [nil, .newFailure, .stillFailing, .recovered]),
        ([.http500, .ok, .http500, .ok], 2, 1, [nil, nil, nil, nil]),  // never two failures in a row: no page
        ([.timeout, .skipped, .skipped, .ok], 1, 1, [.newFailure, .stillFailing, .stillFailing, .recovered]),
        ([.ok, .skipped], 1, 1, [nil, nil]),  // not probed: no sample, the verdict stands
        // From work for today (a certificate, one location's view) to an outage: news, paged again.
        ([.certExpiring, .http500, .http500], 1, 1, [.newFailure, .newFailure, .stillFailing]),
        ([.degraded, .timeout, .degraded], 1, 1, [.newFailure, .newFailure, .stillFailing]),
    ]

    @Test("each sequence announces exactly its changes", arguments: table.indices)
    func sequence(_ row: Int) {
        let (outcomes, failure, success, expected) = Self.table[row]
        var state: InterfaceStatus?
        var announced: [StateChange?] = []
        let t0 = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))  // records keep milliseconds
        for (i, outcome) in outcomes.enumerated() {
            let start = t0.addingTimeInterval(Double(i) * 60)
            let run = RunID.scheduled(tick: start)
            let result = AnalyzerFixture.result("svc/a", outcome, run: run, at: start)
            let decided = decide(result, previous: state, run: run, at: start, thresholds: (failure, success))
            announced.append((decided.heard.newFailures + decided.heard.recovered + decided.heard.stillFailing).first?.change)
            state = decided.latest
        }
        #expect(announced == expected, "row \(row): \(outcomes)")
    }

    @Test("an incident starts at its first failing sample and ends at its first passing one, whatever the thresholds")
    func trueTimes() throws {
        // failure_threshold 3, success_threshold 2, one run a minute; a skipped run inside a streak keeps its start.
        let outcomes: [Outcome] = [.ok, .http500, .skipped, .http500, .http500, .ok, .ok]
        let t0 = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))  // records keep milliseconds
        func at(_ i: Int) -> Date { t0.addingTimeInterval(Double(i) * 60) }
        var state: InterfaceStatus?
        var transitions: [Int: Transition] = [:]
        for (i, outcome) in outcomes.enumerated() {
            let run = RunID.scheduled(tick: at(i))
            let result = AnalyzerFixture.result("svc/a", outcome, run: run, at: at(i))
            let decided = decide(result, previous: state, run: run, at: at(i), thresholds: (3, 2))
            if let t = (decided.heard.newFailures + decided.heard.recovered).first { transitions[i] = t }
            // Through the state file's bytes each time, as the streamed analyzer reads it.
            let updated = try #require(decided.latest)
            let reread = try #require(InterfaceLine.scan(line: InterfaceLine(id: "svc/a", status: updated).wireLine())).status
            #expect(reread == updated, "run \(i): the state round-trips")
            state = reread
        }
        let down = try #require(transitions[4], "the failure is confirmed at the third failing sample")
        #expect(down.change == .newFailure && down.since == at(1), "failing since the first failing sample, not the third")
        let up = try #require(transitions[6], "the recovery is confirmed at the second passing sample")
        #expect(up.change == .recovered && up.since == at(5) && up.downSince == at(1), "down from the first failure to the first pass")
        #expect(state?.since == at(5))
    }
}

@Suite("Quiet rules, in process", .ownThread)
struct QuietDeciderTests {
    @Test("a failure under a silence is not announced; announced once the silence ends; one never announced never recovers aloud")
    func silences() throws {
        let t0 = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))  // records keep milliseconds
        let silence = Silence(id: "s1", match: "svc/a", createdAt: t0, until: t0.addingTimeInterval(90), reason: "deploy", by: nil)
        func run(_ i: Int, _ outcome: Outcome, _ state: InterfaceStatus?) -> (latest: InterfaceStatus?, heard: HeardChanges, quiet: String?) {
            let start = t0.addingTimeInterval(Double(i) * 60)
            let id = RunID.scheduled(tick: start)
            return decide(
                AnalyzerFixture.result("svc/a", outcome, run: id, at: start), previous: state, run: id, at: start, thresholds: (1, 1),
                silences: [silence])
        }
        // Failing while silenced: nothing heard, remembered as not announced.
        let first = run(0, .http500, nil)
        #expect(first.heard.newFailures.isEmpty && first.quiet?.hasPrefix("silenced until ") == true)
        #expect(first.latest?.unannounced == true)
        // Recovered while still silenced, and never announced: no recovery either, then or after.
        let recovered = run(1, .ok, first.latest)
        #expect(recovered.heard.recovered.isEmpty && recovered.heard.newFailures.isEmpty)
        // Another failure under the silence, still failing once it ended: announced now, as new.
        let again = run(1, .http500, recovered.latest)
        let after = run(2, .http500, again.latest)
        #expect(after.quiet == nil && after.heard.newFailures.map(\.id) == ["svc/a"], "announced when the silence ends")
        let fixed = run(3, .ok, after.latest)
        #expect(fixed.heard.recovered.map(\.id) == ["svc/a"], "announced, so its recovery is heard")
    }
}

@Suite("Alert severity by kind, in process", .ownThread)
struct SeverityDeciderTests {
    @Test("new failures that are only certificates to renew make a warning; anything down or answering errors is critical")
    func severity() {
        let t0 = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))  // records keep milliseconds
        func failures(_ outcomes: [Outcome]) -> [Transition] {
            let run = RunID.scheduled(tick: t0)
            return outcomes.enumerated().flatMap { i, outcome in
                decide(AnalyzerFixture.result("svc/i\(i)", outcome, run: run, at: t0), previous: nil, run: run, at: t0, thresholds: (1, 1))
                    .heard.newFailures
            }
        }
        #expect(failures([.certExpiring, .certExpiring]).count == 2, "cert_expiring is a failure the state tracks")
        #expect(AlertPolicy.severity(of: failures([.certExpiring, .certExpiring])) == .warning)
        #expect(AlertPolicy.severity(of: failures([.certExpiring, .assertion])) == .critical)
        #expect(AlertPolicy.severity(of: failures([.timeout])) == .critical)
        #expect(AlertPolicy.severity(of: []) == .resolved)
    }
}
