// CrashPoint: named places where a test can have a program SIGKILL itself, to prove crash safety at the
// exact moment that matters (after the report, before the alert…). Only active when VIGIL_CRASH_AT names
// the point (`after-report`, or `after-report:2` for its second occurrence); a no-op otherwise.

import Foundation
import Synchronization

/// Test-only kill points.
public enum CrashPoint {
    private static let target: (name: String, occurrence: Int)? = {
        guard let spec = ProcessInfo.processInfo.environment["VIGIL_CRASH_AT"], !spec.isEmpty else { return nil }
        let parts = spec.split(separator: ":")
        return (String(parts[0]), parts.count > 1 ? Int(parts[1]) ?? 1 : 1)
    }()

    private static let counts = Mutex<[String: Int]>([:])

    /// Kills this process with SIGKILL if the test asked for it here.
    public static func hit(_ name: String) {
        guard let target, target.name == name else { return }
        let count = counts.withLock { counts -> Int in
            counts[name, default: 0] += 1
            return counts[name]!
        }
        guard count == target.occurrence else { return }
        Log.warning("crash point \(name): killing myself as VIGIL_CRASH_AT asks")
        kill(getpid(), SIGKILL)
        while true { pause() }
    }
}
