// StopSignal: SIGTERM/SIGINT as state the probes can look at. Once set, no new probe starts, back-off
// sleeps end at once, and probes still in flight get until the deadline before they are cancelled.

import Foundation
import Synchronization

/// Set once when the prober is told to stop.
final class StopSignal: Sendable {
    private let state = Mutex<Date?>(nil)

    /// Marks the stop (the first call wins).
    func trigger(at date: Date = Date()) {
        state.withLock { if $0 == nil { $0 = date } }
    }

    var isStopping: Bool { state.withLock { $0 != nil } }

    /// Sleeps `seconds`, waking early when stopped; returns false if the stop came first.
    func sleep(_ seconds: TimeInterval) async -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if isStopping || Task.isCancelled { return false }
            try? await Task.sleep(nanoseconds: UInt64(min(0.05, max(0.001, end.timeIntervalSinceNow)) * 1e9))
        }
        return !isStopping
    }
}
