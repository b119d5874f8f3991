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
            if let run = Self.run(of: line.bytes) { runs.insert(run) }
        }
    }

    /// The `run` member of a history line, nil for a torn or foreign line; nothing else is decoded.
    static func run(of line: some Collection<UInt8>) -> String? {
        JSONScanner.scan(line) { s -> String? in
            var run: String?
            try s.object { key, s in if key == "run" { run = try s.string() } else { try s.skipValue() } }
            return run
        } ?? nil
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
