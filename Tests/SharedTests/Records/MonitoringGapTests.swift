// Monitoring gaps: consecutive skipped ticks of one cause merge, causes stay apart, and the sentence a team
// reads uses their time zone (with the date when the gap crosses midnight there).

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Monitoring gaps", .ownThread)
struct MonitoringGapTests {
    let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    @Test("consecutive ticks of one cause merge into one gap; another cause starts a new one")
    func merging() throws {
        let t = try #require(Timestamp.parse("2026-11-23T02:01:00Z"))
        var gaps: [MonitoringGap] = []
        for minute in 0..<3 { MonitoringGap.record(t.addingTimeInterval(Double(minute) * 60), reason: .diskFull, into: &gaps) }
        MonitoringGap.record(t.addingTimeInterval(180), reason: .overlap, detail: "run R still going", into: &gaps)
        #expect(gaps.count == 2)
        #expect(gaps[0].runs == 3 && gaps[0].from == t && gaps[0].to == t.addingTimeInterval(120) && gaps[0].isBlind)
        #expect(gaps[1].reason == .overlap && !gaps[1].isBlind)
        #expect(gaps[0].sentence(in: shanghai) == "monitoring was blind from 10:01 to 10:03 (3 runs not recorded: disk full)")
        #expect(
            gaps[1].sentence(in: shanghai)
                == "scheduled runs were skipped at 10:04 (1 run not recorded: the previous run was still going; run R still going)")
    }

    @Test("a gap across midnight in the team's zone shows dates")
    func acrossMidnight() throws {
        let from = try #require(Timestamp.parse("2026-11-23T15:50:00Z"))  // 23:50 in Shanghai
        let gap = MonitoringGap(reason: .suspended, from: from, to: from.addingTimeInterval(1200), runs: 21)
        #expect(
            gap.sentence(in: shanghai)
                == "monitoring was blind from 2026-11-23 23:50 to 2026-11-24 00:10 (21 runs not recorded: the orchestrator was suspended)")
    }
}
