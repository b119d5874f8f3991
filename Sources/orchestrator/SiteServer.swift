// SiteServer: the HTTP/1.1 server of `orchestrator serve`, written for the internet's input. One thread runs one
// poll() loop over non-blocking sockets; every resource a client can make it hold is bounded (SiteServerLimits):
// connections, bytes of a request head, time to send it (a deadline from its first byte that trickling does not
// extend), time to take an answer, requests per connection. Refusals are answered, then logged rate-limited.

import Foundation
import Glibc
import Shared

/// The bounds of `serve` (docs/operating-guide.md lists them).
enum SiteServerLimits {
    /// Open connections; a new one beyond it closes the oldest still sending its request, or is answered 503.
    static let connections = 128
    /// A request head: request line and header fields.
    static let headBytes = 16_384
    static let targetBytes = 8_192
    static let headerFields = 64
    /// A request head must arrive whole within this time of its first byte (of the connection, for the first).
    static let requestSeconds = 10.0
    /// A kept-alive connection waits this long for the next request.
    static let idleSeconds = 5.0
    /// An answer must be taken within this time.
    static let answerSeconds = 30.0
    static let requestsPerConnection = 100
    /// After a refusal, what the client still sends is read and dropped, this long and this much at most.
    static let drainSeconds = 2.0
    static let drainBytes = 65_536
}

/// The server: bind in `init`, serve on a thread of its own from `start`, `stop` closes everything.
final class SiteServer: Sendable {
    typealias Handler = @Sendable (SiteRequest) -> SiteAnswer

    let port: UInt16
    private let listener: Int32
    private let handler: Handler
    private let stopPipe: (read: Int32, write: Int32)
    private let finished = DispatchSemaphore(value: 0)

    /// Binds `host:port` (an IPv4 address; port 0: any free port).
    init(host: String, port: UInt16, handler: @escaping Handler) throws {
        self.handler = handler
        (listener, self.port) = try TCPListener.open(host: host, port: port, nonBlocking: true)
        stopPipe = FileIO.makePipe(nonBlocking: true)
    }

    func start() {
        let thread = Thread { [self] in
            var loop = SiteServerLoop(listener: listener, stop: stopPipe.read, handler: handler)
            loop.run()
            close(listener)
            finished.signal()
        }
        thread.name = "vigil-serve"
        thread.start()
    }

    /// Stops the loop and waits for it to close every connection.
    func stop() {
        var byte: UInt8 = 1
        _ = write(stopPipe.write, &byte, 1)
        finished.wait()
    }
}

/// The loop's state; lives on the server's thread only.
private struct SiteServerLoop {
    let listener: Int32
    let stop: Int32
    let handler: SiteServer.Handler
    var connections: [Int32: SiteConnection] = [:]
    var refusals = SiteRefusalLog()
    var scratch = [UInt8](repeating: 0, count: 16_384)
    /// Accepting pauses briefly when the process is out of descriptors (the listener would stay readable).
    var acceptPausedUntil = 0.0

    init(listener: Int32, stop: Int32, handler: @escaping SiteServer.Handler) {
        self.listener = listener
        self.stop = stop
        self.handler = handler
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    mutating func run() {
        while true {
            let now = Self.now()
            var fds = [pollfd(fd: stop, events: Int16(POLLIN), revents: 0)]
            if now >= acceptPausedUntil { fds.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0)) }
            for connection in connections.values {
                let events = if case .writing = connection.phase { POLLOUT } else { POLLIN }
                fds.append(pollfd(fd: connection.fd, events: Int16(events), revents: 0))
            }
            let soonest = connections.values.map(\.deadline).min() ?? now + 1
            let wait = Int32(max(0, min(1000, (soonest - now) * 1000 + 1)))
            if poll(&fds, nfds_t(fds.count), wait) < 0, errno != EINTR { Log.error("serve: poll failed (errno \(errno))") }
            if fds[0].revents != 0 { break }
            let later = Self.now()
            for entry in fds.dropFirst() where entry.revents != 0 {
                if entry.fd == listener { accept(now: later) } else if let connection = connections[entry.fd] { serve(connection, now: later) }
            }
            expire(now: later)
            for line in refusals.flush(now: later) { Log.notice(line) }
        }
        connections.removeAll()
    }

    private mutating func accept(now: Double) {
        for _ in 0..<64 {
            let fd = Glibc.accept(listener, nil, nil)
            guard fd >= 0 else {
                if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM { acceptPausedUntil = now + 0.1 }
                return
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var yes: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            if connections.count >= SiteServerLimits.connections, !makeRoom(now: now) {
                // Every connection is taking an answer: this one is told so and closed at once.
                let busy = SiteAnswerHead.bytes(.text(503, "busy\n"), close: true) + Array("busy\n".utf8)
                _ = busy.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                close(fd)
                note(.capacity, now: now)
                continue
            }
            connections[fd] = SiteConnection(fd: fd, now: now)
        }
    }

    /// Closes the connection that has waited longest for its request head, if any is waiting.
    private mutating func makeRoom(now: Double) -> Bool {
        let waiting = connections.values.filter { if case .reading = $0.phase { true } else { false } }
        guard let oldest = waiting.min(by: { $0.since < $1.since }) else { return false }
        connections[oldest.fd] = nil
        note(.capacity, now: now)
        return true
    }

    private mutating func serve(_ connection: SiteConnection, now: Double) {
        switch connection.phase {
        case .reading: read(connection, now: now)
        case .writing: written(connection, connection.write(), now: now)
        case let .draining(bytes):
            guard let n = connection.receive(&scratch, limit: scratch.count) else { return }
            if n <= 0 || bytes + n > SiteServerLimits.drainBytes {
                connections[connection.fd] = nil
            } else {
                connection.phase = .draining(bytes: bytes + n)
            }
        }
    }

    private mutating func read(_ connection: SiteConnection, now: Double) {
        let room = SiteServerLimits.headBytes - connection.input.count
        guard room > 0, let n = connection.receive(&scratch, limit: room) else { return }
        guard n > 0 else {
            connections[connection.fd] = nil
            return
        }
        if case .reading(begun: false) = connection.phase {
            connection.phase = .reading(begun: true)
            // The first request's deadline runs from the connection's start; a later one's from its first byte.
            if connection.served > 0 { connection.deadline = now + SiteServerLimits.requestSeconds }
        }
        connection.input += scratch[..<n]
        process(connection, now: now)
    }

    /// Answers the request now complete in the connection's input, if there is one.
    private mutating func process(_ connection: SiteConnection, now: Double) {
        switch connection.parser.parse(connection.input) {
        case .incomplete: return
        case let .refused(refusal): refuse(connection, refusal, now: now)
        case let .request(request, consumed):
            connection.input.removeFirst(consumed)
            connection.served += 1
            let answer = handler(request)
            let close = !request.keepAlive || connection.served >= SiteServerLimits.requestsPerConnection
            let head = SiteAnswerHead.bytes(answer, close: close)
            connection.start(answer, head: head, withBody: request.method != "HEAD", close: close, now: now)
            written(connection, connection.write(), now: now)
        }
    }

    private mutating func refuse(_ connection: SiteConnection, _ refusal: SiteRefusal, now: Double) {
        note(refusal, now: now)
        // An answer to HEAD has no content, even a refusal (RFC 9110 §9.3.2).
        let head = connection.input.starts(with: "HEAD ".utf8)
        connection.input = []
        let extra: [(name: String, value: String)] = refusal == .method ? [("Allow", "GET, HEAD")] : []
        let answer = SiteAnswer.text(refusal.status, "refused: \(refusal.reason)\n", headers: extra)
        connection.start(answer, head: SiteAnswerHead.bytes(answer, close: true), withBody: !head, close: true, now: now)
        written(connection, connection.write(), now: now)
    }

    private mutating func written(_ connection: SiteConnection, _ progress: SiteConnection.Progress, now: Double) {
        switch progress {
        case .wouldBlock: return
        case .failed: connections[connection.fd] = nil
        case .done:
            if connection.closeAfter {
                connection.startDraining(now: now)
            } else {
                connection.startReading(now: now)
                process(connection, now: now)
            }
        }
    }

    /// Ends what ran out of time: a request head not complete (answered 408), an answer not taken, a drain.
    private mutating func expire(now: Double) {
        for connection in connections.values where connection.deadline <= now {
            if case .reading(begun: true) = connection.phase {
                refuse(connection, .timeout, now: now)
                if connection.deadline > now { continue }
            }
            connections[connection.fd] = nil
        }
    }

    private mutating func note(_ refusal: SiteRefusal, now: Double) {
        if let line = refusals.note(refusal, now: now) { Log.notice(line) }
    }
}
