// Thousands of random and mutated inputs to the YAML parser, the JSON parser and the batch reader: each
// input yields a value or an error, never a crash or a hang. Seeded, so a failure replays.

import Foundation
import Shared
import Testing
import TestSupport

private let yamlSeeds = [
    try! String(contentsOfFile: examplesDirectory + "/config.yaml", encoding: .utf8),
    try! String(contentsOfFile: examplesDirectory + "/Interface-pool/nurse/schedule.yaml", encoding: .utf8),
    try! String(contentsOfFile: examplesDirectory + "/Interface-pool/admin/report-export.yaml", encoding: .utf8),
    "a: |\n  x\n  y\nb: >-\n  z\nc: [1, {d: e}]\n- f\n",
]

private let fragments = [":", ": ", "- ", "-", " ", "  ", "\t", "\n", "\"", "'", "[", "]", "{", "}", ",", "|", ">", "|-", ">+",
                         "#", " #", "&a", "*a", "!t", "---", "...", "?", "%", "\\", "\\u12", "é", "获取", "\r\n", "${X}", "${", "\u{0}"]

func mutate(_ text: String, _ rng: inout SeededRandom) -> String {
    var chars = Array(text)
    for _ in 0..<Int.random(in: 1...6, using: &rng) {
        let op = Int.random(in: 0..<4, using: &rng)
        let at = chars.isEmpty ? 0 : Int.random(in: 0..<chars.count, using: &rng)
        switch op {
        case 0 where !chars.isEmpty: chars.remove(at: at)
        case 1: chars.insert(contentsOf: fragments.randomElement(using: &rng)!, at: at)
        case 2 where !chars.isEmpty: chars[at] = fragments.randomElement(using: &rng)!.first ?? " "
        default:
            let cut = Int.random(in: 0...chars.count, using: &rng)
            chars = Array(chars[0..<cut])
        }
    }
    return String(chars)
}

@Suite("Fuzzing the parsers")
struct FuzzTests {
    @Test("5 000 mutated YAML documents: a value or a SyntaxError, never a crash")
    func yaml() {
        var rng = SeededRandom(seed: 0x5EED_0001)
        var values = 0
        var errors = 0
        for i in 0..<5000 {
            let input = i % 5 == 4 ? String((0..<Int.random(in: 0..<200, using: &rng)).map { _ in
                fragments.randomElement(using: &rng)!.first ?? "a"
            }) : mutate(yamlSeeds[i % yamlSeeds.count], &rng)
            do {
                _ = try YAML.parse(input)
                values += 1
            } catch is SyntaxError {
                errors += 1
            } catch {
                Issue.record("input \(i) threw \(type(of: error)), not SyntaxError: \(input.debugDescription)")
            }
        }
        #expect(values + errors == 5000)
        #expect(values > 100 && errors > 100, "the mutations exercise both paths: \(values) values, \(errors) errors")
    }

    @Test("3 000 mutated JSON documents: a value or a SyntaxError")
    func json() {
        var rng = SeededRandom(seed: 0x5EED_0002)
        let seed = #"{"name": "x", "url": "/a", "params": {"id": 1}, "list": [true, null, 1.5e3, "\u00e9"]}"#
        var outcomes = 0
        for i in 0..<3000 {
            let input = mutate(seed, &rng)
            do {
                _ = try JSONDocument.parse(input)
                outcomes += 1
            } catch is SyntaxError {
                outcomes += 1
            } catch {
                Issue.record("input \(i) threw \(error): \(input.debugDescription)")
            }
        }
        #expect(outcomes == 3000)
    }

    @Test("1 000 mutated batch files: read with bad lines counted, or refused whole, never a crash")
    func batches() throws {
        var rng = SeededRandom(seed: 0x5EED_0003)
        let dir = TemporaryDirectory("fuzzbatch")
        let seed = try batchText((0..<4).map { sampleResult($0, outcome: $0 == 2 ? .timeout : .ok) })
        var accepted = 0
        var refused = 0
        for i in 0..<1000 {
            var bytes = Array(mutate(seed, &rng).utf8)
            if i % 10 == 0, !bytes.isEmpty { bytes[Int.random(in: 0..<bytes.count, using: &rng)] = 0xFF }
            let path = dir.url("f\(i).ndjson")
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            do {
                var results = 0
                let summary = try BatchFile.read(path) { _, _ in results += 1 }
                #expect(summary.results == results)
                accepted += 1
            } catch is SpoolError {
                refused += 1
            }
        }
        #expect(accepted + refused == 1000)
        #expect(accepted > 0 && refused > 0, "\(accepted) accepted, \(refused) refused")
    }
}
