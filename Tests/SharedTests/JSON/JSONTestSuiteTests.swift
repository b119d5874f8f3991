// JSONDocument against JSONTestSuite, through the fixture Tests/Fixtures/parsers/generate.py produced with Python's
// json module: what Vigil accepts it must read exactly as Python does, what it refuses must be refused whole, and
// streaming a list's items (how interface files are read) must read and refuse exactly what the whole parse does.

import Foundation
import Shared
import TestSupport
import Testing

private struct JSONSuiteRow: Decodable {
    let name: String
    let expect: String
    let base64: String
    let tree: String?
}

@Suite("JSON against JSONTestSuite", .ownThread)
struct JSONTestSuiteTests {
    @Test("JSONTestSuite: y_ files read as Python reads them, n_ files refused, i_ files either, never a crash")
    func jsonTestSuite() throws {
        let rows = try fixtureRows("json-test-suite.ndjson", as: JSONSuiteRow.self)
        #expect(rows.count == 318)
        // RFC 8259 leaves duplicate names to the implementation; a config file with two equal keys is refused.
        let refusedOnPurpose: Set = ["y_object_duplicated_key.json", "y_object_duplicated_key_and_value.json"]
        for row in rows {
            let bytes = [UInt8](Data(base64Encoded: row.base64) ?? Data())
            var tree: String?
            if let text = String(strictUTF8: bytes) {
                do {
                    tree = CanonicalTree.render(try JSONDocument.parse(text))
                } catch is SyntaxError {
                    tree = nil
                }
            }
            // Streaming a list's items (how interface files are read) reads exactly what the whole parse reads,
            // top-level or under `interfaces:`, and refuses exactly what it refuses.
            if let text = String(strictUTF8: bytes) {
                #expect(streamedTree(text) == tree, "\(row.name) streamed")
                let wrapped = "{\"interfaces\": \(text)}"
                #expect(
                    streamedTree(wrapped) == (try? JSONDocument.parse(wrapped)).map(CanonicalTree.render), "\(row.name) streamed under interfaces")
            }
            switch row.expect {
            case "y" where refusedOnPurpose.contains(row.name):
                #expect(tree == nil, "\(row.name)")
            case "y":
                #expect(tree == row.tree, "\(row.name)")
            case "n":
                #expect(tree == nil, "\(row.name) must be refused, read as \(tree ?? "")")
            default:
                break
            }
        }
    }

    /// The canonical tree of `text` read with `JSONDocument.parse(_:streamingItemsOf:)`, the streamed items put
    /// back where the parser left the list empty; nil when refused.
    private func streamedTree(_ text: String) -> String? {
        var items: [(String, Node)] = []
        guard let root = try? JSONDocument.parse(text, streamingItemsOf: "interfaces", item: { items.append(($0, $1)) }) else { return nil }
        if case .sequence = root.value {
            #expect(items.map(\.0) == items.indices.map { "[\($0)]" })
            return CanonicalTree.render(Node(.sequence(items.map(\.1)), line: root.line))
        }
        guard let entries = root.entries, let list = root["interfaces"], list.items != nil else {
            #expect(items.isEmpty)
            return CanonicalTree.render(root)
        }
        #expect(items.map(\.0) == items.indices.map { "interfaces[\($0)]" })
        return CanonicalTree.render(
            Node(
                .mapping(
                    entries.map {
                        $0.key == "interfaces" ? Node.Entry(key: $0.key, line: $0.line, value: Node(.sequence(items.map(\.1)), line: list.line)) : $0
                    }), line: root.line))
    }
}
