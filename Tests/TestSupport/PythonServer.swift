// PythonServer: Python's http.server serving a directory — a real third-party HTTP server for tests that
// claim a behaviour holds for "real servers", not only the loopback one Vigil's tests wrote.

import Foundation
import Shared

public let pythonAvailable =
    FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") || FileManager.default.isExecutableFile(atPath: "/usr/local/bin/python3")

public struct PythonServerError: Error, CustomStringConvertible {
    public let description: String
}

/// Starts `python3 -m http.server` on `host` serving `directory`; returns once it says it listens.
public func startPythonServer(directory: String, host: String = "127.0.0.1") throws -> (server: ChildProcess, port: UInt16) {
    let port = try closedPort()
    let python = try ChildProcess(
        executable: "/usr/bin/env",
        arguments: ["python3", "-u", "-m", "http.server", "--bind", host, "\(port)", "--directory", directory],
        environment: ProcessInfo.processInfo.environment, stdout: .capture, stderr: .discard)
    guard eventually(timeout: 20, { python.output().contains("Serving HTTP on") }) else {
        python.signal(SIGKILL)
        _ = python.wait(timeout: 5)
        throw PythonServerError(description: "python3 -m http.server did not start: \(python.output())")
    }
    return (python, port)
}
