// ServiceRunner: the main loop shared by the long-running consumers (analyzer, notifier): do a pass of
// work, then sleep until a file arrives (inotify), a signal comes, the rescan timer fires (`spool.rescan`
// after the pass started), or the time the pass asked to be woken at. It turns SIGTERM/SIGINT into a clean
// stop, SIGHUP into a reload, and speaks sd_notify (READY after start-up, STATUS after each pass, WATCHDOG
// from this loop, STOPPING at the end). SIGUSR1 only wakes the loop for an immediate pass.

import Foundation
import Synchronization

/// Drives a consumer's passes until it is told to stop.
public final class ServiceRunner: Sendable {
    private let name: String
    private let waiter: Waiter
    private let rescanInterval: TimeInterval
    private let flags = Mutex<(stop: Bool, reload: Bool, foreignStop: Int32?)>((false, false, nil))
    private let notifier = SystemdNotifier.fromEnvironment()
    private let signals = Mutex<SignalWatcher?>(nil)

    /// `directories`: the `new/` directories whose arrivals should wake the service. Signals are watched from
    /// here on: one that arrives before `run` (a SIGHUP right after start-up) is acted on, never fatal.
    public init(name: String, watching directories: [String], rescanInterval: TimeInterval = 30) {
        self.name = name
        waiter = Waiter(directories: directories)
        self.rescanInterval = rescanInterval
        let watcher = SignalWatcher([SIGTERM, SIGINT, SIGHUP, SIGUSR1]) { [weak self] number in self?.received(number) }
        signals.withLock { $0 = watcher }
    }

    private func received(_ number: Int32) {
        if number == SIGUSR1 {
            // "Look again now" (e.g. `notifier replay` made deferred alerts due).
        } else if number == SIGHUP {
            flags.withLock { $0.reload = true }
        } else {
            let managed = SignalWatcher.cameFromManager(number)
            let sender = SignalWatcher.sender(of: number).map { " from pid \($0)" } ?? ""
            Log.notice(
                "\(SignalWatcher.name(number))\(sender): finishing the current item, then stopping"
                    + (managed ? "" : " (not the service manager's stop: exiting \(128 + number) so that Restart=on-failure restarts)"))
            flags.withLock { state in
                state.stop = true
                if !managed, state.foreignStop == nil { state.foreignStop = number }
            }
        }
        waiter.wake()
    }

    /// The exit status for a service that has stopped (docs/operating-guide.md, Exit codes): 0 when it was
    /// stopped by whoever manages it (systemd's stop, the parent, a terminal), 128 + the signal when someone
    /// else sent SIGTERM/SIGINT — systemd's `Restart=on-failure` restarts that, since the manager did not ask.
    public var exitStatus: Int32 { flags.withLock { $0.foreignStop.map { 128 + $0 } ?? 0 } }

    /// Whether a stop was requested (a long pass should check this between items and hand back the rest).
    public var isStopping: Bool { flags.withLock { $0.stop } }

    /// Requests a stop (as SIGTERM does).
    public func requestStop() {
        flags.withLock { $0.stop = true }
        waiter.wake()
    }

    /// Wakes the loop for another pass at once.
    public func wake() { waiter.wake() }

    /// Runs `pass` until stopped. `pass` returns how long the service may sleep at most before the next
    /// pass (nil: the rescan interval). With `once`, runs a single pass. `reload` runs on SIGHUP, between
    /// passes. Returns when stopped (or after the single pass), after sending STOPPING=1.
    nonisolated(nonsending) public func run(once: Bool, reload: () -> Void, status: () -> String, pass: () async -> TimeInterval?) async {
        notifier?.ready(status: "\(name) started")
        var lastWatchdog = Date.distantPast
        while true {
            let requested = flags.withLock { state -> (Bool, Bool) in
                defer { state.reload = false }
                return (state.stop, state.reload)
            }
            if requested.0 { break }
            if requested.1 {
                notifier?.reloading()
                reload()
                notifier?.ready(status: status())
            }
            let passStarted = Date()
            let sleepAtMost = await pass()
            notifier?.status(status())
            if let notifier, notifier.watchdogInterval != nil {
                notifier.watchdog()
                lastWatchdog = Date()
            }
            if once || isStopping { break }
            var timeout = Self.sleepTimeout(passStarted: passStarted, now: Date(), rescan: rescanInterval, requested: sleepAtMost)
            if let interval = notifier?.watchdogInterval {
                timeout = min(timeout, max(0.1, interval - Date().timeIntervalSince(lastWatchdog)))
            }
            _ = await waiter.next(timeout: max(0.01, timeout))
        }
        notifier?.stopping()
    }

    /// How long to sleep after a pass that started at `passStarted`: until `rescan` after that start (a long
    /// pass leaves less, or none), or the pass's own `requested` time from `now` if sooner.
    public static func sleepTimeout(passStarted: Date, now: Date, rescan: TimeInterval, requested: TimeInterval?) -> TimeInterval {
        let untilRescan = max(0, rescan - now.timeIntervalSince(passStarted))
        return min(requested ?? untilRescan, untilRescan)
    }
}
