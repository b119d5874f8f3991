// SpoolWriter: one file being published. Bytes go to tmp/NAME (created O_EXCL, mode forced), buffered;
// commit flushes, fsyncs, closes (checking each), links the file into new/ without replacing anything,
// removes the tmp name and fsyncs new/. Any failure, ENOSPC included, removes the tmp file: nothing partial
// ever reaches new/.

import Foundation

/// A file on its way into a queue's `new/` directory. Not shareable between threads: one owner writes it.
public final class SpoolWriter {
    public let name: String
    public let tmpPath: String
    private let queue: Queue
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var finished = false
    /// Bytes accepted so far.
    public private(set) var byteCount = 0

    private static let flushThreshold = 256 * 1024

    init(queue: Queue, name: String) throws {
        self.queue = queue
        self.name = name
        // A name shared by several writers (a run manifest every host of the run publishes) gets the writer's
        // `~host.pid` in tmp/, so two hosts writing it at once never collide; the first link into new/ wins.
        self.tmpPath = queue.tmpDirectory + "/" + name + (SpoolName.writer(of: name) == nil ? ClaimOwner.current.suffix : "")
        fd = try FileIO.open(tmpPath, O_WRONLY | O_CREAT | O_EXCL, mode: queue.permissions.fileMode)
        fchmod(fd, queue.permissions.fileMode)
        buffer.reserveCapacity(Self.flushThreshold)
    }

    deinit {
        if !finished { abandon() }
    }

    /// Appends bytes (buffered).
    public func write(_ bytes: [UInt8]) throws {
        precondition(!finished, "write after commit or abandon")
        buffer.append(contentsOf: bytes)
        byteCount += bytes.count
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    /// Appends one record as a JSON line.
    public func write<T: Encodable>(record: T) throws {
        var line = try RecordCoding.encode(record)
        line.append(UInt8(ascii: "\n"))
        try write(line)
    }

    /// Makes the file visible in `new/`. Returns `.alreadyExists` (and removes the tmp file) when the name
    /// is taken, which for a derived output means it was published before.
    @discardableResult
    public func commit() throws -> PublishResult {
        precondition(!finished, "commit twice")
        do {
            try flush()
            try FileIO.fsync(fd, path: tmpPath)
            let closing = fd
            fd = -1
            try FileIO.close(closing, path: tmpPath)
            let target = queue.newDirectory + "/" + name
            do {
                try FileIO.link(tmpPath, target)
            } catch SpoolError.alreadyExists {
                finished = true
                try? FileIO.unlink(tmpPath)
                return .alreadyExists(target)
            }
            finished = true
            try FileIO.unlink(tmpPath)
            try FileIO.fsyncDirectory(queue.newDirectory)
            return .published(target)
        } catch {
            if !finished { abandon() }
            throw error
        }
    }

    /// Gives up: closes and removes the tmp file.
    public func abandon() {
        if fd >= 0 {
            Foundation.close(fd)
            fd = -1
        }
        Foundation.unlink(tmpPath)
        finished = true
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        do {
            try FileIO.writeAll(fd, buffer, path: tmpPath)
            buffer.removeAll(keepingCapacity: true)
        } catch {
            abandon()
            throw error
        }
    }
}
