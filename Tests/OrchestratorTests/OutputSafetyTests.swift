// What the operator commands print under attack (issue 29), through the real orchestrator: a target answering
// with terminal escape sequences (a window-title change, a colour) cannot reach the terminal through `once` or
// `spool show`, and `check` never prints a password written into a URL.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("What the commands print", .ownThread)
struct OutputSafetyTests {
    static let hostileBody = "{\"msg\":\"\u{1b}]0;pwned\u{07}\u{1b}[31mred\u{9b}2J\"}"

    private func hostileFixture() throws -> OrchestratorFixture {
        let f = try OrchestratorFixture()
        f.server.route("/evil", reply: .json(500, Self.hostileBody))
        try f.interface("evil", "url: /evil")
        return f
    }

    /// The C0 and C1 control bytes of `text` but newline and tab (a C1 control is two bytes in UTF-8: C2 80–9F).
    private func controls(_ text: String) -> [UInt32] {
        text.unicodeScalars.filter { TerminalText.isControl($0) && $0 != "\n" && $0 != "\t" }.map(\.value)
    }

    @Test("once prints the report with a response's ESC, BEL and C1 bytes escaped: none reaches the terminal")
    func onceEscapes() throws {
        let f = try hostileFixture()
        let once = try f.run(["once"])
        #expect(once.stdout.contains("Report: "), "\(once.stdout)\(once.stderr)")
        #expect(once.stdout.contains("\\u{1B}]0;pwned\\u{7}"), "the body is shown, escaped: \(once.stdout.suffix(3000))")
        #expect(controls(once.stdout).isEmpty, "control characters in once's output: \(controls(once.stdout))")
        #expect(controls(once.stderr).isEmpty, "control characters in once's log: \(controls(once.stderr))")
        // The report file itself keeps the answer as it came (it is data, read with an editor or a browser).
        let report = try #require(f.reports.first)
        #expect(try f.dir.read("spool/reports/" + report).contains("\u{1b}]0;pwned"))
    }

    @Test("spool show of the report, the batch and the alert prints no control character")
    func spoolShowEscapes() throws {
        let f = try hostileFixture()
        _ = try f.run(["once"])
        let report = try #require(f.reports.first)
        let batch = try #require(FileIO.listIfPresent(f.spool.archiveDirectory).first { !$0.hasSuffix(".run.ndjson") })
        let alert = try #require(FileIO.listIfPresent(f.spool.sentDirectory).first ?? FileIO.listIfPresent(f.spool.outbox.newDirectory).first)
        for name in [report, batch, alert] {
            let show = try f.run(["spool", "show", name])
            #expect(show.exitCode == 0, "\(name): \(show.stderr)")
            #expect(show.stdout.contains("pwned"), "\(name) shown: \(show.stdout.prefix(500))")
            #expect(controls(show.stdout).isEmpty, "\(name): control characters printed: \(controls(show.stdout))")
        }
    }

    @Test("check masks the password of every URL it prints: base_url, the token URL, and in an error quoting one")
    func checkMasksUserinfo() throws {
        let f = try OrchestratorFixture()
        try f.healthyInterfaces(1)
        let port = f.server.port
        var config = try String(contentsOfFile: f.config, encoding: .utf8)
        config = config.replacingOccurrences(
            of: "base_url: \(f.server.baseURL)",
            with: "base_url: http://monitor:base-pa55-word@127.0.0.1:\(port)\n    auth: {url: \"http://tok:auth-pa55-word@127.0.0.1:\(port)/token\"}")
        try f.dir.write("config.yaml", config)
        let check = try f.run(["check"])
        #expect(check.exitCode == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("base_url http://monitor:***@127.0.0.1:\(port)"), "\(check.stdout)")
        #expect(check.stdout.contains("bearer token from http://tok:***@127.0.0.1:\(port)/token"), "\(check.stdout)")
        for secret in ["base-pa55-word", "auth-pa55-word"] {
            #expect(!check.stdout.contains(secret) && !check.stderr.contains(secret), "\(secret) printed")
        }

        // The same URL in a config that has a problem: the problem is printed, the password is not.
        try f.dir.write(
            "config.yaml",
            config.replacingOccurrences(of: "base_url: http://monitor:base-pa55-word@", with: "base_url: http://u:err-pa55-word@x.example:bad/"))
        let broken = try f.run(["check"])
        #expect(broken.exitCode == 2 && broken.stdout.contains("found \"http://u:***@x.example:bad/"), "\(broken.stdout)")
        #expect(!broken.stdout.contains("err-pa55-word") && !broken.stderr.contains("err-pa55-word"), "\(broken.stdout)")
    }
}
