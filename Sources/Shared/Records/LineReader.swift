// LineReader: streams a file line by line with read(2) and a fixed buffer, so a 100 MB batch is never loaded
// whole. Each line comes with its number (1-based). A line longer than the limit is returned cut, flagged,
// and the reader resynchronizes at the next newline: one monster line never blocks the rest of the file.

import Foundation

/// One line of a file, without its newline.
public struct Line {
    public let number: Int
    public let bytes: ArraySlice<UInt8>
    /// The line was longer than the reader's limit and `bytes` holds only its beginning.
    public let truncated: Bool

    public init(number: Int, bytes: ArraySlice<UInt8>, truncated: Bool) {
        self.number = number
        self.bytes = bytes
        self.truncated = truncated
    }

    /// The line as text (invalid UTF-8 replaced), for messages and quarantine notes.
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Reads lines from a file descriptor. One owner; not for sharing between threads.
public final class LineReader {
    public let path: String
    private let fd: Int32
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var eof = false
    private var lineNumber = 0
    private let maxLineLength: Int

    public init(path: String, maxLineLength: Int = 8 << 20) throws {
        self.path = path
        self.maxLineLength = maxLineLength
        fd = try FileIO.open(path, O_RDONLY)
        buffer = [UInt8](repeating: 0, count: 1 << 16)
    }

    deinit { close(fd) }

    /// Where the next line starts in the file.
    public var offset: Int { consumed - (end - start) }
    private var consumed = 0

    /// Bytes currently buffered (bounded by the longest line, not by the file).
    public var bufferCapacity: Int { buffer.count }

    /// The next line, or nil at the end of the file. A final line without a newline is still returned.
    public func next() throws -> Line? {
        var overflow: [UInt8]?
        while true {
            let found = buffer.withUnsafeBufferPointer { raw -> Int? in
                guard end > start, let hit = memchr(raw.baseAddress! + start, 10, end - start) else { return nil }
                return raw.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            }
            if let newline = found {
                lineNumber += 1
                var slice = buffer[start..<newline]
                start = newline + 1
                if slice.last == 13 { slice = slice.dropLast() }
                if let kept = overflow { return Line(number: lineNumber, bytes: kept[...], truncated: true) }
                return Line(number: lineNumber, bytes: ArraySlice(slice), truncated: false)
            }
            if eof {
                guard start < end || overflow != nil else { return nil }
                lineNumber += 1
                let slice = buffer[start..<end]
                start = end
                if let kept = overflow { return Line(number: lineNumber, bytes: kept[...], truncated: true) }
                return Line(number: lineNumber, bytes: ArraySlice(slice), truncated: false)
            }
            if end - start >= maxLineLength {
                // Keep the beginning for the quarantine note, drop the rest up to the next newline.
                if overflow == nil { overflow = Array(buffer[start..<min(end, start + 4096)]) }
                start = end
            }
            try fill()
        }
    }

    private func fill() throws {
        if start > 0 {
            let count = end - start
            if count > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    _ = memmove(raw.baseAddress!, raw.baseAddress! + start, count)
                }
            }
            start = 0
            end = count
        }
        if end == buffer.count { buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count)) }
        while true {
            let n = buffer.withUnsafeMutableBytes { raw in
                Foundation.read(fd, raw.baseAddress! + end, raw.count - end)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw SpoolError.system(operation: "read", path: path, errno: errno)
            }
            if n == 0 {
                eof = true
            } else {
                end += n
                consumed += n
            }
            return
        }
    }
}
