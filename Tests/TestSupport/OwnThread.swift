// OwnThread: a test trait that runs each test of a suite on a thread of its own. Process tests block
// (waiting for a child, for a file to appear); on the cooperative pool, which has one thread per core,
// two blocked tests stall every other test, so the suite ran as if serial. With a task executor of its
// own, a test that blocks holds only its own thread, and async work inside it runs there too. At most
// `OwnThread.width` such tests run at once (twice the cores, or VIGIL_TEST_WIDTH): enough to overlap the
// waiting, not so many that the children they start starve each other of CPU.

import Foundation
import Testing

/// A task executor backed by one dedicated thread that runs its jobs in order. Unchecked Sendable: `jobs` and
/// `finished` are read and written only while holding `condition`.
public final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var finished = false

    public init(name: String) {
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread end once the jobs queued so far have run.
    public func finish() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty, !finished { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

public struct OwnThread: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func scopeProvider(for test: Test, testCase: Test.Case?) -> OwnThread? {
        testCase == nil ? nil : self
    }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        await OwnThread.slots.acquire()
        let executor = ThreadExecutor(name: test.name)
        defer {
            executor.finish()
            Task { await OwnThread.slots.release() }
        }
        try await withTaskExecutorPreference(executor) { try await function() }
    }

    public static let width =
        ProcessInfo.processInfo.environment["VIGIL_TEST_WIDTH"].flatMap { Int($0) }
        ?? 2 * ProcessInfo.processInfo.activeProcessorCount
    static let slots = Slots(width)
}

/// A counting semaphore for tasks: `acquire` suspends (never blocks a thread) while all slots are taken.
actor Slots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { free = max(1, count) }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

extension Trait where Self == OwnThread {
    /// Each test on a thread of its own (for tests that block on processes, files or sockets).
    public static var ownThread: Self { OwnThread() }
}
