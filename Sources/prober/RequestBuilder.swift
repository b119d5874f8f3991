// RequestBuilder: turns an interface definition and its service into the request to send and into the
// excerpt the report shows. The excerpt is built from the same parts with secrets masked: Authorization
// and secret-looking headers, secret fields of JSON bodies, secret query parameters, and every registered
// secret value anywhere in the text.

import Foundation
import Shared

/// A request ready to send, and how it appears in results.
struct BuiltRequest {
    let request: OutgoingRequest
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
        // looksSecret also covers every name containing "token", "secret", "password" or ending in "key".
        return ["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "x-auth-token"].contains(lower)
            || ConfigReader.looksSecret(lower)
    }

    /// The absolute URL of `path` for `service` (absolute paths pass through).
    static func resolve(_ path: String, service: ServiceSettings?) -> String {
        if path.hasPrefix("http://") || path.hasPrefix("https://") { return path }
        return (service?.baseURL ?? "") + path
    }

    static func build(
        _ definition: InterfaceDefinition, service: ServiceSettings?, token: String?, authHeader: (name: String, scheme: String)?
    ) throws -> BuiltRequest {
        let secretFields = Secrets.fieldNames.union(service?.secretFields ?? [])
        let target = try validatedTarget(definition, service: service)
        // The query exactly as written in the interface file: RFC 3986 percent-encoding of every parameter.
        let withoutFragment = String(target.prefix { $0 != "#" })
        let params = definition.params.fields
        let url = appendingQuery(params, to: withoutFragment, masking: [])
        let display = appendingQuery(params, to: withoutFragment, masking: secretFields)

        var request = OutgoingRequest(method: definition.method, url: url)
        var headers: [(String, String)] = [("User-Agent", userAgent)]
        headers += (service?.headers.fields ?? []).map { ($0.name, $0.value) }
        headers += definition.headers.fields.map { ($0.name, $0.value) }
        let bodyExcerpt = attachBody(definition.body, to: &request, headers: &headers, secretFields: secretFields)
        addCredentials(token: token, authHeader: authHeader, service: service, to: &request, headers: &headers)
        request.credentialHeaders.formUnion(headers.map(\.0).filter(isSecretHeader))
        headers = lastOfEachName(headers)
        request.headers = HeaderFields(headers)
        let excerptHeaders = maskedForExcerpt(headers)
        let body = bodyExcerpt.map { HTTPExcerpt.body(Array(Redactor.redact($0).utf8)) }
        return BuiltRequest(
            request: request, displayURL: Redactor.redact(Redactor.maskUserinfo(display)),
            excerpt: HTTPExcerpt(headers: HeaderFields(excerptHeaders), body: body?.text, truncatedFrom: body?.truncatedFrom))
    }

    /// The interface's absolute http(s) URL; a password in it is registered as a secret.
    private static func validatedTarget(_ definition: InterfaceDefinition, service: ServiceSettings?) throws -> String {
        let target = resolve(definition.url, service: service)
        guard let components = URLComponents(string: target), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", components.host?.isEmpty == false
        else { throw RequestError(description: "invalid URL \(Redactor.redact(target))") }
        if let password = components.password, !password.isEmpty { Redactor.register(password) }
        return target
    }

    /// `base` with `params` appended as a query (after `&` when it already has one).
    private static func appendingQuery(_ params: [HeaderFields.Field], to base: String, masking secretFields: Set<String>) -> String {
        if params.isEmpty { return base }
        return base + (base.contains("?") ? "&" : "?") + encoded(params, masking: secretFields)
    }

    /// `name=value&…` percent-encoded; the values of fields named in `secretFields` (lowercase) show as the mask.
    private static func encoded(_ fields: [HeaderFields.Field], masking secretFields: Set<String>) -> String {
        fields.map {
            QueryEncoding.encode($0.name) + "="
                + (secretFields.contains($0.name.lowercased()) ? Redactor.mask : QueryEncoding.encode($0.value))
        }.joined(separator: "&")
    }

    /// Puts the body into `request` (with a Content-Type unless the headers have one) and returns its excerpt text.
    private static func attachBody(
        _ body: RequestBody?, to request: inout OutgoingRequest, headers: inout [(String, String)], secretFields: Set<String>
    ) -> String? {
        switch body {
        case let .json(value)?:
            request.body = Array(value.serialized().utf8)
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) { headers.append(("Content-Type", "application/json")) }
            return value.masking(secretFields).serialized()
        case let .raw(text)?:
            request.body = Array(text.utf8)
            return text
        case let .form(fields)?:
            request.body = Array(encoded(fields.fields, masking: []).utf8)
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
                headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            }
            return encoded(fields.fields, masking: secretFields)
        case nil:
            return nil
        }
    }

    /// The token in its header, or else the service's basic auth (registered as a secret).
    private static func addCredentials(
        token: String?, authHeader: (name: String, scheme: String)?, service: ServiceSettings?, to request: inout OutgoingRequest,
        headers: inout [(String, String)]
    ) {
        if let token, let authHeader {
            headers.append((authHeader.name, authHeader.scheme.isEmpty ? token : authHeader.scheme + " " + token))
            request.credentialHeaders.insert(authHeader.name)
        } else if let basic = service?.basicAuth {
            let value = "Basic " + Data(basic.utf8).base64EncodedString()
            Redactor.register(String(value.dropFirst(6)))
            headers.append(("Authorization", value))
        }
    }

    /// A later header of the same name replaces an earlier one (service headers, then the interface's).
    private static func lastOfEachName(_ headers: [(String, String)]) -> [(String, String)] {
        var merged: [(String, String)] = []
        for (name, value) in headers {
            if let i = merged.firstIndex(where: { $0.0.lowercased() == name.lowercased() }) {
                merged[i] = (name, value)
            } else {
                merged.append((name, value))
            }
        }
        return merged
    }

    /// The headers as the excerpt shows them: secret ones masked (and their values registered), the rest redacted.
    private static func maskedForExcerpt(_ headers: [(String, String)]) -> [(String, String)] {
        headers.map { name, value -> (String, String) in
            guard isSecretHeader(name) else { return (name, Redactor.redact(value)) }
            // An API that echoes a cookie or key back must not carry it into the spool, report, chat or e-mail.
            Redactor.register(header: name, value: value)
            if let space = value.firstIndex(of: " "), name.lowercased().contains("authorization") {
                return (name, String(value[..<space]) + " " + Redactor.mask)
            }
            return (name, Redactor.mask)
        }
    }

    /// The response as excerpted in results: headers with cookies masked, body cut at 2 KiB, secrets masked.
    static func excerpt(of response: HTTPResponse) -> HTTPExcerpt {
        // A cookie the answer sets is a credential from now on (masked in this body and every later text).
        for field in response.headers.fields where field.name.lowercased() == "set-cookie" {
            Redactor.register(header: field.name, value: field.value)
        }
        let headers = response.headers.fields.map { field in
            (field.name, isSecretHeader(field.name) ? Redactor.mask : Redactor.redact(field.value))
        }
        let body = HTTPExcerpt.body(response.body)
        return HTTPExcerpt(headers: HeaderFields(headers), body: body.text.map(Redactor.redact), truncatedFrom: body.truncatedFrom)
    }
}
