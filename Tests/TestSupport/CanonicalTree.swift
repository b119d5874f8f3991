// CanonicalTree: renders a parsed node the way Tests/Fixtures/parsers/generate.py renders a reference parser's
// value (YAML 1.2 core schema types; floats as "%.17g"; strings as Python's json.dumps(ensure_ascii=False)),
// so a fixture comparison is a string comparison with a readable difference.

import Foundation
import Shared

/// The canonical text of a parsed document.
public enum CanonicalTree {
    public static func render(_ node: Node) -> String {
        var out = ""
        write(node, into: &out)
        return out
    }

    private static func write(_ node: Node, into out: inout String) {
        switch node.value {
        case .scalar:
            switch node.core {
            case .null?: out += "null"
            case let .bool(b)?: out += b ? "true" : "false"
            case let .integer(text)?: out += text ?? "<integer beyond 64 bits>"
            case let .float(_, value)?: out += String(format: "%.17g", value)
            case let .string(text)?: JSONValue.quote(text, into: &out)  // the same escapes as json.dumps
            case nil: break
            }
        case let .sequence(items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case let .mapping(entries):
            out += "{"
            for (i, entry) in entries.enumerated() {
                if i > 0 { out += "," }
                JSONValue.quote(entry.key, into: &out)
                out += ":"
                write(entry.value, into: &out)
            }
            out += "}"
        }
    }
}

/// The repository's root folder (the one holding Package.swift).
public let repositoryRoot: String = {
    var dir = URL(fileURLWithPath: #filePath)
    while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.path + "/Package.swift") {
        dir.deleteLastPathComponent()
    }
    return dir.path
}()

/// Tests/Fixtures/parsers: the parser fixtures and their generator.
public let parserFixtures = repositoryRoot + "/Tests/Fixtures/parsers"

/// The rows of an NDJSON fixture file, decoded.
public func fixtureRows<Row: Decodable>(_ name: String, as type: Row.Type) throws -> [Row] {
    let text = try String(contentsOfFile: parserFixtures + "/" + name, encoding: .utf8)
    return try text.split(separator: "\n").map { try JSONDecoder().decode(Row.self, from: Data($0.utf8)) }
}
