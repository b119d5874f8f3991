// SiteServerConnection: one client of `orchestrator serve` as the event loop sees it — reading a request head
// (at most SiteServerLimits.headBytes buffered), writing an answer (the head, then the file 64 KiB at a time), or
// draining what a refused client still sends before the close, so it reads the refusal rather than a reset.

import Foundation
import Glibc

/// An answer of the site: status, headers, and a body in memory or an open file sent in chunks.
struct SiteAnswer {
    enum Body {
        case bytes([UInt8])
        /// An open descriptor of a regular file (the connection closes it) and its size.
        case file(Int32, size: Int)
    }

    var status: Int
    var headers: [(name: String, value: String)]
    var body: Body

    static func text(_ status: Int, _ text: String, headers: [(name: String, value: String)] = []) -> SiteAnswer {
        SiteAnswer(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")] + headers, body: .bytes(Array(text.utf8)))
    }

    var bodySize: Int {
        switch body {
        case let .bytes(bytes): bytes.count
        case let .file(_, size): size
        }
    }
}

final class SiteConnection {
    enum Phase {
        /// Waiting for (the rest of) a request head; `begun` once a byte of it arrived.
        case reading(begun: Bool)
        case writing
        case draining(bytes: Int)
    }

    static let chunkBytes = 65_536
    let fd: Int32
    var phase: Phase = .reading(begun: false)
    /// When the current phase must be over (monotonic seconds).
    var deadline: Double
    /// When the current phase began: the oldest reading connection is the one closed to make room.
    var since: Double
    var input: [UInt8] = []
    var parser = SiteRequestParser()
    var served = 0
    private var output: [UInt8] = []
    private var sent = 0
    private var file: Int32 = -1
    private var fileOffset = 0
    private var fileRemaining = 0
    private(set) var closeAfter = false

    init(fd: Int32, now: Double) {
        self.fd = fd
        since = now
        deadline = now + SiteServerLimits.requestSeconds
    }

    deinit {
        if file >= 0 { close(file) }
        close(fd)
    }

    /// Starts writing `answer` (its body only if `withBody`); `close`: the connection ends after it.
    func start(_ answer: SiteAnswer, head: [UInt8], withBody: Bool, close: Bool, now: Double) {
        output = head
        sent = 0
        closeAfter = close
        switch answer.body {
        case let .bytes(bytes): if withBody { output += bytes }
        case let .file(descriptor, size):
            if withBody {
                file = descriptor
                fileOffset = 0
                fileRemaining = size
            } else {
                Glibc.close(descriptor)
            }
        }
        phase = .writing
        since = now
        deadline = now + SiteServerLimits.answerSeconds
    }

    enum Progress { case wouldBlock, done, failed }

    /// Sends what the socket takes now; `.done` once the whole answer is out.
    func write() -> Progress {
        while true {
            if sent == output.count {
                guard file >= 0 else { return .done }
                guard refill() else { return .failed }
                continue
            }
            let n = output[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            if n < 0, errno == EINTR { continue }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { return .wouldBlock }
            guard n > 0 else { return .failed }
            sent += n
        }
    }

    /// The next chunk of the file into the output buffer; a file that shrank under us fails the connection
    /// (its Content-Length was already sent).
    private func refill() -> Bool {
        guard fileRemaining > 0 else {
            close(file)
            file = -1
            output = []
            sent = 0
            return true
        }
        var chunk = [UInt8](repeating: 0, count: min(Self.chunkBytes, fileRemaining))
        let n = chunk.withUnsafeMutableBytes { pread(file, $0.baseAddress, $0.count, off_t(fileOffset)) }
        guard n > 0 else { return false }
        output = Array(chunk[..<n])
        sent = 0
        fileOffset += n
        fileRemaining -= n
        return true
    }

    /// Reads into `scratch`; the byte count, 0 at end of stream, nil if nothing is there now, -1 on error.
    func receive(_ scratch: inout [UInt8], limit: Int) -> Int? {
        let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, min(limit, $0.count), Int32(MSG_DONTWAIT)) }
        if n < 0 { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? nil : -1 }
        return n
    }

    /// After a closing answer: no more writes, and the client's leftovers are read and dropped for a while.
    func startDraining(now: Double) {
        shutdown(fd, Int32(SHUT_WR))
        phase = .draining(bytes: 0)
        since = now
        deadline = now + SiteServerLimits.drainSeconds
    }

    /// Back to waiting for the next request on a kept-alive connection.
    func startReading(now: Double) {
        output = []
        sent = 0
        parser.reset()
        since = now
        if input.isEmpty {
            phase = .reading(begun: false)
            deadline = now + SiteServerLimits.idleSeconds
        } else {
            phase = .reading(begun: true)
            deadline = now + SiteServerLimits.requestSeconds
        }
    }
}
