// RequestBuilder: turns an interface definition and its service into the URLRequest to send and into the
// excerpt the report shows. The excerpt is built from the same parts with secrets masked: Authorization
// and secret-looking headers, secret fields of JSON bodies, secret query parameters, and every registered
// secret value anywhere in the text.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Shared

/// A request ready to send, and how it appears in results.
struct BuiltRequest {
    let request: URLRequest
    /// The URL with secret query values masked.
    let displayURL: String
    let excerpt: HTTPExcerpt
}

/// Why a request could not be built (a definition problem, reported as the probe's error).
struct RequestError: Error, CustomStringConvertible {
    let description: String
}

enum RequestBuilder {
    static let userAgent = "Vigil/1 (prober)"

    /// Header names whose values never appear in excerpts.
    static func isSecretHeader(_ name: String) -> Bool {
        let lower = name.lowercased()
        return ["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "x-auth-token"].contains(lower)
            || ConfigReader.looksSecret(lower) || lower.contains("token") || lower.contains("secret")
    }

    /// The absolute URL of `path` for `service` (absolute paths pass through).
    static func resolve(_ path: String, service: ServiceSettings?) -> String {
        if path.hasPrefix("http://") || path.hasPrefix("https://") { return path }
        return (service?.baseURL ?? "") + path
    }

    static func build(_ definition: InterfaceDefinition, service: ServiceSettings?, token: String?, authHeader: (name: String, scheme: String)?,
                      timeout: TimeInterval) throws -> BuiltRequest {
        let secretFields = Secrets.fieldNames.union(service?.secretFields ?? [])
        guard var components = URLComponents(string: resolve(definition.url, service: service)),
              components.scheme != nil, components.host != nil
        else { throw RequestError(description: "invalid URL \(resolve(definition.url, service: service))") }
        if !definition.params.isEmpty {
            components.queryItems = (components.queryItems ?? []) + definition.params.fields.map { URLQueryItem(name: $0.name, value: $0.value) }
        }
        guard let url = components.url else { throw RequestError(description: "invalid URL \(components)") }
        var display = components
        display.queryItems = components.queryItems?.map {
            secretFields.contains($0.name.lowercased()) ? URLQueryItem(name: $0.name, value: Redactor.mask) : $0
        }

        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = definition.method
        var headers: [(String, String)] = [("User-Agent", userAgent)]
        headers += (service?.headers.fields ?? []).map { ($0.name, $0.value) }
        headers += definition.headers.fields.map { ($0.name, $0.value) }
        var bodyExcerpt: String?
        switch definition.body {
        case let .json(value)?:
            request.httpBody = Data(value.serialized().utf8)
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) { headers.append(("Content-Type", "application/json")) }
            bodyExcerpt = value.masking(secretFields).serialized()
        case let .raw(text)?:
            request.httpBody = Data(text.utf8)
            bodyExcerpt = text
        case nil:
            break
        }
        if let token, let authHeader {
            headers.append((authHeader.name, authHeader.scheme.isEmpty ? token : authHeader.scheme + " " + token))
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let excerptHeaders = headers.map { name, value -> (String, String) in
            guard isSecretHeader(name) else { return (name, Redactor.redact(value)) }
            if let space = value.firstIndex(of: " "), name.lowercased().contains("authorization") {
                return (name, String(value[..<space]) + " " + Redactor.mask)
            }
            return (name, Redactor.mask)
        }
        let body = bodyExcerpt.map { HTTPExcerpt.body(Array(Redactor.redact($0).utf8)) }
        return BuiltRequest(request: request, displayURL: Redactor.redact(display.string ?? url.absoluteString),
                            excerpt: HTTPExcerpt(headers: HeaderFields(excerptHeaders), body: body?.text, truncatedFrom: body?.truncatedFrom))
    }

    /// The response as excerpted in results: headers with cookies masked, body cut at 2 KiB, secrets masked.
    static func excerpt(of response: HTTPResponse) -> HTTPExcerpt {
        let headers = response.headers.fields.map { field in
            (field.name, isSecretHeader(field.name) ? Redactor.mask : Redactor.redact(field.value))
        }
        let body = HTTPExcerpt.body(response.body)
        return HTTPExcerpt(headers: HeaderFields(headers), body: body.text.map(Redactor.redact), truncatedFrom: body.truncatedFrom)
    }
}
