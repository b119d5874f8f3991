// SortedSources: what RunPass joins, each in id order — the results of a run's batches merged, and the lines
// of the files it rewrites (interface state, today's day file, recent). Each source streams its file and
// checks the order as it goes; a file (or batch) found out of order makes the pass start again with that one
// read whole and sorted, so a hand-made or old file costs memory, never a wrong join.

import Foundation
import Shared

/// Why a pass starts again (nothing it wrote is kept).
enum PassRestart: Error {
    /// A batch unusable as a whole (its count, too many bad lines): quarantine it; its shard is missing.
    case invalidBatch(Shard, String)
    /// A file whose lines are not in id order: read it whole and sort it.
    case unsortedFile(String)
}

/// The lines of an NDJSON file in id order, with their ids and what `parse` makes of them; the first line is
/// the header when `header` is set. Several lines with one id: the last one counts (as when the file was read
/// into a dictionary). A file streams on a thread of its own, read and parsed a few hundred lines ahead of the
/// join (its order checked as it goes); one found out of order is read whole and sorted instead.
final class IDLines<Parsed>: @unchecked Sendable {
    struct Entry {
        let id: String
        let bytes: [UInt8]
        let number: Int
        let parsed: Parsed?
    }

    let path: String
    private(set) var header: [UInt8]?
    private let condition = NSCondition()
    private var chunks: [[Entry]] = []
    private var finished = false
    private var stopped = false
    private var failure: (any Error)?
    private var current: [Entry] = []
    private var index = 0
    private var pending: Entry?
    private var unreadableLines: [Int] = []
    private let depth = 8

    /// `inMemory`: read the file whole and sort it (for a file found out of order). A missing file is empty.
    init(path: String, header: Bool, inMemory: Bool = false, parse: @escaping @Sendable (ArraySlice<UInt8>) -> Parsed?) throws {
        self.path = path
        guard FileIO.status(path) != nil else {
            finished = true
            return
        }
        let reader = try LineReader(path: path)
        if header, let first = try reader.next() { self.header = Array(first.bytes) }
        if inMemory {
            var all: [Entry] = []
            while let line = try reader.next() {
                if let id = IDLine.id(of: line.bytes) {
                    all.append(Entry(id: id, bytes: Array(line.bytes), number: line.number, parsed: parse(line.bytes)))
                } else if !line.bytes.allSatisfy({ $0 == 32 }) {
                    unreadableLines.append(line.number)
                }
            }
            current = all.enumerated().sorted { ($0.element.id, $0.offset) < ($1.element.id, $1.offset) }.map(\.element)
            finished = true
        } else {
            let handed = HandOff(reader)  // used by the reading thread alone from here on
            let thread = Thread { [self] in produce(handed.value, parse) }
            thread.name = "vigil-analyzer-lines"
            thread.start()
        }
    }

    private func produce(_ reader: LineReader, _ parse: (ArraySlice<UInt8>) -> Parsed?) {
        var chunk: [Entry] = []
        var lastID: String?
        var unreadable: [Int] = []
        var failure: (any Error)?
        do {
            while let line = try reader.next() {
                guard let id = IDLine.id(of: line.bytes) else {
                    if !line.bytes.allSatisfy({ $0 == 32 }) { unreadable.append(line.number) }
                    continue
                }
                if let lastID, id < lastID { throw PassRestart.unsortedFile(path) }
                lastID = id
                chunk.append(Entry(id: id, bytes: Array(line.bytes), number: line.number, parsed: parse(line.bytes)))
                if chunk.count == 256 {
                    guard put(chunk) else { return }
                    chunk = []
                }
            }
            if !chunk.isEmpty { guard put(chunk) else { return } }
        } catch {
            failure = error
        }
        condition.lock()
        self.failure = failure
        unreadableLines = unreadable
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    private func put(_ chunk: [Entry]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while chunks.count >= depth && !stopped { condition.wait() }
        guard !stopped else { return false }
        chunks.append(chunk)
        condition.broadcast()
        return true
    }

    /// Lets the reading thread end (it holds this object until it does): the pass calls it however it ends.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func read() throws -> Entry? {
        if index < current.count {
            index += 1
            return current[index - 1]
        }
        current = []
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !finished { condition.wait() }
        if !chunks.isEmpty {
            current = chunks.removeFirst()
            index = 1
            condition.broadcast()
            return current[0]
        }
        if let failure { throw failure }
        return nil
    }

    /// The next entry's id, without taking it.
    func peek() throws -> String? {
        if pending == nil { pending = try read() }
        return pending?.id
    }

    /// The next entry if its id is `id` (the last of several with that id).
    func take(_ id: String) throws -> Entry? {
        guard try peek() == id, var entry = pending.take() else { return nil }
        while try peek() == id, let later = pending.take() { entry = later }
        return entry
    }

    /// Lines without an id (their numbers), once the file was read to the end.
    var unreadable: [Int] {
        condition.lock()
        defer { condition.unlock() }
        return unreadableLines
    }
}

/// Ids of record lines.
enum IDLine {
    /// The id of a line written by this program (`{"v":1,"kind":…,"id":"…"`), without reading the rest; any
    /// other JSON object line is scanned for its id.
    static func id(of bytes: ArraySlice<UInt8>) -> String? {
        let key: [UInt8] = Array(#""id":""#.utf8)
        let limit = min(bytes.count, 192)
        var i = bytes.startIndex
        let end = bytes.startIndex + limit - key.count
        while i < end {
            if bytes[i] == key[0], bytes[i + 1] == key[1], bytes[i + 2] == key[2], bytes[i + 3] == key[3], bytes[i + 4] == key[4],
                bytes[i + 5] == key[5]
            {
                let start = i + key.count
                var j = start
                while j < bytes.endIndex, bytes[j] != 34, bytes[j] != 92 { j += 1 }
                if j < bytes.endIndex, bytes[j] == 34 { return String(decoding: bytes[start..<j], as: UTF8.self) }
                break
            }
            i += 1
        }
        return
            JSONScanner.scan(bytes) { s -> String? in
                var id: String?
                try s.object { key, s in if key == "id" { id = try s.string() } else { try s.skipValue() } }
                return id
            } ?? nil
    }
}

/// The results of a run's batches merged in id order (results with the same id: by shard). Probers write
/// results as they complete, so each batch is read in id order through an index of its lines
/// (BatchReader(sortingByID:)): memory follows the number of results (their ids), not their size.
final class ResultMerge {
    private struct Cursor {
        let shard: Shard
        let reader: BatchReader
        var current: ProbeResult?
    }

    private var cursors: [Cursor] = []
    /// Each batch's bad lines, once it is read to the end.
    private(set) var badLines: [(claim: ClaimedFile, lines: [BadLine])] = []
    private let claims: [Shard: ClaimedFile]

    init(_ batches: [(Shard, ClaimedFile)]) throws {
        claims = Dictionary(batches.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        for (shard, claim) in batches.sorted(by: { $0.0.index < $1.0.index }) {
            let reader = try BatchReader(sortingByID: claim.path, excerptsOfSuccesses: false, id: IDLine.id(of:))
            cursors.append(Cursor(shard: shard, reader: reader))
        }
        for i in cursors.indices { try advance(i) }
    }

    private func advance(_ i: Int) throws {
        let (reader, shard) = (cursors[i].reader, cursors[i].shard)
        do {
            if var (result, _) = try reader.next() {
                // The report shows the excerpts of failures only.
                if result.outcome == .ok {
                    result.request = nil
                    result.response = nil
                }
                cursors[i].current = result
            } else {
                cursors[i].current = nil
                if let summary = reader.summary, !summary.badLines.isEmpty, let claim = claims[shard] {
                    badLines.append((claim, summary.badLines))
                }
            }
        } catch let SpoolError.invalidFile(path, reason) {
            throw PassRestart.invalidBatch(shard, reason.replacingOccurrences(of: path + ": ", with: ""))
        }
    }

    /// The smallest id waiting.
    func peek() -> String? {
        var smallest: String?
        for cursor in cursors {
            if let id = cursor.current?.id, smallest == nil || id < smallest! { smallest = id }
        }
        return smallest
    }

    /// Every result with id `id`, in shard order.
    func take(_ id: String) throws -> [ProbeResult] {
        var out: [ProbeResult] = []
        for i in cursors.indices {
            while let current = cursors[i].current, current.id == id {
                out.append(current)
                try advance(i)
            }
        }
        return out
    }
}

/// ResultMerge run on a thread of its own, a few hundred interfaces ahead: decoding the batches (the
/// largest share of a pass) overlaps the join on the other core. At most `depth` chunks wait, so memory
/// stays bounded; an error of the merge reaches the pass where it would have been met.
final class PrefetchedResults: @unchecked Sendable {
    private typealias Chunk = [(id: String, results: [ProbeResult])]
    private let condition = NSCondition()
    private var chunks: [Chunk] = []
    private var finished = false
    private var failure: (any Error)?
    private var stopped = false
    private var current: Chunk = []
    private var index = 0
    private var merge: ResultMerge?
    private let depth = 8
    private let size = 512

    init(_ batches: [(Shard, ClaimedFile)]) {
        let thread = Thread { [self] in produce(batches) }
        thread.name = "vigil-analyzer-merge"
        thread.start()
    }

    private func produce(_ batches: [(Shard, ClaimedFile)]) {
        do {
            let merge = try ResultMerge(batches)
            var chunk: Chunk = []
            chunk.reserveCapacity(size)
            while let id = merge.peek() {
                chunk.append((id, try merge.take(id)))
                if chunk.count == size {
                    guard put(chunk) else { return }
                    chunk = []
                    chunk.reserveCapacity(size)
                }
            }
            if !chunk.isEmpty { guard put(chunk) else { return } }
            condition.lock()
            self.merge = merge
            finished = true
            condition.broadcast()
            condition.unlock()
        } catch {
            condition.lock()
            failure = error
            finished = true
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Hands a chunk over, waiting while `depth` are waiting; false once the consumer has stopped.
    private func put(_ chunk: Chunk) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while chunks.count >= depth && !stopped { condition.wait() }
        guard !stopped else { return false }
        chunks.append(chunk)
        condition.broadcast()
        return true
    }

    /// Lets the producer end (the thread holds this object until it does): the pass calls it however it ends.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func fill() throws {
        guard index >= current.count else { return }
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !finished { condition.wait() }
        if !chunks.isEmpty {
            current = chunks.removeFirst()
            index = 0
            condition.broadcast()
        } else if let failure {
            throw failure
        } else {
            current = []
            index = 0
        }
    }

    /// The smallest id waiting.
    func peek() throws -> String? {
        try fill()
        return index < current.count ? current[index].id : nil
    }

    /// Every result with id `id`, in shard order.
    func take(_ id: String) throws -> [ProbeResult] {
        guard try peek() == id else { return [] }
        index += 1
        return current[index - 1].results
    }

    /// Each batch's bad lines (once every result was taken).
    var badLines: [(claim: ClaimedFile, lines: [BadLine])] {
        condition.lock()
        defer { condition.unlock() }
        return merge?.badLines ?? []
    }
}

/// A value handed to another thread that alone uses it from then on.
final class HandOff<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
