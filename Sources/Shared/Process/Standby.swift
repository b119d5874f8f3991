// Standby: how an analyzer or notifier started with --standby (on a second host of a shared spool) waits for its
// role instead of exiting: for the single-instance lock, then for the owner record to be free (released, its
// process gone from this host, or no heartbeat for Ownership.defaultStaleAfter), looking each second; it tells
// systemd it is ready (STATUS says standby) and keeps the watchdog fed while it waits. A takeover therefore comes
// at most staleAfter + 1 s after the owner's last heartbeat, or within a second of a clean stop.

import Foundation

/// Waiting for a single-instance role.
public enum Standby {
    /// Waits until this process holds the lock at `lockPath` and the `role` of `spool`, or `stopping` says stop
    /// (then nil). An error other than a held role (the record cannot be read or written) is logged once per
    /// distinct error and waited out like a held role.
    public static func wait(
        role: String, lockPath: String, spool: Spool, staleAfter: TimeInterval = Ownership.defaultStaleAfter,
        poll: TimeInterval = 1, stopping: () -> Bool
    ) -> (FileLock, Ownership)? {
        let notifier = SystemdNotifier.fromEnvironment()
        notifier?.ready(status: "standby: waiting for the \(role) role")
        var lock: FileLock?
        var said: String?
        while !stopping() {
            if lock == nil { lock = try? FileLock.attempt(lockPath) }
            let text: String
            if let held = lock {
                do {
                    let ownership = try Ownership.acquire(role: role, spool: spool, staleAfter: staleAfter)
                    held.writePid()
                    return (held, ownership)
                } catch let OwnershipError.held(owner, _, _) {
                    text = "standby: \(owner.identity) owns the \(role) role; taking over once its heartbeat is older than \(Int(staleAfter)) s"
                } catch {
                    text = "standby: \(error)"
                }
            } else {
                text = "standby: another \(role) holds \(lockPath) (pid \(Startup.holder(of: lockPath)) of its host); waiting for it"
            }
            if text != said {
                Log.notice(text)
                notifier?.status(text)
                said = text
            }
            notifier?.watchdog()
            let until = Date().addingTimeInterval(poll)
            while Date() < until, !stopping() { usleep(100_000) }
        }
        lock?.unlock()
        Log.info("\(role) standby stopped before it took the role")
        return nil
    }
}
