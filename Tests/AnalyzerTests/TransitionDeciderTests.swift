// The state decider in process (no child processes, no clock): a table of sample sequences and thresholds,
// and what the team hears after each run.

import Foundation
import Shared
import TestSupport
import Testing

@testable import analyzer

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
    ]

    @Test("each sequence announces exactly its changes", arguments: table.indices)
    func sequence(_ row: Int) {
        let (outcomes, failure, success, expected) = Self.table[row]
        var state = StateFile()
        var announced: [StateChange?] = []
        let t0 = Date(timeIntervalSince1970: 1_795_359_600)
        for (i, outcome) in outcomes.enumerated() {
            let start = t0.addingTimeInterval(Double(i) * 60)
            let run = RunID.scheduled(tick: start)
            let result = AnalyzerFixture.result("svc/a", outcome, run: run, at: start)
            let changes = StateTransitions.apply([result], run: run, runStartedAt: start, to: state, thresholds: { _ in (failure, success) })
            announced.append((changes.transitions + changes.stillFailing).first?.change)
            state = changes.updated
        }
        #expect(announced == expected, "row \(row): \(outcomes)")
    }

    @Test("an incident starts at its first failing sample and ends at its first passing one, whatever the thresholds")
    func trueTimes() throws {
        // failure_threshold 3, success_threshold 2, one run a minute; a skipped run inside a streak keeps its start.
        let outcomes: [Outcome] = [.ok, .http500, .skipped, .http500, .http500, .ok, .ok]
        let t0 = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))  // records keep milliseconds
        func at(_ i: Int) -> Date { t0.addingTimeInterval(Double(i) * 60) }
        var state = StateFile()
        var transitions: [Int: Transition] = [:]
        for (i, outcome) in outcomes.enumerated() {
            let run = RunID.scheduled(tick: at(i))
            let result = AnalyzerFixture.result("svc/a", outcome, run: run, at: at(i))
            let changes = StateTransitions.apply([result], run: run, runStartedAt: at(i), to: state, thresholds: { _ in (3, 2) })
            if let t = changes.transitions.first { transitions[i] = t }
            // Through the state file's bytes each time, as the streamed analyzer reads it.
            var w = JSONWriter()
            changes.updated.interfaces["svc/a"]!.write(id: "svc/a", into: &w)
            let (_, reread) = try #require(InterfaceStatus.scan(w.finish()))
            #expect(reread == changes.updated.interfaces["svc/a"], "run \(i): the state round-trips")
            state.interfaces["svc/a"] = reread
        }
        let down = try #require(transitions[4], "the failure is confirmed at the third failing sample")
        #expect(down.change == .newFailure && down.since == at(1), "failing since the first failing sample, not the third")
        let up = try #require(transitions[6], "the recovery is confirmed at the second passing sample")
        #expect(up.change == .recovered && up.since == at(5) && up.downSince == at(1), "down from the first failure to the first pass")
        #expect(state.interfaces["svc/a"]?.since == at(5))
    }
}

@Suite("Alert severity by kind, in process", .ownThread)
struct SeverityDeciderTests {
    @Test("new failures that are only certificates to renew make a warning; anything down or answering errors is critical")
    func severity() {
        let t0 = Date(timeIntervalSince1970: 1_795_359_600)
        func failures(_ outcomes: [Outcome]) -> [Transition] {
            let run = RunID.scheduled(tick: t0)
            let results = outcomes.enumerated().map { AnalyzerFixture.result("svc/i\($0.offset)", $0.element, run: run, at: t0) }
            return StateTransitions.apply(results, run: run, runStartedAt: t0, to: StateFile(), thresholds: { _ in (1, 1) }).transitions
        }
        #expect(failures([.certExpiring, .certExpiring]).count == 2, "cert_expiring is a failure the state tracks")
        #expect(AlertPolicy.severity(of: failures([.certExpiring, .certExpiring])) == .warning)
        #expect(AlertPolicy.severity(of: failures([.certExpiring, .assertion])) == .critical)
        #expect(AlertPolicy.severity(of: failures([.timeout])) == .critical)
        #expect(AlertPolicy.severity(of: []) == .resolved)
    }
}
