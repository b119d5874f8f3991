// Programs: the real Vigil executables built beside the test bundle, run as child processes with a bounded
// wait, their output captured. Crash and pipeline tests use them; nothing here fakes a program.

import Foundation
import Shared

/// A finished program run.
public struct ProgramRun: Sendable {
    public let termination: Termination
    public let stdout: String
    public let stderr: String

    public init(termination: Termination, stdout: String, stderr: String) {
        self.termination = termination
        self.stdout = stdout
        self.stderr = stderr
    }

    public var exitCode: Int32? {
        if case let .exited(code) = termination { return code }
        return nil
    }
}

/// Collects lines from a child's stderr. Unchecked Sendable: `collected` is read and written only while
/// holding `lock`.
public final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []

    public init() {}

    public func append(_ line: String) {
        lock.lock()
        collected.append(line)
        lock.unlock()
    }

    public var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }

    public var text: String { lines.joined(separator: "\n") }
}

/// Locates and runs the executables.
public enum Programs {
    /// The build directory that holds the test bundle and the executables.
    public static let directory: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = (exe as NSString).deletingLastPathComponent
        // The test runner may live inside a bundle directory (`X.xctest/…`): walk up to the products.
        while !dir.isEmpty, dir != "/", !FileManager.default.fileExists(atPath: dir + "/prober") {
            dir = (dir as NSString).deletingLastPathComponent
        }
        return dir
    }()

    /// Absolute path of `name` (orchestrator, prober, analyzer, notifier).
    public static func path(_ name: String) -> String { directory + "/" + name }

    /// The environment for children: this process's, plus `extra`, with VIGIL_BIN_DIR pointing at the build.
    public static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["VIGIL_BIN_DIR"] = directory
        env.removeValue(forKey: "JOURNAL_STREAM")
        env.removeValue(forKey: "NOTIFY_SOCKET")
        for (key, value) in extra { env[key] = value }
        return env
    }

    /// Starts `name` with `arguments`; stderr lines go to `stderr` (if given).
    public static func start(
        _ name: String, _ arguments: [String], environment extra: [String: String] = [:],
        stdout: ChildProcess.Output = .capture, stderr: LineCollector? = nil
    ) throws -> ChildProcess {
        try ChildProcess(
            executable: path(name), arguments: arguments, environment: environment(extra),
            stdout: stdout, stderr: stderr.map { collector in .lines { collector.append($0) } } ?? .discard)
    }

    /// Runs `name` to completion (killing it after `timeout` seconds) and returns its outputs.
    public static func run(
        _ name: String, _ arguments: [String], environment extra: [String: String] = [:],
        timeout: TimeInterval = 120
    ) throws -> ProgramRun {
        let errors = LineCollector()
        let child = try start(name, arguments, environment: extra, stderr: errors)
        guard let termination = child.wait(timeout: timeout) else {
            child.signal(SIGKILL)
            let termination = child.wait()
            return ProgramRun(
                termination: termination, stdout: child.output(),
                stderr: errors.text + "\n[test support: killed after \(timeout)s]")
        }
        return ProgramRun(termination: termination, stdout: child.output(), stderr: errors.text)
    }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
public func eventually(timeout: TimeInterval = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let end = Date().addingTimeInterval(timeout)
    repeat {
        if try condition() { return true }
        usleep(20_000)
    } while Date() < end
    return try condition()
}
