// Every host of a multi-host run publishes the run's manifest. With the real analyzer running on a local spool,
// each host's manifest is published after the analyzer claimed the previous one (the interleaving that made the
// second claim rename over the first): every manifest is archived, every host's gap is in the one report.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("One run, one manifest per host", .ownThread)
struct MultiHostManifestTests {
    private let zone = TimeZone(identifier: "Asia/Shanghai")!

    /// Entries of `directory` that are `name` or a claim of it.
    private func entries(_ directory: String, of name: String) -> [String] {
        FileIO.listIfPresent(directory).filter { $0 == name || $0.hasPrefix(name + "~") }
    }

    @Test("two hosts' manifests of each run, claimed one after the other: no 'cannot archive', both gaps in one report")
    func twoHostsManifests() throws {
        let f = try AnalyzerFixture()
        let lines = LineCollector()
        let service = try f.startService(stderr: lines)
        defer {
            service.signal(SIGKILL)
            _ = service.wait()
        }
        #expect(eventually(timeout: 30) { lines.text.contains("analyzer started") }, "\(lines.text)")
        let now = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60)
        var runs: [String] = []
        for index in 0..<3 {
            let start = now.addingTimeInterval(Double(index) * 60)
            let run = RunID.scheduled(tick: start)
            runs.append(run)
            // Host one could not record two runs; host two was not running for one; both saw the same overlap.
            let shared = MonitoringGap(reason: .overlap, from: start.addingTimeInterval(-3600), to: start.addingTimeInterval(-3600), runs: 1)
            let one = MonitoringGap(
                reason: .unrecorded, from: start.addingTimeInterval(-1200), to: start.addingTimeInterval(-1140), runs: 2, detail: "on host one")
            let two = MonitoringGap(
                reason: .notRunning, from: start.addingTimeInterval(-600), to: start.addingTimeInterval(-600), runs: 1, detail: "on host two")
            let name = RunFileName.manifest(run: run)
            for (host, gaps) in [[shared, one], [shared, two]].enumerated() {
                let manifest = RunManifest(
                    run: run, shards: 2, startedAt: start, deadline: Date().addingTimeInterval(600), trigger: "schedule", gaps: gaps)
                let published = try f.spool.runs.publish(name: name, bytes: Array((try RecordCoding.encodeString(manifest) + "\n").utf8))
                #expect(published == .published(f.spool.runs.newDirectory + "/" + name), "host \(host + 1)'s link into new/ succeeds")
                // The analyzer claims it before the next host publishes.
                #expect(
                    eventually(timeout: 30) {
                        entries(f.spool.runs.newDirectory, of: name).isEmpty && entries(f.spool.runs.curDirectory, of: name).count == host + 1
                    },
                    "\(FileIO.listIfPresent(f.spool.runs.curDirectory)) \(lines.text)")
            }
            for k in 1...2 {
                try f.publishBatch(
                    run: run, shard: Shard(index: k, count: 2), results: [AnalyzerFixture.result("svc/\(k)", .ok, run: run, at: start)], start: start,
                    manifest: false)
            }
            #expect(eventually(timeout: 30) { f.reports.contains(run + ".md") }, "\(lines.text)")
            let report = try f.report(run)
            for gap in [shared, one, two] {
                let sentence = "- Before this run, \(gap.sentence(in: zone))."
                #expect(report.components(separatedBy: sentence).count == 2, "once: \(sentence)\n\(report)")
            }
        }
        #expect(
            eventually(timeout: 30) { FileIO.listIfPresent(f.spool.runs.curDirectory).isEmpty }, "\(FileIO.listIfPresent(f.spool.runs.curDirectory))")
        #expect(FileIO.listIfPresent(f.spool.results.curDirectory).isEmpty)
        #expect(!lines.text.contains("cannot archive"), "\(lines.text)")
        #expect(f.reports.sorted() == runs.map { $0 + ".md" }, "one report per run")
        #expect(try f.history().map(\.run) == runs)
        for run in runs {
            #expect(entries(f.spool.archiveDirectory, of: RunFileName.manifest(run: run)).count == 2, "both hosts' manifests archived")
            let gaps = try #require(try f.history().first { $0.run == run }?.stats.gaps)
            #expect(gaps.count == 3, "\(gaps)")
        }
    }
}
