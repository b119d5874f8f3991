// Silences and maintenance windows through the real programs: a silenced interface is probed and reported,
// marked, and alerts nobody; when the silence ends while it still fails, the next run alerts it. A maintenance
// window from the config has the same effect while open.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Silences and maintenance", .ownThread)
struct SilenceTests {
    @Test("silence add: probed and reported, no alert; silence rm while still failing: the next run alerts it")
    func silence() throws {
        let f = try OrchestratorFixture()
        f.server.route("/broken", reply: .text(500, "down"))
        try f.interface("orders", "url: /broken")
        try f.healthyInterfaces(1)
        let typo = try f.run(["silence", "add", "svc/ordres", "--for", "2h", "--reason", "known"])
        #expect(typo.exitCode == 2 && typo.stderr.contains("matches no interface"), "\(typo.stderr)")
        let add = try f.run(["silence", "add", "svc/orders", "--for", "2h", "--reason", "DB migration", "--by", "li.wei"])
        #expect(add.exitCode == 0, "\(add.stderr)")
        let id = try #require(add.stdout.split(separator: ":").first.map(String.init))

        let silenced = try f.run(["once"])
        #expect(silenced.exitCode == 1, "still a failure in the report")
        #expect(f.server.hits("/broken") >= 1, "still probed")
        #expect(
            silenced.stdout.contains("- Quiet: silenced until ") && silenced.stdout.contains("DB migration (li.wei) — no alert, no reminder"),
            "\(silenced.stdout)")
        #expect(f.outboxFiles().isEmpty, "no alert while silenced")
        let listed = try f.run(["silence", "ls"])
        #expect(listed.stdout.contains("\(id)  active  svc/orders"), "\(listed.stdout)")

        #expect(try f.run(["silence", "rm", id]).exitCode == 0)
        _ = try f.run(["once"])
        let alerts = f.outboxFiles()
        #expect(alerts.count == 1, "the silence ended on a failing interface: one alert")
        let text = try f.sentText()
        #expect(text.contains("new_failure") && text.contains("svc/orders"), "\(text.prefix(300))")
    }

    @Test("an open maintenance window keeps its interfaces quiet; check lists the window")
    func maintenance() throws {
        let f = try OrchestratorFixture()
        f.server.route("/broken", reply: .text(500, "down"))
        try f.interface("orders", "url: /broken")
        let config = try String(contentsOfFile: f.config, encoding: .utf8)
        try f.dir.write(
            "config.yaml",
            config + "\nmaintenance:\n  - services: [svc]\n    schedule: \"* * * * *\"\n    duration: 2h\n"
                + "    reason: always on, for the test\n")
        let once = try f.run(["once"])
        #expect(once.stdout.contains("- Quiet: maintenance until ") && once.stdout.contains("always on, for the test"), "\(once.stdout)")
        #expect(f.outboxFiles().isEmpty, "no alert during maintenance")
        let check = try f.run(["check"])
        #expect(check.stdout.contains("maintenance: svc for 2h at cron \"* * * * *\", next "), "\(check.stdout)")
    }
}
