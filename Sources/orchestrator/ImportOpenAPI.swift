// ImportOpenAPI: operations of an OpenAPI 3.0/3.1 or Swagger 2.0 document. Examples are built from the document's
// examples and defaults, following `$ref`s within it; the expansion is bounded (a `$ref` already on the path is a
// cycle and ends that branch; past `Expansion.maxDepth` levels or `Expansion.maxNodes` schemas visited the import is
// refused with the `$ref` path), so a schema fanning out 24 ways ten deep is refused in milliseconds, not expanded
// 24¹⁰ times. Security schemes map to what Vigil has: bearer/OAuth 2/OpenID Connect → `auth: true`, HTTP basic →
// the service's `basic_auth`, an API key → its header, query parameter or cookie with a `${…}` reference.

import Foundation
import Shared

/// A `$ref` expansion past its bounds: the import is refused.
struct ImportRefusal: Error, CustomStringConvertible {
    let file: String
    let operation: String
    let reason: String
    let refs: [String]

    var description: String {
        "\(file): \(operation): \(reason) at \(refs.isEmpty ? "an inline schema" : refs.joined(separator: " → ")); "
            + "import refused (a document this large or this nested is not expanded)"
    }
}

/// The budget of one document's expansion: per operation, and for the whole document.
final class Expansion {
    /// Nesting levels of one example (a real schema rarely passes ten).
    static let maxDepth = 64
    /// Schemas visited for one operation (a real request body visits tens to hundreds).
    static let maxNodes = 20_000
    /// Schemas visited over the whole document (bounds the time a document of thousands of operations takes).
    static let maxTotal = 1_000_000

    var nodes = 0
    var total = 0
    /// The `$ref`s on the current path.
    var refs: [String] = []
    var operation = "" {
        didSet { nodes = 0 }
    }
    var cache: [String: JSONValue?] = [:]
}

/// How a security scheme is satisfied in Vigil.
enum ImportSecurity: Equatable {
    case bearer
    case basic
    case apiKey(name: String, place: String)
    case unsupported(String)
}

struct OpenAPIDocument {
    let root: JSONValue
    let swagger: Bool
    let file: String
    let expansion = Expansion()

    init(_ root: JSONValue, swagger: Bool, file: String) {
        self.root = root
        self.swagger = swagger
        self.file = file
    }

    /// The target of `$ref: "#/…"` within the document (JSON pointer, ~0 and ~1 unescaped), nil when absent.
    func target(_ ref: String) -> JSONValue? {
        if let cached = expansion.cache[ref] { return cached }
        var current: JSONValue? = root
        for part in ref.dropFirst(2).split(separator: "/") {
            let key = part.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            guard case let .object(m)? = current else {
                current = nil
                break
            }
            current = m.last { $0.key == key }?.value
        }
        expansion.cache[ref] = current
        return current
    }

    static func ref(_ value: JSONValue?) -> String? {
        guard case let .object(members)? = value, let ref = members.first(where: { $0.key == "$ref" })?.value.text, ref.hasPrefix("#/") else {
            return nil
        }
        return ref
    }

    /// Follows `$ref`s (a chain of references to references: at most 20).
    func resolve(_ value: JSONValue?, depth: Int = 0) -> JSONValue? {
        guard let ref = Self.ref(value) else { return value }
        return depth < 20 ? resolve(target(ref), depth: depth + 1) : nil
    }

    func members(_ value: JSONValue?) -> [JSONValue.Member] {
        if case let .object(m)? = resolve(value) { return m }
        return []
    }

    func items(_ value: JSONValue?) -> [JSONValue] {
        if case let .array(items)? = resolve(value) { return items }
        return []
    }

    /// An example for a schema or parameter: example, the first of examples, default, the first enum value, or
    /// an object built from its properties' examples. Throws past the expansion's bounds.
    func example(_ value: JSONValue?, depth: Int = 0) throws -> JSONValue? {
        guard let value else { return nil }
        if let ref = Self.ref(value) {
            // A schema already being expanded on this path is a cycle (a tree's children): that branch ends.
            guard !expansion.refs.contains(ref) else { return nil }
            expansion.refs.append(ref)
            defer { expansion.refs.removeLast() }
            return try example(resolve(target(ref)), depth: depth)
        }
        expansion.nodes += 1
        expansion.total += 1
        if expansion.nodes > Expansion.maxNodes || expansion.total > Expansion.maxTotal {
            let reason =
                expansion.nodes > Expansion.maxNodes
                ? "more than \(Expansion.maxNodes) schemas to expand" : "more than \(Expansion.maxTotal) schemas to expand in the document"
            throw ImportRefusal(file: file, operation: expansion.operation, reason: reason, refs: expansion.refs)
        }
        if depth > Expansion.maxDepth {
            throw ImportRefusal(
                file: file, operation: expansion.operation, reason: "schemas nested more than \(Expansion.maxDepth) deep", refs: expansion.refs)
        }
        if let e = value.value(at: "example") { return e }
        if let first = members(value.value(at: "examples")).first?.value { return resolve(first)?.value(at: "value") ?? first }
        if case let .array(list)? = value.value(at: "examples"), let first = list.first { return first }
        if let d = value.value(at: "default") { return d }
        if case let .array(list)? = value.value(at: "enum"), let first = list.first { return first }
        if let schema = value.value(at: "schema") { return try example(schema, depth: depth + 1) }
        let properties = members(value.value(at: "properties"))
        if !properties.isEmpty {
            var built: [JSONValue.Member] = []
            for p in properties {
                if let e = try example(p.value, depth: depth + 1) { built.append(JSONValue.Member(key: p.key, value: e)) }
            }
            return built.isEmpty ? nil : .object(built)
        }
        if value.value(at: "type")?.text == "array", let item = try example(value.value(at: "items"), depth: depth + 1) { return .array([item]) }
        return nil
    }

    /// Every security scheme the document defines, as Vigil satisfies it.
    var schemes: [String: ImportSecurity] {
        let definitions = swagger ? members(root.value(at: "securityDefinitions")) : members(root.value(at: "components.securitySchemes"))
        var out: [String: ImportSecurity] = [:]
        for definition in definitions {
            guard let s = resolve(definition.value) else { continue }
            let type = s.value(at: "type")?.text ?? ""
            let httpScheme = s.value(at: "scheme")?.text?.lowercased()
            switch type {
            case "oauth2", "openIdConnect": out[definition.key] = .bearer
            case "http" where httpScheme == "bearer": out[definition.key] = .bearer
            case "http" where httpScheme == "basic", "basic": out[definition.key] = .basic
            case "apiKey":
                out[definition.key] = .apiKey(name: s.value(at: "name")?.text ?? definition.key, place: s.value(at: "in")?.text ?? "header")
            default: out[definition.key] = .unsupported(type == "http" ? "HTTP \(httpScheme ?? "")" : type)
            }
        }
        return out
    }

    static func text(_ value: JSONValue) -> String {
        if case let .string(s) = value { return s }
        return value.serialized()
    }

    /// The base URL from servers (with their variables' defaults) or host and basePath.
    var baseURL: String? {
        if swagger, let host = root.value(at: "host")?.text {
            let scheme = items(root.value(at: "schemes")).first?.text ?? "https"
            return "\(scheme)://\(host)\(root.value(at: "basePath")?.text ?? "")"
        }
        guard let server = items(root.value(at: "servers")).first, var url = server.value(at: "url")?.text else { return nil }
        for variable in members(server.value(at: "variables")) {
            if let value = variable.value.value(at: "default")?.text { url = url.replacingOccurrences(of: "{\(variable.key)}", with: value) }
        }
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    /// Lines for the service block: the schemes Vigil cannot satisfy by itself, and how to give it a token.
    func suggestionLines(_ operations: [OpenAPIOperation]) -> [String] {
        let all = schemes
        guard !all.isEmpty else { return [] }
        var out = ["# the document's security: " + all.keys.sorted().map { "\($0) (\(Self.describe(all[$0]!)))" }.joined(separator: ", ")]
        if operations.contains(where: \.auth) {
            out.append("# say how Vigil gets a token for the \(operations.filter(\.auth).count) file(s) with auth: true:")
            out.append("# auth: {url: /oauth/token, method: POST, body: {…}, token_field: access_token}")
        }
        return out
    }

    static func describe(_ security: ImportSecurity) -> String {
        switch security {
        case .bearer: "token: auth: true"
        case .basic: "HTTP basic: basic_auth"
        case let .apiKey(name, place): "API key in \(place) \(name)"
        case let .unsupported(kind): "\(kind): not supported, not mapped"
        }
    }
}

extension OpenAPIDocument {
    /// Every operation of the document, in its order.
    func operations(_ secrets: ImportSecrets) throws -> [OpenAPIOperation] {
        let schemes = self.schemes
        var out: [OpenAPIOperation] = []
        for path in members(root.value(at: "paths")) {
            let shared = items(path.value.value(at: "parameters"))
            for entry in members(path.value) where ImportCommand.methods.contains(entry.key) {
                let op = entry.value
                let method = entry.key.uppercased()
                expansion.operation = "\(method) \(path.key)"
                var o = OpenAPIOperation(
                    folder: nil, method: method, path: path.key, operationId: op.value(at: "operationId")?.text,
                    name: op.value(at: "summary")?.text ?? op.value(at: "operationId")?.text ?? "\(method) \(path.key)",
                    tags: items(op.value(at: "tags")).compactMap(\.text), url: path.key)
                try readParameters(shared + items(op.value(at: "parameters")), into: &o)
                if !swagger, let requestBody = resolve(op.value(at: "requestBody")) {
                    let content = members(requestBody.value(at: "content"))
                    let json = content.first { $0.key.contains("json") } ?? content.first
                    o.body = try json.flatMap { try example($0.value) }
                    if o.body == nil, requestBody.value(at: "required") == .bool(true) { o.missing.append("request body") }
                }
                ImportSecrets.literal(&o)
                applySecurity(op.value(at: "security") ?? root.value(at: "security"), schemes, to: &o, secrets)
                o.statuses = members(op.value(at: "responses")).compactMap { Int($0.key) }.filter { (200..<300).contains($0) }.prefix(1).map { $0 }
                out.append(o)
            }
        }
        return out
    }

    private func readParameters(_ list: [JSONValue], into o: inout OpenAPIOperation) throws {
        // Operation parameters override path-level ones of the same name and place.
        var parameters: [(String, String, JSONValue)] = []
        for p in list {
            guard let p = resolve(p), let name = p.value(at: "name")?.text, let place = p.value(at: "in")?.text else { continue }
            parameters.removeAll { $0.0 == name && $0.1 == place }
            parameters.append((name, place, p))
        }
        for (name, place, p) in parameters {
            let required = p.value(at: "required") == .bool(true) || place == "path"
            let value = try (swagger ? p.value(at: "x-example") : nil) ?? example(p)
            switch place {
            case "path":
                if let text = value.map(Self.text) {
                    o.url = o.url.replacingOccurrences(of: "{\(name)}", with: QueryEncoding.encode(text))
                } else {
                    o.missing.append("path parameter \(name)")
                }
            case "query":
                if let text = value.map(Self.text) { o.query.append((name, text)) } else if required { o.missing.append("query parameter \(name)") }
            case "header":
                if let text = value.map(Self.text) { o.headers.append((name, text)) } else if required { o.missing.append("header \(name)") }
            case "body":
                o.body = try example(p)
                if o.body == nil, required { o.missing.append("request body") }
            default: continue
            }
        }
    }

    /// The first alternative of the operation's security requirements, as Vigil satisfies it; none when an
    /// alternative is empty (authentication optional).
    private func applySecurity(_ security: JSONValue?, _ schemes: [String: ImportSecurity], to o: inout OpenAPIOperation, _ secrets: ImportSecrets) {
        let alternatives = items(security)
        guard let first = alternatives.first, !alternatives.contains(where: { members($0).isEmpty }) else { return }
        for requirement in members(first) {
            switch schemes[requirement.key] {
            case .bearer?: o.auth = true
            case .basic?: o.basicAuth = true
            case let .apiKey(name, place)?:
                let reference = secrets.replace("", variable: secrets.variable(for: name), place: "API key \(name) in \(place)")
                switch place {
                case "query":
                    o.query.removeAll { $0.0 == name }
                    o.query.append((name, reference))
                case "cookie":
                    o.headers.append(("Cookie", "\(name)=\(reference)"))
                default:
                    o.headers.removeAll { $0.0.lowercased() == name.lowercased() }
                    o.headers.append((name, reference))
                }
            default: continue
            }
        }
    }
}
