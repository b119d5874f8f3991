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
        // The header as the analyzer writes it (StateHeader), before the interface lines.
        var bytes = try RecordCoding.encode(StateHeader(alerts: [])) + [10]
        for (id, status) in [("svc/down", down), ("svc/recovered", recovered)] {
            bytes += InterfaceLine(id: id, status: status).wireLine() + [10]
        }
        try FileIO.replaceAtomically(spool.stateDirectory + "/interfaces.ndjson", with: bytes, mode: 0o600)

        let status = try Programs.run("orchestrator", ["status", "--spool", dir.url("spool")])
        #expect(status.exitCode == 0, "\(status.stderr)")
        #expect(status.stdout.contains("interfaces: 1 ok, 1 failing now"), "\(status.stdout)")
        #expect(status.stdout.contains("svc/down: timeout since"), "\(status.stdout)")
        #expect(!status.stdout.contains("svc/recovered"), "a confirmed recovery is not listed as failing: \(status.stdout)")
    }

    @Test("the shared reader reads every line the analyzer's writer makes: id, health, outcome and since, header skipped")
    func readerReadsTheWritersLines() throws {
        let dir = TemporaryDirectory("status-state-reader")
        let spool = Spool(root: dir.url("spool"))
        try spool.prepare()
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down) + 0.204)
        let run = RunID.scheduled(tick: now)
        let earlier = now.addingTimeInterval(-900.5)
        let before = StatusSnapshot(health: .failing, outcome: .dns, since: earlier, run: RunID.scheduled(tick: earlier), pending: 1)
        let written: [(String, InterfaceStatus)] = [
            ("a/ok", InterfaceStatus(health: .ok, outcome: .ok, since: earlier, run: run, runStartedAt: now, error: nil, before: nil)),
            (
                "b/recovering",
                InterfaceStatus(
                    health: .failing, outcome: .ok, since: earlier, run: run, runStartedAt: now, error: nil, before: before, pending: 1,
                    pendingSince: now)
            ),
            (
                "c/late",
                InterfaceStatus(
                    health: .failing, outcome: .http500, since: now, run: run, runStartedAt: now, error: "HTTP 500", before: before, unannounced: true
                )
            ),
            ("d/back", InterfaceStatus(health: .ok, outcome: .ok, since: now, run: run, runStartedAt: now, error: nil, before: before)),
        ]
        var bytes = try RecordCoding.encode(StateHeader(alerts: [AlertMark(run: RunID.scheduled(tick: earlier), at: earlier)])) + [10]
        for (id, status) in written {
            bytes += InterfaceLine(id: id, status: status).wireLine() + [10]
        }
        try FileIO.replaceAtomically(spool.stateDirectory + "/interfaces.ndjson", with: bytes, mode: 0o600)

        let health = AnalyzerState(spool).health()
        #expect(health.total == written.count)
        let expected = written.filter { $0.1.health == .failing }.sorted { $0.1.since < $1.1.since }.map { id, s in
            InterfaceHealthLine(id: id, health: .failing, outcome: s.outcome, since: s.since)
        }
        #expect(health.failing == expected)
        let none = AnalyzerState(Spool(root: dir.url("no-spool"))).health()
        #expect(none.total == 0 && none.failing.isEmpty, "no state file yet: no interface")
    }
}
