// IDOrderTests: the one id order, on seeded random ids (ASCII, CJK, composed and decomposed accents, emoji):
// comparing the bytes gives exactly Swift's String order and equality, which the analyzer's join relies on when it
// merges batches sorted by bytes with state files checked as Strings.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Id order", .ownThread)
struct IDOrderTests {
    @Test("the byte comparison agrees with String order and equality for every pair, ASCII or not", arguments: [UInt64(3), 20_261_207])
    func bytesAgreeWithStrings(seed: UInt64) {
        var values = WireValues(seed: seed)
        var ids = (0..<150).map { _ in values.interfaceID() }
        ids += ["a/é", "a/e\u{301}", "a/e", "a/f", "a/获取", "a", "a/", "B", "b", "a/😀"]
        var disagreements: [String] = []
        for a in ids {
            for b in ids {
                let isASCII = a.utf8.allSatisfy { $0 < 0x80 } && b.utf8.allSatisfy { $0 < 0x80 }
                let c = Array(a.utf8).withUnsafeBufferPointer { x in
                    Array(b.utf8).withUnsafeBufferPointer { y in IDOrder.compare(x, y, bothASCII: isASCII) }
                }
                let expected = a == b ? 0 : (a < b ? -1 : 1)
                if c.signum() != expected || IDOrder.precedes(a, b) != (expected < 0) {
                    disagreements.append("\(a.debugDescription) vs \(b.debugDescription): \(c)")
                }
            }
        }
        #expect(disagreements.isEmpty, "seed \(seed): \(disagreements.prefix(10))")
        // A composed and a decomposed accent are one id, as they are one Dictionary key.
        #expect(IDOrder.first("a/é", "a/e\u{301}") == "a/é")
        #expect(IDOrder.first(nil, "x") == "x" && IDOrder.first("x", nil) == "x" && IDOrder.first(nil, nil) == nil)
    }
}
