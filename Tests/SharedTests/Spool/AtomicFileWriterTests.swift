// A file written as a stream: readers see the old file until commit, nothing is left behind when the writer is
// dropped, and a scratch section copies back byte for byte whatever its size.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Streamed files", .ownThread)
struct AtomicFileWriterTests {
    @Test("the old file stays until commit; a dropped writer leaves no temporary file; a spill copies back exactly")
    func streamed() throws {
        let dir = TemporaryDirectory("atomic-writer")
        let path = try dir.write("state.ndjson", "old\n")
        do {
            let writer = try AtomicFileWriter(path: path)
            try writer.line(Array("new".utf8))
            #expect(try dir.read("state.ndjson") == "old\n", "not replaced before commit")
        }
        #expect(try dir.read("state.ndjson") == "old\n")
        #expect(FileIO.hidden(dir.path).isEmpty, "the dropped writer's temporary file is gone")

        // 600 KB through a 256 KB buffer and a 64 KB spill buffer, then committed.
        var random = SeededRandom(seed: 22)
        let lines = (0..<6_000).map { i in "line \(i) " + String(repeating: "x", count: Int.random(in: 0...180, using: &random)) }
        let spill = try SpillFile(directory: dir.path)
        for line in lines { try spill.line(Array(line.utf8)) }
        let writer = try AtomicFileWriter(path: path)
        try writer.line(Array("header".utf8))
        try spill.copy(into: writer)
        try writer.commit()
        #expect(try dir.read("state.ndjson") == (["header"] + lines).joined(separator: "\n") + "\n")
        #expect(FileIO.hidden(dir.path).isEmpty, "no temporary or scratch file left")
    }
}
