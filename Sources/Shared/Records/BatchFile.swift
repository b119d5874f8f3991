// BatchFile: reads and checks one result batch. Results stream to the caller one by one; bad lines are
// collected with their numbers and reasons (for quarantine) while the rest of the file is read; the file as
// a whole is accepted only if it ends with a trailer whose count matches, or is a single shard_failed stub.
// Because results are handed over before the end is known, callers keep them apart until the end is read.

import Foundation

/// What a valid batch file turned out to be.
public enum BatchEnd: Sendable, Equatable {
    /// Results followed by their trailer.
    case trailer(BatchTrailer)
    /// The orchestrator's stub for a shard that produced nothing.
    case shardFailed(ShardFailed)

    public var run: String {
        switch self {
        case let .trailer(t): t.run
        case let .shardFailed(f): f.run
        }
    }

    public var shard: Shard {
        switch self {
        case let .trailer(t): t.shard
        case let .shardFailed(f): f.shard
        }
    }

    /// The location whose shard it is (`locations:`), nil with one location.
    public var location: String? {
        switch self {
        case let .trailer(t): t.location
        case let .shardFailed(f): f.location
        }
    }
}

/// The outcome of reading a batch file that was structurally valid.
public struct BatchReadSummary: Sendable {
    public let end: BatchEnd
    public let results: Int
    public let badLines: [BadLine]
}

/// Reads batches.
public enum BatchFile {
    /// Bounds on the bad lines kept from one batch (count and bytes); beyond them the whole file is refused.
    static let maxBadLines = 1000
    static let maxBadBytes = 4 << 20

    /// Reads `path`, calling `onResult` for every decodable result line. Throws `SpoolError.invalidFile` when
    /// the file as a whole is unusable (no trailer, wrong count, trailer not last, newer trailer version).
    /// `excerptsOfSuccesses: false` leaves out the excerpts of `ok` results (the analyzer reports failures only).
    public static func read(
        _ path: String, excerptsOfSuccesses: Bool = true,
        onResult: (ProbeResult, Int) throws -> Void
    ) throws -> BatchReadSummary {
        let reader = try BatchReader(path: path, excerptsOfSuccesses: excerptsOfSuccesses)
        while let (result, line) = try reader.next() { try onResult(result, line) }
        return reader.summary!
    }

    /// The end of a batch (its trailer, or a shard_failed stub) from its last line alone, without reading the
    /// results; nil when the last line is neither (the file is then read whole, which says what is wrong).
    /// What the last line promises is checked when the batch is read (count, bad lines).
    public static func peekEnd(_ path: String) -> BatchEnd? {
        guard let line = FileIO.lastLine(path) else { return nil }
        let decoder = RecordDecoder()
        guard let header = try? decoder.anyHeader(line), header.v <= RecordCoding.version else { return nil }
        switch RecordKind(rawValue: header.kind) {
        case .batch?: return (try? decoder.decode(BatchTrailer.self, from: line)).map { .trailer($0) }
        case .shardFailed?: return (try? decoder.decode(ShardFailed.self, from: line)).map { .shardFailed($0) }
        default: return nil
        }
    }
}

/// Reads one batch result by result (a pull reader: the analyzer merges the batches of a run by id). Bad
/// lines are collected with their numbers and reasons (for quarantine); once `next` returns nil, `summary`
/// holds the batch's end, or `next` has thrown `SpoolError.invalidFile` because the file as a whole is unusable.
public final class BatchReader {
    public let path: String
    private let nextLine: () throws -> Line?
    private let decoder = RecordDecoder()
    private let excerptsOfSuccesses: Bool
    private var badLines: [BadLine] = []
    private var badBytes = 0
    private var end: BatchEnd?
    private var endLine = 0
    private var lines = 0
    private var results = 0
    /// Set once the whole file was read and found valid.
    public private(set) var summary: BatchReadSummary?

    public init(path: String, excerptsOfSuccesses: Bool = true) throws {
        self.path = path
        self.excerptsOfSuccesses = excerptsOfSuccesses
        let reader = try LineReader(path: path)
        nextLine = { try reader.next() }
    }

    /// A batch whose results are not in id order, read in id order: a first pass notes where each line starts
    /// and its id (16 bytes and the id a line, not the results); this reader then reads the lines in id order
    /// (lines without an id — the trailer, bad lines — first, the last line of the file last), so the same
    /// checks apply: count, bad lines, the trailer last.
    public convenience init(sortingByID path: String, excerptsOfSuccesses: Bool = true) throws {
        try self.init(sortingByID: path, excerptsOfSuccesses: excerptsOfSuccesses, appendID: IDLine.appendID(of:to:))
    }

    /// `id`: how a line's id is found (tests give a reference implementation).
    public convenience init(sortingByID path: String, excerptsOfSuccesses: Bool = true, id: @escaping (ArraySlice<UInt8>) -> String?) throws {
        try self.init(sortingByID: path, excerptsOfSuccesses: excerptsOfSuccesses) { line, arena in
            guard let text = id(line) else { return false }
            arena.append(contentsOf: text.utf8)
            return true
        }
    }

    private init(sortingByID path: String, excerptsOfSuccesses: Bool, appendID: (ArraySlice<UInt8>, inout [UInt8]) -> Bool) throws {
        self.path = path
        self.excerptsOfSuccesses = excerptsOfSuccesses
        let reader = try LineReader(path: path)
        // Ids go into one arena (no String per line); ASCII ids sort by their bytes, which for ASCII is the
        // order of Swift's String comparison — the order the analyzer joins in. Any other id is compared as a
        // String (canonical equivalence included), so the order is always the String order.
        var arena: [UInt8] = []
        var lines: [IndexedLine] = []
        var others: [Line] = []
        var offset = reader.offset
        while let line = try reader.next() {
            let start = arena.count
            if !line.truncated, appendID(line.bytes, &arena) {
                let ascii = arena[start...].allSatisfy { $0 < 0x80 }
                lines.append(
                    IndexedLine(
                        idStart: start, idCount: arena.count - start, ascii: ascii, number: line.number, offset: offset, length: line.bytes.count))
            } else {
                others.append(Line(number: line.number, bytes: ArraySlice(Array(line.bytes)), truncated: line.truncated))
            }
            offset = reader.offset
        }
        // The trailer stays last: the last line without an id that no result line follows.
        var last: Line?
        if let i = others.lastIndex(where: { !$0.bytes.allSatisfy { $0 == 32 || $0 == 9 } }), others[i].number > (lines.last?.number ?? 0) {
            last = others.remove(at: i)
        }
        arena.withUnsafeBufferPointer { ids in lines.sort { IndexedLine.inOrder($0, $1, ids) } }
        arena = []
        let fd = try FileIO.open(path, O_RDONLY)
        let file = FileHandleCloser(fd)
        var index = 0
        var early = others.makeIterator()
        var buffer: [UInt8] = []
        var tail = last
        nextLine = {
            if let line = early.next() { return line }
            if index < lines.count {
                let entry = lines[index]
                index += 1
                if buffer.count < entry.length { buffer = [UInt8](repeating: 0, count: entry.length) }
                let n = buffer.withUnsafeMutableBytes { pread(file.fd, $0.baseAddress!, entry.length, off_t(entry.offset)) }
                guard n == entry.length else { throw SpoolError.system(operation: "pread", path: path, errno: errno) }
                var bytes = buffer[0..<entry.length]
                if bytes.last == 13 { bytes = bytes.dropLast() }
                return Line(number: entry.number, bytes: bytes, truncated: false)
            }
            defer { tail = nil }
            return tail
        }
    }

    /// Where a line of a batch read in id order is, and its id in the arena.
    private struct IndexedLine {
        let idStart: Int
        let idCount: Int
        let ascii: Bool
        let number: Int
        let offset: Int
        let length: Int

        /// Id order (IDOrder), then file order.
        static func inOrder(_ a: IndexedLine, _ b: IndexedLine, _ ids: UnsafeBufferPointer<UInt8>) -> Bool {
            let c = IDOrder.compare(
                UnsafeBufferPointer(rebasing: ids[a.idStart..<a.idStart + a.idCount]),
                UnsafeBufferPointer(rebasing: ids[b.idStart..<b.idStart + b.idCount]), bothASCII: a.ascii && b.ascii)
            return c != 0 ? c < 0 : a.number < b.number
        }
    }

    /// Keeps a bad line for quarantine, counting its bytes against the bound.
    private func bad(_ line: Line, _ reason: String) {
        badLines.append(BadLine(lineNumber: line.number, reason: reason, text: line.text))
        badBytes += line.bytes.count
    }

    /// The next result and its line number; nil at the end of a valid batch.
    public func next() throws -> (ProbeResult, Int)? {
        while let line = try nextLine() {
            if line.bytes.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }
            try admit(line)
            if line.truncated {
                bad(line, "line longer than the 8 MiB limit")
                continue
            }
            // Fast path: a well-formed version-1 result (nearly every line).
            if let result = ProbeResult.scan(line.bytes, excerptsOfSuccesses: excerptsOfSuccesses) {
                do {
                    try result.checkNames()
                } catch {
                    bad(line, "result: \(error)")
                    continue
                }
                results += 1
                return (result, line.number)
            }
            if let result = try decodeSlowly(line) {
                results += 1
                return (result, line.number)
            }
        }
        guard summary == nil else { return nil }
        summary = try finished()
        return nil
    }

    /// Counts a line, refusing the file when it follows the trailer or when bad lines pass the bounds: past them
    /// the file is not a batch with a few damaged lines but something else, and goes to quarantine whole (memory
    /// never follows junk size).
    private func admit(_ line: Line) throws {
        if let end {
            throw SpoolError.invalidFile(
                path: path,
                reason: "line \(line.number) follows the "
                    + "\(Self.endKind(end)) on line \(endLine): the trailer must be the last line")
        }
        lines += 1
        if badLines.count >= BatchFile.maxBadLines || badBytes >= BatchFile.maxBadBytes {
            throw SpoolError.invalidFile(
                path: path,
                reason: "\(badLines.count) unreadable lines (\(badBytes) bytes) before "
                    + "line \(line.number), more than a batch may have: not a result batch")
        }
    }

    /// A line the fast scanner did not read, through JSONDecoder: a result (returned), the batch's end (kept), or
    /// a bad line (kept for quarantine with the precise reason).
    private func decodeSlowly(_ line: Line) throws -> ProbeResult? {
        let header: RecordHeader
        do {
            header = try decoder.anyHeader(line.bytes)
        } catch {
            bad(line, "\(error)")
            return nil
        }
        if header.v > RecordCoding.version {
            // A newer trailer means the whole file is from a newer writer: say so rather than "no trailer".
            if RecordKind(rawValue: header.kind)?.endsBatch == true {
                throw SpoolError.invalidFile(path: path, reason: "line \(line.number): \(RecordError.newerVersion(header.v))")
            }
            bad(line, "\(RecordError.newerVersion(header.v))")
            return nil
        }
        switch RecordKind(rawValue: header.kind) {
        case .result?:
            do {
                return try decoder.decode(ProbeResult.self, from: line.bytes)
            } catch let error as RecordError {
                bad(line, "result: \(error)")
            }
        case .batch?:
            do {
                end = .trailer(try decoder.decode(BatchTrailer.self, from: line.bytes))
            } catch {
                throw SpoolError.invalidFile(path: path, reason: "line \(line.number): unreadable trailer: \(error)")
            }
            endLine = line.number
            lines -= 1
        case .shardFailed?:
            do {
                end = .shardFailed(try decoder.decode(ShardFailed.self, from: line.bytes))
            } catch {
                throw SpoolError.invalidFile(path: path, reason: "line \(line.number): unreadable shard_failed: \(error)")
            }
            endLine = line.number
            lines -= 1
        default:
            bad(line, "unexpected record kind \"\(header.kind)\" in a batch")
        }
        return nil
    }

    /// The summary of a batch read to its end, or why it is not a whole batch (no trailer, a count that differs).
    private func finished() throws -> BatchReadSummary {
        guard let end else {
            throw SpoolError.invalidFile(
                path: path,
                reason: "no trailer after \(lines) lines: the batch is incomplete "
                    + "(a writer died, or the file was copied or cut)")
        }
        switch end {
        case let .trailer(trailer) where trailer.count != lines:
            throw SpoolError.invalidFile(
                path: path,
                reason: "the trailer counts \(trailer.count) results but the "
                    + "file has \(lines) lines before it")
        case .shardFailed where lines != 0:
            throw SpoolError.invalidFile(path: path, reason: "a shard_failed stub must be the only line, found \(lines) more")
        default:
            break
        }
        // By line number, however the lines were read (in id order they come in another).
        return BatchReadSummary(end: end, results: results, badLines: badLines.sorted { $0.lineNumber < $1.lineNumber })
    }

    private static func endKind(_ end: BatchEnd) -> String {
        switch end {
        case .trailer: "trailer"
        case .shardFailed: "shard_failed stub"
        }
    }
}

/// Closes a descriptor when the last closure holding it goes.
final class FileHandleCloser {
    let fd: Int32
    init(_ fd: Int32) { self.fd = fd }
    deinit { close(fd) }
}
