// Reading a batch in id order (the analyzer merges a run's batches by id; probers write results as they
// complete): the same results, bad lines and refusals as reading it in file order. And the JSON writer's fast
// paths (whole-text copy, digits without a String) against Foundation's reading.

import Foundation
import TestSupport
import Testing

@testable import Shared

@Suite("Batches in id order, JSON writer", .ownThread)
struct SortedBatchTests {
    static func id(_ bytes: ArraySlice<UInt8>) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        return object["id"] as? String
    }

    static func readSorted(_ path: String) throws -> ([String], BatchReadSummary) {
        let reader = try BatchReader(sortingByID: path, id: id)
        var ids: [String] = []
        while let (result, _) = try reader.next() { ids.append(result.id) }
        return (ids, reader.summary!)
    }

    @Test("a shuffled batch with bad lines reads in id order: the same results, the same bad lines by number, the same count check")
    func shuffled() throws {
        let dir = TemporaryDirectory("sorted-batch")
        var random = SeededRandom(seed: 20)
        let results = (0..<500).map { sampleResult($0) }.shuffled(using: &random)
        // The trailer counts every line before it, the two bad ones included.
        var lines = try batchText(results, count: 502).split(separator: "\n").map(String.init)
        lines.insert("{\"v\":1,\"kind\":\"result\",\"id\":", at: 7)
        lines.insert("not json at all", at: 300)
        let path = try dir.write("b.ndjson", lines.joined(separator: "\n") + "\n")

        var inFileOrder: [String] = []
        let plain = try BatchFile.read(path) { result, _ in inFileOrder.append(result.id) }
        let (sorted, summary) = try Self.readSorted(path)
        #expect(sorted == inFileOrder.sorted() && sorted.count == 500)
        #expect(summary.badLines.map(\.lineNumber) == plain.badLines.map(\.lineNumber) && plain.badLines.map(\.lineNumber) == [8, 301])
        #expect(summary.end == plain.end)

        // A wrong count, and a result after the trailer, are refused as in file order.
        let short = try dir.write("short.ndjson", try batchText(Array(results.prefix(20)), count: 21))
        #expect(throws: SpoolError.self) { _ = try Self.readSorted(short) }
        var after = try batchText(Array(results.prefix(5))).split(separator: "\n").map(String.init)
        after.append(try RecordCoding.encodeString(sampleResult(999)))
        let trailing = try dir.write("after.ndjson", after.joined(separator: "\n") + "\n")
        #expect(throws: SpoolError.self) { _ = try BatchFile.read(trailing) { _, _ in } }
        #expect(throws: SpoolError.self) { _ = try Self.readSorted(trailing) }
    }

    @Test("ids sort as Swift's Strings do, whatever their text: ASCII by bytes, the rest (escapes, CJK, composed and decomposed accents) as Strings")
    func textOrder() throws {
        let dir = TemporaryDirectory("sorted-batch-text")
        var random = SeededRandom(seed: 22)
        let odd = [
            "svc/\u{E9}t\u{E9}", "svc/e\u{301}te\u{301}", "svc/ete", "svc/f", "svc/Z", "svc/z", "svc/中文", "svc/中", "svc/a\"quote", "svc/back\\slash",
            "svc/", "svc/\u{1F600}", "svc/item-10", "svc/item-1", "Svc/upper", "svc/tab\tin",
        ]
        var results = (0..<300).map { sampleResult($0) }
        for (i, id) in odd.enumerated() {
            var r = sampleResult(1000 + i)
            r.id = id
            results.append(r)
        }
        results.shuffle(using: &random)
        let path = try dir.write("b.ndjson", try batchText(results))
        let fast = try BatchReader(sortingByID: path)
        var ids: [String] = []
        while let (result, _) = try fast.next() { ids.append(result.id) }
        // A tab and an empty step are no interface id (RecordName): those two lines are refused, the rest sorted.
        let expected = results.map(\.id).filter { RecordName.problem($0, as: .interface) == nil }.sorted()
        #expect(ids == expected && ids.count == 314)
        #expect(fast.summary?.badLines.count == 2)
        // Each neighbour pair in String order (canonically equal ids side by side), as the join needs.
        #expect(zip(ids, ids.dropFirst()).allSatisfy { !($1 < $0) })
        let (reference, _) = try Self.readSorted(path)
        #expect(reference == ids)
    }

    @Test("an alert's transitions written directly give the bytes Foundation's encoder gives, whatever their texts")
    func alertBytes() throws {
        var random = SeededRandom(seed: 23)
        let odd = [
            "plain", "quote \" and \\ backslash", "slash /a/b", "tab\tnew\nline\rret", "\u{0}\u{1}\u{8}\u{c}\u{1f}\u{7f}", "护士排班",
            "emoji 😀", "\u{2028}\u{2029}", "",
        ]
        func pick() -> String { odd[Int.random(in: 0..<odd.count, using: &random)] }
        let at = Date(timeIntervalSince1970: 1_795_359_600.123)
        var transitions: [Transition] = []
        for i in 0..<200 {
            var t = Transition(
                id: "svc/\(pick())-\(i)", service: pick(), name: pick(), method: "GET", url: "https://x.example/\(pick())",
                change: [StateChange.newFailure, .recovered, .stillFailing][i % 3], outcome: Outcome.allCases[i % Outcome.allCases.count],
                previousOutcome: i % 4 == 0 ? nil : .timeout, status: i % 5 == 0 ? nil : 500 + i, error: i % 2 == 0 ? nil : pick(),
                since: at.addingTimeInterval(Double(i)))
            if i % 3 == 1 { t.downSince = at.addingTimeInterval(-Double(i) * 61.5) }
            transitions.append(t)
        }
        let stats = RunStats(
            interfaces: 200, ok: 0, failed: 200, skipped: 0, successRate: 57.1, p50Ms: 12.5, p95Ms: nil, p99Ms: 300, startedAt: at,
            finishedAt: at, trigger: "schedule", missingShards: ["3/4: killed"], quarantinedLines: 0)
        for list in [transitions, [], Array(transitions.prefix(1))] {
            let alert = Alert(
                run: "20261122T150000Z-tick", createdAt: at, severity: .critical, reason: .change, transitions: list, stats: stats,
                reportPath: "/spool/reports/r.md", report: "# report \"transitions\":[] \n" + pick())
            let direct = try RecordCoding.encode(alert)
            let foundation = try RecordCoding.encodeWithFoundation(alert)
            let first = zip(direct, foundation).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(direct.count, foundation.count)
            func around(_ bytes: [UInt8]) -> String { String(decoding: bytes[max(0, first - 40)..<min(bytes.count, first + 40)], as: UTF8.self) }
            #expect(direct == foundation, "first difference at \(first): \(around(direct)) | \(around(foundation))")
            #expect(try RecordDecoder().decode(Alert.self, from: direct) == alert)
        }
    }

    @Test("an alert lists at most 100 transitions a service and change and 2 000 in all, and counts the rest by what routes match on")
    func cappedTransitions() throws {
        let at = Date(timeIntervalSince1970: 1_795_359_600)
        func t(_ service: String, _ i: Int, _ change: StateChange, _ outcome: Outcome) -> Transition {
            Transition(
                id: "\(service)/\(i)", service: service, name: "n", method: "GET", url: "u", change: change, outcome: outcome,
                previousOutcome: change == .recovered ? .timeout : nil, status: nil, error: nil, since: at)
        }
        var all: [Transition] = []
        for i in 0..<150 { all.append(t("a", i, .newFailure, i % 2 == 0 ? .timeout : .http500)) }
        for i in 0..<40 { all.append(t("a", 1000 + i, .recovered, .ok)) }
        for s in 0..<30 { for i in 0..<80 { all.append(t("s\(s)", i, .newFailure, .dns)) } }
        let (kept, omitted) = Alert.capped(all)
        let groups = try #require(omitted)
        #expect(kept.count == 2000 && kept.count + groups.reduce(0) { $0 + $1.count } == all.count)
        #expect(kept.filter { $0.service == "a" && $0.change == .newFailure }.count == 100)
        #expect(kept.filter { $0.service == "a" && $0.change == .recovered }.count == 40, "another change of the same service has its own 100")
        #expect(groups.contains(OmittedTransitions(service: "a", change: .newFailure, outcome: .http500, previousOutcome: nil, count: 25)))
        let positions = kept.map { k in all.firstIndex { $0.id == k.id }! }
        #expect(positions == positions.sorted() && positions.last! < all.count, "in their order")
        #expect(Alert.capped(Array(all.prefix(100))).omitted == nil)
        var alert = Alert(
            run: "20261122T150000Z-tick", createdAt: at, severity: .critical, reason: .change, transitions: kept,
            stats: RunStats(
                interfaces: 1, ok: 0, failed: 1, skipped: 0, successRate: 0, p50Ms: nil, p95Ms: nil, p99Ms: nil, startedAt: at,
                finishedAt: at, trigger: "schedule", missingShards: [], quarantinedLines: 0), reportPath: "p", report: "")
        alert.omitted = groups
        #expect(try RecordCoding.encode(alert) == RecordCoding.encodeWithFoundation(alert))
        #expect(try RecordDecoder().decode(Alert.self, from: RecordCoding.encode(alert)) == alert)
        #expect(alert.count(of: .newFailure) == 150 + 2400 && alert.headline.hasPrefix("2550 new failures ("))
    }

    @Test("integers and texts written by JSONWriter read back the same with Foundation")
    func writer() throws {
        var random = SeededRandom(seed: 21)
        let edges = [0, 9, 10, 99, 100, -1, -10, Int.max, Int.min, 1_795_359_600]
        for value in edges + (0..<200).map({ _ in Int.random(in: Int.min...Int.max, using: &random) }) {
            var out: [UInt8] = []
            JSONWriter.integer(value, into: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(value))
        }
        let alphabet = Array("ab\"\\\n\r\t\u{01}\u{1f} é护士/🙂")
        for length in 0..<60 {
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &random)! })
            var out: [UInt8] = []
            JSONWriter.quote(text, into: &out)
            let back = try JSONSerialization.jsonObject(with: Data(out), options: .fragmentsAllowed) as? String
            #expect(back == text, "\(text.debugDescription)")
        }
    }
}
