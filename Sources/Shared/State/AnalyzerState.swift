// AnalyzerState: the one reader of the analyzer's state files that other programs read — the health of every
// interface (state/interfaces.ndjson) and the runs it reported (state/history.ndjson). `orchestrator status`
// reads them here; the analyzer alone writes them.

import Foundation

/// The analyzer's state files in a spool, read-only.
public struct AnalyzerState: Sendable {
    /// The spool whose state/ holds the files.
    public let spool: Spool

    public init(_ spool: Spool) {
        self.spool = spool
    }

    /// state/interfaces.ndjson: a header line, then one line per interface in id order.
    public var interfacesPath: String { spool.stateDirectory + "/interfaces.ndjson" }

    /// How many interfaces the analyzer knows, and those failing now.
    public struct Health: Sendable, Equatable {
        /// Every interface line of the state file.
        public var total = 0
        /// The failing ones, oldest failure first.
        public var failing: [InterfaceHealthLine] = []
    }

    /// The interfaces of the state file (none when the analyzer has not written it yet). Streams the file: one
    /// line in memory at a time, however many interfaces.
    public func health() -> Health {
        var out = Health()
        guard let reader = try? LineReader(path: interfacesPath) else { return out }
        while let line = try? reader.next() {
            guard let interface = InterfaceHealthLine.scan(line.bytes) else { continue }
            out.total += 1
            if interface.health == .failing { out.failing.append(interface) }
        }
        out.failing.sort { $0.since < $1.since }
        return out
    }

    /// The last `count` runs the analyzer reported, oldest first (RunSummary.history: torn lines skipped).
    public func reportedRuns(last count: Int) -> [RunSummary] {
        RunSummary.history(at: spool.historyPath, last: count)
    }
}
