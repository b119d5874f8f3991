// History: state/history.ndjson, one run_summary line per reported run (for `orchestrator status` and
// uptime figures). Appending is guarded by the set of runs already in the file, so a run redone after a
// crash is recorded once; the set also tells the intake which runs are already reported.

import Foundation
import Shared

struct History {
    let path: String
    private(set) var runs: Set<String> = []

    init(path: String) {
        self.path = path
        guard let reader = try? LineReader(path: path) else { return }
        while let line = try? reader.next() {
            let run =
                JSONScanner.scan(line.bytes) { s -> String? in
                    var run: String?
                    try s.object { key, s in if key == "run" { run = try s.string() } else { try s.skipValue() } }
                    return run
                } ?? nil
            if let run { runs.insert(run) }
        }
    }

    func contains(_ run: String) -> Bool { runs.contains(run) }

    /// Appends the run's line (once), fsynced.
    mutating func append(_ summary: RunSummary) throws {
        guard !runs.contains(summary.run) else { return }
        var line = try RecordCoding.encode(summary)
        line.append(10)
        let fd = try FileIO.open(path, O_WRONLY | O_CREAT | O_APPEND, mode: 0o600)
        defer { close(fd) }
        try FileIO.writeAll(fd, line, path: path)
        try FileIO.fsync(fd, path: path)
        runs.insert(summary.run)
    }
}
