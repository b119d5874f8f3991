// ServiceMain: what every long-running program does around its own work — hold the single-instance lock,
// watch signals from the start (ServiceRunner), reload on SIGHUP keeping the old configuration on error, run
// passes until stopped, then stop: its own hand-back, one "stopped" line with the peak RSS, the lock released,
// and the exit status (0, or 128+signal for a stop the service manager did not ask for). Mains say only what is
// theirs; only main exits.

import Foundation

public final class ServiceMain: Sendable {
    public let name: String
    /// Watches signals from construction on: one that arrives during start-up is acted on, never fatal.
    public let runner: ServiceRunner

    /// `rescan`: the longest time between the starts of two passes without an inotify event (`spool.rescan`).
    public init(name: String, watching directories: [String], rescan: TimeInterval = 30) {
        self.name = name
        runner = ServiceRunner(name: name, watching: directories, rescanInterval: rescan)
    }

    /// The single-instance lock at `path`, or the pid written in it by the process that holds it.
    public static func lock(_ path: String) -> Result<FileLock, HeldLock> {
        guard let lock = try? FileLock.attempt(path) else { return .failure(HeldLock(holder: Startup.holder(of: path))) }
        lock.writePid()
        return .success(lock)
    }

    public struct HeldLock: Error {
        /// The pid in the lock file ("?" when unreadable).
        public let holder: String
    }

    /// A SIGHUP reload for programs whose state is their configuration: the file is read again, and `apply`
    /// gets it only if it is valid (every problem logged, one per line, otherwise).
    public static func reloadConfig(_ options: CommonOptions, apply: @escaping (Config) -> Void) -> () -> Void {
        {
            do {
                apply(try options.loadConfig())
            } catch {
                Log.configurationProblems(error, "reload failed, keeping the old configuration")
            }
        }
    }

    /// Runs passes until stopped (or one pass with `once`), then `stop`, the last log line and the lock's
    /// release; returns the exit status.
    nonisolated(nonsending) public func run(
        once: Bool, lock: FileLock, reload: () -> Void, status: () -> String, pass: () async -> TimeInterval?,
        stop: () async -> Void = {}
    ) async -> Int32 {
        await runner.run(once: once, reload: reload, status: status, pass: pass)
        await stop()
        Log.info("\(name) stopped" + Memory.peakNote)
        lock.unlock()
        return runner.exitStatus
    }
}
