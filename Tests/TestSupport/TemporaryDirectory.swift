// TemporaryDirectory: a fresh directory per test (under $TMPDIR), removed when the value goes away, plus
// helpers to write files into it. Every spool test works in its own directory, so tests run in parallel.

import Foundation
import Shared

/// A directory that exists for the life of the value.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init(_ label: String = "test") {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/vigil-\(label)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    deinit {
        if ProcessInfo.processInfo.environment["VIGIL_KEEP_TEST_DIRS"] == nil {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// `path/relative`
    public func url(_ relative: String) -> String { path + "/" + relative }

    /// Writes `text` to `relative` (creating folders).
    @discardableResult
    public func write(_ relative: String, _ text: String) throws -> String {
        let full = url(relative)
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        return full
    }

    public func read(_ relative: String) throws -> String {
        String(decoding: try FileIO.read(url(relative)), as: UTF8.self)
    }

    /// A prepared spool at `path/spool`.
    public func spool() throws -> Spool {
        let spool = Spool(root: url("spool"))
        try spool.prepare()
        return spool
    }
}

extension Spool {
    /// Every regular file under the spool with its path relative to the root (for assertions and greps).
    public func allFiles() -> [String] {
        var out: [String] = []
        func walk(_ relative: String) {
            let full = relative.isEmpty ? root : root + "/" + relative
            for name in (try? FileManager.default.contentsOfDirectory(atPath: full)) ?? [] {
                let child = relative.isEmpty ? name : relative + "/" + name
                var isDir: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: root + "/" + child, isDirectory: &isDir)
                if isDir.boolValue { walk(child) } else { out.append(child) }
            }
        }
        walk("")
        return out.sorted()
    }
}
