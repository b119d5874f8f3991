// TransientRetry: a commit step of a consumer (archive a run's claims, record a delivery in sent/) tried again in
// place after an error that says nothing of the file (SpoolError.isTransient: EIO, ENOTCONN, ESTALE, no space), a
// few times with a short doubling wait — a brick restart on a shared spool lasts seconds — and bounded, so a pass
// is never held for long; what still fails is the caller's to hand back or to keep for the next pass.

import Foundation

/// Bounded in-place retry of an idempotent spool step.
public struct TransientRetry: Sendable {
    /// Tries in all (the first included).
    public var attempts: Int
    /// The wait before the second try; doubled before each later one.
    public var firstWait: TimeInterval

    /// Four tries, 0.5 + 1 + 2 s apart: 3.5 s at most in waits.
    public init(attempts: Int = 4, firstWait: TimeInterval = 0.5) {
        self.attempts = attempts
        self.firstWait = firstWait
    }

    /// Runs `step` until it succeeds, throws an error that is not transient, or `attempts` are used up (the last
    /// error is thrown). `step` must be safe to repeat: after an I/O error one cannot know whether it took effect.
    public func run<T>(_ what: @autoclosure () -> String, _ step: () throws -> T) throws -> T {
        var wait = firstWait
        var attempt = 1
        while true {
            do {
                let value = try step()
                if attempt > 1 { Log.notice("\(what()): done at try \(attempt) of \(attempts)") }
                return value
            } catch  where SpoolError.isTransient(error) && attempt < attempts {
                Log.warning("\(what()): \(error); trying again in \(String(format: "%.1f", wait)) s (try \(attempt) of \(attempts))")
                Thread.sleep(forTimeInterval: wait)
                wait *= 2
                attempt += 1
            }
        }
    }
}
