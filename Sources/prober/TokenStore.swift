// TokenStore: bearer tokens per service, fetched once and shared. Within the process an actor makes
// concurrent probes wait on one fetch (single flight); across processes a flock on
// state/tokens/<service>.lock makes a second prober wait and then read the token the first one wrote to
// state/tokens/<service>.json (0600). A token is refreshed when less than 5 minutes (or half its
// lifetime, if shorter) remain; a 401 from a target invalidates it once.

import Foundation
import Shared

/// A token and its lifetime.
struct Token: Codable, Sendable, Equatable {
    var v = 1
    var kind = RecordKind.token.rawValue
    let service: String
    let token: String
    let fetchedAt: Date
    let expiresAt: Date

    /// Usable for a probe starting now: more than the refresh margin remains.
    func isFresh(now: Date = Date()) -> Bool {
        let lifetime = expiresAt.timeIntervalSince(fetchedAt)
        let margin = min(300, lifetime / 2)
        return expiresAt.timeIntervalSince(now) > margin
    }

    enum CodingKeys: String, CodingKey {
        case v, kind, service, token
        case fetchedAt = "fetched_at"
        case expiresAt = "expires_at"
    }
}

/// Why no token could be had (the service's interfaces are reported `auth` with this text).
struct TokenError: Error, CustomStringConvertible {
    let description: String
}

actor TokenStore {
    private let directory: String
    private let services: [String: ServiceSettings]
    private let client: HTTPClient
    private let timeout: TimeInterval
    private var cached: [String: Token] = [:]
    private var inFlight: [String: Task<Token, Error>] = [:]
    /// Token fetches this process made (for logs and the batch's figures).
    private(set) var fetches = 0

    init(directory: String, services: [String: ServiceSettings], client: HTTPClient, timeout: TimeInterval) {
        self.directory = directory
        self.services = services
        self.client = client
        self.timeout = timeout
    }

    /// A fresh token for `service`, fetching it if needed. `rejected` is a token a target refused (401):
    /// it is not reused even if it looks fresh.
    func token(for service: String, rejecting rejected: String? = nil) async throws -> String {
        if let token = cached[service], token.isFresh(), token.token != rejected { return token.token }
        if let flight = inFlight[service] {
            let token = try await flight.value
            if token.token != rejected { return token.token }
        }
        guard let settings = services[service], let auth = settings.auth else {
            throw TokenError(description: "service \(service) has no auth section")
        }
        let flight = Task { try await self.fetchShared(service: settings, auth: auth, rejecting: rejected) }
        inFlight[service] = flight
        defer { inFlight[service] = nil }
        let token = try await flight.value
        cached[service] = token
        return token.token
    }

    /// Takes the service's lock, reuses a token another process just wrote, or fetches and writes one.
    private func fetchShared(service: ServiceSettings, auth: AuthSettings, rejecting rejected: String?) async throws -> Token {
        let path = directory + "/" + SpoolName.sanitize(service.name) + ".json"
        let lock = try await FileLock.acquire(directory + "/" + SpoolName.sanitize(service.name) + ".lock")
        defer { lock.unlock() }
        if let bytes = try? FileIO.read(path), let token = try? RecordDecoder().decode(Token.self, from: bytes),
            token.isFresh(), token.token != rejected
        {
            Redactor.register(token.token)
            return token
        }
        let token = try await fetch(service: service, auth: auth)
        fetches += 1
        try FileIO.replaceAtomically(path, with: try RecordCoding.encode(token) + [10], mode: 0o600)
        Log.info("token for \(service.name) fetched, valid until \(Timestamp.format(token.expiresAt))")
        return token
    }

    private func fetch(service: ServiceSettings, auth: AuthSettings) async throws -> Token {
        let target = RequestBuilder.resolve(auth.url, service: service)
        guard URL(string: target)?.host != nil else { throw TokenError(description: "token endpoint URL is invalid: \(Redactor.redact(target))") }
        var headers: [(String, String)] = [("User-Agent", RequestBuilder.userAgent)] + auth.headers.fields.map { ($0.name, $0.value) }
        var request = OutgoingRequest(method: auth.method, url: target)
        if let body = auth.body {
            request.body = Array(body.serialized().utf8)
            if auth.headers["Content-Type"] == nil { headers.append(("Content-Type", "application/json")) }
        }
        request.headers = HeaderFields(headers)
        // Every header of auth.headers is a credential of the token request (it is there only to get the token):
        // none of them, nor the body, goes to another origin (HTTPClient drops the headers and refuses a 307/308
        // that would re-send the body).
        request.credentialHeaders = Set(headers.map(\.0).filter(RequestBuilder.isSecretHeader)).union(auth.headers.fields.map(\.name))
        request.bodyIsCredential = request.body != nil
        let response: HTTPResponse
        switch await client.send(request, timeout: timeout, settings: service.http) {
        case let .success(r): response = r
        case let .failure(failure): throw TokenError(description: "token endpoint \(Redactor.maskQuery(of: target)): \(failure)")
        }
        guard (200..<300).contains(response.status) else {
            throw TokenError(description: "token endpoint \(Redactor.maskQuery(of: target)) answered HTTP \(response.status)")
        }
        guard let text = String(strictUTF8: response.body), let node = try? JSONDocument.parse(text) else {
            throw TokenError(description: "token endpoint answer is not JSON")
        }
        let json = JSONValue(node: node)
        guard let token = json.value(at: auth.tokenField)?.text, !token.isEmpty else {
            throw TokenError(description: "token endpoint answer has no \(auth.tokenField)")
        }
        Redactor.register(token)
        var lifetime = auth.defaultTTL
        if let field = auth.expiresInField, let seconds = json.value(at: field)?.text.flatMap(Double.init), seconds > 0 {
            lifetime = seconds
        }
        let now = Date()
        return Token(service: service.name, token: token, fetchedAt: now, expiresAt: now.addingTimeInterval(lifetime))
    }
}
