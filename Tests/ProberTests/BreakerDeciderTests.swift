// The circuit breaker in process, on an injected clock: when it opens, how long it skips, the single trial
// probe, reopening and closing, what does not count, and the merge of several probers' entries in one file.

import Foundation
import Shared
import TestSupport
import Testing

@testable import prober

@Suite("Circuit breaker decisions, in process")
struct BreakerDeciderTests {
    let t0 = Date(timeIntervalSince1970: 1_795_359_600)

    @Test("opens at the threshold, skips for open_for, then allows one trial that reopens or closes it")
    func lifecycle() {
        let dir = TemporaryDirectory("breaker")
        var breaker = CircuitBreaker(stateDirectory: dir.path, threshold: 3, openFor: 60)
        for second in 0..<2 {
            breaker.record("a", outcome: .http500, now: t0 + Double(second))
            #expect(breaker.decision(for: "a", now: t0 + Double(second)) == .probe, "below the threshold")
        }
        breaker.record("a", outcome: .timeout, now: t0 + 2)
        #expect(breaker.decision(for: "a", now: t0 + 2) == .skip(since: t0 + 2, until: t0 + 62, failures: 3))
        #expect(breaker.decision(for: "a", now: t0 + 61.9) == .skip(since: t0 + 2, until: t0 + 62, failures: 3))
        #expect(breaker.decision(for: "a", now: t0 + 62) == .trial)
        // The trial fails: open again at once, for a fresh open_for, since the first opening.
        breaker.record("a", outcome: .connection, now: t0 + 63)
        #expect(breaker.decision(for: "a", now: t0 + 63) == .skip(since: t0 + 2, until: t0 + 123, failures: 4))
        #expect(breaker.decision(for: "a", now: t0 + 123) == .trial)
        breaker.record("a", outcome: .ok, now: t0 + 124)
        #expect(breaker.decision(for: "a", now: t0 + 124) == .probe)
        #expect(breaker.entries["a"] == nil, "closed: nothing kept")
    }

    @Test("a success resets the count; skipped and auth outcomes do not count either way")
    func counting() {
        let dir = TemporaryDirectory("breaker")
        var breaker = CircuitBreaker(stateDirectory: dir.path, threshold: 2, openFor: 60)
        breaker.record("a", outcome: .http503, now: t0)
        breaker.record("a", outcome: .ok, now: t0 + 1)
        breaker.record("a", outcome: .http503, now: t0 + 2)
        #expect(breaker.decision(for: "a", now: t0 + 2) == .probe, "not two in a row")
        breaker.record("a", outcome: .auth, now: t0 + 3)
        breaker.record("a", outcome: .skipped, now: t0 + 4)
        #expect(breaker.entries["a"]?.failures == 1)
        breaker.record("a", outcome: .http503, now: t0 + 5)
        #expect(breaker.decision(for: "a", now: t0 + 5) == .skip(since: t0 + 5, until: t0 + 65, failures: 2))
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
        #expect(reread.decision(for: "shard1/a", now: t0 + 1) == .skip(since: t0, until: t0 + 60, failures: 1))
    }
}
