// ImportSources: Postman collections (v2.1) and HAR captures (1.2) as operations for `orchestrator import`.
// Postman: folders become sub-folders; {{variables}} the collection defines are resolved, except secret ones
// (type secret, or a secret-looking name) which, like undefined ones, become ${…} for the environment; bearer and
// OAuth 2 auth make `auth: true`, basic auth the service's `basic_auth`, an API key its header or query parameter
// with a ${…} reference; no credential is ever copied. HAR: one interface per distinct method and URL; what the
// browser added by itself is left out, and credentials (Authorization, cookies, secret-looking names) are
// replaced by ImportSecrets.

import Foundation
import Shared

struct PostmanCollection {
    let root: JSONValue
    let secrets: ImportSecrets
    /// The collection's variables, and whether each is secret (type secret, or a secret-looking name).
    let variables: [String: (value: String, secret: Bool)]

    init(_ root: JSONValue, secrets: ImportSecrets) {
        self.root = root
        self.secrets = secrets
        var vars: [String: (String, Bool)] = [:]
        if case let .array(list)? = root.value(at: "variable") {
            for v in list {
                guard let key = v.value(at: "key")?.text else { continue }
                vars[key] = (v.value(at: "value")?.text ?? "", v.value(at: "type")?.text == "secret" || ImportSecrets.looksSecret(key))
            }
        }
        variables = vars
    }

    /// `{{name}}` → the collection's value, or `${name}` for the environment (undefined, empty or secret);
    /// the rest copied as literal text.
    func substitute(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex) {
            out += ImportSecrets.literal(String(rest[..<open.lowerBound]))
            let name = String(rest[open.upperBound..<close.lowerBound]).trimmingCharacters(in: .whitespaces)
            let variable = String(name.unicodeScalars.map { $0.isASCII && CharacterSet.alphanumerics.contains($0) ? Character($0) : "_" })
            if let known = variables[name], !known.value.isEmpty {
                out +=
                    known.secret
                    ? secrets.replace(known.value, variable: variable, place: "Postman variable \(name)") : ImportSecrets.literal(known.value)
            } else {
                out += "${\(variable.isEmpty ? "_" : variable)}"
            }
            rest = rest[close.upperBound...]
        }
        return out + ImportSecrets.literal(String(rest))
    }

    /// The base URL: the `baseUrl`-like variable, when the collection has one.
    var baseVariable: (name: String, value: String)? {
        variables.first { ["baseurl", "base_url", "host", "url"].contains($0.key.lowercased()) && URLCheck.isHTTP($0.value.value) }
            .map { ($0.key, $0.value.value) }
    }

    func operations() -> [OpenAPIOperation] {
        var out: [OpenAPIOperation] = []
        func walk(_ items: JSONValue?, folder: [String], inheritedAuth: JSONValue?) {
            guard case let .array(list)? = items else { return }
            for item in list {
                let name = item.value(at: "name")?.text ?? "request"
                let auth = item.value(at: "auth") ?? inheritedAuth
                if item.value(at: "item") != nil {
                    walk(item.value(at: "item"), folder: folder + [name], inheritedAuth: auth)
                    continue
                }
                guard let request = item.value(at: "request") else { continue }
                out.append(operation(request, name: name, folder: folder, auth: request.value(at: "auth") ?? auth))
            }
        }
        walk(root.value(at: "item"), folder: [], inheritedAuth: root.value(at: "auth"))
        return out
    }

    private func operation(_ request: JSONValue, name: String, folder: [String], auth: JSONValue?) -> OpenAPIOperation {
        let method = (request.value(at: "method")?.text ?? "GET").uppercased()
        var raw = request.value(at: "url")?.text ?? request.value(at: "url.raw")?.text ?? "/"
        // `:id` path variables take the request's values.
        if case let .array(vars)? = request.value(at: "url.variable") {
            for v in vars {
                if let key = v.value(at: "key")?.text, let value = v.value(at: "value")?.text {
                    raw = raw.replacingOccurrences(of: ":" + key, with: value)
                }
            }
        }
        var url = raw
        if let base = baseVariable, url.hasPrefix("{{\(base.name)}}") { url = String(url.dropFirst(base.name.count + 4)) }
        url = secrets.withoutPassword(substitute(url))
        var query: [(String, String)] = []
        if let q = url.firstIndex(of: "?") {
            for pair in url[url.index(after: q)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                query.append((parts[0].removingPercentEncoding ?? parts[0], parts.count > 1 ? (parts[1].removingPercentEncoding ?? parts[1]) : ""))
            }
            url = String(url[..<q])
        }
        if !url.hasPrefix("/"), !url.hasPrefix("http"), !url.hasPrefix("$") { url = "/" + url }
        var o = OpenAPIOperation(
            folder: ImportName.folder(folder), method: method, path: url, operationId: nil, name: name, tags: [], url: url)
        o.query = query
        if case let .array(headers)? = request.value(at: "header") {
            for h in headers where h.value(at: "disabled") != .bool(true) {
                guard let key = h.value(at: "key")?.text, let value = h.value(at: "value")?.text else { continue }
                o.headers.append((key, substitute(value)))
            }
        }
        switch request.value(at: "body.mode")?.text {
        case "raw":
            if let text = request.value(at: "body.raw")?.text, !text.isEmpty {
                o.body = (try? JSONDocument.parse(substitute(text))).map(JSONValue.init(node:)) ?? .string(substitute(text))
            }
        case "urlencoded":
            if case let .array(fields)? = request.value(at: "body.urlencoded") {
                o.form = fields.filter { $0.value(at: "disabled") != .bool(true) }.compactMap { f in
                    f.value(at: "key")?.text.map { ($0, substitute(f.value(at: "value")?.text ?? "")) }
                }
            }
        default: break
        }
        applyAuth(auth, to: &o)
        o.fileNameOverride = ImportName.file(name)
        return o
    }

    /// The request's (or its folder's, or the collection's) auth: its credentials are never copied.
    private func applyAuth(_ auth: JSONValue?, to o: inout OpenAPIOperation) {
        guard let auth, let type = auth.value(at: "type")?.text else { return }
        func field(_ key: String) -> String? {
            guard case let .array(list)? = auth.value(at: type) else { return nil }
            return list.first { $0.value(at: "key")?.text == key }?.value(at: "value")?.text
        }
        switch type {
        case "bearer", "oauth2", "jwt":
            o.auth = true
            if let token = field(type == "oauth2" ? "accessToken" : "token") {
                secrets.remember(substitute(token), variable: secrets.variable(for: "token"), place: "the collection's \(type) token")
            }
        case "basic":
            o.basicAuth = true
            if let password = field("password") {
                secrets.remember(substitute(password), variable: secrets.variable(for: "password"), place: "the collection's basic password")
            }
        case "apikey":
            let name = field("key") ?? "X-API-Key"
            var value = substitute(field("value") ?? "")
            if !ImportSecrets.isReference(value) { value = secrets.replace(value, variable: secrets.variable(for: name), place: "API key \(name)") }
            if field("in") == "query" {
                o.query.removeAll { $0.0 == name }
                o.query.append((name, value))
            } else {
                o.headers.removeAll { $0.0.lowercased() == name.lowercased() }
                o.headers.append((name, value))
            }
        default: break
        }
    }
}

struct HARLog {
    let root: JSONValue
    let secrets: ImportSecrets

    init(_ root: JSONValue, secrets: ImportSecrets) {
        self.root = root
        self.secrets = secrets
    }

    /// The origin most requests went to: the suggested base_url (URLs under it are written relative).
    var mainOrigin: String? {
        guard case let .array(entries)? = root.value(at: "log.entries") else { return nil }
        let origins = entries.compactMap { $0.value(at: "request.url")?.text.flatMap(Self.origin) }
        return Dictionary(grouping: origins, by: { $0 }).max { ($0.value.count, $1.key) < ($1.value.count, $0.key) }?.key
    }

    static func origin(_ url: String) -> String? {
        guard let c = URLComponents(string: url), let scheme = c.scheme, let host = c.host else { return nil }
        return "\(scheme)://\(host)" + (c.port.map { ":\($0)" } ?? "")
    }

    /// Headers a browser adds by itself: not part of the API.
    static func isBrowserHeader(_ lower: String) -> Bool {
        lower.hasPrefix(":") || lower.hasPrefix("sec-") || ["host", "content-length", "connection", "accept-encoding", "user-agent"].contains(lower)
    }

    func operations() -> [OpenAPIOperation] {
        guard case let .array(entries)? = root.value(at: "log.entries") else { return [] }
        let base = mainOrigin
        var seen: Set<String> = []
        var out: [OpenAPIOperation] = []
        for entry in entries {
            guard let method = entry.value(at: "request.method")?.text?.uppercased(), let full = entry.value(at: "request.url")?.text,
                var components = URLComponents(string: full), let origin = Self.origin(full)
            else { continue }
            components.query = nil
            let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
            let url = origin == base ? path : origin + path
            guard seen.insert(method + " " + url).inserted else { continue }
            var o = OpenAPIOperation(folder: nil, method: method, path: url, operationId: nil, name: "\(method) \(path)", tags: [], url: url)
            if case let .array(query)? = entry.value(at: "request.queryString") {
                o.query = query.compactMap { q in q.value(at: "name")?.text.map { ($0, q.value(at: "value")?.text ?? "") } }
            }
            if case let .array(headers)? = entry.value(at: "request.headers") {
                for h in headers {
                    guard let name = h.value(at: "name")?.text, let value = h.value(at: "value")?.text else { continue }
                    if !Self.isBrowserHeader(name.lowercased()) { o.headers.append((name, value)) }
                }
            }
            // Each cookie's value is a secret wherever else it appears (the Cookie header itself is one).
            if case let .array(cookies)? = entry.value(at: "request.cookies") {
                for c in cookies {
                    guard let name = c.value(at: "name")?.text, let value = c.value(at: "value")?.text else { continue }
                    secrets.remember(value, variable: secrets.variable(for: "cookie"), place: "cookie \(name)")
                }
            }
            readBody(entry, into: &o)
            if let status = entry.value(at: "response.status")?.text.flatMap(Int.init), (200..<400).contains(status) { o.statuses = [status] }
            ImportSecrets.literal(&o)
            out.append(o)
        }
        return out
    }

    private func readBody(_ entry: JSONValue, into o: inout OpenAPIOperation) {
        let mime = entry.value(at: "request.postData.mimeType")?.text?.lowercased() ?? ""
        if mime.hasPrefix("application/x-www-form-urlencoded") {
            if case let .array(params)? = entry.value(at: "request.postData.params"), !params.isEmpty {
                o.form = params.compactMap { p in p.value(at: "name")?.text.map { ($0, p.value(at: "value")?.text ?? "") } }
                return
            }
            if let text = entry.value(at: "request.postData.text")?.text, !text.isEmpty {
                o.form = text.split(separator: "&").map { pair in
                    let parts = pair.split(separator: "=", maxSplits: 1).map { $0.replacingOccurrences(of: "+", with: " ") }
                    return (parts[0].removingPercentEncoding ?? parts[0], parts.count > 1 ? (parts[1].removingPercentEncoding ?? parts[1]) : "")
                }
                return
            }
        }
        if let text = entry.value(at: "request.postData.text")?.text, !text.isEmpty {
            o.body = (try? JSONDocument.parse(text)).map(JSONValue.init(node:)) ?? .string(text)
        }
    }
}
