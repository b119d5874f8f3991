// Thousands of random and mutated inputs to the YAML parser, the JSON parser and the batch reader: each
// input yields a value or an error, never a crash or a hang. Seeded, so a failure replays.

import Foundation
import Shared
import TestSupport
import Testing

private let yamlSeeds = [
    try! String(contentsOfFile: examplesDirectory + "/config.yaml", encoding: .utf8),
    try! String(contentsOfFile: examplesDirectory + "/Interface-pool/nurse/schedule.yaml", encoding: .utf8),
    try! String(contentsOfFile: examplesDirectory + "/Interface-pool/admin/report-export.yaml", encoding: .utf8),
    "a: |\n  x\n  y\nb: >-\n  z\nc: [1, {d: e}]\n- f\n",
    // Real-world shapes: OpenAPI examples (multi-line flow, anchors, tags), Kubernetes-style, PyYAML dumps.
    try! String(contentsOfFile: parserFixtures + "/yaml/openapi-examples-style.yaml", encoding: .utf8),
    try! String(contentsOfFile: parserFixtures + "/yaml/kubernetes-style.yaml", encoding: .utf8),
    try! String(contentsOfFile: parserFixtures + "/yaml/pyyaml-width20-double.yaml", encoding: .utf8),
    "%YAML 1.2\n--- &a {k: [*a]}\n...\n--- !!str\n? x\n: 'y\n  z'\n",
]

private let fragments = [
    ":", ": ", "- ", "-", " ", "  ", "\t", "\n", "\"", "'", "[", "]", "{", "}", ",", "|", ">", "|-", ">+",
    "#", " #", "&a", "*a", "!t", "---", "...", "?", "%", "\\", "\\u12", "é", "获取", "\r\n", "${X}", "${", "\u{0}",
    "\r", "\u{FEFF}", "--- ", "|+", ">-2", "|9", "[[[[[[[[", "]]]]", "{a: {b: ", "1e300", "-1e400",
    "99999999999999999999", "0x1p3", ".inf", ".nan", "007", "yes", "~",
]

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

/// A random line ending: LF, CRLF or CR.
private func lineEnding(_ rng: inout SeededRandom) -> String { ["\n", "\r\n", "\r"].randomElement(using: &rng)! }

/// Nested YAML or JSON `depth` levels deep, in flow or block style.
private func nested(depth: Int, json: Bool, _ rng: inout SeededRandom) -> String {
    if json || Bool.random(using: &rng) {
        let open = (0..<depth).map { _ in Bool.random(using: &rng) ? "[" : "{\"k\": " }
        return open.joined() + "1" + open.reversed().map { $0 == "[" ? "]" : "}" }.joined()
    }
    let end = lineEnding(&rng)
    return (0..<depth).map { String(repeating: " ", count: $0) + "k:" + end }.joined() + String(repeating: " ", count: depth) + "k: v" + end
}

@Suite("Fuzzing the parsers", .ownThread)
struct FuzzTests {
    @Test("800 nested documents up to 600 levels, in YAML and JSON, with mixed line endings: a value or an error")
    func deepNesting() {
        var rng = SeededRandom(seed: 0x5EED_0004)
        var values = 0
        var refused = 0
        for i in 0..<800 {
            let depth = Int.random(in: 1...600, using: &rng)
            let json = i % 2 == 0
            let text = nested(depth: depth, json: json, &rng)
            do {
                _ = json ? try JSONDocument.parse(text) : try YAML.parse(text)
                values += 1
                #expect(depth <= 256, "accepted \(depth) levels")
            } catch let error as SyntaxError {
                refused += 1
                #expect(depth > 200 || !error.message.contains("nesting"), "\(depth) levels refused: \(error)")
            } catch {
                Issue.record("input \(i) threw \(error)")
            }
        }
        #expect(values > 50 && refused > 50, "\(values) read, \(refused) refused")
    }

    @Test("3 000 mutated config files through the whole loader (huge numbers, odd scalars, line endings): a Config or a ConfigError")
    func loader() throws {
        var rng = SeededRandom(seed: 0x5EED_0005)
        let seed = try String(contentsOfFile: parserFixtures + "/yaml/realistic-config.yaml", encoding: .utf8)
        let numbers = [
            "1e300", "1e400", "99999999999999999999", "-1", "0", ".inf", ".nan", "0x1p3", "1_000", "007", "18446744073709551616",
            "1.7976931348623157e308", "5e-324", "1000000000000d", "99999999999999999999h", "1PiB", "17179869184GiB",
        ]
        var loaded = 0
        var refused = 0
        for i in 0..<3000 {
            var text = seed
            // Replace a few values with hostile numbers, then mutate the text and its line endings.
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                let at = Int.random(in: 0..<lines.count, using: &rng)
                guard let colon = lines[at].firstIndex(of: ":") else { continue }
                var copy = lines
                copy[at] = lines[at][...colon] + " " + numbers.randomElement(using: &rng)!
                text = copy.joined(separator: "\n")
            }
            if i % 3 == 0 { text = mutate(text, &rng) }
            text = text.replacingOccurrences(of: "\n", with: lineEnding(&rng))
            do {
                let root = try YAML.parse(text)
                _ = try ConfigLoader.decode(
                    root, file: "config.yaml", directory: "/",
                    environment: Environment([
                        "PAY_CLIENT_SECRET": "s",
                        "WECOM_PAY": "http://127.0.0.1/a", "WECOM_PAY_DEV": "http://127.0.0.1/b", "HOOK_TOKEN": "t",
                    ]), source: nil)
                loaded += 1
            } catch is SyntaxError {
                refused += 1
            } catch is ConfigError {
                refused += 1
            }
        }
        #expect(loaded > 50 && refused > 1000, "\(loaded) loaded, \(refused) refused")
    }

    @Test("5 000 random cron expressions and durations: a value or an error; every parsed schedule computes its next run")
    func cronAndDurations() {
        var rng = SeededRandom(seed: 0x5EED_0006)
        var parsed = 0
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        let numbers = [
            "0", "1", "2", "5", "7", "12", "23", "24", "29", "31", "32", "59", "60", "61", "99999999999999999999", "-1", "mon", "JAN", "x",
        ]
        func field() -> String {
            let n = { numbers.randomElement(using: &rng)! }
            switch Int.random(in: -4..<8, using: &rng) {
            case ..<0: return ["*", "1", "*/2", "1-5"].randomElement(using: &rng)!
            case 0: return "*"
            case 1: return "*/" + n()
            case 2: return n() + "-" + n()
            case 3: return n() + "-" + n() + "/" + n()
            case 4: return n() + "," + n()
            case 5: return n() + "/" + n()
            case 6: return ["@daily", "@never", "L", "?", "#", "", "*/", "1-", ",", "**"].randomElement(using: &rng)!
            default: return n()
            }
        }
        for _ in 0..<2500 {
            let fields = (0..<(Int.random(in: 0..<10, using: &rng) == 0 ? Int.random(in: 1...7, using: &rng) : 5)).map { _ in field() }
            guard let cron = try? CronExpression(parsing: fields.joined(separator: " ")) else { continue }
            parsed += 1
            if let next = cron.next(after: start, timeZone: TimeZone(identifier: "UTC")!) { #expect(next > start) }
        }
        #expect(parsed > 50, "\(parsed) expressions parsed")
        let pieces = ["1", "0", "9", ".", "e", "ms", "s", "m", "h", "d", "w", "KB", "GiB", "-", "+", "99999999999999999999", "1e300", " "]
        for _ in 0..<2500 {
            let text = (0..<Int.random(in: 1...5, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            if let seconds = DurationParser.parse(text, defaultUnit: .minutes) {
                #expect(seconds.isFinite && seconds >= 0, "\(text) → \(seconds)")
                _ = DurationParser.format(seconds)
            }
            _ = DurationParser.bytes(text).map(DurationParser.formatBytes)
        }
    }

    @Test("5 000 mutated YAML documents: a value or a SyntaxError, never a crash")
    func yaml() {
        var rng = SeededRandom(seed: 0x5EED_0001)
        var values = 0
        var errors = 0
        for i in 0..<5000 {
            let input =
                i % 5 == 4
                ? String(
                    (0..<Int.random(in: 0..<200, using: &rng)).map { _ in
                        fragments.randomElement(using: &rng)!.first ?? "a"
                    }) : mutate(yamlSeeds[i % yamlSeeds.count], &rng)
            do {
                _ = try i % 2 == 0 ? [YAML.parse(input)] : YAML.parseDocuments(input)
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

    @Test("5 000 mutations of the YAML test suite's documents (every construct of the grammar): a value or a SyntaxError")
    func yamlTestSuite() throws {
        struct Row: Decodable { let yaml: String }
        let seeds = try fixtureRows("yaml-test-suite.ndjson", as: Row.self).map(\.yaml)
        var rng = SeededRandom(seed: 0x5EED_0006)
        var values = 0
        var errors = 0
        for i in 0..<5000 {
            let input = mutate(seeds[i % seeds.count], &rng)
            do {
                _ = try YAML.parseDocuments(input)
                values += 1
            } catch is SyntaxError {
                errors += 1
            } catch {
                Issue.record("input \(i) threw \(type(of: error)), not SyntaxError: \(input.debugDescription)")
            }
        }
        #expect(values > 500 && errors > 500, "\(values) values, \(errors) errors")
    }

    @Test("100 000-deep nesting, flow and block, in one line or many: refused by the depth limit, never a stack overflow")
    func hundredThousandLevels() {
        let depth = 100_000
        let inputs = [
            String(repeating: "[", count: depth) + String(repeating: "]", count: depth),
            String(repeating: "{a: ", count: depth) + "1" + String(repeating: "}", count: depth),
            String(repeating: "- ", count: depth) + "x\n",
            String(repeating: "? ", count: depth) + "x\n",
            "a:\n" + String(repeating: " [{\"k\":\n", count: depth),
            (0..<2_000).map { String(repeating: " ", count: $0) + "k:\n" }.joined(),
            String(repeating: "&a [", count: depth),
            String(repeating: "!!seq [", count: depth) + String(repeating: "]", count: depth),
        ]
        for (i, input) in inputs.enumerated() {
            let error = #expect(throws: SyntaxError.self, "input \(i)") { try YAML.parseDocuments(input) }
            #expect(error?.message.contains("nesting deeper than 256 levels") == true, "input \(i): \(String(describing: error))")
        }
    }

    @Test("alias bombs of every shape are refused at an alias with its line, never expanded")
    func aliasBombs() {
        func bomb(_ levels: Int, _ level: (Int, String) -> String) -> String {
            "l0: &l0 " + level(0, "x") + "\n"
                + (1..<levels).map { "l\($0): &l\($0) " + level($0, "*l\($0 - 1)") + "\n" }.joined()
        }
        let inputs = [
            bomb(12) { _, item in "[" + Array(repeating: item, count: 10).joined(separator: ", ") + "]" },
            bomb(12) { _, item in "{" + (0..<10).map { "k\($0): \(item)" }.joined(separator: ", ") + "}" },
            bomb(30) { _, item in "[\(item), \(item)]" },
            bomb(12) { level, item in "\n" + (0..<10).map { _ in "  - \(item) # \(level)" }.joined(separator: "\n") },
        ]
        for (i, input) in inputs.enumerated() {
            let started = Date()
            let error = #expect(throws: SyntaxError.self, "bomb \(i)") { try YAML.parseDocuments(input) }
            #expect(error?.message.contains("alias bomb") == true, "bomb \(i): \(String(describing: error))")
            #expect((error?.line ?? 0) > 1)
            #expect(Date().timeIntervalSince(started) < 30, "bomb \(i) took \(Date().timeIntervalSince(started)) s")
        }
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
