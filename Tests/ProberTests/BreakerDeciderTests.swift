// The circuit breaker in process, on an injected clock: what it counts (unreachable, 5xx) and what it never
// counts (assertions, 4xx, certificates), one attempt per run while open, retries again after open_for,
// closing at the first answer, and the merge of several probers' entries in one file.

import Foundation
import Shared
import TestSupport
import Testing

@testable import prober

@Suite("Circuit breaker decisions, in process")
struct BreakerDeciderTests {
    let t0 = Date(timeIntervalSince1970: 1_795_359_600)

    @Test("opens at the threshold: one attempt per run for open_for, then a run with retries that reopens or closes it")
    func lifecycle() {
        let dir = TemporaryDirectory("breaker")
        var breaker = CircuitBreaker(stateDirectory: dir.path, threshold: 3, openFor: 60)
        for second in 0..<2 {
            breaker.record("a", outcome: .http500, now: t0 + Double(second))
            #expect(breaker.decision(for: "a", now: t0 + Double(second)) == .probe, "below the threshold")
        }
        breaker.record("a", outcome: .timeout, now: t0 + 2)
        #expect(breaker.decision(for: "a", now: t0 + 2) == .once(since: t0 + 2, until: t0 + 62, failures: 3))
        // Failures while open (each run's single attempt) count, and do not push open_for further.
        breaker.record("a", outcome: .connection, now: t0 + 30)
        #expect(breaker.decision(for: "a", now: t0 + 61.9) == .once(since: t0 + 2, until: t0 + 62, failures: 4))
        #expect(breaker.decision(for: "a", now: t0 + 62) == .probe, "after open_for, a run with retries")
        // That run fails too: open again at once, for a fresh open_for, since the first opening.
        breaker.record("a", outcome: .dns, now: t0 + 63)
        #expect(breaker.decision(for: "a", now: t0 + 63) == .once(since: t0 + 2, until: t0 + 123, failures: 5))
        // The target answers while open: closed at once.
        breaker.record("a", outcome: .ok, now: t0 + 70)
        #expect(breaker.decision(for: "a", now: t0 + 70) == .probe)
        #expect(breaker.entries["a"] == nil, "closed: nothing kept")
    }

    @Test("only unreachable targets and 5xx count; assertions, 4xx and certificates never open it")
    func whatCounts() {
        #expect(
            Outcome.allCases.filter { CircuitBreaker.counts($0) == true }
                == [.http500, .http503, .http5xx, .timeout, .dns, .connection, .tls])
        #expect(Outcome.allCases.filter { CircuitBreaker.counts($0) == nil } == [.auth, .skipped, .notLoaded, .degraded])
        let dir = TemporaryDirectory("breaker")
        var breaker = CircuitBreaker(stateDirectory: dir.path, threshold: 1, openFor: 60)
        for (second, outcome) in [Outcome.assertion, .certExpiring, .http404, .http4xx].enumerated() {
            for n in 0..<5 { breaker.record("a", outcome: outcome, now: t0 + Double(second * 5 + n)) }
        }
        #expect(breaker.entries.isEmpty, "a target that answers is never behind an open circuit")
        #expect(breaker.decision(for: "a", now: t0 + 30) == .probe)
    }

    @Test("an answer (even a wrong one) resets the count; auth and skipped change nothing")
    func counting() {
        let dir = TemporaryDirectory("breaker")
        var breaker = CircuitBreaker(stateDirectory: dir.path, threshold: 2, openFor: 60)
        breaker.record("a", outcome: .http503, now: t0)
        breaker.record("a", outcome: .assertion, now: t0 + 1)
        breaker.record("a", outcome: .http503, now: t0 + 2)
        #expect(breaker.decision(for: "a", now: t0 + 2) == .probe, "not two in a row: the target answered between them")
        breaker.record("a", outcome: .auth, now: t0 + 3)
        breaker.record("a", outcome: .skipped, now: t0 + 4)
        #expect(breaker.entries["a"]?.failures == 1)
        breaker.record("a", outcome: .http503, now: t0 + 5)
        #expect(breaker.decision(for: "a", now: t0 + 5) == .once(since: t0 + 5, until: t0 + 65, failures: 2))
        breaker.record("a", outcome: .certExpiring, now: t0 + 6)
        #expect(breaker.entries["a"] == nil, "an answer closes an open circuit")
    }

    @Test("two probers saving to one file keep each other's interfaces")
    func merge() throws {
        let dir = TemporaryDirectory("breaker")
        var first = CircuitBreaker(stateDirectory: dir.path, threshold: 1, openFor: 60)
        var second = CircuitBreaker(stateDirectory: dir.path, threshold: 1, openFor: 60)
        first.record("shard1/a", outcome: .http500, now: t0)
        second.record("shard2/b", outcome: .http500, now: t0)
        try first.save()
        try second.save()
        let reread = CircuitBreaker(stateDirectory: dir.path, threshold: 1, openFor: 60)
        #expect(Set(reread.entries.keys) == ["shard1/a", "shard2/b"])
        #expect(reread.decision(for: "shard1/a", now: t0 + 1) == .once(since: t0, until: t0 + 60, failures: 1))
    }
}
