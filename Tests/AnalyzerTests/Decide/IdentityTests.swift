// IdentityTests: the identity rule (Decide/Identity.swift) as a table — new, gone, forgotten, or nothing — for an
// interface with or without results, known or not, in a complete run or not, with the state empty or not.

import Foundation
import Testing

@testable import analyzer

@Suite("Identity of interfaces across runs")
struct IdentityTests {
    @Test("only a complete run says an id is gone or forgets it; a first run announces nothing new")
    func table() {
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let forgetBefore = now.addingTimeInterval(-90 * 86_400)
        let recent = now.addingTimeInterval(-3_600)
        let ancient = forgetBefore.addingTimeInterval(-1)
        // (has results, known since, state was empty, run complete) → change
        let rows: [(Bool, Date?, Bool, Bool, IdentityChange?)] = [
            (true, nil, false, true, .new),
            (true, nil, false, false, .new),
            (true, nil, true, true, nil),
            (true, recent, false, true, nil),
            (true, ancient, false, true, nil),
            (false, recent, false, true, .gone),
            (false, recent, false, false, nil),
            (false, recent, true, true, nil),
            (false, ancient, false, true, .forgotten),
            (false, ancient, true, true, .forgotten),
            (false, ancient, false, false, nil),
            (false, nil, false, true, nil),
        ]
        for (n, row) in rows.enumerated() {
            let change = Identity.change(
                hasResults: row.0, knownSince: row.1, stateWasEmpty: row.2, runComplete: row.3, forgetBefore: forgetBefore)
            #expect(change == row.4, "row \(n): results \(row.0), known \(row.1 != nil), empty state \(row.2), complete \(row.3)")
        }
    }
}
