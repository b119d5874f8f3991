// StatusStateLineTests: `orchestrator status` reads the analyzer's state file (state/interfaces.ndjson) as the
// analyzer writes it: an interface that recovered in the last run still carries its failing snapshot in
// `before`, and is counted ok — not "failing now".

import Foundation
import Shared
import TestSupport
import Testing

@testable import analyzer

@Suite("Status on the analyzer's state lines", .ownThread)
struct StatusStateLineTests {
    @Test("a recovered interface (failing only in its before snapshot) is ok in status; a failing one is listed")
    func recoveredIsNotFailing() throws {
        let dir = TemporaryDirectory("status-state")
        let spool = Spool(root: dir.url("spool"))
        try spool.prepare()
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let run = RunID.scheduled(tick: now)
        let earlier = now.addingTimeInterval(-900)
        let failingBefore = StatusSnapshot(
            health: .failing, outcome: .http500, since: earlier, run: RunID.scheduled(tick: earlier))
        let recovered = InterfaceStatus(
            health: .ok, outcome: .ok, since: now, run: run, runStartedAt: now, error: nil, before: failingBefore)
        let down = InterfaceStatus(
            health: .failing, outcome: .timeout, since: earlier, run: run, runStartedAt: now, error: "no answer",
            before: failingBefore)
        var bytes = Array(#"{"v":1,"kind":"interface_state","alerts":[]}"#.utf8) + [10]
        for (id, status) in [("svc/down", down), ("svc/recovered", recovered)] {
            var w = JSONWriter()
            status.write(id: id, into: &w)
            bytes += w.finish() + [10]
        }
        try FileIO.replaceAtomically(spool.stateDirectory + "/interfaces.ndjson", with: bytes, mode: 0o600)

        let status = try Programs.run("orchestrator", ["status", "--spool", dir.url("spool")])
        #expect(status.exitCode == 0, "\(status.stderr)")
        #expect(status.stdout.contains("interfaces: 1 ok, 1 failing now"), "\(status.stdout)")
        #expect(status.stdout.contains("svc/down: timeout since"), "\(status.stdout)")
        #expect(!status.stdout.contains("svc/recovered"), "a confirmed recovery is not listed as failing: \(status.stdout)")
    }
}
