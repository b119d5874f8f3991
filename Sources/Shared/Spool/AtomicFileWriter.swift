// AtomicFileWriter: a file written as a stream — record by record into a hidden temporary file beside it
// through a fixed buffer — then fsynced and renamed over the old one, so that a file of any size never
// exists whole in memory and readers see the old file or the new one, never half of one. Dropped without
// `commit`, the temporary file is removed.

import Foundation

public final class AtomicFileWriter {
    public let path: String
    private let temporary: String
    private let durable: Bool
    private var fd: Int32
    private var buffer: [UInt8] = []
    private let capacity: Int

    /// `durable: false` skips the fsyncs (views written again after every run).
    public init(path: String, mode: mode_t = 0o600, durable: Bool = true, capacity: Int = 1 << 18) throws {
        self.path = path
        self.durable = durable
        self.capacity = capacity
        let dir = (path as NSString).deletingLastPathComponent
        temporary = (dir.isEmpty ? "." : dir) + "/.tmp." + (path as NSString).lastPathComponent + ".\(getpid()).\(SpoolName.nextSequence())"
        fd = try FileIO.open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        fchmod(fd, mode)
        buffer.reserveCapacity(capacity)
    }

    deinit { discard() }

    /// Bytes as they are (concrete, not generic: called once per record from other modules).
    public func write(_ bytes: ArraySlice<UInt8>) throws {
        try bytes.withUnsafeBufferPointer { try write($0) }
    }

    public func write(_ bytes: [UInt8]) throws { try write(bytes[...]) }

    public func write(_ text: String) throws { try write(Array(text.utf8)) }

    public func write(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        if buffer.count + bytes.count > capacity { try flush() }
        if bytes.count >= capacity {
            try FileIO.writeAll(fd, Array(bytes), path: temporary)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// `bytes` and a newline.
    public func line(_ bytes: ArraySlice<UInt8>) throws {
        try write(bytes)
        if buffer.count == capacity { try flush() }
        buffer.append(10)
    }

    public func line(_ bytes: [UInt8]) throws { try line(bytes[...]) }

    /// A JSON object line written by `build` straight into the buffer.
    public func line(json build: (inout JSONWriter) -> Void) throws {
        JSONWriter.append(to: &buffer, build)
        buffer.append(10)
        if buffer.count >= capacity { try flush() }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try FileIO.writeAll(fd, buffer, path: temporary)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered, fsyncs, and renames the file into place (then fsyncs the directory).
    public func commit() throws {
        precondition(fd >= 0, "AtomicFileWriter committed twice")
        do {
            try flush()
            if durable { try FileIO.fsync(fd, path: temporary) }
            let closing = fd
            fd = -1
            try FileIO.close(closing, path: temporary)
            _ = try FileIO.rename(temporary, path)
            let dir = (path as NSString).deletingLastPathComponent
            if durable { try FileIO.fsyncDirectory(dir.isEmpty ? "." : dir) }
        } catch {
            discard()
            Foundation.unlink(temporary)
            throw error
        }
    }

    /// Abandons the file: the temporary one is removed, the old one stays.
    public func discard() {
        guard fd >= 0 else { return }
        Foundation.close(fd)
        fd = -1
        Foundation.unlink(temporary)
    }
}

/// A scratch file for a section that is written before it can be placed (a body under a header known only at
/// the end, one metric family of many): unlinked as soon as it is created, so nothing is left behind.
public final class SpillFile {
    private var fd: Int32
    private var buffer: [UInt8] = []
    private let path: String
    /// Bytes written so far (where the next write starts).
    public private(set) var size = 0

    public init(directory: String) throws {
        var template = Array((directory + "/.spill.XXXXXX").utf8CString)
        fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SpoolError.system(operation: "mkstemp", path: directory, errno: errno) }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        Foundation.unlink(path)
        buffer.reserveCapacity(1 << 16)
    }

    deinit { Foundation.close(fd) }

    public func write(_ bytes: ArraySlice<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        size += bytes.count
        if buffer.count >= 1 << 16 { try flush() }
    }

    public func write(_ bytes: [UInt8]) throws { try write(bytes[...]) }

    public func write(_ text: String) throws { try write(Array(text.utf8)) }

    /// `bytes` and a newline.
    public func line(_ bytes: [UInt8]) throws { try line(bytes[...]) }

    public func line(_ bytes: ArraySlice<UInt8>) throws {
        try write(bytes)
        buffer.append(10)
        size += 1
    }

    /// A JSON object line written by `build` straight into the buffer.
    public func line(json build: (inout JSONWriter) -> Void) throws {
        let before = buffer.count
        JSONWriter.append(to: &buffer, build)
        buffer.append(10)
        size += buffer.count - before
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// `length` bytes written at `offset`.
    public func read(offset: Int, length: Int) throws -> [UInt8] {
        if offset + length > size - buffer.count { try flush() }
        var bytes = [UInt8](repeating: 0, count: length)
        var done = 0
        while done < length {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, length - done, off_t(offset + done)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw SpoolError.system(operation: "read", path: path, errno: n < 0 ? errno : EIO) }
            done += n
        }
        return bytes
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try FileIO.writeAll(fd, buffer, path: path)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Everything written so far, appended to `writer`.
    public func copy(into writer: AtomicFileWriter) throws {
        try flush()
        var offset: off_t = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SpoolError.system(operation: "read", path: path, errno: errno)
            }
            if n == 0 { return }
            try writer.write(chunk[0..<n])
            offset += off_t(n)
        }
    }
}
