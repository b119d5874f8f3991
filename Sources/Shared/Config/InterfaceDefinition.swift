// InterfaceDefinition: one HTTP API to watch, as written under Interface-pool/<service>/…/<name>.json|yaml.
// Its service is the first folder, its id the path without the extension (plus `#n` for the n-th item of
// a list file). The definition is checked here; building the request is the prober's job.

import Foundation

/// The body of a probe request.
public enum RequestBody: Sendable, Equatable {
    /// Sent as `application/json`.
    case json(JSONValue)
    /// Sent as written.
    case raw(String)
    /// Sent as `application/x-www-form-urlencoded`, each name and value percent-encoded (RFC 3986).
    case form(HeaderFields)
}

/// One interface to probe. Held compactly, since one prober may hold 100 000 of them: what every interface has
/// is stored inline, and the settings most interfaces leave at their defaults (parameters, headers, body,
/// expectations, overrides) live in one shared box that is absent when all of them are defaults.
public struct InterfaceDefinition: Sendable, Equatable {
    public let id: String
    public let service: String
    public let name: String
    public let method: String
    /// Relative to the service's base_url, or absolute.
    public let url: String
    /// Send the service's bearer token.
    public let auth: Bool
    public let enabled: Bool
    /// Where it was defined (`user/profile/get-info.yaml:3`): the file's name is shared by every interface
    /// of the file, so 100 000 items of one file do not hold 100 000 copies of it.
    public let sourceFile: String
    public let sourceLine: Int
    public var source: String { sourceFile + ":\(sourceLine)" }
    /// nil when every detail is a default (shared by a definition's copies, and kept by PackedDefinitions).
    let details: DetailsBox?

    /// The settings an interface usually leaves at their defaults.
    struct Details: Sendable, Equatable {
        var params = HeaderFields([])
        var headers = HeaderFields([])
        var body: RequestBody?
        var expect = Expectation()
        var timeout: Double?
        var followRedirects: Bool?
        var maxRedirects: Int?
        var maxBodyBytes: Int?
        var failureThreshold: Int?
        var successThreshold: Int?
    }

    final class DetailsBox: Sendable {
        let value: Details
        init(_ value: Details) { self.value = value }
    }

    public var params: HeaderFields { details?.value.params ?? HeaderFields([]) }
    public var headers: HeaderFields { details?.value.headers ?? HeaderFields([]) }
    public var body: RequestBody? { details?.value.body }
    public var expect: Expectation { details?.value.expect ?? Expectation() }
    /// Overrides monitor.timeout.
    public var timeout: Double? { details?.value.timeout }
    /// Overrides of the service's HTTP settings (redirects, body limit).
    public var followRedirects: Bool? { details?.value.followRedirects }
    public var maxRedirects: Int? { details?.value.maxRedirects }
    public var maxBodyBytes: Int? { details?.value.maxBodyBytes }
    /// Overrides of the service's (or alerts') failure and success thresholds.
    public var failureThreshold: Int? { details?.value.failureThreshold }
    public var successThreshold: Int? { details?.value.successThreshold }

    init(
        id: String, service: String, name: String, method: String, url: String, auth: Bool, enabled: Bool,
        sourceFile: String, sourceLine: Int, details: Details
    ) {
        self.init(
            id: id, service: service, name: name, method: method, url: url, auth: auth, enabled: enabled, sourceFile: sourceFile,
            sourceLine: sourceLine, detailsBox: details == Details() ? nil : DetailsBox(details))
    }

    /// A definition from its parts (also: rebuilt by PackedDefinitions).
    init(
        id: String, service: String, name: String, method: String, url: String, auth: Bool, enabled: Bool,
        sourceFile: String, sourceLine: Int, detailsBox: DetailsBox?
    ) {
        self.id = id
        self.service = service
        self.name = name
        self.method = method
        self.url = url
        self.auth = auth
        self.enabled = enabled
        self.sourceFile = sourceFile
        self.sourceLine = sourceLine
        details = detailsBox
    }

    public static func == (a: InterfaceDefinition, b: InterfaceDefinition) -> Bool {
        a.id == b.id && a.service == b.service && a.name == b.name && a.method == b.method && a.url == b.url && a.auth == b.auth
            && a.enabled == b.enabled && a.sourceFile == b.sourceFile && a.sourceLine == b.sourceLine
            && (a.details?.value ?? Details()) == (b.details?.value ?? Details())
    }

    public static let methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

    /// Reads one definition from `node`; nil (with issues in `reader`) when it is invalid.
    static func read(_ node: Node, id: String, service: String, reader: ConfigReader, path: String) -> InterfaceDefinition? {
        guard let f = reader.fields(node, path: path) else { return nil }
        let before = reader.issues.count
        _ = f.node("id")
        _ = f.node("description")
        _ = f.node("tags")
        let name = f.string("name", required: true) ?? ""
        var method = (f.string("method") ?? "GET").uppercased()
        if !methods.contains(method) {
            reader.issue(f.node("method"), key(path, "method"), "expected one of \(methods.joined(separator: ", ")), found \"\(method)\"")
            method = "GET"
        }
        let url = f.string("url", required: true) ?? ""
        if !url.isEmpty, !url.hasPrefix("/"), !URLCheck.isHTTP(url) {
            reader.issue(f.node("url"), key(path, "url"), "expected a path starting with / or an http(s):// URL, found \"\(url)\"")
        } else if let bad = url.unicodeScalars.first(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            // Such a URL cannot be sent as written (libcurl refuses it): it would be reported as the target's
            // "connection" failure at every run, when the mistake is in the file.
            let shown = bad == " " ? "a space" : String(format: "the control character U+%04X", bad.value)
            reader.issue(
                f.node("url"), key(path, "url"),
                "\(shown) cannot be sent in a URL; write it percent-encoded (a space as %20), or put query values under params:")
        }
        let params = HeaderFields(f.stringPairs("params") ?? [])
        let headers = HeaderFields(f.stringPairs("headers") ?? [])
        var body: RequestBody?
        if let node = f.node("body") {
            let expanded = reader.expanded(node, key(path, "body"))
            if case let .scalar(text, _) = expanded.value { body = .raw(text) } else { body = .json(reader.json(node, key(path, "body"))) }
        }
        if let pairs = f.stringPairs("form") {
            if body != nil {
                reader.issue(f.node("form"), key(path, "form"), "body and form both set the request body; keep one")
            }
            body = .form(HeaderFields(pairs))
        }
        let expect = Expectation.read(f.node("expect"), reader, path: key(path, "expect"), interface: true)
        let details = Details(
            params: params, headers: headers, body: body, expect: expect,
            timeout: f.duration("timeout", unit: .seconds, range: Limits.requestTimeout),
            followRedirects: f.bool("follow_redirects"), maxRedirects: f.int("max_redirects", range: 0...50),
            maxBodyBytes: f.bytes("max_body_bytes", maximum: 64 << 20).map { Int($0) },
            failureThreshold: f.int("failure_threshold", range: 1...100), successThreshold: f.int("success_threshold", range: 1...100))
        let definition = InterfaceDefinition(
            id: id, service: service, name: name, method: method, url: url, auth: f.bool("auth") ?? false,
            enabled: f.bool("enabled") ?? true, sourceFile: reader.file, sourceLine: node.line, details: details)
        f.finish()
        return reader.issues.count == before ? definition : nil
    }

    /// Every key an interface file may hold, with its range where it has one, found by reading `node` (a
    /// definition with every section): what docs/configuration.md must list.
    public static func knownKeys(readingEverySectionOf node: Node) -> [String: String] {
        let reader = ConfigReader(file: "", environment: Environment([:]))
        reader.recordsKeys = true
        _ = read(node, id: "", service: "", reader: reader, path: "")
        return reader.knownKeys
    }

    private static func key(_ path: String, _ name: String) -> String { path.isEmpty ? name : path + "." + name }
}
