// `orchestrator serve` against clients that hold what they can: a slowloris trickling a request past its deadline,
// more connections than serve keeps, and a flood of slow connections — bounded in threads, memory and time, with
// the figures printed for the record; and the security headers on every kind of answer.

import Foundation
import Glibc
import Shared
import TestSupport
import Testing

@Suite("orchestrator serve against slow and many clients", .ownThread)
struct SiteServerFloodTests {
    @Test("a slowloris trickling a header byte at a time is answered 408 and closed at the request deadline")
    func slowloris() throws {
        let serve = try ServeProcess.start("slowloris")
        defer { serve.kill() }
        let client = try SiteClient(port: serve.port)
        let start = Date()
        client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        var answer = ""
        var closed = false
        // One byte every 200 ms, far more often than any idle timer would allow, until serve gives up on us.
        while !closed, Date().timeIntervalSince(start) < 20 {
            client.send("a")
            let read = client.readUntilClosed(timeout: 0.2)
            answer += read.text
            closed = read.closed
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(closed, "still open after \(elapsed) s")
        #expect(answer.hasPrefix("HTTP/1.1 408 "), "\(answer.prefix(80))")
        #expect(elapsed >= 9 && elapsed < 13, "closed after \(elapsed) s; the deadline is 10 s from the connection")
        #expect(try serve.get().hasPrefix("HTTP/1.1 200 "))
        #expect(eventually { serve.logs.text.contains("serve refused a request (408, timeout)") }, "\(serve.logs.text)")
        #expect(serve.stop() == .exited(0))
    }

    @Test("1 000 connections at once: serve keeps at most 128, sheds the rest, and answers a GET meanwhile")
    func manyConnections() throws {
        let serve = try ServeProcess.start("many")
        defer { serve.kill() }
        let most = serve.openSockets() + SiteServerBound.connections
        var clients: [SiteClient] = []
        for _ in 0..<1000 { clients.append(try SiteClient(port: serve.port)) }
        #expect(eventually { serve.openSockets() <= most }, "serve holds \(serve.openSockets()) sockets")
        #expect(try serve.get().hasPrefix("HTTP/1.1 200 "))
        #expect(serve.openSockets() <= most)
        #expect(eventually { serve.logs.text.contains("(503, capacity)") }, "\(serve.logs.text)")
        clients.removeAll()
        #expect(try serve.get().hasPrefix("HTTP/1.1 200 "))
        #expect(serve.stop() == .exited(0))
    }

    @Test("a flood of 600 slow connections is bounded in threads, memory and time; a GET is answered during it")
    func slowFlood() throws {
        let serve = try ServeProcess.start("flood")
        defer { serve.kill() }
        _ = try serve.get()
        let most = serve.openSockets() + SiteServerBound.connections
        let threadsBefore = serve.threads()
        let residentBefore = try #require(serve.residentKiB())
        let start = Date()
        var clients: [SiteClient] = []
        var threadsMost = threadsBefore
        var residentMost = residentBefore
        for i in 0..<600 {
            let client = try SiteClient(port: serve.port)
            // Each sends most of a head, 8 KiB of it, and never the end.
            client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + String(repeating: "p", count: 8_000) + "\r\n")
            clients.append(client)
            if i % 50 == 0 {
                threadsMost = max(threadsMost, serve.threads())
                residentMost = max(residentMost, serve.residentKiB() ?? 0)
            }
        }
        let opened = Date().timeIntervalSince(start)
        let during = try serve.get()
        threadsMost = max(threadsMost, serve.threads())
        residentMost = max(residentMost, serve.residentKiB() ?? 0)
        #expect(during.hasPrefix("HTTP/1.1 200 "), "\(during.prefix(80))")
        #expect(serve.openSockets() <= most)
        // Every slow connection ends: shed at once or answered 408 at its deadline.
        // The last accepted has 10 s from its accept; 5 s more for a loaded machine.
        let bound = opened + 15
        let allClosed = clients.allSatisfy { $0.closed(within: max(0.1, bound - Date().timeIntervalSince(start))) }
        let drained = Date().timeIntervalSince(start)
        #expect(allClosed, "slow connections still open after \(drained) s")
        // No thread per connection (a runtime may start a worker of its own meanwhile: two are allowed).
        #expect(threadsMost <= threadsBefore + 2, "threads: \(threadsBefore) before, \(threadsMost) during the flood")
        #expect(residentMost - residentBefore < 32_768, "VmRSS: \(residentBefore) KiB before, \(residentMost) KiB during the flood")
        #expect(drained < bound)
        print(
            "serve slow flood: 600 connections opened in \(String(format: "%.2f", opened)) s, all closed by serve after "
                + "\(String(format: "%.1f", drained)) s; threads \(threadsBefore) before, at most \(threadsMost) during; "
                + "VmRSS \(residentBefore) KiB before, at most \(residentMost) KiB during")
        #expect(try serve.get().hasPrefix("HTTP/1.1 200 "))
        #expect(serve.stop() == .exited(0))
    }

    @Test("clients that never read a 32 MiB page hold up no one, and serve holds 64 KiB of it each, not the page")
    func slowReaders() throws {
        let serve = try ServeProcess.start("readers")
        defer { serve.kill() }
        let page = [UInt8](repeating: 0x61, count: 32 << 20)
        try Data(page).write(to: URL(fileURLWithPath: serve.directory.url("spool/site/big.txt")))
        _ = try serve.get()
        let before = try #require(serve.residentKiB())
        var readers: [SiteClient] = []
        for _ in 0..<8 {
            let reader = try SiteClient(port: serve.port)
            // A small receive window: the answer stops in serve's socket, not in ours.
            var small: Int32 = 4096
            setsockopt(reader.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
            reader.send("GET /big.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            readers.append(reader)
        }
        // Each is being answered (and stalls once the sockets' buffers are full).
        for reader in readers { #expect(reader.receive(upTo: 12, timeout: 10) == "HTTP/1.1 200") }
        let start = Date()
        #expect(try serve.get().hasPrefix("HTTP/1.1 200 "))
        #expect(Date().timeIntervalSince(start) < 2)
        let after = try #require(serve.residentKiB())
        #expect(after - before < 8_192, "VmRSS \(before) KiB before, \(after) KiB with 8 readers of a 32 MiB page")
        print("serve 8 stalled readers of a 32 MiB page: VmRSS \(before) KiB before, \(after) KiB during")
        #expect(serve.stop() == .exited(0))
    }

    @Test("pages, 304s, 404s, refusals and 503s all carry CSP frame-ancestors 'none', nosniff and no-referrer")
    func securityHeaders() throws {
        let serve = try ServeProcess.start("headers")
        defer { serve.kill() }
        let page = try serve.get("/")
        let tag = try #require(page.split(separator: "\r\n").first { $0.hasPrefix("ETag: ") }).dropFirst(6)
        let answers = [
            page, try serve.get("/index.html"), try RawHTTP.get(port: serve.port, "/", headers: ["If-None-Match: \(tag)"]),
            try serve.get("/missing"), try RawHTTP.get(port: serve.port, "/", method: "POST"),
            try RawHTTP.exchange(port: serve.port, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"),
        ]
        #expect(
            answers.map { String($0.prefix(12)) } == ["HTTP/1.1 200", "HTTP/1.1 200", "HTTP/1.1 304", "HTTP/1.1 404", "HTTP/1.1 405", "HTTP/1.1 400"])
        #expect(
            page.contains("Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'\r\n"))
        for answer in answers {
            #expect(answer.contains("frame-ancestors 'none'"), "\(answer.prefix(200))")
            #expect(answer.contains("\r\nX-Content-Type-Options: nosniff\r\n"), "\(answer.prefix(200))")
            #expect(answer.contains("\r\nReferrer-Policy: no-referrer\r\n"), "\(answer.prefix(200))")
        }
        #expect(serve.stop() == .exited(0))
    }
}

enum SiteServerBound {
    /// serve's 128 connections, and the one it has just accepted before closing another to make room.
    static let connections = 129
}

extension ServeProcess {
    /// Sockets serve holds (its listener, connections, and any it inherited from the test process), from /proc/<pid>/fd.
    func openSockets() -> Int {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(child.pid)/fd")) ?? []
        return fds.filter { ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child.pid)/fd/\($0)")) ?? "").hasPrefix("socket:") }
            .count
    }
}
