// docs/configuration.md against the code: the keys the loaders read (and the ranges they enforce) are exactly
// the keys the page's tables list, the page's "every key" examples load, and every environment variable the
// sources read is documented. A key added to a loader without a line on the page fails here, and so does a
// documented key nobody reads.

import Foundation
import Shared
import TestSupport
import Testing

/// One `## ` section of docs/configuration.md.
private struct DocSection {
    let text: String

    /// Table rows as (first cell without backticks, range cell).
    var rows: [(key: String, range: String)] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("| `") else { return nil }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 5 else { return nil }
            return (cells[1].replacingOccurrences(of: "`", with: ""), cells.count >= 7 ? cells[4] : "")
        }
    }

    /// The first ```yaml block.
    var example: String? {
        guard let start = text.range(of: "```yaml\n"), let end = text.range(of: "```", range: start.upperBound..<text.endIndex) else {
            return nil
        }
        return String(text[start.upperBound..<end.lowerBound])
    }
}

private func section(_ heading: String) throws -> DocSection {
    let page = try String(contentsOfFile: repositoryRoot + "/docs/configuration.md", encoding: .utf8)
    let parts = page.components(separatedBy: "\n## ")
    let part = try #require(parts.first { $0.hasPrefix(heading + "\n") }, "docs/configuration.md has a section \"## \(heading)\"")
    return DocSection(text: part)
}

/// `services.pay.auth.url` → `services.<name>.auth.url`, `expect.headers.Content-Type.equals` →
/// `expect.headers.<name>.equals`; ranges as the page writes them ("—" for none).
private func normalized(_ keys: [String: String]) -> [String: String] {
    var out: [String: String] = [:]
    for (key, range) in keys {
        var parts = key.split(separator: ".").map(String.init)
        if parts.count >= 2, parts[0] == "services" { parts[1] = "<name>" }
        if let headers = parts.firstIndex(of: "headers"), headers > 0, parts[headers - 1] == "expect", parts.count > headers + 2 {
            parts[headers + 1] = "<name>"
        }
        out[parts.joined(separator: ".")] = range.isEmpty ? "—" : range
    }
    return out
}

private func compare(documented rows: [(key: String, range: String)], known: [String: String], _ what: String) {
    let documented = Dictionary(rows.map { ($0.key, $0.range) }, uniquingKeysWith: { a, _ in a })
    #expect(rows.count == documented.count, "\(what): a key is listed twice")
    let undocumented = Set(known.keys).subtracting(documented.keys).sorted()
    let unread = Set(documented.keys).subtracting(known.keys).sorted()
    #expect(undocumented.isEmpty, "\(what): the loader reads keys the page does not list: \(undocumented)")
    #expect(unread.isEmpty, "\(what): the page lists keys no loader reads: \(unread)")
    for (key, range) in known.sorted(by: { $0.key < $1.key }) {
        guard let written = documented[key], range != "—" || written != "" else { continue }
        #expect(written == range, "\(what): \(key) accepts \(range), the page says \"\(written)\"")
    }
}

@Suite("docs/configuration.md matches the loaders", .ownThread)
struct ConfigurationDocTests {
    @Test("every config key the loader reads is listed with its range, and nothing else")
    func configKeys() throws {
        let doc = try section("config.yaml")
        let example = try #require(doc.example)
        let root = try YAML.parse(example)
        var known = normalized(ConfigLoader.knownKeys(readingEverySectionOf: root))
        // A service's expect takes an interface's expect keys (but inherit): the interface table lists them.
        let serviceExpect = "services.<name>.expect."
        let interfaceRows = Dictionary(try section("Interface files").rows.map { ($0.key, $0.range) }, uniquingKeysWith: { a, _ in a })
        for key in known.keys.filter({ $0.hasPrefix(serviceExpect) }) {
            let interfaceKey = "expect." + key.dropFirst(serviceExpect.count)
            #expect(interfaceRows[interfaceKey] != nil, "\(key) is read, but the interface table has no \(interfaceKey)")
            known[key] = nil
        }
        #expect(known["services.<name>.expect"] != nil && !known.keys.contains("services.<name>.expect.inherit"))
        compare(documented: doc.rows, known: known, "config.yaml")
        // The example is a valid configuration, not just a list of keys.
        let environment = Environment([
            "PAY_CLIENT_SECRET": "x", "WECOM_WEBHOOK_URL": "https://127.0.0.1/hook?key=k", "HOOK_TOKEN": "t", "DINGTALK_TOKEN": "d",
            "DINGTALK_SECRET": "SECd", "FEISHU_KEY": "f-key-0001", "FEISHU_SECRET": "fs", "SLACK_KEY": "T0/B0/k", "SMTP_PASSWORD": "m",
            "PAY_BASIC_PASSWORD": "p",
        ])
        let dir = TemporaryDirectory("docconfig")
        for file in ["tls/company-ca.pem", "tls/client.pem", "tls/client.key"] { _ = try dir.write(file, "placeholder\n") }
        _ = try ConfigLoader.decode(root, file: "configuration.md", directory: dir.path, environment: environment, source: nil)
    }

    @Test("every interface key is listed with its range, and nothing else")
    func interfaceKeys() throws {
        let doc = try section("Interface files")
        let root = try YAML.parse(try #require(doc.example))
        var known = normalized(InterfaceDefinition.knownKeys(readingEverySectionOf: root))
        known["interfaces"] = "—"  // read by the pool, around the definitions
        compare(documented: doc.rows, known: known, "interface files")
    }

    @Test("every environment variable the sources read is documented, and every documented one is read")
    func environmentVariables() throws {
        let doc = try section("Environment variables")
        var documented = Set<String>()
        for row in doc.rows {
            for name in row.key.components(separatedBy: ", ") where name.allSatisfy({ $0.isUppercase || $0 == "_" }) {
                documented.insert(name)
            }
        }
        var read = Set<String>()
        let sources = repositoryRoot + "/Sources"
        let pattern = try NSRegularExpression(pattern: #"(?:environment\["|getenv\(")([A-Z_]+)"|"(VIGIL_[A-Z_]+)""#)
        for case let file as String in FileManager.default.enumerator(atPath: sources)! where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: sources + "/" + file, encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                for group in 1...2 {
                    if let range = Range(match.range(at: group), in: text) { read.insert(String(text[range])) }
                }
            }
        }
        #expect(read.count >= 8, "the scan found \(read.sorted())")
        #expect(read.subtracting(documented).isEmpty, "read but not documented: \(read.subtracting(documented).sorted())")
        #expect(documented.subtracting(read).isEmpty, "documented but never read: \(documented.subtracting(read).sorted())")
    }
}
