// StateWireRoundTripTests: the analyzer's own files with hand-written codecs (WireCodable: state/interfaces.ndjson's
// lines and their `before`, the day and recent rollup lines) on seeded random values, through the one generic
// check (TestSupport's wireProblems): what the writer puts in a line, its scanner reads back as written, and so does
// JSONDecoder where the type is Decodable; the rest of the state files through Foundation.

import Foundation
import Shared
import TestSupport
import Testing

@testable import analyzer

extension WireValues {
    mutating func snapshot() -> StatusSnapshot {
        let pending = chance(2) ? 0 : 1 + below(5)
        return StatusSnapshot(
            health: pick([.ok, .failing]), outcome: pick(Outcome.allCases), since: date(), run: runID(), pending: pending,
            pendingSince: pending > 0 ? maybe { $0.date() } : nil)
    }

    /// A status as the analyzer keeps it: a pending streak has its start only while it lasts.
    mutating func status(_ outcome: Outcome) -> InterfaceStatus {
        let pending = chance(2) ? 0 : 1 + below(5)
        return InterfaceStatus(
            health: pick([.ok, .failing]), outcome: outcome, since: date(), run: runID(), runStartedAt: date(),
            error: maybe { $0.text() }, before: maybe { $0.snapshot() }, pending: pending,
            pendingSince: pending > 0 ? maybe { $0.date() } : nil, unannounced: chance(2))
    }

    mutating func day(_ outcome: Outcome) -> InterfaceDay {
        var outcomes: [String: Int] = [outcome.rawValue: int()]
        for _ in 0..<below(4) { outcomes[pick(Outcome.allCases).rawValue] = int() }
        var d = InterfaceDay(id: interfaceID(), day: String(Timestamp.format(date()).prefix(10)), runs: int(), ok: int(), outcomes: outcomes)
        d.latency = d.latency.map { _ in int() }
        return d
    }

    mutating func recent(_ outcome: Outcome) throws -> InterfaceRecent {
        var r = InterfaceRecent(id: interfaceID(), service: step(), name: text(), url: text())
        r.strip = String((0..<below(Rollup.stripLength + 1)).map { _ in OutcomeLetter.letter(pick(Outcome.allCases)) })
        r.latencyText = Array(
            (0..<below(Rollup.stripLength + 1)).map { _ in HTML.format(chance(5) ? -1 : Double(below(1 << 40)) / pick([1, 10, 1_000])) }.joined(
                separator: ","
            ).utf8)
        r.hours = (0..<below(26)).map { _ in InterfaceRecent.Hour(hour: int(), ok: int(), total: int()) }
        r.lastFailureJSON = try maybe { v in
            InterfaceRecent.LastFailure(
                run: v.runID(), at: v.date(), outcome: outcome, method: v.maybe { $0.text() }, url: v.maybe { $0.text() },
                error: v.maybe { $0.text() }, request: v.maybe { $0.excerpt() }, response: v.maybe { $0.excerpt() })
        }.map { try RecordCoding.encode($0) }
        r.certDaysLeft = maybe { $0.int() }
        return r
    }
}

@Suite("State files on the wire, seeded", .ownThread)
struct StateWireRoundTripTests {
    static let seeds: [UInt64] =
        ProcessInfo.processInfo.environment["WIRE_SEED"].flatMap { UInt64($0) }.map { [$0] }
        ?? [1, 42, 20_261_207] + (0..<2).map { _ in UInt64.random(in: 1 ... .max) }

    static let rounds = 300

    @Test("every WireCodable of the analyzer — interface line, its before, day line, recent line — reads back as written", arguments: seeds)
    func everyWireCodable(seed: UInt64) throws {
        var values = WireValues(seed: seed)
        for round in 0..<Self.rounds {
            let outcome = Outcome.allCases[round % Outcome.allCases.count]
            let line = InterfaceLine(id: values.interfaceID(), status: values.status(outcome))
            var problems = wireProblems(line) + wireProblems(values.snapshot())
            let day = values.day(outcome)
            let recent = try values.recent(outcome)
            problems += wireProblems(day) + wireProblems(recent)
            #expect(problems.isEmpty, "seed \(seed) round \(round): \(problems.joined(separator: "\n"))")
            for (id, bytes) in [(line.id, line.wireLine()), (day.id, day.wireLine()), (recent.id, recent.wireLine())] {
                #expect(IDLine.id(of: bytes[...]) == id, "the join's id reader finds the id: \(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }

    @Test("an interface line starts with v, kind and id, and orchestrator status reads its health, outcome and since", arguments: seeds)
    func interfaceLines(seed: UInt64) throws {
        var values = WireValues(seed: seed)
        for round in 0..<Self.rounds {
            let line = InterfaceLine(id: values.interfaceID(), status: values.status(Outcome.allCases[round % Outcome.allCases.count]))
            let bytes = line.wireLine()
            let context: Comment = "seed \(seed) round \(round): \(String(decoding: bytes, as: UTF8.self))"
            #expect(bytes.starts(with: Array(#"{"v":1,"kind":"interface","id":"#.utf8)), "v, kind and id first: \(context)")
            let health = InterfaceHealthLine.scan(bytes)
            #expect(
                health == InterfaceHealthLine(id: line.id, health: line.status.health, outcome: line.status.outcome, since: line.status.since),
                "Shared's reader of the same keys: \(context)")
        }
    }

    @Test("a recent line's last failure reads back, and every strip letter names an outcome", arguments: seeds)
    func recentLines(seed: UInt64) throws {
        var values = WireValues(seed: seed)
        for round in 0..<Self.rounds {
            let recent = try values.recent(Outcome.allCases[round % Outcome.allCases.count])
            let line = recent.wireLine()
            let context: Comment = "seed \(seed) round \(round): \(String(decoding: line, as: UTF8.self))"
            let failure = try recent.lastFailureJSON.map { try RecordDecoder().decode(InterfaceRecent.LastFailure.self, from: $0) }
            #expect(InterfaceRecent.scan(line: line)?.lastFailure == failure, "the last failure reads back: \(context)")
            #expect(recent.strip.allSatisfy { OutcomeLetter.outcome($0) != nil }, "every letter names an outcome: \(context)")
        }
    }

    @Test("every outcome has a letter of its own, and the letter reads back as that outcome")
    func outcomeLetters() {
        let letters = Outcome.allCases.map(OutcomeLetter.letter)
        #expect(
            !letters.contains("?"),
            "an outcome without a letter in OutcomeLetter.letters: \(Outcome.allCases.filter { OutcomeLetter.letter($0) == "?" })")
        #expect(Set(letters).count == letters.count, "two outcomes share a letter: \(letters)")
        for outcome in Outcome.allCases { #expect(OutcomeLetter.outcome(OutcomeLetter.letter(outcome)) == outcome) }
    }

    @Test("incidents and alert marks, written through Foundation, read back as written", arguments: seeds)
    func foundationStateRecords(seed: UInt64) throws {
        var v = WireValues(seed: seed)
        let decoder = RecordDecoder()
        for round in 0..<(Self.rounds / 3) {
            let incident = Incident(
                id: v.interfaceID(), start: v.date(), end: v.maybe { $0.date() }, outcome: Outcome.allCases[round % Outcome.allCases.count],
                error: v.maybe { $0.text() })
            let line = try RecordCoding.encode(incident)
            #expect(
                try decoder.decode(Incident.self, from: line) == incident, "seed \(seed) round \(round): \(String(decoding: line, as: UTF8.self))")
            let mark = AlertMark(run: v.runID(), at: v.date(), cause: v.maybe { $0.text() })
            let header = try RecordCoding.encode(StateHeader(alerts: [mark]))
            #expect(try decoder.decode(StateHeader.self, from: header).alerts == [mark], "seed \(seed) round \(round): the state header")
        }
    }

    @Test("a result line with a latency no prober measures (1e300 ms, a hand-made batch) is reported: the analyzer does not trap")
    func absurdLatency() throws {
        let fixture = try AnalyzerFixture()
        let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down) - 3_600)
        let run = RunID.scheduled(tick: start)
        let results = [1e300, 1e18, -1e300].enumerated().map { n, latency in
            AnalyzerFixture.result("svc/i\(n)", .ok, run: run, latency: latency, at: start)
        }
        try fixture.publishBatch(run: run, results: results, start: start)
        let analyzed = try fixture.analyzeOnce()
        #expect(
            analyzed.exitCode == 0,
            "the analyzer ends normally: \(analyzed.termination) \(analyzed.stderr.split(separator: "\n").filter { $0.contains("Fatal") || $0.contains("/Sources/") }.prefix(8))"
        )
        #expect(fixture.reports.contains(RunFileName.report(run: run)), "the run is reported")
    }
}
