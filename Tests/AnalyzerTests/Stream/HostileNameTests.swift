// Names from spool files under attack (issue 29), through the real analyzer: a run id that holds `../` writes
// nothing outside the spool (the manifest, or the batch that carries it, goes to quarantine with the reason), a
// result line whose interface id is a path is quarantined as a line, and a link in a response's text stays inert.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Hostile names in the spool", .ownThread)
struct HostileNameTests {
    /// Every file under `root`, relative, except the spool itself.
    private func filesOutsideSpool(_ f: AnalyzerFixture) -> [String] {
        let all = (FileManager.default.enumerator(atPath: f.dir.path)?.allObjects as? [String]) ?? []
        return all.filter { !$0.hasPrefix("spool") && $0 != "config.yaml" }
    }

    @Test("a manifest whose run id holds ../ writes nothing outside the spool and is quarantined with the reason")
    func traversingManifest() throws {
        let f = try AnalyzerFixture()
        let good = RunID.scheduled(tick: t0)
        let hostile = "../../escaped-" + good
        let manifest = RunManifest(run: hostile, shards: 1, startedAt: t0, deadline: t0.addingTimeInterval(1), trigger: "schedule")
        try f.spool.runs.publish(name: "\(good).run.ndjson", bytes: try RecordCoding.encode(manifest) + [10])
        // The same id in a batch's trailer (the run the analyzer would report, had it taken it).
        let trailer = BatchTrailer(run: hostile, shard: .whole, count: 0, prober: "x:1", startedAt: t0, finishedAt: t0)
        try f.spool.results.publish(name: "\(good).1of1.h.prober-1.ndjson", bytes: try RecordCoding.encode(trailer) + [10])

        let run = try f.analyzeOnce()
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(filesOutsideSpool(f).isEmpty, "written outside the spool: \(filesOutsideSpool(f))")
        #expect(FileIO.listIfPresent(f.dir.path + "/spool/reports").isEmpty, "a report was written for the hostile run")
        #expect(f.spool.outbox.pending().isEmpty, "an alert was published for the hostile run")
        let quarantined = FileIO.listIfPresent(f.spool.quarantine.directory)
        let reasons = try quarantined.filter { $0.hasSuffix(".reason") }.map { try f.dir.read("spool/quarantine/" + $0) }
        #expect(reasons.count == 2, "\(quarantined)")
        #expect(reasons.allSatisfy { $0.contains("field \"run\": run id") && $0.contains("holds \"/\"") }, "\(reasons)")
    }

    @Test("a run id with CR LF, or longer than the limit, is refused when read")
    func otherHostileRunIDs() throws {
        let f = try AnalyzerFixture()
        let good = RunID.scheduled(tick: t0)
        for (n, hostile) in [good + "\r\nX-Injected: 1", good + String(repeating: "a", count: 300)].enumerated() {
            let manifest = RunManifest(run: hostile, shards: 1, startedAt: t0, deadline: t0.addingTimeInterval(1), trigger: "schedule")
            try f.spool.runs.publish(name: "\(good)\(n).run.ndjson", bytes: try RecordCoding.encode(manifest) + [10])
        }
        #expect(try f.analyzeOnce().exitCode == 0)
        let reasons = try FileIO.listIfPresent(f.spool.quarantine.directory).filter { $0.hasSuffix(".reason") }.map {
            try f.dir.read("spool/quarantine/" + $0)
        }
        #expect(reasons.contains { $0.contains("a control character (U+000D)") }, "\(reasons)")
        #expect(reasons.contains { $0.contains("longer than 200 bytes") }, "\(reasons)")
    }

    @Test("a result whose interface id is a path is quarantined as a line; the rest of its batch is reported")
    func traversingInterfaceID() throws {
        let f = try AnalyzerFixture()
        let run = RunID.scheduled(tick: t0)
        let hostile = AnalyzerFixture.result("svc/../../../../escaped", .http500, run: run, at: t0)
        let fine = AnalyzerFixture.result("svc/fine", .http500, run: run, at: t0)
        try f.publishBatch(run: run, results: [hostile, fine], start: t0)

        #expect(try f.analyzeOnce().exitCode == 0)
        #expect(filesOutsideSpool(f).isEmpty, "written outside the spool: \(filesOutsideSpool(f))")
        let report = try f.report(run)
        #expect(report.contains("svc/fine") && !report.contains("escaped"), "the hostile result was reported")
        #expect(report.contains("1 result line(s) could not be read and were quarantined"))
        let lines = try FileIO.listIfPresent(f.spool.quarantine.directory).filter { $0.hasSuffix(".lines.ndjson") }.map {
            try f.dir.read("spool/quarantine/" + $0)
        }
        #expect(lines.count == 1 && lines[0].contains(#"field \"id\": interface id"#), "\(lines)")
        let site = (FileManager.default.enumerator(atPath: f.dir.path + "/spool/site")?.allObjects as? [String]) ?? []
        #expect(!site.contains { $0.contains("escaped") }, "a site page was made for the hostile id")
    }

    @Test("a link in a response's error text or an imported name is inert in the Markdown report")
    func inertLinks() throws {
        let f = try AnalyzerFixture()
        let run = RunID.scheduled(tick: t0)
        var result = AnalyzerFixture.result("svc/linky", .assertion, run: run, at: t0)
        result.name = "Pay [here](http://evil.example/pay)"
        result.error = "body: click [login](https://evil.example/a) or http://evil.example/b, www.evil.example, <https://evil.example/c>"
        try f.publishBatch(run: run, results: [result], start: t0)

        #expect(try f.analyzeOnce().exitCode == 0)
        let report = try f.report(run)
        #expect(report.contains("http:/\\/evil.example/b") && report.contains("\\[login\\]"), "\(report.prefix(2000))")
        // Outside code (spans and fences, which are inert), no link syntax and no bare URL is left.
        var prose: [String] = []
        var fence: String?
        for line in report.components(separatedBy: "\n") {
            let ticks = String(line.prefix { $0 == "`" })
            if let open = fence {
                if ticks.count >= open.count, line.allSatisfy({ $0 == "`" }) { fence = nil }
                continue
            }
            if ticks.count >= 3 {
                fence = ticks
                continue
            }
            prose.append(line.replacingOccurrences(of: #"(`+).*?\1"#, with: "", options: .regularExpression))
        }
        #expect(prose.contains { $0.contains("Pay \\[here\\]") }, "the name is there, escaped")
        for line in prose {
            let live = [#"(?<!\\)\]\("#, "://", #"www\.evil"#, #"(?<!\\)<https"#].filter {
                line.range(of: $0, options: .regularExpression) != nil
            }
            #expect(live.isEmpty, "\(line)")
        }
    }
}
