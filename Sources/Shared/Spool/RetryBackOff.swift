// RetryBackOff: how a consumer waits after a transient error (SpoolError.isTransient: no space, the disk floor,
// EIO, a file system gone) before it takes files again — 5 s doubling to 5 min, reset by a pass that works —
// and whether an error is new (logged at error level once, then at debug level), so a full disk neither spins
// a core nor floods the journal.

import Foundation

/// Back-off after transient errors, with the last error remembered.
public struct RetryBackOff: Sendable {
    /// When to try again; nil while nothing failed.
    public private(set) var retryAt: Date?
    private var attempts = 0
    private var lastError: String?
    /// Whether the error given to the last `failed` differs from the one before.
    public private(set) var isNewError = false

    public init() {}

    /// Whether work may be tried at `now`.
    public func mayTry(at now: Date) -> Bool { retryAt.map { now >= $0 } ?? true }

    /// Records a failure at `now`; returns the wait before the next try.
    public mutating func failed(at now: Date, error: String) -> TimeInterval {
        attempts += 1
        let wait = min(300, 5 * pow(2, Double(min(attempts - 1, 6))))
        retryAt = now.addingTimeInterval(wait)
        isNewError = error != lastError
        lastError = error
        return wait
    }

    /// A pass worked: back to normal; returns the error it recovered from (to log once), if any.
    @discardableResult
    public mutating func succeeded() -> String? {
        defer { self = RetryBackOff() }
        return lastError
    }
}
