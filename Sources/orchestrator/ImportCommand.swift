// ImportCommand: `orchestrator import openapi|swagger FILE --service NAME`: one interface file per operation of an
// OpenAPI 3.0/3.1 or Swagger 2.0 document (JSON or YAML, read by Vigil's own readers: what they cannot read is
// refused with file:line), under Interface-pool/<service>/. Parameters and bodies come from the document's
// examples and defaults (`$ref`s within the document followed); an operation whose required parameters have
// none is written `enabled: false` with a comment saying what is missing; bearer/OAuth/API-key security makes
// `auth: true`, and the service's auth block and base_url are suggested on stdout, never invented.
// Re-import is safe: each generated file starts with a marker and the SHA-256 of the rest; a file whose hash no
// longer matches was edited by a person and is kept; operations gone from the document are reported, and
// removed only with --prune.

import Foundation
import Shared

struct ImportRequest: Equatable {
    var format: String
    var file: String
    var service: String
    var out: String?
    var only: [String] = []
    var tag: String?
    var baseURL: String?
    var dryRun = false
    var prune = false
}

enum ImportCommand {
    static let marker = "# vigil-import sha256="
    static let methods = ["get", "put", "post", "delete", "options", "head", "patch"]

    static func run(_ request: ImportRequest, _ options: Options) -> Int32 {
        let root: Node
        do {
            // Postman collections and HAR files are JSON whatever their extension.
            root =
                ["postman", "har"].contains(request.format)
                ? try JSONDocument.parse(try DocumentParser.text(path: request.file, displayName: request.file))
                : try DocumentParser.parse(path: request.file, displayName: request.file)
        } catch {
            Log.error("\(error)")
            return 2
        }
        let document = JSONValue(node: root)
        let operations: [OpenAPIOperation]
        let suggestion: String
        switch request.format {
        case "postman":
            guard document.value(at: "info.schema")?.text?.contains("collection/v2") == true || document.value(at: "item") != nil else {
                Log.error("\(request.file): not a Postman collection v2.1 (info.schema and item expected)")
                return 2
            }
            let collection = PostmanCollection(document)
            operations = collection.operations()
            suggestion = collection.suggestion(service: request.service, baseURL: request.baseURL)
        case "har":
            guard case .array? = document.value(at: "log.entries") else {
                Log.error("\(request.file): not a HAR file (log.entries expected)")
                return 2
            }
            let har = HARLog(document)
            operations = har.operations()
            suggestion = har.suggestion(service: request.service, baseURL: request.baseURL)
        default:
            let isSwagger = document.value(at: "swagger")?.text?.hasPrefix("2") == true
            guard isSwagger || document.value(at: "openapi")?.text?.hasPrefix("3") == true else {
                Log.error("\(request.file): neither an OpenAPI 3 document (openapi: 3.x) nor Swagger 2 (swagger: \"2.0\")")
                return 2
            }
            let spec = OpenAPIDocument(document, swagger: isSwagger)
            operations = spec.operations()
            suggestion = spec.suggestion(service: request.service, baseURL: request.baseURL)
        }
        let pool: String
        if let out = request.out {
            pool = out
        } else {
            pool = (try? options.common.loadConfig())?.monitor.interfacePool ?? "Interface-pool"
        }
        let directory = pool + "/" + request.service
        var written: [String: String] = [:]
        var summary: [String] = []
        for operation in operations {
            guard request.only.isEmpty || request.only.contains(operation.method) else { continue }
            if let tag = request.tag, !operation.tags.contains(tag) { continue }
            let name = (operation.folder.map { $0 + "/" } ?? "") + operation.fileName
            guard written[name] == nil else {
                summary.append("skipped    \(operation.method) \(operation.path): a second operation would be \(name).yaml")
                continue
            }
            written[name] = generatedFile(operation, source: request.file, format: request.format)
        }
        var counts = (written: 0, unchanged: 0, kept: 0, gone: 0, pruned: 0)
        if !request.dryRun { try? FileIO.makeDirectory(directory, mode: 0o755) }
        for (name, text) in written.sorted(by: { $0.key < $1.key }) {
            let path = directory + "/" + name + ".yaml"
            let existing = try? String(contentsOfFile: path, encoding: .utf8)
            if let existing, !isUntouched(existing) {
                summary.append("kept       \(path) (edited by hand: its hash no longer matches; delete it to regenerate)")
                counts.kept += 1
            } else if existing == text {
                counts.unchanged += 1
            } else {
                summary.append((existing == nil ? "written    " : "updated    ") + path + (request.dryRun ? " (dry run)" : ""))
                if !request.dryRun {
                    do {
                        try FileManager.default.createDirectory(
                            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                        try FileIO.replaceAtomically(path, with: Array(text.utf8), mode: 0o644)
                    } catch {
                        Log.error("cannot write \(path): \(error)")
                        return 1
                    }
                }
                counts.written += 1
            }
        }
        let existing = (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).sorted()
        for file in existing where file.hasSuffix(".yaml") && written[String(file.dropLast(5))] == nil {
            let path = directory + "/" + file
            guard let text = try? String(contentsOfFile: path, encoding: .utf8), text.hasPrefix(marker) else { continue }
            if request.prune, isUntouched(text) {
                if !request.dryRun { try? FileIO.unlink(path) }
                summary.append("pruned     \(path)" + (request.dryRun ? " (dry run)" : ""))
                counts.pruned += 1
            } else {
                summary.append(
                    "gone       \(path): no longer in \(request.file)" + (request.prune ? " (edited by hand: kept)" : " (--prune removes it)"))
                counts.gone += 1
            }
        }
        for line in summary { print(line) }
        print(
            "\(written.count) operation(s): \(counts.written) written, \(counts.unchanged) unchanged, \(counts.kept) kept, "
                + "\(counts.gone) gone from the document, \(counts.pruned) pruned")
        print(suggestion)
        return 0
    }

    /// Whether a generated file is as generated: its marker's hash is the hash of the rest.
    static func isUntouched(_ text: String) -> Bool {
        guard text.hasPrefix(marker), let end = text.firstIndex(of: "\n") else { return false }
        let hash = text[text.index(text.startIndex, offsetBy: marker.count)..<end]
        return hash == hex(SHA256.hash(Array(text[text.index(after: end)...].utf8)))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    /// The interface file: marker line, then YAML whose values are JSON (a subset of YAML), so nothing is misread.
    static func generatedFile(_ op: OpenAPIOperation, source: String, format: String) -> String {
        func quoted(_ text: String) -> String { JSONValue.string(text).serialized() }
        func pairs(_ list: [(String, String)]) -> String { "{" + list.map { "\(quoted($0.0)): \(quoted($0.1))" }.joined(separator: ", ") + "}" }
        var body = "# Generated by `vigil-orchestrator import \(format) \((source as NSString).lastPathComponent)` from \(op.method) \(op.path).\n"
        body += "# Edit freely: a file whose hash no longer matches is never overwritten by a re-import.\n"
        body += "name: \(quoted(op.name))\n"
        body += "method: \(op.method)\n"
        body += "url: \(quoted(op.url))\n"
        if !op.query.isEmpty { body += "params: \(pairs(op.query))\n" }
        if !op.headers.isEmpty { body += "headers: \(pairs(op.headers))\n" }
        if let example = op.body { body += "body: \(example.serialized())\n" }
        if op.auth { body += "auth: true\n" }
        if !op.missing.isEmpty {
            body += "# missing: \(op.missing.joined(separator: "; ")) (no example or default in the document)\n"
            body += "enabled: false\n"
        }
        if !op.statuses.isEmpty { body += "expect: {status: [\(op.statuses.map(String.init).joined(separator: ", "))]}\n" }
        return marker + hex(SHA256.hash(Array(body.utf8))) + "\n" + body
    }
}

/// One operation, as an interface.
struct OpenAPIOperation {
    /// The sub-folder under the service (Postman folders).
    var folder: String?
    var method: String
    var path: String
    var operationId: String?
    var name: String
    var tags: [String]
    var url: String
    var query: [(String, String)] = []
    var headers: [(String, String)] = []
    var body: JSONValue?
    var auth = false
    var missing: [String] = []
    var statuses: [Int] = []
    /// The file name when the source names its requests (Postman).
    var fileNameOverride: String?

    /// operationId (or the request's name), else method and path: letters, digits, `-`, `_` and `.`.
    var fileName: String {
        fileNameOverride ?? Self.slug(operationId ?? (method.lowercased() + "-" + path))
    }

    static func slug(_ raw: String) -> String {
        var out = ""
        for c in raw.unicodeScalars {
            out += (CharacterSet.alphanumerics.contains(c) && c.isASCII) || c == "-" || c == "_" || c == "." ? String(c) : "-"
        }
        while out.contains("--") { out = out.replacingOccurrences(of: "--", with: "-") }
        return out.trimmingCharacters(in: CharacterSet(charactersIn: "-."))
    }
}

struct OpenAPIDocument {
    let root: JSONValue
    let swagger: Bool

    init(_ root: JSONValue, swagger: Bool) {
        self.root = root
        self.swagger = swagger
    }

    /// Follows `$ref: "#/…"` within the document (JSON pointer, ~0 and ~1 unescaped), at most 20 deep.
    func resolve(_ value: JSONValue?, depth: Int = 0) -> JSONValue? {
        guard let value, case let .object(members) = value, let ref = members.first(where: { $0.key == "$ref" })?.value.text,
            ref.hasPrefix("#/"), depth < 20
        else { return value }
        var current: JSONValue? = root
        for part in ref.dropFirst(2).split(separator: "/") {
            let key = part.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            guard case let .object(m)? = current else { return nil }
            current = m.last { $0.key == key }?.value
        }
        return resolve(current, depth: depth + 1)
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
    /// an object built from its properties' examples.
    func example(_ value: JSONValue?, depth: Int = 0) -> JSONValue? {
        guard let value = resolve(value), depth < 8 else { return nil }
        if let e = value.value(at: "example") { return e }
        if let first = members(value.value(at: "examples")).first?.value { return resolve(first)?.value(at: "value") ?? first }
        if case let .array(list)? = value.value(at: "examples"), let first = list.first { return first }
        if let d = value.value(at: "default") { return d }
        if case let .array(list)? = value.value(at: "enum"), let first = list.first { return first }
        if let schema = value.value(at: "schema") { return example(schema, depth: depth + 1) }
        let properties = members(value.value(at: "properties"))
        if !properties.isEmpty {
            let built = properties.compactMap { p in example(p.value, depth: depth + 1).map { JSONValue.Member(key: p.key, value: $0) } }
            return built.isEmpty ? nil : .object(built)
        }
        if value.value(at: "type")?.text == "array", let item = example(value.value(at: "items"), depth: depth + 1) { return .array([item]) }
        return nil
    }

    /// The security schemes that mean a bearer token: http bearer, oauth2, openIdConnect, apiKey.
    var tokenSchemes: [String: JSONValue] {
        let definitions = swagger ? members(root.value(at: "securityDefinitions")) : members(root.value(at: "components.securitySchemes"))
        var out: [String: JSONValue] = [:]
        for scheme in definitions {
            guard let s = resolve(scheme.value) else { continue }
            let type = s.value(at: "type")?.text ?? ""
            if type == "oauth2" || type == "openIdConnect" || type == "apiKey"
                || (type == "http" && s.value(at: "scheme")?.text?.lowercased() == "bearer")
            {
                out[scheme.key] = s
            }
        }
        return out
    }

    func operations() -> [OpenAPIOperation] {
        let global = items(root.value(at: "security"))
        let tokens = tokenSchemes
        var out: [OpenAPIOperation] = []
        for path in members(root.value(at: "paths")) {
            let shared = items(path.value.value(at: "parameters"))
            for entry in members(path.value) where ImportCommand.methods.contains(entry.key) {
                let op = entry.value
                var o = OpenAPIOperation(
                    folder: nil, method: entry.key.uppercased(), path: path.key, operationId: op.value(at: "operationId")?.text,
                    name: op.value(at: "summary")?.text ?? op.value(at: "operationId")?.text ?? "\(entry.key.uppercased()) \(path.key)",
                    tags: items(op.value(at: "tags")).compactMap(\.text), url: path.key)
                // Operation parameters override path-level ones of the same name and place.
                var parameters: [(String, String, JSONValue)] = []
                for p in shared + items(op.value(at: "parameters")) {
                    guard let p = resolve(p), let name = p.value(at: "name")?.text, let place = p.value(at: "in")?.text else { continue }
                    parameters.removeAll { $0.0 == name && $0.1 == place }
                    parameters.append((name, place, p))
                }
                for (name, place, p) in parameters {
                    let required = p.value(at: "required") == .bool(true) || place == "path"
                    let value = (swagger ? p.value(at: "x-example") : nil) ?? example(p)
                    switch place {
                    case "path":
                        if let text = value.map(Self.text) {
                            o.url = o.url.replacingOccurrences(of: "{\(name)}", with: QueryEncoding.encode(text))
                        } else {
                            o.missing.append("path parameter \(name)")
                        }
                    case "query":
                        if let text = value.map(Self.text) {
                            o.query.append((name, text))
                        } else if required {
                            o.missing.append("query parameter \(name)")
                        }
                    case "header":
                        if let text = value.map(Self.text) { o.headers.append((name, text)) } else if required { o.missing.append("header \(name)") }
                    case "body":
                        o.body = example(p)
                        if o.body == nil, required { o.missing.append("request body") }
                    default: continue
                    }
                }
                if !swagger, let requestBody = resolve(op.value(at: "requestBody")) {
                    let content = members(requestBody.value(at: "content"))
                    let json = content.first { $0.key.contains("json") } ?? content.first
                    o.body = json.flatMap { example($0.value) }
                    if o.body == nil, requestBody.value(at: "required") == .bool(true) { o.missing.append("request body") }
                }
                let security = op.value(at: "security").map { items($0) } ?? global
                o.auth = security.contains { requirement in members(requirement).contains { tokens[$0.key] != nil } }
                o.statuses = members(op.value(at: "responses")).compactMap { Int($0.key) }.filter { (200..<300).contains($0) }.prefix(1).map { $0 }
                out.append(o)
            }
        }
        return out
    }

    static func text(_ value: JSONValue) -> String {
        if case let .string(s) = value { return s }
        return value.serialized()
    }

    /// The service block to add to config.yaml: base_url from servers (or host/basePath), and the auth schemes found.
    func suggestion(service: String, baseURL: String?) -> String {
        var base = baseURL
        if base == nil {
            if swagger, let host = root.value(at: "host")?.text {
                let scheme = items(root.value(at: "schemes")).first?.text ?? "https"
                base = "\(scheme)://\(host)\(root.value(at: "basePath")?.text ?? "")"
            } else if let server = items(root.value(at: "servers")).first, var url = server.value(at: "url")?.text {
                for variable in members(server.value(at: "variables")) {
                    if let value = variable.value.value(at: "default")?.text { url = url.replacingOccurrences(of: "{\(variable.key)}", with: value) }
                }
                base = url
            }
        }
        var out = "suggested for config.yaml (check it; nothing was written there):\nservices:\n  \(service):\n"
        out +=
            "    base_url: \(base.map { JSONValue.string($0.hasSuffix("/") ? String($0.dropLast()) : $0).serialized() } ?? "\"https://…\"  # the document names no server")\n"
        let tokens = tokenSchemes
        if !tokens.isEmpty {
            out += "    # the document's security: \(tokens.keys.sorted().joined(separator: ", ")); say how Vigil gets a token:\n"
            out += "    # auth: {url: /oauth/token, method: POST, body: {…}, token_field: access_token}\n"
            if let scheme = tokens.values.first(where: { $0.value(at: "type")?.text == "apiKey" }), let header = scheme.value(at: "name")?.text {
                out += "    #   (API key in \(scheme.value(at: "in")?.text ?? "header") \(header): auth: {…, header: \(header), scheme: \"\"})\n"
            }
        }
        return out
    }
}
