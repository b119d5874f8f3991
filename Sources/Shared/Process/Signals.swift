// Signals: SIGTERM/SIGINT/SIGHUP delivered as events instead of async-signal handlers. Each watched signal
// is ignored at the process level and observed through a DispatchSource; the handler runs on a queue and
// may do anything (log, set flags, wake a Waiter). Children must reset these dispositions: ChildProcess does.

import Foundation
import Glibc
import Synchronization

/// Turns Unix signals into callbacks and an AsyncStream.
public final class SignalWatcher: Sendable {
    private let sources: Mutex<[DispatchSourceSignal]>
    private let continuation: AsyncStream<Int32>.Continuation
    /// Every watched signal, in arrival order.
    public let events: AsyncStream<Int32>

    /// Starts watching `signals`; `handler` (if any) is called for each one on a private queue.
    public init(_ signals: [Int32], handler: (@Sendable (Int32) -> Void)? = nil) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        events = stream
        self.continuation = continuation
        let queue = DispatchQueue(label: "vigil.signals")
        var made: [DispatchSourceSignal] = []
        for number in signals {
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                handler?(number)
                continuation.yield(number)
            }
            source.resume()
            made.append(source)
        }
        sources = Mutex(made)
    }

    deinit {
        continuation.finish()
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
