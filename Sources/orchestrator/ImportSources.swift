// ImportSources: Postman collections (v2.1) and HAR captures (1.2) as operations for `orchestrator import`.
// Postman: folders become sub-folders; {{variables}} the collection defines are resolved, others become ${…}
// for the environment; bearer auth (on the request or the collection) makes `auth: true`, its token is never
// copied. HAR: one interface per distinct method and URL; Authorization, cookies and other secret-looking
// headers are left out and listed.

import Foundation
import Shared

struct PostmanCollection {
    let root: JSONValue
    /// The collection's variables.
    let variables: [String: String]

    init(_ root: JSONValue) {
        self.root = root
        var vars: [String: String] = [:]
        if case let .array(list)? = root.value(at: "variable") {
            for v in list { if let key = v.value(at: "key")?.text { vars[key] = v.value(at: "value")?.text ?? "" } }
        }
        variables = vars
    }

    /// `{{name}}` → the collection's value, or `${name}` for the environment (names made identifier-safe).
    func substitute(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex) {
            out += rest[..<open.lowerBound]
            let name = String(rest[open.upperBound..<close.lowerBound]).trimmingCharacters(in: .whitespaces)
            out +=
                variables[name].flatMap { $0.isEmpty ? nil : $0 }
                ?? "${\(name.map { $0.isLetter || $0.isNumber ? $0 : "_" }.map(String.init).joined())}"
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    /// The base URL: the `baseUrl`-like variable, when the collection has one.
    var baseVariable: (name: String, value: String)? {
        variables.first { ["baseurl", "base_url", "host", "url"].contains($0.key.lowercased()) && URLCheck.isHTTP($0.value) }
            .map { ($0.key, $0.value) }
    }

    func operations() -> [OpenAPIOperation] {
        var out: [OpenAPIOperation] = []
        let collectionAuth = root.value(at: "auth.type")?.text
        func walk(_ items: JSONValue?, folder: [String], inheritedAuth: String?) {
            guard case let .array(list)? = items else { return }
            for item in list {
                let name = item.value(at: "name")?.text ?? "request"
                let auth = item.value(at: "auth.type")?.text ?? inheritedAuth
                if item.value(at: "item") != nil {
                    walk(item.value(at: "item"), folder: folder + [OpenAPIOperation.slug(name)], inheritedAuth: auth)
                    continue
                }
                guard let request = item.value(at: "request") else { continue }
                out.append(operation(request, name: name, folder: folder, auth: request.value(at: "auth.type")?.text ?? auth))
            }
        }
        walk(root.value(at: "item"), folder: [], inheritedAuth: collectionAuth)
        return out
    }

    private func operation(_ request: JSONValue, name: String, folder: [String], auth: String?) -> OpenAPIOperation {
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
        url = substitute(url)
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
            folder: folder.isEmpty ? nil : folder.joined(separator: "/"), method: method, path: url, operationId: nil, name: name, tags: [], url: url)
        o.query = query
        if case let .array(headers)? = request.value(at: "header") {
            for h in headers where h.value(at: "disabled") != .bool(true) {
                guard let key = h.value(at: "key")?.text, let value = h.value(at: "value")?.text else { continue }
                if key.lowercased() == "authorization" || ConfigReader.looksSecret(key) { continue }
                o.headers.append((key, substitute(value)))
            }
        }
        if request.value(at: "body.mode")?.text == "raw", let text = request.value(at: "body.raw")?.text, !text.isEmpty {
            o.body = (try? JSONDocument.parse(substitute(text))).map(JSONValue.init(node:)) ?? .string(substitute(text))
        }
        o.auth = auth == "bearer" || auth == "oauth2" || auth == "apikey"
        o.fileNameOverride = OpenAPIOperation.slug(name)
        return o
    }

    func suggestion(service: String, baseURL: String?) -> String {
        let base = baseURL ?? baseVariable?.value
        var out = "suggested for config.yaml (check it; nothing was written there):\nservices:\n  \(service):\n"
        out += "    base_url: \(base.map { JSONValue.string($0).serialized() } ?? "\"https://…\"  # the collection has no base URL variable")\n"
        if root.value(at: "auth.type")?.text != nil {
            out += "    # the collection authenticates (\(root.value(at: "auth.type")?.text ?? "")): auth: {url: …, token_field: …}\n"
        }
        let unresolved = variables.filter { $0.value.isEmpty }.keys.sorted()
        if !unresolved.isEmpty { out += "    # set in /etc/vigil/vigil.env: \(unresolved.joined(separator: ", "))\n" }
        return out
    }
}

struct HARLog {
    let root: JSONValue
    /// Headers and cookies left out, by name, with how many requests had them.
    private(set) var leftOut: [String: Int] = [:]

    init(_ root: JSONValue) { self.root = root }

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
                    let lower = name.lowercased()
                    // Secrets and what the capture's browser added by itself stay out.
                    if lower == "authorization" || lower == "cookie" || ConfigReader.looksSecret(name) { continue }
                    if lower.hasPrefix(":") || ["host", "content-length", "connection", "accept-encoding", "user-agent"].contains(lower)
                        || lower.hasPrefix("sec-")
                    {
                        continue
                    }
                    o.headers.append((name, value))
                }
            }
            if let text = entry.value(at: "request.postData.text")?.text, !text.isEmpty {
                o.body = (try? JSONDocument.parse(text)).map(JSONValue.init(node:)) ?? .string(text)
            }
            if let status = entry.value(at: "response.status")?.text.flatMap(Int.init), (200..<400).contains(status) { o.statuses = [status] }
            o.auth = false
            out.append(o)
        }
        return out
    }

    /// The secret-bearing headers and cookies the capture had, by name (they were left out of every file).
    var secrets: [String: Int] {
        guard case let .array(entries)? = root.value(at: "log.entries") else { return [:] }
        var out: [String: Int] = [:]
        for entry in entries {
            if case let .array(headers)? = entry.value(at: "request.headers") {
                for h in headers {
                    guard let name = h.value(at: "name")?.text else { continue }
                    if name.lowercased() == "authorization" || name.lowercased() == "cookie" || ConfigReader.looksSecret(name) {
                        out[name, default: 0] += 1
                    }
                }
            }
            if case let .array(cookies)? = entry.value(at: "request.cookies") {
                for c in cookies { if let name = c.value(at: "name")?.text { out["cookie " + name, default: 0] += 1 } }
            }
        }
        return out
    }

    func suggestion(service: String, baseURL: String?) -> String {
        var out = "suggested for config.yaml (check it; nothing was written there):\nservices:\n  \(service):\n"
        out += "    base_url: \((baseURL ?? mainOrigin).map { JSONValue.string($0).serialized() } ?? "\"https://…\"")\n"
        let left = secrets
        if !left.isEmpty {
            out += "left out of every file (secrets; give Vigil its own credentials with auth or headers from the environment):\n"
            for (name, count) in left.sorted(by: { $0.key < $1.key }) { out += "  \(name) (\(count) request(s))\n" }
        }
        return out
    }
}
