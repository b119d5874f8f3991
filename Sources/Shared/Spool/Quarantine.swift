// Quarantine: where files and lines that could not be read go, each with a note saying why, the source file
// and the line number. Nothing is silently dropped: quarantined items wait for an operator and are counted
// in `orchestrator status`.

import Foundation

/// A line of a spool file that could not be used.
public struct BadLine: Sendable, Equatable {
    public let lineNumber: Int
    public let reason: String
    public let text: String

    public init(lineNumber: Int, reason: String, text: String) {
        self.lineNumber = lineNumber
        self.reason = reason
        self.text = text
    }
}

/// The record written for each quarantined line: `{"v":1,"kind":"quarantined_line",…}`.
public struct QuarantinedLine: Codable, Sendable, Equatable {
    public var v = 1
    public var kind = RecordKind.quarantinedLine.rawValue
    public let source: String
    public let line: Int
    public let reason: String
    public let text: String
    public let at: Date
}

/// The `quarantine/` directory.
public struct Quarantine: Sendable {
    public let directory: String
    public let permissions: SpoolPermissions

    /// Moves a whole file into quarantine and writes `NAME.reason` beside it.
    public func file(at path: String, name: String, reason: String) throws {
        try FileIO.makeDirectory(directory, mode: permissions.directoryMode)
        let target = uniqueTarget(for: name)
        let note = "source: \(path)\nreason: \(reason)\nat: \(Timestamp.format(Date()))\n"
        try FileIO.replaceAtomically(target + ".reason", with: Array(note.utf8), mode: permissions.fileMode)
        guard try FileIO.rename(path, target) else {
            throw SpoolError.system(operation: "rename", path: path, errno: ENOENT)
        }
        try FileIO.fsyncDirectory(directory)
        Log.warning("quarantined \(path) as \(target): \(reason)")
    }

    /// Writes the bad lines of `source` to `quarantine/NAME.lines.ndjson`, one record per line. Repeating
    /// the same call (a consumer redoing a file after a crash) leaves the first copy in place.
    public func lines(_ lines: [BadLine], source: String, name: String) throws {
        guard !lines.isEmpty else { return }
        try FileIO.makeDirectory(directory, mode: permissions.directoryMode)
        let target = directory + "/" + name + ".lines.ndjson"
        if FileIO.status(target) != nil { return }
        var bytes: [UInt8] = []
        let now = Date()
        for bad in lines {
            let record = QuarantinedLine(
                source: source, line: bad.lineNumber, reason: bad.reason,
                text: Redactor.redact(bad.text), at: now)
            bytes += try RecordCoding.encode(record)
            bytes.append(UInt8(ascii: "\n"))
        }
        try FileIO.replaceAtomically(target, with: bytes, mode: permissions.fileMode)
        for bad in lines.prefix(5) {
            Log.warning("\(source):\(bad.lineNumber): quarantined line: \(bad.reason)")
        }
        if lines.count > 5 { Log.warning("\(source): \(lines.count - 5) more lines quarantined, see \(target)") }
    }

    /// Counts of quarantined whole files and of quarantined lines (for status and reports).
    public func counts() -> (files: Int, lines: Int) {
        var files = 0
        var lines = 0
        for name in FileIO.listIfPresent(directory) {
            if name.hasSuffix(".reason") { continue }
            if name.hasSuffix(".lines.ndjson") {
                let count = (try? FileIO.read(directory + "/" + name))?.reduce(0) { $1 == 10 ? $0 + 1 : $0 } ?? 0
                lines += count
            } else {
                files += 1
            }
        }
        return (files, lines)
    }

    private func uniqueTarget(for name: String) -> String {
        var target = directory + "/" + name
        var n = 1
        while FileIO.status(target) != nil {
            target = directory + "/" + name + ".\(n)"
            n += 1
        }
        return target
    }
}
