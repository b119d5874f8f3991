// Vigil's parsers against reference implementations, through fixtures that Tests/Fixtures/parsers/generate.py
// produced from them: a YAML 1.2 parser (ruamel.yaml with the spec's core-schema resolvers), the official YAML
// test suite and a model of Vixie cron (JSONTestSuite: Tests/SharedTests/JSON/). What Vigil accepts it must read
// exactly as the reference does; what it cannot read exactly it must refuse, with the message the fixture names.

import Foundation
import Shared
import TestSupport
import Testing

private struct ExampleRow: Decodable {
    let path: String
    let tree: String
}

private struct CronRow: Decodable {
    let expression: String
    let after: String
    let runs: [String]
}

/// Parses a file the way the loaders do (by extension, UTF-8 checked); the tree, or the loader's message.
private func load(_ path: String, displayName: String) -> Result<String, ConfigError> {
    do {
        return .success(CanonicalTree.render(try DocumentParser.parse(path: path, displayName: displayName)))
    } catch let error as ConfigError {
        return .failure(error)
    } catch {
        return .failure(ConfigError([ConfigIssue(file: displayName, line: nil, key: nil, message: "unexpected \(error)")]))
    }
}

private func corpusCases() -> [String] {
    FileIO.listIfPresent(parserFixtures + "/yaml").filter { $0.hasSuffix(".yaml") }.sorted()
}

@Suite("Parsers against reference implementations", .ownThread)
struct ReferenceFixtureTests {
    @Test("the YAML corpus: the reference's tree, or exactly the refusal the fixture names", arguments: corpusCases())
    func corpus(_ name: String) throws {
        let base = parserFixtures + "/yaml/" + String(name.dropLast(5))
        let result = load(base + ".yaml", displayName: name)
        if let refusal = try? String(contentsOfFile: base + ".refused", encoding: .utf8) {
            guard case let .failure(error) = result else {
                Issue.record("\(name): expected the refusal \(refusal.debugDescription), got a tree")
                return
            }
            #expect(error.description == refusal.trimmingCharacters(in: .newlines))
        } else {
            let expected = try String(contentsOfFile: base + ".tree", encoding: .utf8).trimmingCharacters(in: .newlines)
            switch result {
            case let .success(tree): #expect(tree == expected, "\(name)")
            case let .failure(error): Issue.record("\(name): refused, but the reference reads it: \(error)")
            }
        }
    }

    @Test("every example file reads as the reference reads it, also saved with CRLF and with BOM + CRLF")
    func examples() throws {
        let rows = try fixtureRows("examples.ndjson", as: ExampleRow.self)
        #expect(rows.count >= 8)
        let dir = TemporaryDirectory("crlf")
        for row in rows {
            let original = try String(contentsOfFile: examplesDirectory + "/" + row.path, encoding: .utf8)
            for (variant, text) in [
                ("lf", original), ("crlf", original.replacingOccurrences(of: "\n", with: "\r\n")),
                ("bom-crlf", "\u{FEFF}" + original.replacingOccurrences(of: "\n", with: "\r\n")),
            ] {
                let copy = dir.url(variant + "-" + row.path.replacingOccurrences(of: "/", with: "_"))
                _ = try dir.write((copy as NSString).lastPathComponent, text)
                switch load(copy, displayName: row.path) {
                case let .success(tree): #expect(tree == row.tree, "\(row.path) (\(variant))")
                case let .failure(error): Issue.record("\(row.path) (\(variant)): \(error)")
                }
            }
        }
    }

    // The official YAML test suite: Tests/SharedTests/Config/YAMLTestSuiteTests.swift.

    @Test("cron: the next five runs of each expression as the Vixie cron model computes them (UTC)")
    func cron() throws {
        let rows = try fixtureRows("cron.ndjson", as: CronRow.self)
        #expect(rows.count >= 20)
        let utc = try #require(TimeZone(identifier: "UTC"))
        for row in rows {
            let cron = try CronExpression(parsing: row.expression)
            var cursor = try #require(Timestamp.parse(row.after))
            var runs: [String] = []
            for _ in 0..<5 {
                guard let next = cron.next(after: cursor, timeZone: utc) else { break }
                runs.append(Timestamp.format(next).replacingOccurrences(of: ".000Z", with: "Z"))
                cursor = next
            }
            #expect(runs == row.runs, "\(row.expression) after \(row.after)")
        }
    }
}
