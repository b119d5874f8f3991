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
