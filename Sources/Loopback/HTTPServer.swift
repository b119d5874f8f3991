// HTTPServer: a small HTTP/1.1 server bound to 127.0.0.1 only, for the test suite and `orchestrator demo`.
// One thread accepts; each connection gets a thread and is kept alive across requests. It parses
// Content-Length and chunked bodies, and a handler decides each reply (status, headers, body, delay, hang,
// close). It is not a production server: it listens on loopback and trusts its clients.

import Foundation
import Glibc
import Shared
import Synchronization

/// POLLRDHUP (peer closed its end), which Glibc's module does not export without _GNU_SOURCE.
private let pollReadHangUp: Int32 = 0x2000

/// A loopback HTTP/1.1 server.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPReply

    public let port: UInt16
    private let listener: Int32
    private let handler: Handler
    private let stopPipe: (read: Int32, write: Int32)
    private let connections = Mutex<Set<Int32>>([])
    private let stopped = Atomic<Bool>(false)
    private let accepted = Atomic<Int>(0)

    /// Connections accepted so far (keep-alive reuses them).
    public var connectionsAccepted: Int { accepted.load(ordering: .relaxed) }

    /// `http://127.0.0.1:<port>`
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Binds 127.0.0.1:`port` (0: any free port) and starts accepting.
    /// `host`: an IPv4 address to listen on (tests and the demo use 127.0.0.1; `orchestrator serve` its web.listen).
    public init(port: UInt16 = 0, host: String = "127.0.0.1", handler: @escaping Handler) throws {
        self.handler = handler
        let (fd, bound) = try Loopback.listen(port: port, host: host)
        self.port = bound
        listener = fd
        stopPipe = FileIO.makePipe(nonBlocking: true)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit { stop() }

    /// Stops accepting, closes every connection (hanging replies end), and releases the port.
    public func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        var byte: UInt8 = 1
        _ = write(stopPipe.write, &byte, 1)
        let open = connections.withLock { $0 }
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private var isStopped: Bool { stopped.load(ordering: .sequentiallyConsistent) }

    private func acceptLoop() {
        defer {
            close(listener)
            close(stopPipe.read)
            close(stopPipe.write)
        }
        while !isStopped {
            var fds = [
                pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                pollfd(fd: stopPipe.read, events: Int16(POLLIN), revents: 0),
            ]
            guard poll(&fds, 2, 1000) > 0, fds[0].revents != 0, !isStopped else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            accepted.add(1, ordering: .relaxed)
            var yes: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            connections.withLock { _ = $0.insert(client) }
            Thread.detachNewThread { [self] in
                serve(client)
                connections.withLock { _ = $0.remove(client) }
                close(client)
            }
        }
    }

    private func serve(_ fd: Int32) {
        var reader = RequestReader(fd: fd)
        while !isStopped {
            guard let request = reader.next(idleTimeout: 120, stopped: { self.isStopped }) else { return }
            switch request {
            case let .failure(status, message):
                send(fd, HTTPReply.text(status, message + "\n"), keepAlive: false, head: false)
                return
            case let .success(request):
                let reply = handler(request)
                if reply.delay > 0, !sleep(reply.delay, fd: fd) { return }
                switch reply.action {
                case .close: return
                case .hang:
                    _ = sleep(.infinity, fd: fd)
                    return
                case .respond:
                    let keepAlive = request.header("Connection")?.lowercased() != "close"
                    guard send(fd, reply, keepAlive: keepAlive, head: request.method == "HEAD"), keepAlive else { return }
                }
            }
        }
    }

    /// Sleeps `seconds` unless the server stops or the client hangs up first; false if it should give up.
    private func sleep(_ seconds: TimeInterval, fd: Int32) -> Bool {
        let end = Date().addingTimeInterval(min(seconds, 86_400))
        while Date() < end {
            if isStopped { return false }
            var p = pollfd(fd: fd, events: Int16(pollReadHangUp), revents: 0)
            let wait = Int32(max(1, min(50, end.timeIntervalSinceNow * 1000)))
            if poll(&p, 1, wait) > 0, p.revents & Int16(pollReadHangUp | POLLHUP | POLLERR) != 0 { return false }
        }
        return true
    }

    @discardableResult
    private func send(_ fd: Int32, _ reply: HTTPReply, keepAlive: Bool, head: Bool) -> Bool {
        var text = "HTTP/1.1 \(reply.status) \(HTTPReply.reason(reply.status))\r\n"
        for field in reply.headers.fields where field.name.lowercased() != "content-length" {
            text += "\(field.name): \(field.value)\r\n"
        }
        text += "Content-Length: \(reply.body.count)\r\n"
        text += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        var bytes = Array(text.utf8)
        if !head { bytes += reply.body }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}

/// Reads HTTP/1.1 requests from a connection.
private struct RequestReader {
    enum Read {
        case success(HTTPRequest)
        case failure(Int, String)
    }

    let fd: Int32
    var buffer: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    /// The next request; nil when the client closed, went idle, or the server stops.
    mutating func next(idleTimeout: TimeInterval, stopped: () -> Bool) -> Read? {
        var headerEnd: Int?
        while buffer.isEmpty {
            guard fill(timeout: idleTimeout, stopped: stopped) else { return nil }
        }
        // Not HTTP (a TLS ClientHello starts with 0x16): refuse at once rather than wait for a blank line.
        guard let first = buffer.first, (65...90).contains(first) else { return .failure(400, "not an HTTP/1.1 request") }
        while headerEnd == nil {
            headerEnd = find([13, 10, 13, 10], from: 0)
            if headerEnd != nil { break }
            guard buffer.count < 65_536 else { return .failure(431, "request headers larger than 64 KiB") }
            guard fill(timeout: idleTimeout, stopped: stopped) else { return nil }
        }
        let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self)
        buffer.removeSubrange(0..<(headerEnd! + 4))
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else { return .failure(400, "malformed request line") }
        var headers: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { return .failure(400, "malformed header line") }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let fields = HeaderFields(headers)
        var body: [UInt8] = []
        if let length = fields["Content-Length"].flatMap(Int.init) {
            guard length <= 64 << 20 else { return .failure(413, "body too large") }
            while buffer.count < length {
                guard fill(timeout: idleTimeout, stopped: stopped) else { return nil }
            }
            body = Array(buffer[0..<length])
            buffer.removeSubrange(0..<length)
        } else if fields["Transfer-Encoding"]?.lowercased().contains("chunked") == true {
            while true {
                var lineEnd = find([13, 10], from: 0)
                while lineEnd == nil {
                    guard fill(timeout: idleTimeout, stopped: stopped) else { return nil }
                    lineEnd = find([13, 10], from: 0)
                }
                let sizeText = String(decoding: buffer[0..<lineEnd!], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                    return .failure(400, "malformed chunk size")
                }
                buffer.removeSubrange(0..<(lineEnd! + 2))
                while buffer.count < size + 2 {
                    guard fill(timeout: idleTimeout, stopped: stopped) else { return nil }
                }
                body += buffer[0..<size]
                buffer.removeSubrange(0..<(size + 2))
                if size == 0 { break }
            }
        }
        return .success(
            HTTPRequest(
                method: String(requestLine[0]), target: String(requestLine[1]), headers: fields,
                body: body, receivedAt: Date()))
    }

    private func find(_ needle: [UInt8], from: Int) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        var i = from
        while i + needle.count <= buffer.count {
            if buffer[i] == needle[0], Array(buffer[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }

    private mutating func fill(timeout: TimeInterval, stopped: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while Date() < end, !stopped() {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, 200)
            if ready < 0, errno != EINTR { return false }
            guard ready > 0 else { continue }
            let n = recv(fd, &chunk, chunk.count, 0)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            buffer += chunk[0..<n]
            return true
        }
        return false
    }
}

/// Listening sockets on 127.0.0.1 for the loopback servers.
public enum Loopback {
    /// A listening TCP socket on 127.0.0.1:`port` (0: any free port) and the port it got.
    public static func listen(port: UInt16, host: String = "127.0.0.1") throws -> (fd: Int32, port: UInt16) {
        try TCPListener.open(host: host, port: port, backlog: 1024)
    }
}
