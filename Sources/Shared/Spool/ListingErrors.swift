// ListingErrors: a listing of a consumer's queue that fails for any reason but "not found" (ENOTCONN from a
// detached FUSE mount, EIO from a brick outage) is logged — once a minute per distinct error — instead of
// reading silently as an empty queue. Used by the consumers' scans (Queue.pending).

import Foundation
import Synchronization

extension FileIO {
    /// `listIfPresent`, but a failure other than ENOENT is logged (rate-limited) before reading as empty.
    public static func listReportingErrors(_ directory: String, now: Date = Date()) -> [String] {
        do {
            return try list(directory)
        } catch SpoolError.system(let operation, let path, let code) where code != ENOENT {
            let text = "cannot list \(path): \(operation): \(String(cString: strerror(code)))"
            if ListingErrors.shared.shouldLog(text, now: now) { Log.warning(text + " (treated as empty for now)") }
            return []
        } catch {
            return []
        }
    }
}

/// Remembers when each distinct listing error was last logged, so that one is logged at most once a `period`.
public final class ListingErrors: Sendable {
    /// The process-wide limiter `FileIO.listReportingErrors` uses.
    public static let shared = ListingErrors()
    private let period: TimeInterval
    private let lastLogged = Mutex<[String: Date]>([:])

    /// A limiter that lets one message through at most once every `period` seconds.
    public init(period: TimeInterval = 60) { self.period = period }

    /// Whether `message` should be logged at `now` (and, if so, records it).
    public func shouldLog(_ message: String, now: Date) -> Bool {
        lastLogged.withLock { seen in
            if let last = seen[message], now.timeIntervalSince(last) < period { return false }
            seen[message] = now
            return true
        }
    }
}
