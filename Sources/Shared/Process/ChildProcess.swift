// ChildProcess: starts a program with posix_spawn (argv only, never a shell), with default signal
// dispositions and an empty signal mask restored in the child (a parent that ignores SIGTERM for its
// DispatchSource must not pass that on), optional stdout capture and stderr forwarded line by line.

import Foundation
import Synchronization

/// How a child ended.
public enum Termination: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public var description: String {
        switch self {
        case let .exited(code): "exited with status \(code)"
        case let .signaled(number): "killed by \(SignalWatcher.name(number))"
        }
    }

    public var succeeded: Bool { self == .exited(0) }
}

/// A running child process.
public final class ChildProcess: Sendable {
    /// Where a child's output goes.
    public enum Output: Sendable {
        case inherit
        case discard
        /// Collected; read it with `output()` after the child ends.
        case capture
        /// Each line is handed to the closure (on a reader thread) as it arrives.
        case lines(@Sendable (String) -> Void)
    }

    public let pid: pid_t
    public let executable: String
    private let state = Mutex<(termination: Termination?, captured: [UInt8])>((nil, []))
    private let done = DispatchSemaphore(value: 0)
    private let readers = DispatchGroup()

    /// Starts `executable` with `arguments` (argv[1…]); `environment` nil inherits this process's.
    public init(
        executable: String, arguments: [String], environment: [String: String]? = nil,
        stdout: Output = .inherit, stderr: Output = .inherit
    ) throws {
        self.executable = executable
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var pipes: [(read: Int32, write: Int32, target: Int32, output: Output)] = []
        for (target, output) in [(Int32(1), stdout), (Int32(2), stderr)] {
            switch output {
            case .inherit: break
            case .discard: posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0)
            case .capture, .lines:
                let fds = FileIO.makePipe()
                guard fds.read >= 0 else { throw SpoolError.system(operation: "pipe", path: executable, errno: errno) }
                posix_spawn_file_actions_adddup2(&actions, fds.write, target)
                pipes.append((fds.read, fds.write, target, output))
            }
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { env.forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, &attributes, argv, env)
        for pipe in pipes { close(pipe.write) }
        guard status == 0 else {
            for pipe in pipes { close(pipe.read) }
            throw SpoolError.system(operation: "posix_spawn", path: executable, errno: status)
        }
        pid = child
        let spawned = child
        for pipe in pipes { startReader(fd: pipe.read, output: pipe.output) }
        Thread.detachNewThread { [self] in
            var raw: Int32 = 0
            while waitpid(spawned, &raw, 0) < 0, errno == EINTR {}
            let termination: Termination = (raw & 0x7f) == 0 ? .exited((raw >> 8) & 0xff) : .signaled(raw & 0x7f)
            readers.wait()
            state.withLock { $0.termination = termination }
            done.signal()
        }
    }

    private func startReader(fd: Int32, output: Output) {
        readers.enter()
        Thread.detachNewThread { [self] in
            var pending: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 16_384)
            while true {
                let n = read(fd, &chunk, chunk.count)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                switch output {
                case .capture:
                    state.withLock { $0.captured.append(contentsOf: chunk[0..<n]) }
                case let .lines(handler):
                    pending.append(contentsOf: chunk[0..<n])
                    while let newline = pending.firstIndex(of: 10) {
                        handler(String(decoding: pending[..<newline], as: UTF8.self))
                        pending.removeSubrange(...newline)
                    }
                default: break
                }
            }
            if case let .lines(handler) = output, !pending.isEmpty {
                handler(String(decoding: pending, as: UTF8.self))
            }
            close(fd)
            readers.leave()
        }
    }

    /// Sends `signal` to the child (ignored once it has been reaped).
    public func signal(_ number: Int32) {
        guard state.withLock({ $0.termination == nil }) else { return }
        kill(pid, number)
    }

    /// The termination if the child has ended.
    public var termination: Termination? { state.withLock { $0.termination } }

    /// Blocks until the child ends.
    @discardableResult
    public func wait() -> Termination {
        done.wait()
        done.signal()
        return termination!
    }

    /// Blocks at most `timeout` seconds; nil if the child is still running.
    public func wait(timeout: TimeInterval) -> Termination? {
        guard done.wait(timeout: .now() + timeout) == .success else { return nil }
        done.signal()
        return termination
    }

    /// Waits on a dispatch thread (for async callers).
    public func exit() async -> Termination {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.wait()) }
        }
    }

    /// Captured standard output (with `.capture`), complete once the child has ended.
    public func output() -> String {
        String(decoding: state.withLock { $0.captured }, as: UTF8.self)
    }
}
