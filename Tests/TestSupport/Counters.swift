// Counters: small thread-safe values that server routes (running on connection threads) and tests share —
// a counter that also tracks the peak of concurrent entries, and a flag a test flips while a route reads it.

import Foundation

/// Counts calls, and the peak number of callers inside `enter`…`leave` at once. Unchecked Sendable: every
/// stored `var` is read and written only while holding `lock`.
public final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    private var current = 0
    private var peak = 0

    public init() {}

    /// Adds one and returns the new count.
    public func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }

    public func enter() {
        lock.lock()
        current += 1
        peak = max(peak, current)
        lock.unlock()
    }

    public func leave() {
        lock.lock()
        current -= 1
        lock.unlock()
    }

    /// The count so far.
    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    /// The most callers that were inside at the same time.
    public var maximum: Int {
        lock.lock()
        defer { lock.unlock() }
        return peak
    }
}

/// A boolean shared between a test and the threads it starts. Unchecked Sendable: `state` is read and written
/// only while holding `lock`.
public final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var state = false

    public init() {}

    public var value: Bool {
        get {
            lock.lock()
            defer { lock.unlock() }
            return state
        }
        set {
            lock.lock()
            state = newValue
            lock.unlock()
        }
    }
}
