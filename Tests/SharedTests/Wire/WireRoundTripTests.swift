// WireRoundTripTests: every record with a hand-written codec (WireCodable), on seeded random values (the seed is
// in every failure; WIRE_SEED=<n> replays one): the scanner and Foundation's JSONDecoder read what the writer
// wrote as the value written (TestSupport's wireProblems), the fast writers put members where JSONEncoder
// (.sortedKeys, v and kind first) does, and the records written through Foundation read back as written.

import Foundation
import TestSupport
import Testing

@testable import Shared

extension WireValues {
    /// A result with every optional drawn present or absent; `outcome` is given so that every case is covered.
    mutating func result(_ outcome: Outcome) -> ProbeResult {
        var r = ProbeResult(
            run: runID(), shard: shard(), id: interfaceID(), service: step(), name: text(), method: pick(["GET", "POST", text()]),
            url: text(), outcome: outcome, status: maybe { $0.int() }, latencyMs: maybe { $0.double() }, attempts: int(),
            startedAt: date(), error: maybe { $0.text() }, skippedSince: maybe { $0.date() }, request: maybe { $0.excerpt() },
            response: maybe { $0.excerpt() })
        r.circuitOpenSince = maybe { $0.date() }
        r.location = maybe { $0.text() }
        r.timings = maybe {
            PhaseTimings(dns: $0.double(), connect: $0.double(), tls: $0.double(), firstByte: $0.double(), total: $0.double())
        }
        r.remoteIP = maybe { $0.pick(["127.0.0.1", "::1", "fe80::1%eth0", $0.text()]) }
        r.httpVersion = maybe { $0.pick(["1.1", "2", "3", $0.text()]) }
        r.finalURL = maybe { $0.text() }
        r.redirects = maybe { $0.int() }
        r.bodyBytes = maybe { $0.int() }
        r.tls = maybe {
            var facts = TLSFacts(
                subject: $0.text(), issuer: $0.text(), notAfter: $0.maybe { $0.date() }, daysLeft: $0.maybe { $0.int() },
                earliestNotAfter: $0.maybe { $0.date() })
            facts.version = $0.maybe { $0.text() }
            return facts
        }
        r.failureThreshold = maybe { $0.int() }
        r.successThreshold = maybe { $0.int() }
        return r
    }

    mutating func transition(_ outcome: Outcome) -> Transition {
        var t = Transition(
            id: interfaceID(), service: step(), name: text(), method: text(), url: text(), change: pick(StateChange.allCases),
            outcome: outcome, previousOutcome: maybe { $0.pick(Outcome.allCases) }, status: maybe { $0.int() },
            error: maybe { $0.text() }, since: date())
        t.downSince = maybe { $0.date() }
        return t
    }

    mutating func gap() -> MonitoringGap {
        let reasons: [MonitoringGap.Reason] = [.overlap, .startDelay, .notRunning, .suspended, .diskFull, .unrecorded]
        return MonitoringGap(reason: pick(reasons), from: date(), to: date(), runs: int(), detail: maybe { $0.text() })
    }

    mutating func pool() -> PoolSnapshot {
        let hex = Array("0123456789abcdef")
        return PoolSnapshot(
            id: String((0..<16).map { _ in pick(hex) }), createdAt: date(), displayRoot: text(), interfaces: int(), files: int(),
            broken: (0..<below(3)).map { _ in PoolSnapshot.Problem(file: text(), reason: text(), held: maybe { $0.int() }) },
            stale: maybe { $0.text() })
    }

    mutating func manifest() -> RunManifest {
        var m = RunManifest(
            run: runID(), shards: int(), startedAt: date(), deadline: date(), trigger: pick(["schedule", "manual", text()]),
            gaps: maybe { v in (0..<v.below(4)).map { _ in v.gap() } })
        m.pool = maybe { $0.pool() }
        m.locations = maybe { v in (0..<v.below(4)).map { _ in v.text() } }
        return m
    }

    mutating func stats() -> RunStats {
        var s = RunStats(
            interfaces: int(), ok: int(), failed: int(), skipped: int(), successRate: double(), p50Ms: maybe { $0.double() },
            p95Ms: maybe { $0.double() }, p99Ms: maybe { $0.double() }, startedAt: date(), finishedAt: date(), trigger: text(),
            missingShards: (0..<below(3)).map { _ in text() }, quarantinedLines: int())
        s.gaps = maybe { v in (0..<v.below(3)).map { _ in v.text() } }
        s.pool = maybe { v in (0..<v.below(3)).map { _ in v.text() } }
        s.blind = maybe { v in (0..<v.below(3)).map { _ in v.text() } }
        s.degraded = maybe { v in (0..<v.below(3)).map { _ in v.text() } }
        return s
    }

    /// An alert of up to 40 transitions, every outcome among them.
    mutating func alert(_ outcome: Outcome) -> Alert {
        var a = Alert(
            run: runID(), createdAt: date(), severity: pick([.critical, .warning, .resolved]),
            reason: pick([.change, .reminder, .everyRun, .incomplete]), transitions: [], stats: stats(), reportPath: text(),
            report: text())
        a.transitions = (0..<below(40)).map { i in transition(i == 0 ? outcome : pick(Outcome.allCases)) }
        a.omitted = maybe { v in
            (0..<v.below(3)).map { _ in
                OmittedTransitions(
                    service: v.step(), change: v.pick(StateChange.allCases), outcome: v.pick(Outcome.allCases),
                    previousOutcome: v.maybe { $0.pick(Outcome.allCases) }, count: v.int())
            }
        }
        return a
    }
}

/// The key paths of a JSON text in the order they are written (`request.headers.Accept`, `stats.gaps[1]`…).
func memberOrder(_ bytes: [UInt8], prefix: String = "") -> [String] {
    var out: [String] = []
    _ = JSONScanner.scan(bytes) { s in
        let raw = try s.rawValue()
        switch raw.first {
        case UInt8(ascii: "{")?:
            _ = JSONScanner.scan(raw) { s in
                try s.object { key, s in
                    out.append(prefix + key)
                    out += memberOrder(try s.rawValue(), prefix: prefix + key + ".")
                }
            }
        case UInt8(ascii: "[")?:
            var index = 0
            _ = JSONScanner.scan(raw) { s in
                try s.array { s in
                    out += memberOrder(try s.rawValue(), prefix: String(prefix.dropLast()) + "[\(index)].")
                    index += 1
                }
            }
        default: break
        }
    }
    return out
}

extension Array where Element: Comparable {
    var isSorted: Bool { zip(self, dropFirst()).allSatisfy { $0 <= $1 } }
}

/// The labels of `value`'s stored properties that hold something (an optional that is nil does not).
func presentFields(_ value: Any) -> Set<String> {
    Set(
        Mirror(reflecting: value).children.compactMap { child in
            let inner = Mirror(reflecting: child.value)
            return inner.displayStyle == .optional && inner.children.isEmpty ? nil : child.label
        })
}

/// JSONEncoder's line for `value`: keys sorted, then `v` and `kind` moved first (RecordCoding's order).
func foundationLine<T: Encodable>(_ value: T) throws -> [UInt8] { try RecordCoding.encodeWithFoundation(value) }

@Suite("Wire round trip, seeded", .ownThread)
struct WireRoundTripTests {
    /// Fixed seeds, plus three new ones each run (all shown in the test's arguments and in every failure).
    static let seeds: [UInt64] =
        ProcessInfo.processInfo.environment["WIRE_SEED"].flatMap { UInt64($0) }.map { [$0] }
        ?? [1, 42, 20_261_207, 0xDEAD_BEEF] + (0..<3).map { _ in UInt64.random(in: 1 ... .max) }

    static let rounds = 400

    @Test("a result line: the scanner and JSONDecoder read it back as written, every outcome, every optional", arguments: seeds)
    func results(seed: UInt64) throws {
        var values = WireValues(seed: seed)
        let decoder = RecordCoding.makeDecoder()
        for round in 0..<Self.rounds {
            let result = values.result(Outcome.allCases[round % Outcome.allCases.count])
            let line = result.encodedLine()
            let context: Comment = "seed \(seed) round \(round): \(String(decoding: line, as: UTF8.self))"
            #expect(try RecordCoding.encode(result) == line, "RecordCoding.encode takes the hand-written path: \(context)")
            let scanned = ProbeResult.scan(line)
            #expect(scanned == result, "the scanner reads the line as written: \(fieldDifferences(result, scanned)); \(context)")
            #expect(try decoder.decode(ProbeResult.self, from: Data(line)) == result, "JSONDecoder reads it as written: \(context)")
            #expect(try RecordDecoder().decode(ProbeResult.self, from: line) == result, "its names pass RecordName: \(context)")
            // Skipping the excerpts of a success needs `outcome` before `request` and `response`: alphabetical order.
            var lean = result
            if result.outcome == .ok { (lean.request, lean.response) = (nil, nil) }
            #expect(ProbeResult.scan(line, excerptsOfSuccesses: false) == lean, "excerpts of a success skipped: \(context)")
        }
    }

    @Test(
        "the fast writer (ProbeResultWire) lists members as JSONEncoder with .sortedKeys does, v and kind first",
        arguments: seeds)
    func memberOrderIsFoundations(seed: UInt64) throws {
        var values = WireValues(seed: seed)
        for round in 0..<Self.rounds {
            let outcome = Outcome.allCases[round % Outcome.allCases.count]
            let result = values.result(outcome)
            for (what, fast, reference) in [("ProbeResult.encodedLine", result.encodedLine(), try foundationLine(result))] {
                // Header names are data, not keys of the format: readers sort them again (HeaderFields), and String's
                // order (on NFC) differs from JSONEncoder's (on code units) for names not in NFC. Compared as sets.
                let isHeader = { (path: String) in path.hasPrefix("request.headers.") || path.hasPrefix("response.headers.") }
                let (fastAll, referenceAll) = (memberOrder(fast), memberOrder(reference))
                let (fastOrder, referenceOrder) = (fastAll.filter { !isHeader($0) }, referenceAll.filter { !isHeader($0) })
                #expect(
                    fastOrder == referenceOrder,
                    """
                    seed \(seed) round \(round): \(what) writes its members in another order than JSONEncoder(.sortedKeys) with v \
                    and kind first — a hand-written writer must list its keys alphabetically (readers skip by it: \
                    ProbeResult.scan(excerptsOfSuccesses: false) needs outcome before request/response): \
                    first difference at \(zip(fastOrder, referenceOrder).first { $0 != $1 } ?? ("end", "end")); \
                    written \(fastOrder), JSONEncoder \(referenceOrder)
                    """)
                let fastHeaders = fastAll.filter(isHeader)
                #expect(Set(fastHeaders) == Set(referenceAll.filter(isHeader)), "seed \(seed) round \(round): \(what) writes every header")
                #expect(
                    fastHeaders.filter { $0.hasPrefix("request.") }.map { $0.dropFirst(16) }.isSorted
                        && fastHeaders.filter { $0.hasPrefix("response.") }.map { $0.dropFirst(17) }.isSorted,
                    "seed \(seed) round \(round): \(what) writes header names in String order: \(fastHeaders)")
                #expect(fast.starts(with: Array(#"{"v":1,"kind":""#.utf8)), "seed \(seed) round \(round): \(what) starts with v, kind")
            }
        }
    }

    @Test("every WireCodable of Shared — a result and its parts — reads back as written, by its scanner and by JSONDecoder", arguments: seeds)
    func everyWireCodable(seed: UInt64) {
        var values = WireValues(seed: seed)
        for round in 0..<Self.rounds {
            let result = values.result(Outcome.allCases[round % Outcome.allCases.count])
            var problems = wireProblems(result)
            if let timings = result.timings { problems += wireProblems(timings) }
            if let tls = result.tls { problems += wireProblems(tls) }
            if let request = result.request { problems += wireProblems(request) }
            #expect(problems.isEmpty, "seed \(seed) round \(round): \(problems.joined(separator: "\n"))")
        }
    }

    @Test("every type that conforms to WireCodable in Sources/ is drawn by a round trip here or in AnalyzerTests/Decide")
    func everyConformingTypeChecked() {
        // Shared's (this file) and the analyzer's (StateWireRoundTripTests.everyWireCodable).
        let checked: Set = [
            "ProbeResult", "PhaseTimings", "TLSFacts", "HTTPExcerpt", "InterfaceLine", "StatusSnapshot", "InterfaceDay", "InterfaceRecent",
        ]
        let conforming = wireCodableTypesInSources()
        #expect(
            conforming == checked,
            "not checked: \(conforming.subtracting(checked).sorted()) — draw them in a round trip (wireProblems); gone: \(checked.subtracting(conforming).sorted())"
        )
    }

    @Test("an alert: JSONDecoder reads the line as written, and its bytes are JSONEncoder's", arguments: seeds)
    func alerts(seed: UInt64) throws {
        var values = WireValues(seed: seed)
        for round in 0..<(Self.rounds / 4) {
            let alert = values.alert(Outcome.allCases[round % Outcome.allCases.count])
            let line = try RecordCoding.encode(alert)
            let context: Comment = "seed \(seed) round \(round): \(String(decoding: line, as: UTF8.self))"
            #expect(try RecordDecoder().decode(Alert.self, from: line) == alert, "JSONDecoder reads it as written: \(context)")
            let reference = try foundationLine(alert)
            #expect(line == reference, "an alert is JSONEncoder's bytes: \(context)\nJSONEncoder: \(String(decoding: reference, as: UTF8.self))")
        }
    }

    @Test("the records written through Foundation with v and kind moved first read back as written", arguments: seeds)
    func foundationRecords(seed: UInt64) throws {
        var v = WireValues(seed: seed)
        let decoder = RecordDecoder()
        func check<T: Codable & Equatable>(_ value: T, _ round: Int) throws {
            let line = try RecordCoding.encode(value)
            let context: Comment = "seed \(seed) round \(round) \(T.self): \(String(decoding: line, as: UTF8.self))"
            #expect(try decoder.decode(T.self, from: line) == value, "JSONDecoder reads it as written: \(context)")
            #expect(line.starts(with: Array(#"{"v":1,"kind":""#.utf8)), "v and kind come first: \(context)")
            let keys = memberOrder(line).filter { !$0.contains(".") && !$0.contains("[") }
            #expect(Array(keys.dropFirst(2)) == keys.dropFirst(2).sorted(), "the other keys are sorted: \(context)")
        }
        for round in 0..<(Self.rounds / 4) {
            var trailer = BatchTrailer(
                run: v.runID(), shard: v.shard(), count: v.int(), prober: v.text(), startedAt: v.date(), finishedAt: v.date(),
                interrupted: v.maybe { $0.chance(2) }, notProbed: v.maybe { $0.int() })
            trailer.canaries = v.maybe { v in CanaryReport(checked: v.int(), failures: (0..<v.below(3)).map { _ in v.text() }) }
            trailer.location = v.maybe { $0.text() }
            trailer.networkFailures = v.maybe { $0.int() }
            try check(trailer, round)
            var stub = ShardFailed(run: v.runID(), shard: v.shard(), reason: v.text(), at: v.date())
            stub.location = v.maybe { $0.text() }
            try check(stub, round)
            let manifest = v.manifest()
            try check(manifest, round)
            let silence = Silence(id: v.text(), match: v.text(), createdAt: v.date(), until: v.date(), reason: v.text(), by: v.maybe { $0.text() })
            try check(silence, round)
            try check(RunSummary(run: v.runID(), stats: v.stats(), report: v.text(), alert: v.maybe { $0.text() }), round)
        }
    }

    @Test("a number past what the scanner reads (19 digits, Int.min) is declined, never misread, and BatchFile reads it all the same")
    func largeNumbers() throws {
        let dir = TemporaryDirectory("wire-large")
        var values = WireValues(seed: 19)
        let decoder = RecordCoding.makeDecoder()
        var results: [ProbeResult] = []
        for (n, big) in [Int.max, Int.min, 1_000_000_000_000_000_000, -1_000_000_000_000_000_000, 999_999_999_999_999_999].enumerated() {
            var result = values.result(Outcome.allCases[n])
            (result.bodyBytes, result.status, result.redirects) = (big, big, big)
            let line = result.encodedLine()
            let scanned = ProbeResult.scan(line)
            #expect(scanned == nil || scanned == result, "\(big): the scanner declines or reads it right: \(fieldDifferences(result, scanned))")
            #expect(try decoder.decode(ProbeResult.self, from: Data(line)) == result, "\(big): JSONDecoder reads it")
            results.append(result)
        }
        let trailer = BatchTrailer(
            run: results[0].run, shard: .whole, count: results.count, prober: "h:1", startedAt: values.date(), finishedAt: values.date())
        let text = try results.map { String(decoding: $0.encodedLine(), as: UTF8.self) + "\n" }.joined() + RecordCoding.encodeString(trailer) + "\n"
        var read: [ProbeResult] = []
        let summary = try BatchFile.read(try dir.write("big.ndjson", text)) { result, _ in read.append(result) }
        #expect(read == results && summary.badLines.isEmpty, "every line read through the fallback: \(summary.badLines)")
    }

    @Test("a timestamp keeps milliseconds: the text a writer makes is read back to the same date and written again the same", arguments: seeds)
    func timestamps(seed: UInt64) {
        var values = WireValues(seed: seed)
        for round in 0..<Self.rounds {
            let date = values.date()
            let text = Timestamp.format(date)
            #expect(Timestamp.parse(text) == date, "seed \(seed) round \(round): \(text) reads back as \(date.timeIntervalSince1970)")
            #expect(Timestamp.parse(text).map(Timestamp.format) == text, "seed \(seed) round \(round): \(text) is written again the same")
            // A date between milliseconds is kept to the nearest one, never shifted by a second (999.5 ms carries).
            let between = date.addingTimeInterval(Double(values.below(1_000)) / 1_000_000)
            let kept = Timestamp.parse(Timestamp.format(between))
            #expect(
                kept.map { abs($0.timeIntervalSince(between)) <= 0.000_501 } == true,
                "seed \(seed) round \(round): \(between) kept as \(String(describing: kept))")
        }
    }

    @Test("a header sent twice (Set-Cookie) reaches the line twice and the scanner reads both (Foundation's coders keep one)")
    func repeatedHeader() throws {
        var values = WireValues(seed: 2)
        var result = values.result(.http500)
        result.response = HTTPExcerpt(headers: HeaderFields([("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]), body: "x", truncatedFrom: nil)
        let line = result.encodedLine()
        #expect(String(decoding: line, as: UTF8.self).contains(#""headers":{"Set-Cookie":"a=1","Set-Cookie":"b=2"}"#))
        #expect(ProbeResult.scan(line) == result, "the scanner reads both: \(fieldDifferences(result, ProbeResult.scan(line)))")
        let decoded = try RecordCoding.makeDecoder().decode(ProbeResult.self, from: Data(line))
        // HeaderFields' Codable is a keyed container: JSONDecoder keeps the first of a repeated name, JSONEncoder the last
        // (the site's last-failure excerpt goes through both). Known, reported with issue 32; remove the marker once fixed.
        let reference = try foundationLine(result)
        withKnownIssue("a repeated header name: JSONDecoder keeps the first, JSONEncoder the last") {
            #expect(decoded.response?.headers.fields.map(\.value) == ["a=1", "b=2"], "JSONDecoder: \(String(describing: decoded.response))")
            #expect(reference == line, "JSONEncoder writes both")
        }
    }

    @Test("the generator draws every field of every record: a field added to a record fails here until WireValues draws it")
    func everyFieldDrawn() {
        var values = WireValues(seed: 7)
        var all: [String: Set<String>] = [:]
        var seen: [String: Set<String>] = [:]
        func note(_ value: Any) {
            let name = "\(type(of: value))"
            all[name, default: []].formUnion(Mirror(reflecting: value).children.compactMap(\.label))
            seen[name, default: []].formUnion(presentFields(value))
        }
        for round in 0..<Self.rounds {
            let outcome = Outcome.allCases[round % Outcome.allCases.count]
            let result = values.result(outcome)
            note(result)
            [result.tls as Any?, result.request, result.response, result.timings].compactMap { $0 }.forEach(note)
            let alert = values.alert(outcome)
            note(alert)
            note(alert.stats)
            alert.transitions.forEach(note)
            (alert.omitted ?? []).forEach(note)
            note(values.gap())
            let manifest = values.manifest()
            note(manifest)
            if let pool = manifest.pool {
                note(pool)
                pool.broken.forEach(note)
            }
        }
        for (name, fields) in all {
            let never = fields.subtracting(seen[name] ?? [])
            #expect(never.isEmpty, "WireValues never draws \(name).\(never.sorted()): draw it (Tests/TestSupport/WireValues.swift)")
        }
        #expect(all.keys.count == 12, "records checked: \(all.keys.sorted())")
    }
}
