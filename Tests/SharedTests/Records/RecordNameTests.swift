// RecordName, the one check of names read from files: the table of what passes and what is refused (and why),
// and that the byte-level fast path for ASCII names decides as the general path does.

import Foundation
import TestSupport
import Testing

@testable import Shared

@Suite("Names read from files")
struct RecordNameTests {
    @Test(
        "accepted names",
        arguments: [
            ("20261122T150000Z-tick", RecordName.Kind.run), ("20261122T150000Z-m7f3a", .run), ("user/profile/get-info", .interface),
            ("nurse/schedule#daily-list", .interface), ("护士/排班#每日", .interface), ("svc/get info (v2)", .interface),
            ("svc/e\u{301}te\u{301}", .interface), ("svc/...", .interface), ("svc/a.b", .interface), ("user", .service),
            ("svc/\"quoted\"", .interface),
        ])
    func accepted(_ name: String, _ kind: RecordName.Kind) {
        #expect(RecordName.problem(name, as: kind) == nil)
    }

    @Test(
        "refused names, with the reason",
        arguments: [
            ("../../escaped-20261122T150000Z-tick", RecordName.Kind.run, "holds \"/\""),
            ("20261122T150000Z-tick\r\nBcc: x", .run, "a control character (U+000D)"),
            ("20261122T150000Z-tick.md", .run, "is not a run id"), ("20261122T150000Z-" + String(repeating: "a", count: 60), .run, "not a run id"),
            ("svc/../../etc", .interface, "\"..\" step"), ("/etc/passwd", .interface, "empty"), ("svc/", .interface, "empty"),
            ("svc//x", .interface, "empty"), (".hidden", .interface, "starts with"), ("svc/.", .interface, "\".\""),
            ("svc/\u{1b}]0;t\u{7}", .interface, "control character (U+001B)"), ("svc/\u{202e}gnp", .interface, "U+202E"),
            ("svc/zero\u{200b}width", .interface, "U+200B"), ("svc/tab\tin", .interface, "U+0009"), ("a/b", .service, "holds \"/\""),
            ("", .service, "empty"), ("svc/" + String(repeating: "x", count: 200), .interface, "longer than 200 bytes"),
            ("svc/" + String(repeating: "中", count: 70), .interface, "longer than 200 bytes"),
        ])
    func refused(_ name: String, _ kind: RecordName.Kind, _ reason: String) throws {
        let problem = try #require(RecordName.problem(name, as: kind), "\(name) was accepted")
        #expect(problem.contains(reason), "\(problem)")
        #expect(!problem.unicodeScalars.contains { TerminalText.isControl($0) }, "the reason quotes the name escaped")
    }

    @Test("the byte-level check of ASCII names decides as the rules say, for 20 000 random names of dots, slashes and letters")
    func fastPathAgrees() {
        var random = SeededRandom(seed: 29)
        let alphabet: [Character] = ["a", ".", "/", " ", "\t", "-", "é"]
        for _ in 0..<20_000 {
            let name = String((0..<Int.random(in: 0...7, using: &random)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] })
            let steps = name.split(separator: "/", omittingEmptySubsequences: false)
            let valid =
                !name.isEmpty && !name.hasPrefix(".") && !name.contains("\t")
                && !steps.contains { $0.isEmpty || $0 == "." || $0 == ".." }
            #expect((RecordName.problem(name, as: .interface) == nil) == valid, "\(name.debugDescription)")
        }
    }

    @Test("a record with a bad name is refused by the decoder, naming the field")
    func decoderRefuses() throws {
        let at = Date(timeIntervalSince1970: 1_795_359_600)
        let manifest = RunManifest(run: "../x", shards: 1, startedAt: at, deadline: at, trigger: "manual")
        let bytes = try RecordCoding.encode(manifest)
        #expect(
            throws: RecordError.invalidField(
                #"field "run": run id "../x" holds "/" (U+002F); names are printable text without control or format characters"#)
        ) {
            try RecordDecoder().decode(RunManifest.self, from: bytes)
        }
    }

    @Test("site page names stay under 255 bytes however long and non-ASCII the id; two long ids get two pages")
    func longSlugs() {
        let a = "svc/" + String(repeating: "中", count: 66) + "a"
        let b = "svc/" + String(repeating: "中", count: 66) + "b"
        #expect(SiteLayout.slug(a).utf8.count <= 200 && SiteLayout.slug(b).utf8.count <= 200)
        #expect(SiteLayout.slug(a) != SiteLayout.slug(b))
        #expect(SiteLayout.slug("svc/get-info") == "svc~get-info", "short ids keep their page")
    }
}
