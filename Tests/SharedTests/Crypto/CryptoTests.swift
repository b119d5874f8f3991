// SHA-256 and HMAC-SHA256 against the published vectors (FIPS 180-4 examples, RFC 4231) and against Python's
// hashlib/hmac on random keys and messages; Base64 against Foundation's.

import Foundation
import Shared
import TestSupport
import Testing

private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
private func bytes(hex: String) -> [UInt8] {
    let chars = Array(hex.utf8)
    return stride(from: 0, to: chars.count, by: 2).map { UInt8(String(decoding: chars[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
}

@Suite("SHA-256 and HMAC-SHA256", .ownThread)
struct CryptoTests {
    @Test("SHA-256 of the FIPS 180-4 examples and of the empty message")
    func sha256() {
        #expect(hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    /// RFC 4231, section 4: (key, data, HMAC-SHA-256), test cases 1–4, 6 and 7 (5 truncates the output).
    static let rfc4231: [(String, String, String)] = [
        (String(repeating: "0b", count: 20), "4869205468657265", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        ("4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        (String(repeating: "aa", count: 20), String(repeating: "dd", count: 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        (
            "0102030405060708090a0b0c0d0e0f10111213141516171819", String(repeating: "cd", count: 50),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
        ),
        (
            String(repeating: "aa", count: 131),
            "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
        (
            String(repeating: "aa", count: 131),
            "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c"
                + "6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265"
                + "666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        ),
    ]

    @Test("HMAC-SHA256 gives the RFC 4231 results", arguments: rfc4231.indices)
    func rfc(_ row: Int) {
        let (key, data, mac) = Self.rfc4231[row]
        #expect(hex(HMACSHA256.authenticate(bytes(hex: data), key: bytes(hex: key))) == mac)
    }

    @Test("random keys and messages (0–300 bytes) hash and sign as Python's hashlib and hmac do", .enabled(if: pythonAvailable, "needs python3"))
    func differential() throws {
        var rng = SeededRandom(seed: 4231)
        var cases: [([UInt8], [UInt8])] = []
        for _ in 0..<200 {
            let key = (0..<Int.random(in: 0...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let message = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            cases.append((key, message))
        }
        let input = cases.map { hex($0.0) + " " + hex($0.1) }.joined(separator: "\n") + "\n"
        let script = """
            import sys, hmac, hashlib
            for line in sys.stdin.read().splitlines():
                k, m = (bytes.fromhex(p) for p in (line.split(" ") + [""])[:2])
                print(hashlib.sha256(m).hexdigest(), hmac.new(k, m, hashlib.sha256).hexdigest())
            """
        let dir = TemporaryDirectory("hmac")
        try dir.write("in.txt", input)
        let python = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "exec python3 -c \"$0\" < \"$1\"", script, dir.url("in.txt")], stdout: .capture, stderr: .discard
        )
        #expect(python.wait(timeout: 60) == .exited(0))
        let lines = python.output().split(separator: "\n")
        #expect(lines.count == cases.count)
        for (line, (key, message)) in zip(lines, cases) {
            #expect(line == "\(hex(SHA256.hash(message))) \(hex(HMACSHA256.authenticate(message, key: key)))")
        }
    }

    @Test("Base64 as Foundation writes it, at every padding length")
    func base64() {
        var rng = SeededRandom(seed: 64)
        for length in 0..<70 {
            let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(Base64.encode(data) == Data(data).base64EncodedString())
        }
    }
}
