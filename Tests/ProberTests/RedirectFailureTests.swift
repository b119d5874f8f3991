// A failure after a redirect names the address that failed: the first address answered (with the redirect),
// so the report must point at the target that did not.

import Foundation
import Loopback
import Shared
import TestSupport
import Testing

@Suite("Failures after a redirect", .ownThread)
struct RedirectFailureTests {
    @Test("a connection refused at the redirect target names the target and the redirect, not the first address")
    func namesTheTarget() throws {
        let f = try ProberFixture(monitor: "retry_attempts: 0")
        let closed = try closedPort()
        let target = "http://127.0.0.1:\(closed)/gone?token=abc"
        f.server.route("/moved", reply: HTTPReply(status: 302, headers: ["Location": target]))
        try f.interface("svc/moved", "name: moved\nurl: /moved\n")
        let run = try f.runProber()
        #expect(run.exitCode == 0, "\(run.stderr)")
        let result = try #require(try f.latestResults()["svc/moved"])
        #expect(result.outcome == .connection)
        let error = result.error ?? ""
        #expect(error.contains("(at http://127.0.0.1:\(closed)/gone"), "the target that refused is named: \(error)")
        #expect(error.contains("after 1 redirect)"), "\(error)")
        #expect(f.server.hits("/moved") == 1, "the first address answered")
    }
}
