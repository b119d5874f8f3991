// Interface identity through the real programs: ids come from `id:`, a one-interface file's path, or a list
// item's name — never its position — so inserting an entry at the top of a list file changes no state and pages
// nobody; duplicate names and ids are refused by `check` with both places.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Interface identity", .ownThread)
struct IdentityTests {
    @Test("inserting an entry at the top of a list file changes no alert and no state")
    func insertAtTop() throws {
        let f = try OrchestratorFixture()
        f.server.route("/broken", reply: .text(500, "down"))
        let entries = """
              - name: Orders list
                url: /broken
              - name: Health
                url: /ok
              - id: stock
                name: Stock level
                url: /ok?s=1
            """
        try f.dir.write("pool/svc/list.yaml", "interfaces:\n" + entries + "\n")
        let first = try f.run(["once"])
        #expect(first.exitCode == 1)
        #expect(first.stdout.contains("svc/list#orders-list"), "\(first.stdout)")
        let stateFile = f.spool.stateDirectory + "/interfaces.ndjson"
        let stateBefore = try State.entries(stateFile)
        let alertsBefore = f.outboxFiles()

        try f.dir.write("pool/svc/list.yaml", "interfaces:\n  - name: New endpoint\n    url: /ok?new=1\n" + entries + "\n")
        let second = try f.run(["once"])
        #expect(second.exitCode == 1, "Orders list still fails")
        #expect(second.stderr.contains("interfaces new (1): svc/list#new-endpoint"), "the analyzer says which id is new: \(second.stderr)")
        #expect(f.outboxFiles() == alertsBefore, "no alert: nothing changed for any interface")
        let stateAfter = try State.entries(stateFile)
        for (id, entry) in stateBefore { #expect(stateAfter[id]?.health == entry.health && stateAfter[id]?.since == entry.since, "\(id)") }
        #expect(stateAfter["svc/list#new-endpoint"] != nil && stateAfter["svc/stock"] != nil)

        let check = try f.run(["check"])
        #expect(check.stdout.contains("ids: svc/list#new-endpoint, svc/list#orders-list, svc/list#health, svc/stock"), "\(check.stdout)")
    }

    @Test("two entries of one file with the same name, or two equal ids in a service, are refused with both places")
    func duplicates() throws {
        let f = try OrchestratorFixture()
        try f.dir.write("pool/svc/list.yaml", "interfaces:\n  - name: Same\n    url: /a\n  - name: same\n    url: /b\n")
        try f.dir.write("pool/svc/one.yaml", "id: shared\nname: One\nurl: /one\n")
        try f.dir.write("pool/svc/two.yaml", "id: shared\nname: Two\nurl: /two\n")
        let check = try f.run(["check"])
        #expect(check.exitCode == 2)
        #expect(
            check.stdout.contains("pool/svc/list.yaml:4: interfaces[1].name: another interface of this file (line 2) has the same name"),
            "\(check.stdout)")
        #expect(check.stdout.contains("pool/svc/two.yaml:1: interface id svc/shared is also defined in pool/svc/one.yaml:1"), "\(check.stdout)")
    }
}

/// The analyzer's interface state, read as the records it keeps.
private enum State {
    struct Entry {
        let health: String
        let since: String
    }

    static func entries(_ path: String) throws -> [String: Entry] {
        var out: [String: Entry] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let id = object["id"] as? String
            else { continue }
            out[id] = Entry(health: "\(object["health"] ?? "")", since: "\(object["since"] ?? "")")
        }
        return out
    }
}

extension OrchestratorFixture {
    /// Every alert file in the outbox's stages.
    func outboxFiles() -> [String] {
        [spool.outbox.newDirectory, spool.outbox.curDirectory, spool.deferredDirectory, spool.sentDirectory, spool.failedDirectory]
            .flatMap { FileIO.listIfPresent($0) }.filter { !$0.hasPrefix(".") }.sorted()
    }

    /// The text of every alert delivered (or printed) so far, in name order.
    func sentText() throws -> String {
        try FileIO.listIfPresent(spool.sentDirectory).sorted().map { try String(contentsOfFile: spool.sentDirectory + "/" + $0, encoding: .utf8) }
            .joined()
    }
}
