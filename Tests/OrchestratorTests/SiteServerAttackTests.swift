// `orchestrator serve` under the attacks of issue 29, each through the real process on 127.0.0.1: the malformed
// request is refused (answered, then closed), the server lives on and the next normal GET is answered 200; and
// the client helpers the serve tests share (a raw socket that can send half a request and see the close).

import Foundation
import Glibc
import Shared
import TestSupport
import Testing

@Suite("orchestrator serve under attack", .ownThread)
struct SiteServerAttackTests {
    static let attacks: [(name: String, request: String, status: String)] = [
        ("Content-Length -5", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", "400"),
        ("chunk size -1 on GET", "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nab\r\n0\r\n\r\n", "400"),
        ("chunk size -1 on POST", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nab\r\n0\r\n\r\n", "405"),
        ("chunk size 7fffffffffffffff", "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nab\r\n", "400"),
        ("chunk size 7fffffffffffffff on PUT", "PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nab\r\n", "405"),
        ("duplicate Content-Length", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n", "400"),
        ("Content-Length list", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello", "400"),
        ("Content-Length overflowing", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", "400"),
        (
            "Content-Length and Transfer-Encoding", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "400"
        ),
        ("GET with a body", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", "400"),
        ("HEAD with a body", "HEAD / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", "400"),
        ("oversized header", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 20_000) + "\r\n\r\n", "431"),
        ("too many headers", "GET / HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X-A: b\r\n", count: 100) + "\r\n", "431"),
        ("request target too long", "GET /" + String(repeating: "a", count: 9_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", "414"),
        ("bare LF", "GET / HTTP/1.1\nHost: x\n\n", "400"),
        ("obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n", "400"),
        ("space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", "400"),
        ("NUL in a header value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\u{0}c\r\n\r\n", "400"),
        ("no Host", "GET / HTTP/1.1\r\n\r\n", "400"),
        ("two Hosts", "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", "400"),
        ("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "505"),
        ("TLS ClientHello", "\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}\u{03}\u{03}", "400"),
    ]

    @Test("a malformed request is refused, and serve answers the next GET", arguments: attacks.indices)
    func attack(_ index: Int) throws {
        let (name, request, status) = Self.attacks[index]
        let serve = try ServeProcess.start("attack")
        defer { serve.kill() }
        let client = try SiteClient(port: serve.port)
        client.send(request)
        let answer = client.readUntilClosed(timeout: 15)
        #expect(answer.closed, "\(name): the connection stays open")
        #expect(answer.text.hasPrefix("HTTP/1.1 \(status) "), "\(name): \(answer.text.prefix(120))")
        #expect(answer.text.contains("Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n"), "\(name)")
        #expect(request.hasPrefix("HEAD ") == answer.text.hasSuffix("\r\n\r\n"), "\(name): a body only if not HEAD")
        #expect(try serve.get().hasPrefix("HTTP/1.1 200 "), "\(name): no 200 after the attack")
        #expect(eventually { serve.logs.text.contains("serve refused a request (\(status), ") }, "\(name): \(serve.logs.text)")
        #expect(serve.stop() == .exited(0), "\(name): \(serve.logs.text)")
    }

    @Test("a 64 MiB body announced on GET is refused before it is read: serve's memory does not grow")
    func bigBody() throws {
        let serve = try ServeProcess.start("body")
        defer { serve.kill() }
        let before = try #require(serve.residentKiB())
        var clients: [SiteClient] = []
        for _ in 0..<3 {
            let client = try SiteClient(port: serve.port)
            client.send("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 67108864\r\n\r\n")
            // Keep sending until the server stops taking it: it must not buffer the body.
            let chunk = [UInt8](repeating: 65, count: 1 << 20)
            var sent = 0
            while sent < 64, client.send(chunk) { sent += 1 }
            clients.append(client)
        }
        for client in clients { #expect(client.readUntilClosed(timeout: 15).text.hasPrefix("HTTP/1.1 400 ")) }
        let after = try #require(serve.residentKiB())
        #expect(after - before < 16_384, "VmRSS grew from \(before) KiB to \(after) KiB")
        print("serve 3 × 64 MiB GET bodies: VmRSS \(before) KiB before, \(after) KiB after")
        #expect(try serve.get().hasPrefix("HTTP/1.1 200 "))
        #expect(serve.stop() == .exited(0))
    }
}

extension SiteServerAttackTests {
    @Test("twenty refused requests of one kind make one log line, not twenty")
    func rateLimitedLog() throws {
        let serve = try ServeProcess.start("log")
        defer { serve.kill() }
        for _ in 0..<20 {
            let answer = try RawHTTP.exchange(port: serve.port, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 400 "))
        }
        #expect(try RawHTTP.get(port: serve.port, "/", method: "PUT").hasPrefix("HTTP/1.1 405 "))
        #expect(eventually { serve.logs.text.contains("(405, method)") }, "\(serve.logs.text)")
        #expect(serve.logs.lines.filter { $0.contains("serve refused") && $0.contains("(400, contentLength)") }.count == 1, "\(serve.logs.text)")
        #expect(serve.stop() == .exited(0))
    }
}

/// A running `orchestrator serve` on a free port of 127.0.0.1, with a small site.
struct ServeProcess {
    let directory: TemporaryDirectory
    let port: UInt16
    let child: ChildProcess
    let logs: LineCollector

    static func start(_ label: String) throws -> ServeProcess {
        let dir = TemporaryDirectory("serve-" + label)
        let port = try closedPort()
        try dir.write("config.yaml", "web:\n  listen: 127.0.0.1:\(port)\nspool:\n  dir: spool\n")
        try dir.write("spool/site/index.html", "<html>index</html>")
        let logs = LineCollector()
        let child = try Programs.start("orchestrator", ["serve", "--config", dir.url("config.yaml")], stderr: logs)
        let serve = ServeProcess(directory: dir, port: port, child: child, logs: logs)
        guard eventually(timeout: 20, { logs.text.contains("read-only on http://127.0.0.1:\(port)/") }) else {
            serve.kill()
            throw ServeNotStarted(log: logs.text)
        }
        return serve
    }

    struct ServeNotStarted: Error, CustomStringConvertible {
        let log: String
        var description: String { "orchestrator serve did not start: \(log)" }
    }

    func get(_ path: String = "/") throws -> String { try RawHTTP.get(port: port, path) }

    /// SIGTERM, and how it ended (nil: not within 10 s).
    func stop() -> Termination? {
        child.signal(SIGTERM)
        return child.wait(timeout: 10)
    }

    func kill() {
        child.signal(SIGKILL)
        _ = child.wait()
    }

    /// A line of /proc/<pid>/status as a number (VmRSS, Threads).
    func status(_ key: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(child.pid)/status", encoding: .utf8) else { return nil }
        let line = text.split(separator: "\n").first { $0.hasPrefix(key + ":") }
        return line.flatMap { Int($0.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") }
    }

    func residentKiB() -> Int? { status("VmRSS") }

    /// Threads, counted in /proc/<pid>/task.
    func threads() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(child.pid)/task").count) ?? -1 }
}

/// A TCP connection to 127.0.0.1 that sends what it is given, however malformed, and notices the server's close.
final class SiteClient {
    let fd: Int32

    init(port: UInt16) throws {
        fd = try RawHTTP.connect(port: port)
    }

    deinit { close(fd) }

    /// Sends all of `bytes` unless the server stops taking them (closed, reset, or 2 s without room).
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&p, 1, 2000) > 0, p.revents & Int16(POLLOUT) != 0 else { return false }
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            if n < 0, errno == EINTR || errno == EAGAIN { continue }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Everything the server sends until it closes (closed: true) or `timeout` passes.
    func readUntilClosed(timeout: TimeInterval) -> (text: String, closed: Bool) {
        var bytes: [UInt8] = []
        let end = Date().addingTimeInterval(timeout)
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while Date() < end {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(max(1, end.timeIntervalSinceNow * 1000))) > 0 else { continue }
            let n = recv(fd, &chunk, chunk.count, Int32(MSG_DONTWAIT))
            if n < 0, errno == EINTR || errno == EAGAIN { continue }
            guard n > 0 else { return (String(decoding: bytes, as: UTF8.self), true) }
            bytes += chunk[..<n]
        }
        return (String(decoding: bytes, as: UTF8.self), false)
    }

    /// At most `count` bytes, as soon as any arrive (empty if none within `timeout`).
    func receive(upTo count: Int, timeout: TimeInterval) -> String {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(timeout * 1000)) > 0 else { return "" }
        var chunk = [UInt8](repeating: 0, count: count)
        let n = recv(fd, &chunk, count, Int32(MSG_DONTWAIT))
        return n > 0 ? String(decoding: chunk[..<n], as: UTF8.self) : ""
    }

    /// Whether the server closed the connection (anything it sent before is read and dropped) within `timeout`.
    func closed(within timeout: TimeInterval) -> Bool { readUntilClosed(timeout: timeout).closed }
}
