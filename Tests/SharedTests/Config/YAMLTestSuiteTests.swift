// The YAML reader against the official YAML test suite (data-2022-01-17, in Tests/Fixtures/parsers/
// yaml-test-suite.ndjson): every valid document that has an in.json reads exactly as it, every invalid one is
// refused with a line and column, and the valid ones without in.json (null or collection keys) are refused
// naming the key, or read as their event stream says.

import Foundation
import Shared
import TestSupport
import Testing

private struct SuiteRow: Decodable {
    let id: String
    let title: String
    let yaml: String
    let trees: [String]?
    let error: Bool
}

/// `node` with every mapping's entries sorted by key: YAML mappings are unordered (§3.2.1.1), and the suite's
/// in.json does not always keep the document's order (RR7F lists "d" before "a").
private func sorted(_ node: Node) -> Node {
    switch node.value {
    case .scalar: return node
    case let .sequence(items): return Node(.sequence(items.map(sorted)), line: node.line)
    case let .mapping(entries):
        let ordered = entries.sorted { $0.key < $1.key }.map { Node.Entry(key: $0.key, line: $0.line, value: sorted($0.value)) }
        return Node(.mapping(ordered), line: node.line)
    }
}

/// The canonical tree of a fixture's JSON value, mappings sorted.
private func expectedTree(_ json: String) throws -> String { CanonicalTree.render(sorted(try JSONDocument.parse(json))) }

@Suite("The YAML test suite", .ownThread)
struct YAMLTestSuiteTests {
    private let rows: [SuiteRow]

    init() throws {
        rows = try fixtureRows("yaml-test-suite.ndjson", as: SuiteRow.self)
    }

    @Test("every valid document with an in.json reads exactly as it, several documents through parseDocuments")
    func validDocuments() throws {
        #expect(rows.count == 402)
        var exact = 0
        for row in rows where !row.error {
            guard let trees = row.trees else { continue }
            do {
                let documents = try YAML.parseDocuments(row.yaml)
                let got = documents.map { CanonicalTree.render(sorted($0)) }
                let want = try trees.map(expectedTree)
                if got == want {
                    exact += 1
                } else {
                    Issue.record("\(row.id) (\(row.title)): read as \(got), in.json says \(want)")
                }
                if documents.count == 1 {
                    #expect(CanonicalTree.render(sorted(try YAML.parse(row.yaml))) == want[0], "\(row.id): parse")
                } else if documents.count > 1 {
                    #expect(throws: SyntaxError.self, "\(row.id): one document expected") { try YAML.parse(row.yaml) }
                }
            } catch {
                Issue.record("\(row.id) (\(row.title)): refused: \(error)")
            }
        }
        // 256 single documents, 18 streams of several, 5 without any document: all of them.
        #expect(exact == 279)
    }

    @Test("every invalid document is refused with a line and column inside the text")
    func invalidDocuments() throws {
        var refused = 0
        for row in rows where row.error {
            do {
                let documents = try YAML.parseDocuments(row.yaml)
                Issue.record("\(row.id) (\(row.title)): invalid YAML was read as \(documents.map(CanonicalTree.render))")
            } catch let error as SyntaxError {
                let lines = row.yaml.split(separator: "\n", omittingEmptySubsequences: false).count
                #expect(error.line >= 1 && error.line <= lines && error.column >= 1, "\(row.id): \(error)")
                refused += 1
            }
        }
        #expect(refused == 94)
    }

    @Test("valid documents without an in.json: a null or collection key is refused naming the key, the rest read as test.event says")
    func documentsWithoutJSON() throws {
        // What the suite's event streams say these read as.
        let readable = [
            "4ABK": #"{"unquoted":"separate","http://foo.com":null,"omitted value":null}"#,
            "UKK6/02": #""""#,
        ]
        var refused = 0
        for row in rows where !row.error && row.trees == nil {
            do {
                let documents = try YAML.parseDocuments(row.yaml)
                #expect(documents.map(CanonicalTree.render) == readable[row.id].map { [$0] }, "\(row.id) (\(row.title))")
            } catch let error as SyntaxError {
                #expect(readable[row.id] == nil, "\(row.id): \(error)")
                #expect(error.message.contains("key"), "\(row.id): \(error)")
                refused += 1
            }
        }
        #expect(refused == 27)
    }
}
