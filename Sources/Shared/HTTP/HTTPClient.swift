// HTTPClient: URLSession (FoundationNetworking) behind a small API with a hard deadline per request and
// errors classified the way Vigil reports them (timeout, dns, connection, tls). The deadline is enforced
// here by cancelling the task, because URLSession's own timeoutIntervalForRequest is an idle timeout: a
// server that trickles bytes would otherwise never time out.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// An HTTP answer.
public struct HTTPResponse: Sendable {
    public let status: Int
    public let headers: HeaderFields
    public let body: [UInt8]
    /// Seconds from sending to the complete answer.
    public let latency: TimeInterval
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

    /// Maps a URLSession error to a failure class.
    public static func classify(_ error: Error) -> HTTPFailure {
        let ns = error as NSError
        let detail = HTTPFailure.detail(ns)
        guard ns.domain == NSURLErrorDomain else { return .connection(detail) }
        // libcurl reports handshake failures (wrong version, bad certificate) under generic codes on Linux.
        let lower = detail.lowercased()
        if lower.contains("ssl") || lower.contains("tls") || lower.contains("certificate") { return .tls(detail) }
        switch URLError.Code(rawValue: ns.code) {
        case .timedOut: return .timeout(0)
        case .cannotFindHost, .dnsLookupFailed: return .dns(detail)
        case .secureConnectionFailed, .serverCertificateHasBadDate, .serverCertificateUntrusted,
             .serverCertificateHasUnknownRoot, .serverCertificateNotYetValid, .clientCertificateRejected,
             .clientCertificateRequired:
            return .tls(detail)
        case .cancelled: return .cancelled
        case .badURL, .unsupportedURL: return .invalidRequest(detail)
        default: return .connection(detail)
        }
    }

    private static func detail(_ error: NSError) -> String {
        var current: NSError? = error
        var best = error.localizedDescription
        while let e = current {
            if let text = e.userInfo[NSLocalizedDescriptionKey] as? String, !text.isEmpty { best = text }
            current = e.userInfo[NSUnderlyingErrorKey] as? NSError
        }
        if best.hasPrefix("The operation could not be completed") || best == "(null)" {
            best = "error \(error.code)"
        }
        return Redactor.redact(best)
    }
}

/// Sends requests with a URLSession sized for the wanted concurrency.
public final class HTTPClient: Sendable {
    private let sessions: [URLSession]
    private let next = Atomic<Int>(0)

    /// `connections`: simultaneous connections per host (raised from URLSession's default of 6).
    public init(connections: Int, timeout: TimeInterval) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = max(1, connections)
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.timeoutIntervalForRequest = timeout + 5
        configuration.timeoutIntervalForResource = timeout + 5
        // URLSession drives all transfers of a session from one serial queue; several sessions share the load.
        let count = max(1, min(8, connections / 25))
        configuration.httpMaximumConnectionsPerHost = max(1, (connections + count - 1) / count)
        sessions = (0..<count).map { _ in URLSession(configuration: configuration) }
    }

    deinit { sessions.forEach { $0.finishTasksAndInvalidate() } }

    /// Sends `request`; fails with `.timeout` if the whole answer has not arrived within `timeout` seconds.
    public func send(_ request: URLRequest, timeout: TimeInterval) async -> Result<HTTPResponse, HTTPFailure> {
        let started = Date()
        let flags = Mutex<(finished: Bool, timedOut: Bool, task: URLSessionDataTask?)>((false, false, nil))
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPResponse, HTTPFailure>, Never>) in
                var request = request
                request.timeoutInterval = timeout + 5
                let session = sessions[next.add(1, ordering: .relaxed).oldValue % sessions.count]
                let task = session.dataTask(with: request) { data, response, error in
                    let timedOut = flags.withLock { state -> Bool in
                        state.finished = true
                        // The deadline timer lives on until it fires: drop the task so it is not kept with it.
                        state.task = nil
                        return state.timedOut
                    }
                    let latency = Date().timeIntervalSince(started)
                    if timedOut {
                        continuation.resume(returning: .failure(.timeout(timeout)))
                    } else if let error {
                        var failure = HTTPFailure.classify(error)
                        if case .timeout = failure { failure = .timeout(latency) }
                        continuation.resume(returning: .failure(failure))
                    } else if let http = response as? HTTPURLResponse {
                        var headers: [(String, String)] = []
                        for (key, value) in http.allHeaderFields {
                            headers.append(("\(key)", "\(value)"))
                        }
                        continuation.resume(returning: .success(HTTPResponse(status: http.statusCode, headers: HeaderFields(headers),
                                                                             body: Array(data ?? Data()), latency: latency)))
                    } else {
                        continuation.resume(returning: .failure(.connection("no HTTP response")))
                    }
                }
                flags.withLock { $0.task = task }
                task.resume()
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                    let cancel = flags.withLock { state -> URLSessionDataTask? in
                        guard !state.finished else { return nil }
                        state.timedOut = true
                        return state.task
                    }
                    cancel?.cancel()
                }
            }
        } onCancel: {
            flags.withLock { $0.task }?.cancel()
        }
    }
}
