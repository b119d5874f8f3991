// Signals: SIGTERM/SIGINT/SIGHUP/SIGUSR1 delivered as events instead of async-signal handlers. A minimal
// SA_SIGINFO handler writes (signal, sender pid) to a self-pipe — all it does, and async-signal-safe — and a
// reader thread calls the watchers' handlers, which may do anything (log, set flags, wake a Waiter). Knowing the
// sender lets a service tell the service manager's stop from someone else's kill (see `ServiceRunner.exitStatus`).
// Children must reset these dispositions: ChildProcess does.

import Foundation
import Glibc
import Synchronization

/// The self-pipe's write end, set once before any handler is installed (read by the signal handler only).
private nonisolated(unsafe) var signalPipe: Int32 = -1

private let recordSignal: @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void = { number, info, _ in
    let saved = errno
    var record: (Int32, Int32) = (number, info?.pointee._sifields._kill.si_pid ?? 0)
    _ = withUnsafeBytes(of: &record) { write(signalPipe, $0.baseAddress, $0.count) }
    errno = saved
}

/// Turns Unix signals into callbacks and an AsyncStream.
public final class SignalWatcher: Sendable {
    private struct Registration {
        let signals: Set<Int32>
        let deliver: @Sendable (Int32) -> Void
    }

    private static let registry = Mutex<(watchers: [ObjectIdentifier: Registration], installed: Set<Int32>, senders: [Int32: pid_t])>(([:], [], [:]))
    private static let pipeReady: Void = {
        let fds = FileIO.makePipe()
        guard fds.read >= 0 else { return }
        // The write end never blocks the handler: a full pipe (a signal storm) drops the record.
        _ = fcntl(fds.write, F_SETFL, fcntl(fds.write, F_GETFL) | O_NONBLOCK)
        signalPipe = fds.write
        let readEnd = fds.read
        let thread = Thread {
            var record: (Int32, Int32) = (0, 0)
            while true {
                let n = withUnsafeMutableBytes(of: &record) { read(readEnd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                guard n == MemoryLayout<(Int32, Int32)>.size else { return }
                let (number, sender) = record
                let targets = registry.withLock { state -> [@Sendable (Int32) -> Void] in
                    state.senders[number] = sender
                    return state.watchers.values.filter { $0.signals.contains(number) }.map(\.deliver)
                }
                for deliver in targets { deliver(number) }
            }
        }
        thread.name = "vigil-signals"
        thread.stackSize = 256 << 10
        thread.start()
    }()

    private let continuation: AsyncStream<Int32>.Continuation
    /// Every watched signal, in arrival order.
    public let events: AsyncStream<Int32>

    /// Starts watching `signals`; `handler` (if any) is called for each one on the signal thread.
    public init(_ signals: [Int32], handler: (@Sendable (Int32) -> Void)? = nil) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        events = stream
        self.continuation = continuation
        _ = Self.pipeReady
        let id = ObjectIdentifier(self)
        Self.registry.withLock { state in
            state.watchers[id] = Registration(signals: Set(signals)) { number in
                handler?(number)
                continuation.yield(number)
            }
            for number in signals where !state.installed.contains(number) {
                var action = sigaction()
                action.__sigaction_handler.sa_sigaction = recordSignal
                action.sa_flags = SA_SIGINFO | SA_RESTART
                sigemptyset(&action.sa_mask)
                _ = sigaction(number, &action, nil)
                state.installed.insert(number)
            }
        }
    }

    deinit {
        // The handler stays installed (a later signal is then recorded and dropped, as if ignored).
        let id = ObjectIdentifier(self)
        _ = Self.registry.withLock { $0.watchers.removeValue(forKey: id) }
        continuation.finish()
    }

    /// Who sent the last `number` (0 when the kernel did, e.g. a terminal's Ctrl-C), nil if none came.
    public static func sender(of number: Int32) -> pid_t? {
        registry.withLock { $0.senders[number] }
    }

    /// Whether the last `number` came from whoever manages this process: the parent (systemd for a system
    /// service, the shell or test that started it), the user's service manager ($MANAGERPID), or the kernel
    /// (a terminal). Anyone else — an operator's `kill`, a script — is not the manager.
    public static func cameFromManager(_ number: Int32) -> Bool {
        guard let pid = sender(of: number) else { return true }
        if pid == 0 || pid == getppid() || pid == 1 { return true }
        if let manager = ProcessInfo.processInfo.environment["MANAGERPID"], Int32(manager) == pid { return true }
        return false
    }

    /// The usual name of a signal (`SIGTERM`).
    public static func name(_ number: Int32) -> String {
        switch number {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        case SIGKILL: "SIGKILL"
        case SIGUSR1: "SIGUSR1"
        case SIGUSR2: "SIGUSR2"
        case SIGQUIT: "SIGQUIT"
        case SIGABRT: "SIGABRT"
        case SIGSEGV: "SIGSEGV"
        case SIGPIPE: "SIGPIPE"
        default: "signal \(number)"
        }
    }
}
