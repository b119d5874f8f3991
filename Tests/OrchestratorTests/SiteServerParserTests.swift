// The request parser of `orchestrator serve` in process (a table of RFC 9112 cases, and a seeded fuzz of random
// and mutated requests fed in random pieces), the same fuzz over the socket of the real process, and the
// rate-limited refusal log on an injected clock.

import Foundation
import Shared
import TestSupport
import Testing

@testable import orchestrator

@Suite("orchestrator serve: the request parser", .ownThread)
struct SiteServerParserTests {
    static func parse(_ text: String) -> SiteParse {
        var parser = SiteRequestParser()
        return parser.parse(Array(text.utf8))
    }

    @Test("well-formed heads are taken: origin and absolute form, leading empty line, Connection, If-None-Match")
    func accepted() {
        #expect(
            Self.parse("GET /a?b HTTP/1.1\r\nHost: x\r\n\r\nGET")
                == .request(SiteRequest(method: "GET", target: "/a?b", ifNoneMatch: nil, keepAlive: true), consumed: 30))
        #expect(
            Self.parse("\r\nHEAD http://x/i/a.html HTTP/1.1\r\nhost:x\r\nConnection: Close\r\nIf-None-Match: \"1-2\"\r\n\r\n")
                == .request(SiteRequest(method: "HEAD", target: "/i/a.html", ifNoneMatch: "\"1-2\"", keepAlive: false), consumed: 86))
        #expect(
            Self.parse("GET / HTTP/1.0\r\n\r\n")
                == .request(SiteRequest(method: "GET", target: "/", ifNoneMatch: nil, keepAlive: false), consumed: 18))
        #expect(Self.parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n") != .refused(.body))
        #expect(Self.parse("GET / HTTP/1.1\r\nHost: x\r\n") == .incomplete)
    }

    @Test(
        "malformed heads are refused with their class",
        arguments: [
            ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n", SiteRefusal.contentLength),
            ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\n", .contentLength),
            ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", .contentLength),
            ("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\ncontent-length: 1\r\n\r\n", .lengthAndEncoding),
            ("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n", .body),
            ("GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n", .lineEnding),
            ("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", .requestLine),
            ("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", .requestLine),
            ("GET a HTTP/1.1\r\nHost: x\r\n\r\n", .requestLine),
            ("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", .requestLine),
            ("GET / HTTP/1.2\r\nHost: x\r\n\r\n", .version),
            ("GET / http/1.1\r\nHost: x\r\n\r\n", .requestLine),
            ("GET / HTTP/1.1\r\n\tHost: x\r\n\r\n", .foldedHeader),
            ("GET / HTTP/1.1\r\nHost: x\r\n: y\r\n\r\n", .headerName),
            ("GET / HTTP/1.1\r\nHost: x\r\nX-A: \u{7f}\r\n\r\n", .headerValue),
            ("DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", .method),
            ("{\"a\": 1}", .notHTTP),
        ])
    func refused(_ text: String, _ refusal: SiteRefusal) {
        #expect(Self.parse(text) == .refused(refusal), "\(text.debugDescription)")
    }

    @Test("2 000 seeded random and mutated requests, fed in random pieces: the same verdict as whole, in bounded time")
    func fuzz() {
        let seed = UInt64(Date().timeIntervalSince1970 * 1000)
        var random = SeededRandom(seed: seed)
        let start = Date()
        for round in 0..<2000 {
            let bytes = Fuzz.request(&random)
            var whole = SiteRequestParser()
            let verdict = whole.parse(bytes)
            var pieces = SiteRequestParser()
            var buffer: [UInt8] = []
            var incremental = SiteParse.incomplete
            while buffer.count < bytes.count, incremental == .incomplete {
                let size = Int.random(in: 1...max(1, min(64, bytes.count - buffer.count)), using: &random)
                buffer += bytes[buffer.count..<(buffer.count + size)]
                incremental = pieces.parse(buffer)
            }
            #expect(incremental == verdict, "seed \(seed) round \(round): \(String(decoding: bytes, as: UTF8.self).debugDescription)")
            if case let .request(request, consumed) = verdict {
                #expect(
                    consumed <= bytes.count && ["GET", "HEAD"].contains(request.method) && request.target.hasPrefix("/"),
                    "seed \(seed) round \(round)")
            }
        }
        #expect(Date().timeIntervalSince(start) < 20, "seed \(seed): the fuzz took \(Date().timeIntervalSince(start)) s")
    }

    @Test("300 seeded random and mutated requests over the socket: each answered or closed, serve still answers")
    func fuzzOverSocket() throws {
        let serve = try ServeProcess.start("fuzz")
        defer { serve.kill() }
        let seed = UInt64(Date().timeIntervalSince1970 * 1000)
        var random = SeededRandom(seed: seed)
        let start = Date()
        for round in 0..<300 {
            let bytes = Fuzz.request(&random)
            let client = try SiteClient(port: serve.port)
            client.send(bytes)
            // End of our side: an unfinished head is dropped at once rather than at its deadline.
            client.shutdownWrite()
            let answer = client.readUntilClosed(timeout: 15)
            #expect(answer.closed, "seed \(seed) round \(round): not closed")
            #expect(answer.text.isEmpty || answer.text.hasPrefix("HTTP/1.1 "), "seed \(seed) round \(round): \(answer.text.prefix(80))")
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed < 60, "seed \(seed): \(elapsed) s")
        #expect(try serve.get().hasPrefix("HTTP/1.1 200 "))
        #expect(serve.stop() == .exited(0), "seed \(seed): \(serve.logs.text)")
    }

    @Test("refusals are logged once per class, then at most once a minute with the count held back")
    func refusalLog() {
        var log = SiteRefusalLog()
        let t = 1000.0
        #expect(
            log.note(.contentLength, now: t)
                == "serve refused a request (400, contentLength): an invalid or repeated Content-Length; at most one line a minute per kind")
        #expect(log.note(.method, now: t + 1)?.contains("(405, method)") == true)
        for i in 0..<9 { #expect(log.note(.contentLength, now: t + 2 + Double(i)) == nil) }
        #expect(log.flush(now: t + 59).isEmpty)
        #expect(
            log.flush(now: t + 60) == [
                "serve refused 9 requests (400, contentLength): an invalid or repeated Content-Length; at most one line a minute per kind"
            ])
        #expect(log.flush(now: t + 200).isEmpty)
        #expect(log.note(.contentLength, now: t + 100) == nil)
        #expect(log.note(.contentLength, now: t + 121)?.hasPrefix("serve refused 2 requests (400, contentLength)") == true)
    }
}

/// Random and mutated requests: valid heads with bytes flipped, inserted, deleted or cut, headers repeated,
/// lengths and chunk sizes from the attacks, and plain noise.
enum Fuzz {
    static let seeds = [
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HEAD /index.html HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"1-2\"\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\n",
        "GET http://x/a?b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /i/ HTTP/1.1\r\nHost: x\r\n\r\n",
    ]
    static let pieces = [
        "\r\n", "\n", "\r", ":", " ", "\t", "\0", "Content-Length: ", "Transfer-Encoding: chunked", "Host: x", "%", "/../", "\u{ff}", "9",
    ]

    static func request(_ random: inout SeededRandom) -> [UInt8] {
        if Int.random(in: 0..<10, using: &random) == 0 {
            return (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        }
        var bytes = Array(seeds[Int.random(in: 0..<seeds.count, using: &random)].utf8)
        for _ in 0..<Int.random(in: 0...6, using: &random) {
            let at = Int.random(in: 0...bytes.count, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0 where at < bytes.count: bytes[at] = UInt8.random(in: 0...255, using: &random)
            case 1: bytes.insert(contentsOf: Array(pieces[Int.random(in: 0..<pieces.count, using: &random)].utf8), at: at)
            case 2 where at < bytes.count: bytes.remove(at: at)
            case 3: bytes = Array(bytes[..<at])
            default: bytes.insert(contentsOf: Array(repeating: UInt8(ascii: "a"), count: Int.random(in: 0...9_000, using: &random)), at: at)
            }
        }
        return bytes
    }
}
