// The report's Markdown for a fixed input against a reviewed golden file (Golden/report.md). Set
// VIGIL_UPDATE_GOLDEN=1 to rewrite the file after a deliberate change, then review the diff.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Golden report", .ownThread)
struct GoldenReportTests {
    @Test("a fixed run renders exactly the reviewed Markdown")
    func golden() throws {
        let f = try AnalyzerFixture()
        // Run 1 sets the state: user/login fails (it recovers in run 2), admin/export is fine (it fails in run 2).
        let first = RunID.scheduled(tick: t0)
        try f.publishBatch(
            run: first,
            results: [
                AnalyzerFixture.result("user/login", .http503, run: first, at: t0),
                AnalyzerFixture.result("admin/export", .ok, run: first, at: t0),
                AnalyzerFixture.result("nurse/schedule", .timeout, run: first, at: t0),
            ], start: t0)
        #expect(try f.analyzeOnce().exitCode == 0)

        let start = t0.addingTimeInterval(900)
        let run = RunID.scheduled(tick: start)
        try f.publishManifest(run: run, shards: 3, start: start, deadline: start.addingTimeInterval(3600))
        let s1 = Shard(index: 1, count: 3)
        let s2 = Shard(index: 2, count: 3)
        // Transport facts: phases of an HTTPS answer whose certificate expires in 5 days, a redirected failure.
        // Its name comes from outside (an import): a "|" must not break a table, a link in it must stay inert.
        var profile = AnalyzerFixture.result("user/profile-get", .ok, run: run, shard: s1, latency: 1430, at: start)
        profile.name = "Profile | get [docs](http://evil.example/x) www.evil.example"
        profile.timings = PhaseTimings(dns: 1.2, connect: 3.4, tls: 25, firstByte: 1425.5, total: 1430)
        let expiry = start.addingTimeInterval(5 * 86_400 + 3600)
        profile.tls = TLSFacts(subject: "CN = api.example.com", issuer: "CN = Example CA", notAfter: expiry, daysLeft: 5, earliestNotAfter: expiry)
        var export = AnalyzerFixture.result("admin/export", .http500, run: run, shard: s1, latency: 310, at: start)
        export.timings = PhaseTimings(dns: 0.4, connect: 1.1, tls: 0, firstByte: 309, total: 310)
        export.remoteIP = "10.0.0.7"
        export.finalURL = "https://admin.example.com/v2/export"
        export.redirects = 1
        try f.publishBatch(
            run: run, shard: s1,
            results: [
                AnalyzerFixture.result("user/login", .ok, run: run, shard: s1, latency: 85, at: start),
                profile,
                export,
                AnalyzerFixture.result("admin/audit", .skipped, run: run, shard: s1, at: start),
            ], start: start, corrupt: [2: "{broken"])
        // Up but answering errors (a business error in the body), and a certificate to renew: told apart from outages.
        var balance = AnalyzerFixture.result("pay/balance", .assertion, run: run, shard: s2, latency: 35, at: start)
        balance.status = 200
        balance.error = #"json code: expected 0, found 500 (msg: "database unavailable")"#
        var renew = AnalyzerFixture.result("pay/cert", .certExpiring, run: run, shard: s2, latency: 40, at: start)
        renew.status = 200
        let soon = start.addingTimeInterval(3 * 86_400 + 3600)
        renew.tls = TLSFacts(subject: "CN = pay.example.com", issuer: "CN = Example CA", notAfter: soon, daysLeft: 3, earliestNotAfter: soon)
        renew.error = "the certificate of CN = pay.example.com expires in 3 days (\(Timestamp.format(soon))), under cert_min_days 14"
        try f.publishBatch(
            run: run, shard: s2,
            results: [
                balance,
                renew,
                AnalyzerFixture.result("nurse/schedule", .timeout, run: run, shard: s2, latency: 10_000, at: start),
                AnalyzerFixture.result("nurse/health", .http404, run: run, shard: s2, latency: 12, at: start),
                AnalyzerFixture.result("nurse/list", .ok, run: run, shard: s2, latency: 240, at: start),
            ], start: start)
        try f.publishStub(run: run, shard: Shard(index: 3, count: 3), reason: "killed after 3600s", at: start.addingTimeInterval(3630))
        #expect(try f.analyzeOnce().exitCode == 0)

        let report = try f.report(run)
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
            "Golden/report.md")
        if ProcessInfo.processInfo.environment["VIGIL_UPDATE_GOLDEN"] != nil {
            try Data(report.utf8).write(to: golden)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(
            report == expected, "the report differs from Golden/report.md; diff them, and if the change is wanted rerun with VIGIL_UPDATE_GOLDEN=1")
    }

    @Test("a report past 1 MiB (a mass outage): the alert and the run page carry its first MiB, cut outside any fence, and say where it is")
    func hugeReport() throws {
        let f = try AnalyzerFixture()
        let run = RunID.scheduled(tick: t0)
        // 4 000 failures with excerpts: a report of about 3 MB.
        let results = (0..<4000).map { i in AnalyzerFixture.result(String(format: "svc/item-%05d", i), .http500, run: run, at: t0) }
        try f.publishBatch(run: run, results: results, start: t0)
        #expect(try f.analyzeOnce().exitCode == 0)
        let report = try f.report(run)
        let listed = report.split(separator: "\n").filter { $0.hasPrefix("- `GET ") }.count
        #expect(report.utf8.count > 2 << 20 && listed == results.count, "every failure listed: \(listed)")
        let alert = try #require(try f.alerts().first)
        let kept = try #require(alert.report.components(separatedBy: "\n*The report is cut here").first)
        #expect(alert.report.utf8.count < (1 << 20) + 300 && kept.utf8.count <= 1 << 20 && report.hasPrefix(kept))
        let fences = kept.split(separator: "\n").filter { $0.hasPrefix("```") }.count
        #expect(kept.hasSuffix("\n") && fences > 0 && fences % 2 == 0, "cut at a line's end, no fence left open")
        #expect(kept.utf8.count > (1 << 20) - 4096, "as much of the report as the limit allows")
        #expect(alert.report.hasSuffix("the whole report is \(alert.reportPath).*\n"))
        // The alert lists the first 100 of the service and counts the other 3 900, as routes see them.
        #expect(alert.transitions.count == 100 && alert.transitions.map(\.id) == results.prefix(100).map(\.id))
        #expect(alert.omitted == [OmittedTransitions(service: "svc", change: .newFailure, outcome: .http500, previousOutcome: nil, count: 3900)])
        #expect(alert.count(of: .newFailure) == 4000 && alert.headline.hasPrefix("4000 new failures"))
        let page = try String(contentsOfFile: f.dir.url("spool/site/" + SiteLayout.runPage(run)), encoding: .utf8)
        #expect(page.contains("The report is cut here") && page.utf8.count < 2 << 20 && XHTMLPage(page).error == nil)
    }

    @Test("failures past the memory limit go to a scratch file in the spool: the same report, the same alert, nothing left behind")
    func spilledFailures() throws {
        let run = RunID.scheduled(tick: t0)
        let outcomes: [Outcome] = [.timeout, .http500, .ok, .skipped, .assertion, .dns, .http404, .ok, .certExpiring]
        var results: [ProbeResult] = []
        for (i, service) in ["user", "pay", "nurse", "admin-2"].enumerated() {
            for j in 0..<9 {
                var r = AnalyzerFixture.result("\(service)/item-\(j)", outcomes[(i + j) % outcomes.count], run: run, at: t0)
                if r.outcome == .skipped { r.skippedSince = t0.addingTimeInterval(-600) }
                if r.outcome.isFailure { r.response = HTTPExcerpt(headers: ["Content-Type": "application/json"], body: "{\"code\":\(j)}") }
                results.append(r)
            }
        }
        var outputs: [(report: String, alert: String)] = []
        for limit in ["2", "100000"] {
            let f = try AnalyzerFixture()
            try f.publishBatch(run: run, results: results, start: t0)
            #expect(try f.analyzeOnce(environment: ["VIGIL_FAILURES_IN_MEMORY": limit]).exitCode == 0)
            let alert = try #require(FileIO.listIfPresent(f.spool.outbox.newDirectory).first)
            // (The alert names the report by its path, which differs between the two spools.)
            let text = String(decoding: try FileIO.read(f.spool.outbox.newDirectory + "/" + alert), as: UTF8.self)
            outputs.append((try f.report(run), text.replacingOccurrences(of: f.spool.root, with: "$SPOOL")))
            #expect(!FileIO.listIfPresent(f.spool.stateDirectory).contains { $0.hasPrefix(".spill") }, "scratch files are unlinked")
        }
        #expect(outputs[0].report == outputs[1].report && outputs[0].alert == outputs[1].alert)
        #expect(outputs[0].report.contains("### admin-2 (") && outputs[0].report.contains("skipped because their circuit is open"))
    }
}
