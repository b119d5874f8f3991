// Quarantine keeps bad lines with their numbers and reasons, and whole files with a .reason note.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Quarantine", .ownThread)
struct QuarantineTests {
    @Test("bad lines are written with source, line number and reason, and counted")
    func lines() throws {
        let dir = TemporaryDirectory("quarantine")
        let spool = try dir.spool()
        try spool.quarantine.lines(
            [BadLine(lineNumber: 7, reason: "not a JSON record", text: "garbage")],
            source: "results/cur/x.ndjson", name: "x.ndjson")
        let text = try dir.read("spool/quarantine/x.ndjson.lines.ndjson")
        let record = try RecordDecoder().decode(QuarantinedLine.self, from: Array(text.utf8.dropLast()))
        #expect(record.line == 7)
        #expect(record.source == "results/cur/x.ndjson")
        #expect(record.reason == "not a JSON record")
        #expect(record.text == "garbage")
        #expect(spool.quarantine.counts() == (files: 0, lines: 1))
    }

    @Test("a whole file moves to quarantine with a .reason note")
    func wholeFile() throws {
        let dir = TemporaryDirectory("quarantine2")
        let spool = try dir.spool()
        let path = try dir.write("spool/results/cur/y.ndjson~h.1", "{\"v\":1,\"kind\":\"result\"}\n")
        try spool.quarantine.file(at: path, name: "y.ndjson", reason: "no trailer")
        #expect(FileIO.status(path) == nil)
        #expect(try dir.read("spool/quarantine/y.ndjson").contains("result"))
        #expect(try dir.read("spool/quarantine/y.ndjson.reason").contains("reason: no trailer"))
        #expect(spool.quarantine.counts().files == 1)
    }
}
