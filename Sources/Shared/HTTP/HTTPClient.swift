// HTTPClient: every request Vigil sends (probes, token fetches, webhook deliveries) goes through here, on the
// process's libcurl engine. The whole answer must arrive within the timeout (libcurl's own total deadline);
// redirects are followed here, hop by hop, so that credentials never go to another origin and the result can
// name the final URL; bodies are read to the end but only their first bytes are kept. Failures are classified
// the way Vigil reports them (timeout, dns, connection, tls) and carry the time they took.

import CCurl
import Foundation

/// A request to send.
public struct OutgoingRequest: Sendable {
    public var method: String
    /// An absolute http(s) URL, already encoded.
    public var url: String
    public var headers: HeaderFields
    public var body: [UInt8]?
    /// Header names (besides Authorization, Cookie and Proxy-Authorization) dropped when a redirect leaves the origin.
    public var credentialHeaders: Set<String>
    /// The body carries credentials (a token request's password): a 307/308 to another origin, which would send
    /// it there again, ends the exchange with `.invalidRequest` saying so instead of being followed.
    public var bodyIsCredential = false

    public init(
        method: String = "GET", url: String, headers: HeaderFields = [:], body: [UInt8]? = nil,
        credentialHeaders: Set<String> = []
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.credentialHeaders = credentialHeaders
    }
}

/// Time spent in each phase of a transfer, in milliseconds from its start (libcurl's cumulative timers).
public struct PhaseTimings: Sendable, Equatable, Codable {
    public var dns: Double = 0
    public var connect: Double = 0
    public var tls: Double = 0
    public var firstByte: Double = 0
    public var total: Double = 0

    public init(dns: Double = 0, connect: Double = 0, tls: Double = 0, firstByte: Double = 0, total: Double = 0) {
        self.dns = dns
        self.connect = connect
        self.tls = tls
        self.firstByte = firstByte
        self.total = total
    }

    public enum CodingKeys: String, WireKey {
        case dns, connect, tls
        case firstByte = "first_byte"
        case total
    }
}

/// How requests of a service (or of the notifier) are sent.
public struct HTTPSettings: Sendable, Equatable {
    public enum Proxy: Sendable, Equatable {
        /// Direct connections, whatever proxy variables the environment has (the default).
        case none
        /// Honour http_proxy, https_proxy, no_proxy.
        case environment
        case url(String)
    }

    public enum IPVersion: Int, Sendable, Equatable {
        case any = 0
        case v4 = 1
        case v6 = 2
    }

    public enum HTTPVersion: String, Sendable, Equatable {
        case auto
        case http11 = "1.1"
        case http2 = "2"

        var curlValue: Int {
            switch self {
            case .auto: 0
            case .http11: 2
            case .http2: 4  // CURL_HTTP_VERSION_2TLS: HTTP/2 over TLS, 1.1 for plain http
            }
        }
    }

    public struct TLS: Sendable, Equatable {
        public var caFile: String?
        public var certFile: String?
        public var keyFile: String?
        public var insecureSkipVerify = false
        /// The name to send (SNI, Host) and verify the certificate against, when the URL names the server by
        /// another name or an address: the connection still goes where the URL says.
        public var serverName: String?

        public init(
            caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, insecureSkipVerify: Bool = false,
            serverName: String? = nil
        ) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.insecureSkipVerify = insecureSkipVerify
            self.serverName = serverName
        }
    }

    public var followRedirects = true
    public var maxRedirects = 10
    /// What callers see of a body; the rest is read and counted, never held.
    public var maxBodyBytes = 1 << 20
    public var proxy = Proxy.none
    public var ipVersion = IPVersion.any
    public var httpVersion = HTTPVersion.auto
    public var tls: TLS?
    public var connectTimeout: TimeInterval = 30

    public init() {}
}

/// An HTTP answer.
public struct HTTPResponse: Sendable {
    public let status: Int
    public let headers: HeaderFields
    /// The first `maxBodyBytes` bytes of the body.
    public let body: [UInt8]
    /// Seconds from sending to the complete answer, redirects included.
    public let latency: TimeInterval
    /// The body's real size.
    public var bodyBytes: Int = 0
    /// Phases of the last hop.
    public var timings = PhaseTimings()
    public var remoteIP: String?
    /// "1.1", "2".
    public var httpVersion: String?
    /// Where the answer came from, when a redirect was followed.
    public var finalURL: String?
    public var redirects = 0
    /// The server's certificate chain (HTTPS), leaf first.
    public var certificates: [CertificateFacts] = []
    /// "TLSv1.3" (HTTPS with an OpenSSL-family libcurl).
    public var tlsVersion: String?

    public init(status: Int, headers: HeaderFields, body: [UInt8], latency: TimeInterval) {
        self.status = status
        self.headers = headers
        self.body = body
        self.latency = latency
        bodyBytes = body.count
    }
}

/// Why no HTTP answer came.
public enum HTTPFailure: Error, Sendable, Equatable, CustomStringConvertible {
    case timeout(TimeInterval)
    case dns(String)
    case connection(String)
    case tls(String)
    case cancelled
    case invalidRequest(String)

    public var description: String {
        switch self {
        case let .timeout(seconds): "no complete answer within \(DurationParser.format(seconds))"
        case let .dns(detail): "DNS lookup failed: \(detail)"
        case let .connection(detail): "connection failed: \(detail)"
        case let .tls(detail): "TLS failed: \(detail)"
        case .cancelled: "cancelled"
        case let .invalidRequest(detail): "invalid request: \(detail)"
        }
    }

    /// Timeouts and network errors may succeed on a retry; a bad request never does.
    public var isRetryable: Bool {
        switch self {
        case .timeout, .dns, .connection: true
        case .tls, .cancelled, .invalidRequest: false
        }
    }

    /// The failure as it happened at `url`, reached after `redirects` redirects: the address that failed is
    /// named (a TLS error at the redirect target is not the first address's), its userinfo and secrets masked.
    func at(_ url: String, after redirects: Int) -> HTTPFailure {
        let place = " (at \(Redactor.redact(Redactor.maskUserinfo(url))), after \(redirects) redirect\(redirects == 1 ? "" : "s"))"
        switch self {
        case let .dns(detail): return .dns(detail + place)
        case let .connection(detail): return .connection(detail + place)
        case let .tls(detail): return .tls(detail + place)
        case let .invalidRequest(detail): return .invalidRequest(detail + place)
        case .timeout, .cancelled: return self
        }
    }

    /// The class of a libcurl result code.
    static func classify(code: Int32, message: String, timeout: TimeInterval) -> HTTPFailure {
        let detail = Redactor.redact(message)
        switch code {
        case Curl.Code.operationTimedOut: return .timeout(timeout)
        case Curl.Code.couldntResolveHost, Curl.Code.couldntResolveProxy: return .dns(detail)
        case Curl.Code.abortedByCallback: return .cancelled
        case Curl.Code.unsupportedProtocol, Curl.Code.urlMalformat: return .invalidRequest(detail)
        case _ where Curl.Code.tls.contains(code): return .tls(detail)
        default: return .connection(detail)
        }
    }
}

/// Sends requests through the process's libcurl engine.
public final class HTTPClient: Sendable {
    public let settings: HTTPSettings

    /// libcurl reuses connections on its own, and every request carries its own deadline.
    public init(settings: HTTPSettings = HTTPSettings()) {
        self.settings = settings
    }

    /// Sends `request`, following redirects as the settings say; fails with `.timeout` when the whole answer
    /// (every hop) has not arrived within `timeout` seconds.
    public func send(_ request: OutgoingRequest, timeout: TimeInterval, settings override: HTTPSettings? = nil) async
        -> Result<HTTPResponse, HTTPFailure>
    {
        let exchange = HTTPExchange(request, timeout: timeout, settings: override ?? settings)
        await send(exchange)
        return exchange.outcome ?? .failure(.cancelled)
    }

    /// Runs `exchange` to its outcome. What it keeps between hops lives in the exchange, so a caller with a
    /// thousand requests in flight (the prober) holds a reference per request in its suspended frames, not
    /// the request, its settings and the answer (4.6 KB a request when this function held them).
    public func send(_ exchange: HTTPExchange) async {
        guard let engine = HTTPClient.engine(for: exchange) else { return }
        while let transfer = exchange.nextTransfer() {
            exchange.received(await engine.perform(transfer))
        }
    }

    /// The process's libcurl engine; nil (and the exchange failed) when libcurl is not there.
    @inline(never)
    private static func engine(for exchange: HTTPExchange) -> CurlEngine? {
        if let engine = CurlEngine.shared { return engine }
        if case let .failure(error) = Curl.loaded {
            exchange.finish(.failure(.invalidRequest(error.description)))
        } else {
            exchange.finish(.failure(.invalidRequest("libcurl is not loaded")))
        }
        return nil
    }

    /// The request for the next hop: 307/308 keep method and body, 301/302 turn POST into GET and 303 anything
    /// but HEAD into GET (as browsers do); credentials stay behind when the origin changes.
    static func redirect(_ request: OutgoingRequest, status: Int, location: String) -> OutgoingRequest? {
        guard let base = URL(string: request.url), let target = URL(string: location, relativeTo: base)?.absoluteURL,
            let scheme = target.scheme?.lowercased(), scheme == "http" || scheme == "https"
        else { return nil }
        var next = request
        next.url = target.absoluteString
        let method = request.method.uppercased()
        if (status == 303 && method != "HEAD") || ((status == 301 || status == 302) && method == "POST") {
            next.method = "GET"
            next.body = nil
            next.headers = next.headers.removing { $0.lowercased() == "content-type" }
        }
        if origin(of: base) != origin(of: target) {
            let drop = Set(["authorization", "cookie", "proxy-authorization"]).union(request.credentialHeaders.map { $0.lowercased() })
            next.headers = next.headers.removing { drop.contains($0.lowercased()) }
        }
        return next
    }

    /// scheme://host:port, with the scheme's default port made explicit.
    static func origin(of url: URL) -> String {
        let scheme = url.scheme?.lowercased() ?? ""
        return "\(scheme)://\(url.host?.lowercased() ?? ""):\(url.port ?? (scheme == "https" ? 443 : 80))"
    }
}

/// One request and its hops (redirects) to an outcome. Unchecked Sendable: it is driven by the one task that
/// sends it (HTTPClient.send awaits each hop in turn, and the engine's thread gets only the hop's CurlRequest,
/// never the exchange), so its `var`s are never touched by two threads at once.
public final class HTTPExchange: @unchecked Sendable {
    private var current: OutgoingRequest
    private let timeout: TimeInterval
    private let settings: HTTPSettings
    private let started = Date()
    private var redirects = 0
    // Latency is libcurl's own measure of the transfers, summed over hops: not the time the task took to be
    // resumed afterwards (a monitor must not report its own queueing as the target's slowness).
    private var transferMs = 0.0
    /// Set once the exchange is over.
    public private(set) var outcome: Result<HTTPResponse, HTTPFailure>?

    public init(_ request: OutgoingRequest, timeout: TimeInterval, settings: HTTPSettings) {
        current = request
        self.timeout = timeout
        self.settings = settings
    }

    func finish(_ outcome: Result<HTTPResponse, HTTPFailure>) { self.outcome = outcome }

    /// The next hop's transfer; nil once there is an outcome (the deadline passed included).
    @inline(never)
    func nextTransfer() -> CurlRequest? {
        guard outcome == nil else { return nil }
        let remaining = timeout - Date().timeIntervalSince(started)
        guard remaining > 0 else {
            finish(.failure(.timeout(timeout)))
            return nil
        }
        return CurlRequest(
            method: current.method, url: current.url, headers: current.headers.fields.map { ($0.name, $0.value) },
            body: current.body, timeout: remaining, maxBodyBytes: settings.maxBodyBytes, settings: settings)
    }

    /// Takes a transfer's outcome: the response, a failure, or the next hop of a redirect.
    @inline(never)
    func received(_ transfer: CurlOutcome) {
        let elapsed = Date().timeIntervalSince(started)
        guard transfer.code == Curl.Code.ok else {
            let failure = HTTPFailure.classify(code: transfer.code, message: transfer.message, timeout: timeout)
            return finish(.failure(redirects > 0 ? failure.at(current.url, after: redirects) : failure))
        }
        transferMs += transfer.timings.total
        let headers = HeaderFields(transfer.headers)
        if settings.followRedirects, [301, 302, 303, 307, 308].contains(transfer.status), let location = headers["Location"],
            let next = HTTPClient.redirect(current, status: transfer.status, location: location)
        {
            guard redirects < settings.maxRedirects else {
                return finish(.failure(.connection("more than \(settings.maxRedirects) redirects (last to \(Redactor.redact(next.url)))")))
            }
            if current.bodyIsCredential, next.body != nil, let from = URL(string: current.url), let to = URL(string: next.url),
                HTTPClient.origin(of: from) != HTTPClient.origin(of: to)
            {
                return finish(
                    .failure(
                        .invalidRequest(
                            "HTTP \(transfer.status) redirect to another origin (\(HTTPClient.origin(of: to))) refused: it would send "
                                + "the credentials in the request body there")))
            }
            redirects += 1
            current = next
            return
        }
        var response = HTTPResponse(
            status: transfer.status, headers: headers, body: transfer.body,
            latency: transferMs > 0 ? transferMs / 1000 : elapsed)
        response.bodyBytes = transfer.bodyBytes
        response.timings = transfer.timings
        response.remoteIP = transfer.remoteIP
        response.httpVersion = transfer.httpVersion
        response.redirects = redirects
        response.finalURL = redirects > 0 ? current.url : nil
        response.certificates = transfer.certificates
        response.tlsVersion = transfer.tlsVersion
        finish(.success(response))
    }
}

/// What the certificate of a server (or an issuer in its chain) says, as libcurl reports it.
public struct CertificateFacts: Sendable, Equatable, Codable {
    public var subject: String
    public var issuer: String
    public var notAfter: Date?

    public init(subject: String, issuer: String, notAfter: Date?) {
        self.subject = subject
        self.issuer = issuer
        self.notAfter = notAfter
    }

    /// The chain of a finished HTTPS transfer (CURLOPT_CERTINFO), leaf first.
    static func chain(_ easy: UnsafeMutableRawPointer) -> [CertificateFacts] {
        var pointer: UnsafeMutableRawPointer?
        guard vigil_curl_easy_getinfo_pointer(easy, Curl.Info.certInfo.rawValue, &pointer) == 0, let pointer else { return [] }
        let info = pointer.assumingMemoryBound(to: vigil_curl_certinfo.self).pointee
        guard info.num_of_certs > 0, let lists = info.certinfo else { return [] }
        return (0..<Int(info.num_of_certs)).map { i in
            var fields: [String: String] = [:]
            var node = lists[i]
            while let item = node {
                if let data = item.pointee.data {
                    let text = String(cString: data)
                    if let colon = text.firstIndex(of: ":") { fields[String(text[..<colon])] = String(text[text.index(after: colon)...]) }
                }
                node = item.pointee.next
            }
            return CertificateFacts(
                subject: fields["Subject"] ?? "", issuer: fields["Issuer"] ?? "",
                notAfter: fields["Expire date"].flatMap(parseDate))
        }
    }

    /// OpenSSL's "Jan 15 12:00:00 2027 GMT" (libcurl's "Expire date"), also with "2027-01-15 12:00:00 GMT".
    static func parseDate(_ text: String) -> Date? {
        let squeezed = text.split(separator: " ").joined(separator: " ")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["MMM d HH:mm:ss yyyy zzz", "yyyy-MM-dd HH:mm:ss zzz"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: squeezed) { return date }
        }
        return nil
    }
}

/// `tls.server_name`: the URL rewritten to the name, and libcurl's connect-to rule that still reaches the
/// URL's own host and port.
enum ServerName {
    static func rewrite(_ url: String, as name: String) -> (url: String, connectTo: String)? {
        guard var components = URLComponents(string: url), let host = components.host, !host.isEmpty else { return nil }
        let port = components.port ?? (components.scheme?.lowercased() == "https" ? 443 : 80)
        // An IPv6 address goes in brackets in a connect-to rule, as in a URL.
        let target = host.contains(":") ? "[\(host)]" : host
        components.host = name
        guard let rewritten = components.string else { return nil }
        return (rewritten, "\(name):\(port):\(target):\(port)")
    }
}
