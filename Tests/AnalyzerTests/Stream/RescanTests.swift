// spool.rescan through the real analyzer service: a results/new directory replaced under a running analyzer
// (what a remount does to its inotify watch) is watched again at the next rescan, and its batch is picked up.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Analyzer rescan", .ownThread)
struct AnalyzerRescanTests {
    @Test("with spool.rescan 1s, a batch in a results/new that replaced the watched one is reported within seconds")
    func replacedDirectoryPickedUp() throws {
        let f = try AnalyzerFixture()
        let config = try f.dir.read("config.yaml").replacingOccurrences(of: "  dir: spool\n", with: "  dir: spool\n  rescan: 1s\n")
        try f.dir.write("config.yaml", config)
        let run = RunID.scheduled(tick: Date())
        let start = Date()
        try f.publishManifest(run: run, shards: 1, start: start, deadline: start.addingTimeInterval(600))
        let lines = LineCollector()
        let service = try f.startService(stderr: lines)
        defer {
            service.signal(SIGKILL)
            _ = service.wait()
        }
        #expect(eventually(timeout: 30) { f.spool.runs.pending().isEmpty }, "the manifest is claimed: \(lines.text)")
        // The watch now points at the moved-away directory: nothing inotify sees happens in the new one.
        let results = f.spool.results.newDirectory
        try FileIO.rename(results, results + ".detached")
        try FileIO.makeDirectory(results, mode: 0o700)
        try f.publishBatch(
            run: run, results: [AnalyzerFixture.result("svc/a", .ok, run: run, at: start)], start: start, manifest: false)
        #expect(eventually(timeout: 8) { f.reports == ["\(run).md"] }, "\(lines.text)")
        #expect(eventually(timeout: 5) { lines.text.contains("re-watching \(results): it was remounted") }, "\(lines.text)")
        #expect(lines.lines.filter { $0.contains("re-watching") }.count == 1, "logged once: \(lines.text)")
        service.signal(SIGTERM)
        #expect(service.wait(timeout: 30) == .exited(0), "\(lines.text)")
    }
}
