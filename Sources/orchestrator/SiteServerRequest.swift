// SiteServerRequest: the request parser of `orchestrator serve`, strict HTTP/1.1 (RFC 9112) for input from the
// internet. A request head is taken whole or refused with a named class; nothing in it sizes a buffer (bodies are
// never read: the site takes GET and HEAD only), and every byte is looked at once as it arrives.

import Foundation

/// A request head `serve` accepted.
struct SiteRequest: Equatable, Sendable {
    let method: String
    /// Origin form (`/i/svc~a.html?x`): an absolute-form target is cut to its path.
    let target: String
    let ifNoneMatch: String?
    /// The client keeps the connection for another request (HTTP/1.1 without `Connection: close`).
    let keepAlive: Bool

    /// The path without the query.
    var path: String { String(target.prefix { $0 != "?" }) }
}

/// Why a request was refused: one class per line of the log, each with the status it is answered with.
enum SiteRefusal: String, CaseIterable, Sendable, Error {
    case notHTTP, requestLine, lineEnding, foldedHeader, headerName, headerValue, host
    case contentLength, lengthAndEncoding, body, version, targetTooLong, tooManyHeaders, headTooLarge
    case method, timeout, capacity

    var status: Int {
        switch self {
        case .version: 505
        case .targetTooLong: 414
        case .tooManyHeaders, .headTooLarge: 431
        case .method: 405
        case .timeout: 408
        case .capacity: 503
        default: 400
        }
    }

    /// What the log line and the answer say.
    var reason: String {
        switch self {
        case .notHTTP: "not an HTTP/1.1 request"
        case .requestLine: "malformed request line"
        case .lineEnding: "a bare CR or LF (lines end in CRLF)"
        case .foldedHeader: "an obsolete folded header line"
        case .headerName: "an invalid header name"
        case .headerValue: "a control character in a header value"
        case .host: "no Host header or more than one"
        case .contentLength: "an invalid or repeated Content-Length"
        case .lengthAndEncoding: "both Content-Length and Transfer-Encoding"
        case .body: "a body on GET or HEAD"
        case .version: "an HTTP version other than 1.1 or 1.0"
        case .targetTooLong: "a request target over \(SiteServerLimits.targetBytes) bytes"
        case .tooManyHeaders: "more than \(SiteServerLimits.headerFields) header fields"
        case .headTooLarge: "a request head over \(SiteServerLimits.headBytes) bytes"
        case .method: "a method other than GET and HEAD"
        case .timeout: "a request not complete within \(Int(SiteServerLimits.requestSeconds)) s"
        case .capacity: "all \(SiteServerLimits.connections) connections in use"
        }
    }
}

/// The result of looking at the bytes received so far.
enum SiteParse: Equatable, Sendable {
    case incomplete
    /// A request whose head took the first `consumed` bytes (what follows belongs to the next request).
    case request(SiteRequest, consumed: Int)
    case refused(SiteRefusal)
}

/// Finds the end of a request head as bytes arrive (resuming where it stopped), then parses it whole.
struct SiteRequestParser: Sendable {
    private static let cr: UInt8 = 13
    private static let lf: UInt8 = 10
    private var scanned = 0
    private var lineStart = 0
    /// Where the request line starts: empty lines before it are skipped (RFC 9112 §2.2).
    private var headStart = 0

    /// Forget the last request: the caller removed its bytes from the buffer.
    mutating func reset() { self = SiteRequestParser() }

    mutating func parse(_ buffer: [UInt8]) -> SiteParse {
        var i = scanned
        while i < buffer.count {
            guard i < SiteServerLimits.headBytes else { return .refused(.headTooLarge) }
            let byte = buffer[i]
            if i > 0, buffer[i - 1] == Self.cr, byte != Self.lf { return .refused(.lineEnding) }
            if i == headStart, byte != Self.cr, byte != Self.lf, !Self.isTokenByte(byte) { return .refused(.notHTTP) }
            if byte == Self.lf {
                guard i > 0, buffer[i - 1] == Self.cr else { return .refused(.lineEnding) }
                if i - 1 == lineStart {
                    if lineStart == headStart {
                        headStart = i + 1
                    } else {
                        return Self.parseHead(buffer[headStart..<(lineStart - 2)], consumed: i + 1)
                    }
                }
                lineStart = i + 1
            } else if lineStart == headStart, i - headStart > SiteServerLimits.targetBytes + 32 {
                return .refused(.targetTooLong)
            }
            i += 1
        }
        scanned = i
        // The server never buffers more than this: a head that has not ended by now will not be taken.
        return i >= SiteServerLimits.headBytes ? .refused(.headTooLarge) : .incomplete
    }

    /// `head`: the request line and header lines, each but the last followed by CRLF (every LF already
    /// checked to follow a CR, every CR to precede an LF).
    private static func parseHead(_ head: ArraySlice<UInt8>, consumed: Int) -> SiteParse {
        var lines: [ArraySlice<UInt8>] = []
        var start = head.startIndex
        for i in head.indices where head[i] == cr {
            lines.append(head[start..<i])
            start = i + 2
        }
        lines.append(head[start..<head.endIndex])
        let requestLine = lines.removeFirst()
        let parts = requestLine.split(separator: 32, maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, parts[0].allSatisfy(isTokenByte) else {
            return .refused(.requestLine)
        }
        guard parts[1].count <= SiteServerLimits.targetBytes else { return .refused(.targetTooLong) }
        guard parts[1].allSatisfy({ (0x21...0x7E).contains($0) }) else { return .refused(.requestLine) }
        let version = String(decoding: parts[2], as: UTF8.self)
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            return .refused(version.hasPrefix("HTTP/") && parts[2].count == 8 ? .version : .requestLine)
        }
        guard lines.count <= SiteServerLimits.headerFields else { return .refused(.tooManyHeaders) }
        var fields: [(name: String, value: String)] = []
        for line in lines {
            switch field(line) {
            case let .success(field): fields.append(field)
            case let .failure(refusal): return .refused(refusal)
            }
        }
        return request(method: String(decoding: parts[0], as: UTF8.self), target: parts[1], version: version, fields, consumed: consumed)
    }

    private static func field(_ line: ArraySlice<UInt8>) -> Result<(name: String, value: String), SiteRefusal> {
        guard let first = line.first, first != 32, first != 9 else { return .failure(.foldedHeader) }
        guard let colon = line.firstIndex(of: 58), colon > line.startIndex, line[..<colon].allSatisfy(isTokenByte) else {
            return .failure(.headerName)
        }
        var value = line[(colon + 1)...]
        while let b = value.first, b == 32 || b == 9 { value = value.dropFirst() }
        while let b = value.last, b == 32 || b == 9 { value = value.dropLast() }
        guard value.allSatisfy({ $0 == 9 || ($0 >= 32 && $0 != 127) }) else { return .failure(.headerValue) }
        return .success((String(decoding: line[..<colon], as: UTF8.self).lowercased(), String(decoding: value, as: UTF8.self)))
    }

    /// The framing and method rules, in the order that makes each refusal name the real problem.
    private static func request(
        method: String, target: ArraySlice<UInt8>, version: String, _ fields: [(name: String, value: String)], consumed: Int
    ) -> SiteParse {
        let hosts = fields.filter { $0.name == "host" }
        guard hosts.count == 1 || (version == "HTTP/1.0" && hosts.isEmpty) else { return .refused(.host) }
        let lengths = fields.filter { $0.name == "content-length" }
        let encodings = fields.filter { $0.name == "transfer-encoding" }
        if !lengths.isEmpty, !encodings.isEmpty { return .refused(.lengthAndEncoding) }
        // One field, 1 to 18 decimal digits: no sign, no list, nothing that overflows an Int.
        guard lengths.count <= 1, lengths.allSatisfy({ (1...18).contains($0.value.utf8.count) && $0.value.utf8.allSatisfy(isDigit) }) else {
            return .refused(.contentLength)
        }
        guard method == "GET" || method == "HEAD" else { return .refused(.method) }
        guard encodings.isEmpty, lengths.allSatisfy({ Int($0.value) == 0 }) else { return .refused(.body) }
        guard let path = originForm(target) else { return .refused(.requestLine) }
        let connection = fields.filter { $0.name == "connection" }.flatMap { $0.value.lowercased().split(separator: ",") }
        let keepAlive = version == "HTTP/1.1" && !connection.contains { $0.trimmingCharacters(in: .whitespaces) == "close" }
        let tag = fields.last { $0.name == "if-none-match" }?.value
        return .request(SiteRequest(method: method, target: path, ifNoneMatch: tag, keepAlive: keepAlive), consumed: consumed)
    }

    /// `/path?query` as sent, or the path of an absolute-form target (`http://host/path`); nil for anything else.
    private static func originForm(_ target: ArraySlice<UInt8>) -> String? {
        let text = String(decoding: target, as: UTF8.self)
        if text.hasPrefix("/") { return text }
        let lower = text.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), let scheme = text.range(of: "://") else { return nil }
        let rest = text[scheme.upperBound...]
        guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        return rest[slash] == "/" ? String(rest[slash...]) : "/" + rest[slash...]
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (48...57).contains(byte) }

    /// tchar of RFC 9110 §5.6.2.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 48...57, 65...90, 97...122: true
        case 33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126: true
        default: false
        }
    }
}
