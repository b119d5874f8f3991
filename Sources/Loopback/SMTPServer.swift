// SMTPServer: a small SMTP receiver on 127.0.0.1 for tests — EHLO, AUTH PLAIN, MAIL, RCPT, DATA (with dot
// unstuffing), RSET, NOOP, QUIT — that enforces what a real relay does: authentication when it asks for it,
// known recipients, a size limit, and a temporary refusal on demand; it keeps every accepted message.

import Foundation
import Glibc
import Shared
import Synchronization

public final class SMTPServer: Sendable {
    public struct Message: Sendable, Equatable {
        public let from: String
        public let recipients: [String]
        /// Headers and body, CRLF line ends, dots unstuffed.
        public let data: String
        public let user: String?
    }

    /// What the server does with the next messages.
    public enum Mode: Sendable, Equatable {
        case accept
        /// 451 at the end of DATA, for the next `n` messages.
        case temporaryFailure(Int)
    }

    public let port: UInt16
    private let listener: Int32
    private let state = Mutex<(messages: [Message], mode: Mode, stopped: Bool)>(([], .accept, false))
    private let credentials: (user: String, password: String)?
    private let recipients: Set<String>?
    private let sizeLimit: Int

    /// `credentials`: AUTH PLAIN required with these; `recipients`: the only addresses accepted (nil: any).
    public init(credentials: (user: String, password: String)? = nil, recipients: Set<String>? = nil, sizeLimit: Int = 10 << 20) throws {
        (listener, port) = try Loopback.listen(port: 0)
        self.credentials = credentials
        self.recipients = recipients
        self.sizeLimit = sizeLimit
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit { stop() }

    public var messages: [Message] { state.withLock { $0.messages } }

    public func set(_ mode: Mode) { state.withLock { $0.mode = mode } }

    public func stop() {
        let first = state.withLock { state -> Bool in
            defer { state.stopped = true }
            return !state.stopped
        }
        if first { shutdown(listener, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        defer { close(listener) }
        while !state.withLock({ $0.stopped }) {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            Thread.detachNewThread { [self] in
                serve(client)
                close(client)
            }
        }
    }

    private func serve(_ fd: Int32) {
        var session = Session(fd: fd)
        session.say("220 vigil-test ESMTP\r\n")
        while let line = session.reader.next() {
            let upper = line.uppercased()
            if upper.hasPrefix("EHLO") {
                session.say("250-vigil-test\r\n" + (credentials == nil ? "" : "250-AUTH PLAIN\r\n") + "250-SIZE \(sizeLimit)\r\n250 8BITMIME\r\n")
            } else if upper.hasPrefix("HELO") {
                session.say("250 vigil-test\r\n")
            } else if upper.hasPrefix("AUTH PLAIN") {
                authenticate(line, &session)
            } else if upper.hasPrefix("MAIL FROM:") {
                if credentials != nil, session.user == nil {
                    session.say("530 5.7.0 Authentication required\r\n")
                } else {
                    session.from = Self.address(line)
                    session.to = []
                    session.say("250 2.1.0 Ok\r\n")
                }
            } else if upper.hasPrefix("RCPT TO:") {
                let address = Self.address(line)
                if let recipients, !recipients.contains(address) {
                    session.say("550 5.1.1 <\(address)>: Recipient address rejected: User unknown\r\n")
                } else {
                    session.to.append(address)
                    session.say("250 2.1.5 Ok\r\n")
                }
            } else if upper == "DATA" {
                receiveData(&session)
            } else if upper == "RSET" || upper == "NOOP" {
                session.say("250 2.0.0 Ok\r\n")
            } else if upper == "QUIT" {
                session.say("221 2.0.0 Bye\r\n")
                return
            } else {
                session.say("502 5.5.2 Error: command not recognized\r\n")
            }
        }
    }

    /// AUTH PLAIN, the credentials on the command line or on the next one.
    private func authenticate(_ line: String, _ session: inout Session) {
        var encoded = String(line.dropFirst("AUTH PLAIN".count)).trimmingCharacters(in: .whitespaces)
        if encoded.isEmpty {
            session.say("334 \r\n")
            encoded = session.reader.next() ?? ""
        }
        let parts = (Data(base64Encoded: encoded).map { String(decoding: $0, as: UTF8.self) } ?? "").split(
            separator: "\0", omittingEmptySubsequences: false)
        if let credentials, parts.count == 3, parts[1] == credentials.user, parts[2] == credentials.password {
            session.user = String(parts[1])
            session.say("235 2.7.0 Authentication successful\r\n")
        } else {
            session.say("535 5.7.8 Authentication credentials invalid\r\n")
        }
    }

    /// DATA: the message up to the lone dot, then kept, refused for its size, or refused for now (the mode).
    private func receiveData(_ session: inout Session) {
        guard let sender = session.from, !session.to.isEmpty else {
            session.say("503 5.5.1 Error: need MAIL and RCPT first\r\n")
            return
        }
        session.say("354 End data with <CR><LF>.<CR><LF>\r\n")
        var lines: [String] = []
        while let next = session.reader.next(), next != "." { lines.append(next.hasPrefix("..") ? String(next.dropFirst()) : next) }
        let data = lines.joined(separator: "\r\n") + "\r\n"
        let (to, user) = (session.to, session.user)
        let reply = state.withLock { state -> String in
            if data.utf8.count > sizeLimit { return "552 5.3.4 Message size exceeds fixed limit\r\n" }
            if case let .temporaryFailure(n) = state.mode, n > 0 {
                state.mode = n > 1 ? .temporaryFailure(n - 1) : .accept
                return "451 4.3.0 Temporary failure, try again later\r\n"
            }
            state.messages.append(Message(from: sender, recipients: to, data: data, user: user))
            return "250 2.0.0 Ok: queued\r\n"
        }
        session.say(reply)
        session.from = nil
        session.to = []
    }

    /// `MAIL FROM:<a@b> SIZE=12` → `a@b`.
    private static func address(_ line: String) -> String {
        guard let open = line.firstIndex(of: "<"), let close = line[open...].firstIndex(of: ">") else {
            return String(line.drop { $0 != ":" }.dropFirst()).trimmingCharacters(in: .whitespaces)
        }
        return String(line[line.index(after: open)..<close])
    }
}

/// One client's connection: its lines, and the transaction so far.
private struct Session {
    let fd: Int32
    var reader: LineSource
    var user: String?
    var from: String?
    var to: [String] = []

    init(fd: Int32) {
        self.fd = fd
        reader = LineSource(fd: fd)
    }

    func say(_ line: String) { _ = line.utf8CString.withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) } }
}

/// CRLF-terminated lines from a socket.
private struct LineSource {
    let fd: Int32
    var buffer: [UInt8] = []
    /// Where the unread part of `buffer` starts (compacted now and then, not on every line).
    var start = 0

    init(fd: Int32) { self.fd = fd }

    mutating func next() -> String? {
        while true {
            if let end = buffer[start...].firstIndex(of: 10) {
                var line = buffer[start..<end]
                start = end + 1
                if line.last == 13 { line = line.dropLast() }
                return String(decoding: line, as: UTF8.self)
            }
            if start > 65_536 {
                buffer.removeSubrange(..<start)
                start = 0
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { return nil }
            buffer += chunk[..<n]
        }
    }
}
