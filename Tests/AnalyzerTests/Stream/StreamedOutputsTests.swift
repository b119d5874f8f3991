// The analyzer's outputs for a small pool over four runs, byte for byte, against files written by the analyzer
// that held every run in memory (before issue 20 made it stream): interface state, metrics (every series),
// report, alert, history line, the rollup (day files, incidents), the status site. Where the streamed analyzer
// writes something else on purpose, the golden file was rewritten and the change is said in Golden/streamed/CHANGES.md.
// The runs cover: several shards merged, a corrupt line, a missing shard, a skipped interface, a failure threshold,
// a silence that starts while an interface fails and ends while another still fails, a new and a vanished
// interface, a certificate, and a UTC day boundary.
// Set VIGIL_UPDATE_GOLDEN=1 to rewrite the files after a deliberate change, then review the diff.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Streamed outputs", .ownThread)
struct StreamedOutputsTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
        "Golden/streamed")

    /// The files a run leaves, by path relative to the spool (temporary paths replaced by `$SPOOL`).
    /// Of the reports and alerts, only those of `run` (older ones were compared after their own run).
    static func outputs(_ f: AnalyzerFixture, run: String) throws -> [String: String] {
        let spool = f.spool
        var files: [String: String] = [:]
        func take(_ relative: String, as name: String? = nil) throws {
            let path = spool.root + "/" + relative
            guard FileIO.status(path) != nil else { return }
            files[name ?? relative] = String(decoding: try FileIO.read(path), as: UTF8.self)
                .replacingOccurrences(of: spool.root, with: "$SPOOL")
        }
        for file in ["state/interfaces.ndjson", "state/history.ndjson", "state/history/incidents.ndjson", "state/history/recent.ndjson"] {
            try take(file)
        }
        for directory in ["state/history/days", "reports", "outbox/new", "site", "site/s", "site/i"] {
            for name in FileIO.listIfPresent(spool.root + "/" + directory) where !name.hasPrefix(".") && name.contains(".") {
                if ["reports", "outbox/new"].contains(directory), !name.hasPrefix(run + ".") { continue }
                try take(directory + "/" + name)
            }
        }
        for name in FileIO.listIfPresent(spool.metricsDirectory) where name.hasSuffix(".prom") {
            try take("metrics/" + name, as: "metrics/analyzer.prom")
        }
        return files
    }

    static func compare(_ files: [String: String], run: Int) throws {
        let directory = golden.appendingPathComponent("run\(run)")
        if ProcessInfo.processInfo.environment["VIGIL_UPDATE_GOLDEN"] != nil {
            try? FileManager.default.removeItem(at: directory)
            for (path, text) in files {
                let url = directory.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: url)
            }
        }
        var expected: [String: String] = [:]
        let base = directory.path + "/"
        if let walker = FileManager.default.enumerator(atPath: directory.path) {
            for case let path as String in walker where FileIO.status(base + path).map({ $0.st_mode & S_IFMT == S_IFREG }) == true {
                expected[path] = try String(contentsOfFile: base + path, encoding: .utf8)
            }
        }
        #expect(files.keys.sorted() == expected.keys.sorted(), "run \(run): the analyzer wrote other files than Golden/streamed/run\(run)")
        for (path, text) in expected.sorted(by: { $0.key < $1.key }) {
            guard let actual = files[path] else { continue }
            if actual != text {
                let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
                let e = text.split(separator: "\n", omittingEmptySubsequences: false)
                let line = (0..<min(a.count, e.count)).first { a[$0] != e[$0] } ?? min(a.count, e.count)
                Issue.record(
                    """
                    run \(run): \(path) differs from the golden file at line \(line + 1):
                      expected: \(line < e.count ? String(e[line].prefix(300)) : "(end of file)")
                      actual:   \(line < a.count ? String(a[line].prefix(300)) : "(end of file)")
                    """)
            }
        }
    }

    @Test("four runs of a small pool write the same state, metrics, report, alert, rollup and site as the golden files")
    func fourRuns() throws {
        let f = try AnalyzerFixture(
            alerts: "mode: change\nrepeat_interval: 1h", extra: "metrics:\n  per_interface: all\nhistory:\n  retention: 90d")
        typealias R = AnalyzerFixture
        let s1 = Shard(index: 1, count: 2)
        let s2 = Shard(index: 2, count: 2)

        // Run 1: two shards; one failure of each kind a team tells apart; a certificate; a threshold of 2.
        let start1 = t0
        let run1 = RunID.scheduled(tick: start1)
        try f.publishManifest(run: run1, shards: 2, start: start1, deadline: start1.addingTimeInterval(600))
        var flaky = R.result("a/flaky", .dns, run: run1, shard: s2, at: start1)
        flaky.failureThreshold = 2
        var cert = R.result("c/v", .ok, run: run1, shard: s2, latency: 42, at: start1)
        let expiry = start1.addingTimeInterval(20 * 86_400)
        cert.tls = TLSFacts(subject: "CN = c.example.com", issuer: "CN = CA", notAfter: expiry, daysLeft: 20, earliestNotAfter: expiry)
        cert.timings = PhaseTimings(dns: 1, connect: 2, tls: 9, firstByte: 40, total: 42)
        try f.publishBatch(
            run: run1, shard: s1,
            results: [
                R.result("a/x", .ok, run: run1, shard: s1, latency: 80, at: start1),
                R.result("a/y", .http500, run: run1, shard: s1, latency: 120, at: start1),
                R.result("b/z", .ok, run: run1, shard: s1, latency: 300, at: start1),
                R.result("c/w", .timeout, run: run1, shard: s1, latency: 10_000, at: start1),
            ], start: start1)
        try f.publishBatch(
            run: run1, shard: s2, results: [flaky, R.result("b/q", .ok, run: run1, shard: s2, latency: 15, at: start1), cert], start: start1)
        #expect(try f.analyzeOnce().exitCode == 0)
        try Self.compare(try Self.outputs(f, run: run1), run: 1)

        // Run 2: c/* silenced (from just before run 2 to just before run 4); a/x fails, a/y recovers, the flaky
        // one fails a second time (confirmed), a new interface, a corrupt line.
        let start2 = t0.addingTimeInterval(900)
        let run2 = RunID.scheduled(tick: start2)
        let silence = Silence(
            id: "s-c", match: "c/*", createdAt: start2.addingTimeInterval(-60), until: start2.addingTimeInterval(2 * 900 - 60),
            reason: "migration", by: "ops")
        _ = try f.dir.write("spool/state/silences/s-c.json", try RecordCoding.encodeString(silence) + "\n")
        try f.publishManifest(run: run2, shards: 2, start: start2, deadline: start2.addingTimeInterval(600))
        flaky = R.result("a/flaky", .dns, run: run2, shard: s2, at: start2)
        flaky.failureThreshold = 2
        try f.publishBatch(
            run: run2, shard: s1,
            results: [
                R.result("a/x", .http503, run: run2, shard: s1, latency: 90, at: start2),
                R.result("a/y", .ok, run: run2, shard: s1, latency: 110, at: start2),
                R.result("b/z", .ok, run: run2, shard: s1, latency: 280, at: start2),
                R.result("c/w", .timeout, run: run2, shard: s1, latency: 10_000, at: start2),
            ], start: start2)
        try f.publishBatch(
            run: run2, shard: s2,
            results: [
                flaky, R.result("a/new", .ok, run: run2, shard: s2, latency: 33, at: start2),
                R.result("b/q", .ok, run: run2, shard: s2, latency: 18, at: start2),
                R.result("c/v", .http404, run: run2, shard: s2, latency: 12, at: start2),
            ], start: start2, corrupt: [1: "{\"v\":1,\"kind\":\"result\",\"id\":"])
        #expect(try f.analyzeOnce().exitCode == 0)
        try Self.compare(try Self.outputs(f, run: run2), run: 2)

        // Run 3: shard 2 killed; a/x still failing, b/z behind an open circuit, c/w recovers while silenced.
        let start3 = t0.addingTimeInterval(1800)
        let run3 = RunID.scheduled(tick: start3)
        try f.publishManifest(run: run3, shards: 2, start: start3, deadline: start3.addingTimeInterval(600))
        try f.publishBatch(
            run: run3, shard: s1,
            results: [
                R.result("a/x", .http503, run: run3, shard: s1, latency: 95, at: start3),
                R.result("a/y", .ok, run: run3, shard: s1, latency: 100, at: start3),
                R.result("b/z", .skipped, run: run3, shard: s1, at: start3),
                R.result("c/w", .ok, run: run3, shard: s1, latency: 70, at: start3),
            ], start: start3)
        try f.publishStub(run: run3, shard: s2, reason: "killed after 600s", at: start3.addingTimeInterval(630))
        #expect(try f.analyzeOnce().exitCode == 0)
        try Self.compare(try Self.outputs(f, run: run3), run: 3)

        // Run 4, the next UTC day, the silence over: c/v still fails (announced now), the rest is well, a/new is gone.
        let start4 = t0.addingTimeInterval(9 * 3600 + 60)
        let run4 = RunID.scheduled(tick: start4)
        try f.publishManifest(run: run4, shards: 2, start: start4, deadline: start4.addingTimeInterval(600))
        flaky = R.result("a/flaky", .ok, run: run4, shard: s2, latency: 25, at: start4)
        flaky.failureThreshold = 2
        try f.publishBatch(
            run: run4, shard: s1,
            results: [
                R.result("a/x", .ok, run: run4, shard: s1, latency: 85, at: start4),
                R.result("a/y", .ok, run: run4, shard: s1, latency: 105, at: start4),
                R.result("b/z", .ok, run: run4, shard: s1, latency: 250, at: start4),
                R.result("c/w", .ok, run: run4, shard: s1, latency: 60, at: start4),
            ], start: start4)
        try f.publishBatch(
            run: run4, shard: s2,
            results: [
                flaky, R.result("b/q", .ok, run: run4, shard: s2, latency: 14, at: start4),
                R.result("c/v", .http404, run: run4, shard: s2, latency: 11, at: start4),
            ], start: start4)
        #expect(try f.analyzeOnce().exitCode == 0)
        try Self.compare(try Self.outputs(f, run: run4), run: 4)
    }
}

@Suite("Streamed inputs out of order", .ownThread)
struct UnsortedInputTests {
    @Test("a state file edited out of id order is read whole and sorted, with a warning; the transitions are the same")
    func unsortedState() throws {
        let f = try AnalyzerFixture()
        let first = RunID.scheduled(tick: t0)
        try f.publishBatch(
            run: first,
            results: [
                AnalyzerFixture.result("a/one", .ok, run: first, at: t0), AnalyzerFixture.result("b/two", .http500, run: first, at: t0),
                AnalyzerFixture.result("c/three", .ok, run: first, at: t0),
            ], start: t0)
        #expect(try f.analyzeOnce().exitCode == 0)
        // Reverse the interface lines (the header stays first), as a hand edit might.
        let path = "spool/state/interfaces.ndjson"
        let lines = try f.dir.read(path).split(separator: "\n").map(String.init)
        _ = try f.dir.write(path, ([lines[0]] + lines.dropFirst().reversed()).joined(separator: "\n") + "\n")

        let start = t0.addingTimeInterval(900)
        let second = RunID.scheduled(tick: start)
        try f.publishBatch(
            run: second,
            results: [
                AnalyzerFixture.result("a/one", .http503, run: second, at: start), AnalyzerFixture.result("b/two", .ok, run: second, at: start),
                AnalyzerFixture.result("c/three", .ok, run: second, at: start),
            ], start: start)
        let run = try f.analyzeOnce()
        #expect(run.exitCode == 0)
        #expect(run.stderr.contains("interfaces.ndjson: lines not in id order"), "\(run.stderr)")
        let ids = try f.dir.read(path).split(separator: "\n").dropFirst().map { String($0.split(separator: "\"")[9]) }
        #expect(ids == ["a/one", "b/two", "c/three"], "the state is written in id order again")
        let alert = try #require(try f.alerts().last)
        #expect(alert.transitions.map { "\($0.id) \($0.change.rawValue)" } == ["a/one new_failure", "b/two recovered"])
    }
}
