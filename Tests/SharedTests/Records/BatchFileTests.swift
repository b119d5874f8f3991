// Reading batches: corrupt lines are quarantined with their numbers while the rest is read; a file without
// its trailer, with a wrong count, or from a newer version is refused as a whole.

import Foundation
import Shared
import TestSupport
import Testing

func sampleResult(_ i: Int, run: String = "20261122T150000Z-tick", outcome: Outcome = .ok) -> ProbeResult {
    ProbeResult(
        run: run, shard: .whole, id: "svc/item-\(i)", service: "svc", name: "Item \(i)", method: "GET",
        url: "http://127.0.0.1/item/\(i)", outcome: outcome, status: outcome == .ok ? 200 : 500,
        latencyMs: Double(i), attempts: 1, startedAt: Date(timeIntervalSince1970: 1_700_000_000))
}

func batchText(_ results: [ProbeResult], count: Int? = nil, run: String = "20261122T150000Z-tick") throws -> String {
    var text = ""
    for result in results { text += try RecordCoding.encodeString(result) + "\n" }
    let trailer = BatchTrailer(
        run: run, shard: .whole, count: count ?? results.count, prober: "h:1",
        startedAt: Date(timeIntervalSince1970: 1_700_000_000),
        finishedAt: Date(timeIntervalSince1970: 1_700_000_010))
    return text + (try RecordCoding.encodeString(trailer)) + "\n"
}

@Suite("Batch files", .ownThread)
struct BatchFileTests {
    @Test("a corrupt line is reported with its line number and the other lines are read")
    func corruptLine() throws {
        let dir = TemporaryDirectory("batch")
        var lines = try batchText((0..<5).map { sampleResult($0) }).split(separator: "\n").map(String.init)
        lines[2] = "{\"v\":1,\"kind\":\"result\",\"run\":"  // cut in half
        let path = try dir.write("b.ndjson", lines.joined(separator: "\n") + "\n")
        var ids: [String] = []
        let summary = try BatchFile.read(path) { result, _ in ids.append(result.id) }
        #expect(ids == ["svc/item-0", "svc/item-1", "svc/item-3", "svc/item-4"])
        #expect(summary.badLines.map(\.lineNumber) == [3])
        #expect(summary.badLines[0].reason.contains("not a JSON record"))
        #expect(summary.results == 4)
    }

    @Test("the bad-line bound counts bad lines only: a valid 30 000-line batch (far past 4 MiB) with a few bad lines is read whole")
    func boundCountsBadLinesOnly() throws {
        let dir = TemporaryDirectory("batch-big")
        var lines = try batchText((0..<30_000).map { sampleResult($0) }).split(separator: "\n").map(String.init)
        for i in [10, 20_000] { lines[i] = "garbage" }
        let path = try dir.write("big.ndjson", lines.joined(separator: "\n") + "\n")
        #expect((FileIO.status(path)?.st_size ?? 0) > 4 << 20)
        var count = 0
        let summary = try BatchFile.read(path) { _, _ in count += 1 }
        #expect(count == 29_998 && summary.badLines.map(\.lineNumber) == [11, 20_001])
        // And past the bound (1 000 bad lines) the file is refused whole.
        let junk = try dir.write("junk.ndjson", String(repeating: "not a record\n", count: 1_500))
        #expect(throws: SpoolError.self) { try BatchFile.read(junk) { _, _ in } }
    }

    @Test("a line with a wrong field type is quarantined with the field named")
    func wrongField() throws {
        let dir = TemporaryDirectory("batch2")
        var lines = try batchText((0..<3).map { sampleResult($0) }).split(separator: "\n").map(String.init)
        lines[1] = lines[1].replacingOccurrences(of: "\"outcome\":\"ok\"", with: "\"outcome\":\"exploded\"")
        let path = try dir.write("b.ndjson", lines.joined(separator: "\n") + "\n")
        let summary = try BatchFile.read(path) { _, _ in }
        #expect(summary.badLines.count == 1)
        #expect(summary.badLines[0].lineNumber == 2)
        #expect(summary.badLines[0].reason.contains("outcome"), "\(summary.badLines[0].reason)")
    }

    @Test("a record with a newer version is refused with a clear reason")
    func newerVersion() throws {
        let dir = TemporaryDirectory("batch3")
        var lines = try batchText((0..<2).map { sampleResult($0) }).split(separator: "\n").map(String.init)
        lines[0] = lines[0].replacingOccurrences(of: "{\"v\":1,", with: "{\"v\":2,")
        let path = try dir.write("b.ndjson", lines.joined(separator: "\n") + "\n")
        let summary = try BatchFile.read(path) { _, _ in }
        #expect(summary.badLines.first?.reason.contains("record version 2 is newer") == true)
    }

    @Test("unknown fields are ignored")
    func unknownFields() throws {
        let dir = TemporaryDirectory("batch4")
        var lines = try batchText([sampleResult(1)]).split(separator: "\n").map(String.init)
        lines[0] = lines[0].replacingOccurrences(of: "{\"v\":1,", with: "{\"v\":1,\"future_field\":{\"a\":[1,2]},")
        let path = try dir.write("b.ndjson", lines.joined(separator: "\n") + "\n")
        var read = 0
        let summary = try BatchFile.read(path) { _, _ in read += 1 }
        #expect(read == 1 && summary.badLines.isEmpty)
    }

    @Test("a batch without its trailer is refused whole", arguments: ["missing", "count", "notlast"])
    func incomplete(_ defect: String) throws {
        let dir = TemporaryDirectory("batch5")
        var text = try batchText((0..<3).map { sampleResult($0) }, count: defect == "count" ? 4 : nil)
        if defect == "missing" { text = text.split(separator: "\n").dropLast().joined(separator: "\n") + "\n" }
        if defect == "notlast" { text += try RecordCoding.encodeString(sampleResult(9)) + "\n" }
        let path = try dir.write("b.ndjson", text)
        #expect(throws: SpoolError.self) { _ = try BatchFile.read(path) { _, _ in } }
    }

    @Test("a shard_failed stub is a batch of its own")
    func shardFailed() throws {
        let dir = TemporaryDirectory("batch6")
        let stub = ShardFailed(
            run: "20261122T150000Z-tick", shard: Shard(index: 3, count: 4), reason: "killed after 3600s",
            at: Date(timeIntervalSince1970: 1_700_000_000))
        let path = try dir.write("s.ndjson", try RecordCoding.encodeString(stub) + "\n")
        let summary = try BatchFile.read(path) { _, _ in }
        #expect(summary.end == .shardFailed(stub))
    }
}

@Suite("Line reader", .ownThread)
struct LineReaderTests {
    @Test("a large file streams through a bounded buffer, every line numbered")
    func streaming() throws {
        let dir = TemporaryDirectory("lines")
        let path = dir.url("big.ndjson")
        let fd = open(path, O_WRONLY | O_CREAT, 0o600)
        let line = Array(("{\"v\":1,\"kind\":\"result\",\"padding\":\"" + String(repeating: "x", count: 180) + "\"}\n").utf8)
        var block: [UInt8] = []
        for _ in 0..<1000 { block += line }
        for _ in 0..<100 { _ = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
        close(fd)
        let reader = try LineReader(path: path)
        var count = 0
        var maxBuffer = 0
        while let l = try reader.next() {
            count += 1
            #expect(l.number == count)
            maxBuffer = max(maxBuffer, reader.bufferCapacity)
        }
        #expect(count == 100_000)
        #expect(maxBuffer <= 128 * 1024, "the buffer stays small for a 20 MB file: \(maxBuffer)")
    }

    @Test("an over-long line is cut, flagged, and the next line is still read")
    func longLine() throws {
        let dir = TemporaryDirectory("lines2")
        let path = try dir.write("long.ndjson", String(repeating: "y", count: 300_000) + "\nnext\nlast-without-newline")
        let reader = try LineReader(path: path, maxLineLength: 100_000)
        let first = try #require(try reader.next())
        #expect(first.truncated && first.number == 1)
        let second = try #require(try reader.next())
        #expect(second.text == "next" && !second.truncated && second.number == 2)
        #expect(try reader.next()?.text == "last-without-newline")
        #expect(try reader.next() == nil)
    }
}

@Suite("Records", .ownThread)
struct RecordTests {
    @Test("timestamps round-trip with milliseconds in UTC")
    func timestamps() throws {
        let date = Date(timeIntervalSince1970: 1_795_359_601.204)
        #expect(Timestamp.format(date) == "2026-11-22T15:00:01.204Z")
        #expect(abs(try #require(Timestamp.parse("2026-11-22T15:00:01.204Z")).timeIntervalSince(date)) < 0.001)
        #expect(Timestamp.parse("2026-11-22T23:00:01+08:00") == Timestamp.parse("2026-11-22T15:00:01Z"))
        #expect(Timestamp.compact(date) == "20261122T150001Z")
        #expect(Timestamp.parse("20261122T150001Z") == Date(timeIntervalSince1970: 1_795_359_601))
        #expect(Timestamp.parse("2026-13-01T00:00:00Z") == nil)
        #expect(Timestamp.parse("yesterday") == nil)
    }

    @Test("a result encodes with v and kind first and the snake_case keys of DESIGN.md")
    func resultShape() throws {
        let text = try RecordCoding.encodeString(sampleResult(1, outcome: .http500))
        #expect(text.hasPrefix("{\"v\":1,\"kind\":\"result\","))
        for key in ["\"run\":", "\"shard\":\"1/1\"", "\"latency_ms\":", "\"started_at\":\"2023-11-14T22:13:20.000Z\"", "\"outcome\":\"http_500\""] {
            #expect(text.contains(key), "\(key) in \(text)")
        }
    }

    @Test("shards split ids stably and evenly")
    func shards() {
        #expect(Shard.index(of: "user/profile/get-info", count: 4) == Shard.index(of: "user/profile/get-info", count: 4))
        #expect(Shard(parsing: "2/4") == Shard(index: 2, count: 4))
        #expect(Shard(parsing: "5/4") == nil && Shard(parsing: "0/4") == nil && Shard(parsing: "x") == nil)
        #expect(Shard(parsing: "12/16") == Shard(index: 12, count: 16) && Shard(parsing: "3of16") == Shard(index: 3, count: 16))
        #expect(Shard(parsing: "1/4/") == nil && Shard(parsing: "/4") == nil && Shard(parsing: "1/") == nil && Shard(parsing: "1 /4") == nil)
        #expect(Shard(parsing: "0000000001/0000000004") == Shard(index: 1, count: 4), "past nine digits, the long way reads the same")
        var counts = [Int](repeating: 0, count: 4)
        for i in 0..<4000 { counts[Shard.index(of: "svc/interface-\(i)", count: 4) - 1] += 1 }
        #expect(counts.allSatisfy { $0 > 800 && $0 < 1200 }, "\(counts)")
        // The hash is FNV-1a: fixed across processes and machines.
        #expect(Shard.index(of: "a", count: 1000) == Int(0xaf63_dc4c_8601_ec8c as UInt64 % 1000) + 1)
    }

    @Test("run ids sort by time and are recognized in derived names")
    func runIDs() {
        let tick = RunID.scheduled(tick: Date(timeIntervalSince1970: 1_795_359_600))
        #expect(tick == "20261122T150000Z-tick")
        #expect(RunID.isValid(tick) && RunID.isValid(RunID.manual()))
        #expect(RunFileName.run(of: RunFileName.alert(run: tick)) == tick)
        #expect(RunFileName.run(of: "1700000000.123.host.prober-1.1.ndjson") == nil)
    }
}

@Suite("Result records", .ownThread)
struct ResultRecordTests {
    @Test("the fast scanner reads every field the encoder writes, transport facts included, as JSONDecoder does")
    func scannerAgreesWithDecoder() throws {
        var result = sampleResult(7, outcome: .http500)
        result.timings = PhaseTimings(dns: 0.25, connect: 1.5, tls: 12.75, firstByte: 48.125, total: 50.5)
        result.remoteIP = "::1"
        result.httpVersion = "2"
        result.finalURL = "https://b.example/landing"
        result.redirects = 2
        result.bodyBytes = 104_857_600
        let expiry = try #require(Timestamp.parse("2027-01-15T12:00:00Z"))
        result.tls = TLSFacts(subject: "CN = b.example", issuer: "CN = Test CA", notAfter: expiry, daysLeft: 53, earliestNotAfter: expiry)
        result.tls?.version = "TLSv1.3"
        result.request = HTTPExcerpt(headers: ["Accept": "a\"b\\c\n\u{1}é", "X-B": "2"], body: "{\"x\":1}\t", truncatedFrom: nil)
        result.response = HTTPExcerpt(headers: [:], body: nil, truncatedFrom: 4096)
        result.latencyMs = 1e-05
        result.skippedSince = expiry
        let line = try RecordCoding.encode(result)
        #expect(ProbeResult.scan(line) == result)
        #expect(try RecordCoding.makeDecoder().decode(ProbeResult.self, from: Data(line)) == result)
        // The hand-written line has JSONEncoder's members in JSONEncoder's order.
        let encoder = RecordCoding.makeEncoder()
        encoder.outputFormatting.insert(.sortedKeys)
        let reference = try JSONSerialization.jsonObject(with: encoder.encode(result)) as? NSDictionary
        #expect(try JSONSerialization.jsonObject(with: Data(line)) as? NSDictionary == reference)
        #expect(String(decoding: line, as: UTF8.self).hasPrefix(#"{"v":1,"kind":"result","attempts":"#))
    }

    @Test("differential: on seeded random damage to a record, whatever the fast scanner accepts, JSONDecoder reads the same")
    func scannerNeverAcceptsWhatTheDecoderRefuses() throws {
        var base = sampleResult(3, outcome: .timeout)
        base.timings = PhaseTimings(dns: 0.25, connect: 1.5, tls: 12.75, firstByte: 48.125, total: 50.5)
        base.request = HTTPExcerpt(headers: ["Accept": "a\"b"], body: "{\"x\":true}", truncatedFrom: nil)
        let line = try RecordCoding.encode(base)
        let decoder = RecordCoding.makeDecoder()
        var random = SeededRandom(seed: 20_261_123)
        // Unknown members the scanner must skip exactly as JSON allows (or refuse): the seed's "faXXe" among them.
        let members = [
            #""x":faXXe,"#, #""x":trux,"#, #""x":nul,"#, #""x":[1,,2],"#, #""x":{"a":},"#, #""x":-,"#, #""x":01,"#,
            #""x":1.,"#, #""x":"\q","#, #""x":true,"#, #""x":[null,{"b":[false]}],"#, #""x":-1.5e3,"#,
        ]
        let alphabet = Array(#"{}[]:,"\ 0123456789-+.eEtfnrualsx"#.utf8)
        var accepted = 0
        for round in 0..<4000 {
            var bytes = line
            switch random.next() % 4 {
            case 0:
                bytes.insert(contentsOf: Array(members[Int(random.next() % UInt64(members.count))].utf8), at: 1)
            case 1:
                bytes[Int(random.next() % UInt64(bytes.count))] = alphabet[Int(random.next() % UInt64(alphabet.count))]
            case 2:
                bytes.remove(at: Int(random.next() % UInt64(bytes.count)))
            default:
                bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: Int(random.next() % UInt64(bytes.count)))
            }
            guard let scanned = ProbeResult.scan(bytes[...]) else { continue }
            accepted += 1
            let decoded = try? decoder.decode(ProbeResult.self, from: Data(bytes))
            #expect(decoded == scanned, "round \(round): the scanner read \(String(decoding: bytes, as: UTF8.self))")
        }
        #expect(accepted > 100, "the mutations leave some records readable: \(accepted)")
    }
}
