// WireCheck: the one generic round-trip check for every record with a hand-written codec (WireCodable): the
// scanner reads back what the writer wrote, JSONDecoder does too where the type is Decodable, and `wireOrder`
// lists every key once (a key left out of it would never be written). Tests/SharedTests/Wire and
// Tests/AnalyzerTests/Decide run it on seeded random values of every conforming type.

import Foundation
import Shared

/// What is wrong with `value` on the wire (empty when nothing is).
public func wireProblems<T: WireCodable & Equatable>(_ value: T) -> [String] { scanProblems(value, value.wireLine()) }

/// What is wrong with `line`, written from `value`, read back.
private func scanProblems<T: WireCodable & Equatable>(_ value: T, _ line: [UInt8]) -> [String] {
    var problems: [String] = []
    let keys = T.wireOrder.map(\.rawValue)
    if keys.count != T.Key.allCases.count || Set(keys) != Set(T.Key.allCases.map(\.rawValue)) {
        problems.append("\(T.self).wireOrder \(keys) does not list each of \(T.Key.allCases.map(\.rawValue)) once")
    }
    let scanned = T.scan(line: line)
    if scanned != value {
        problems.append("\(T.self).scan reads it otherwise: \(fieldDifferences(value, scanned)); line \(String(decoding: line, as: UTF8.self))")
    }
    if (try? JSONSerialization.jsonObject(with: Data(line))) == nil {
        problems.append("\(T.self): the line is not JSON to Foundation: \(String(decoding: line, as: UTF8.self))")
    }
    return problems
}

/// The same, and JSONDecoder (as records are decoded: RecordDecoder) must read the line as the value written.
public func wireProblems<T: WireCodable & Equatable & Decodable>(_ value: T) -> [String] {
    let line = value.wireLine()
    var problems = scanProblems(value, line)
    do {
        let decoded = try RecordCoding.makeDecoder().decode(T.self, from: Data(line))
        if decoded != value {
            problems.append(
                "\(T.self): JSONDecoder reads it otherwise: \(fieldDifferences(value, decoded)); line \(String(decoding: line, as: UTF8.self))")
        }
    } catch {
        problems.append("\(T.self): JSONDecoder refuses it (\(RecordCoding.describe(error))): \(String(decoding: line, as: UTF8.self))")
    }
    return problems
}

/// The fields in which `got` differs from `expected`, each as `name: expected → got` (for failure messages).
public func fieldDifferences<T>(_ expected: T, _ got: T?) -> String {
    guard let got else { return "nothing read (nil)" }
    let pairs = zip(Mirror(reflecting: expected).children, Mirror(reflecting: got).children)
    return pairs.compactMap { e, g in
        let (left, right) = (String(reflecting: e.value), String(reflecting: g.value))
        return left == right ? nil : "\(e.label ?? "?"): \(left) → \(right)"
    }.joined(separator: "; ")
}

/// The types that conform to WireCodable in Sources/ (read from the code: `struct X: …WireCodable` and
/// `extension X: …WireCodable`), so a test can say which one the round trip does not draw.
public func wireCodableTypesInSources() -> Set<String> {
    var names: Set<String> = []
    // A constant pattern: it compiles, or this returns nothing and the caller's comparison names every type as gone.
    guard
        let pattern = try? NSRegularExpression(
            pattern: #"^(?:public )?(?:struct|extension|enum|final class) ([A-Za-z0-9_.]+)\s*:[^{]*\bWireCodable\b"#, options: [.anchorsMatchLines])
    else { return [] }
    let sources = repositoryRoot + "/Sources"
    guard let walker = FileManager.default.enumerator(atPath: sources) else { return [] }
    for case let path as String in walker where path.hasSuffix(".swift") {
        guard let text = try? String(contentsOfFile: sources + "/" + path, encoding: .utf8) else { continue }
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            if let range = Range(match.range(at: 1), in: text) { names.insert(String(text[range])) }
        }
    }
    return names
}
