// Delivery order follows the runs' start times, not their names: two manual runs started in the same second
// carry random suffixes, and the later-named one may have started first.

import Foundation
import Shared
import Testing
import TestSupport

@Suite("Notifier order")
struct OrderTests {
    @Test("two runs started in the same second are delivered in the order they started")
    func sameSecond() throws {
        let f = try NotifierFixture()
        let second = Date(timeIntervalSince1970: 1_795_359_600)
        // By name "maaaa" sorts first, but it started 800 ms after "mzzzz".
        let later = try f.publishAlert(minutes: 0, run: Timestamp.compact(second) + "-maaaa", startedAt: second.addingTimeInterval(0.9))
        let earlier = try f.publishAlert(minutes: 0, run: Timestamp.compact(second) + "-mzzzz", startedAt: second.addingTimeInterval(0.1))
        let run = try f.runOnce(["--once"])
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(f.acceptedRuns == [earlier, later], "\(f.acceptedRuns)")
    }
}
