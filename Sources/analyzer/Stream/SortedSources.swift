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
/// Unchecked Sendable: the reading thread touches only the reader it was handed and `unreadableLines`, which the
/// join reads only after the stream ended (Prefetch's condition orders the two); the rest is the join's alone.
final class IDLines<Parsed>: @unchecked Sendable {
    struct Entry {
        let id: String
        /// The line, sharing the reader's buffer of that moment (one allocation per 64 KB read, not per line).
        let bytes: ArraySlice<UInt8>
        let number: Int
        /// Taken out by the join (moved, not copied).
        var parsed: Parsed?
    }

    let path: String
    private(set) var header: [UInt8]?
    /// The file streamed on its own thread; nil for a missing file or one read whole.
    private var stream: Prefetch<Entry>?
    private var sorted: [Entry] = []
    private var index = 0
    private var pending: Entry?
    /// Lines without an id, written by the reading thread before its stream ends.
    private var unreadableLines: [Int] = []

    /// `inMemory`: read the file whole and sort it (for a file found out of order). A missing file is empty.
    init(path: String, header: Bool, inMemory: Bool = false, parse: @escaping @Sendable (ArraySlice<UInt8>) -> Parsed?) throws {
        self.path = path
        guard FileIO.status(path) != nil else { return }
        let reader = try LineReader(path: path)
        if header, let first = try reader.next() { self.header = Array(first.bytes) }
        if inMemory {
            var all: [Entry] = []
            while let line = try reader.next() {
                if let id = IDLine.id(of: line.bytes) {
                    all.append(Entry(id: id, bytes: line.bytes, number: line.number, parsed: parse(line.bytes)))
                } else if !line.bytes.allSatisfy({ $0 == 32 }) {
                    unreadableLines.append(line.number)
                }
            }
            // Id order, then file order (a later line of the same id wins: `take`).
            sorted = all.enumerated().sorted {
                $0.element.id != $1.element.id ? IDOrder.precedes($0.element.id, $1.element.id) : $0.offset < $1.offset
            }.map(\.element)
            return
        }
        let handed = HandOff(reader)  // used by the reading thread alone from here on
        stream = Prefetch(name: "vigil-analyzer-lines") { [self] sink in
            var lastID: String?
            while let line = try handed.value.next() {
                guard let id = IDLine.id(of: line.bytes) else {
                    if !line.bytes.allSatisfy({ $0 == 32 }) { unreadableLines.append(line.number) }
                    continue
                }
                if let lastID, IDOrder.precedes(id, lastID) { throw PassRestart.unsortedFile(path) }
                lastID = id
                guard sink.put(Entry(id: id, bytes: line.bytes, number: line.number, parsed: parse(line.bytes))) else { return }
            }
        }
    }

    /// Lets the reading thread end: the pass calls it however it ends.
    func stop() { stream?.stop() }

    private func read() throws -> Entry? {
        if let stream { return try stream.next() }
        guard index < sorted.count else { return nil }
        index += 1
        return sorted[index - 1]
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
    var unreadable: [Int] { unreadableLines }
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
            let reader = try BatchReader(sortingByID: claim.path, excerptsOfSuccesses: false)
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
            smallest = IDOrder.first(smallest, cursor.current?.id)
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
/// largest share of a pass) overlaps the join on the other core. Unchecked Sendable: the merging thread sets
/// `merge` before its stream ends and the join reads it only once `next` returned nil (Prefetch's condition
/// orders the two); `stream` and `pending` are the join's alone.
final class PrefetchedResults: @unchecked Sendable {
    private var stream: Prefetch<(id: String, results: [ProbeResult])>!
    private var pending: (id: String, results: [ProbeResult])?
    /// Set by the merging thread before its stream ends.
    private var merge: ResultMerge?

    init(_ batches: [(Shard, ClaimedFile)]) {
        stream = Prefetch(name: "vigil-analyzer-merge") { [self] sink in
            let merge = try ResultMerge(batches)
            while let id = merge.peek() {
                guard sink.put((id, try merge.take(id))) else { return }
            }
            self.merge = merge
        }
    }

    /// Lets the merging thread end: the pass calls it however it ends.
    func stop() { stream.stop() }

    /// The smallest id waiting.
    func peek() throws -> String? {
        if pending == nil { pending = try stream.next() }
        return pending?.id
    }

    /// Every result with id `id`, in shard order.
    func take(_ id: String) throws -> [ProbeResult] {
        guard try peek() == id, let group = pending.take() else { return [] }
        return group.results
    }

    /// Each batch's bad lines (once every result was taken).
    var badLines: [(claim: ClaimedFile, lines: [BadLine])] { merge?.badLines ?? [] }
}

/// Items made on a thread of its own, a few chunks ahead of the one consumer: at most `depth` chunks of
/// `size` wait, so memory stays bounded; an error of the producer reaches the consumer where it would have met it.
/// The thread holds the object until the producer returns: the consumer calls `stop` however it ends, and a
/// `put` after that returns false. What the producer records besides its items is read once `next` returned nil.
/// Unchecked Sendable: `chunks`, `finished`, `stopped` and `failure` are read and written under `condition`;
/// `current` is the consumer's alone, and a chunk belongs to one side at a time (filled, then handed over).
final class Prefetch<Item>: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [Chunk] = []
    private var finished = false
    private var stopped = false
    private var failure: (any Error)?
    private var current: Chunk?
    private let depth = 8
    private let size = 256

    /// Items moved in by the producer and moved out by the consumer, one by one: handing an item over never
    /// copies it (copying a record retains each of its texts, and releasing the copy left behind was most of
    /// what the consumer spent on a hand-over).
    final class Chunk {
        private let items: UnsafeMutablePointer<Item>
        let capacity: Int
        private(set) var count = 0
        private var taken = 0

        init(capacity: Int) {
            self.capacity = capacity
            items = .allocate(capacity: capacity)
        }

        func append(_ item: consuming Item) {
            (items + count).initialize(to: item)
            count += 1
        }

        func take() -> Item? {
            guard taken < count else { return nil }
            taken += 1
            return (items + taken - 1).move()
        }

        deinit {
            (items + taken).deinitialize(count: count - taken)
            items.deallocate()
        }
    }

    /// Where the producer puts its items, gathered into chunks.
    final class Sink {
        private let owner: Prefetch
        private var chunk: Chunk
        private(set) var open = true

        init(_ owner: Prefetch) {
            self.owner = owner
            chunk = Chunk(capacity: owner.size)
        }

        /// Puts an item; false once the consumer has stopped (the producer should return).
        @inline(__always) func put(_ item: consuming Item) -> Bool {
            chunk.append(item)
            if chunk.count == chunk.capacity { flush() }
            return open
        }

        func flush() {
            guard open, chunk.count > 0 else { return }
            open = owner.put(chunk)
            chunk = Chunk(capacity: owner.size)
        }
    }

    init(name: String, produce: @escaping @Sendable (Sink) throws -> Void) {
        let thread = Thread { [self] in
            var failure: (any Error)?
            let sink = Sink(self)
            do {
                try produce(sink)
                sink.flush()
            } catch {
                failure = error
            }
            condition.lock()
            self.failure = failure
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = name
        thread.start()
    }

    /// Hands a chunk over, waiting while `depth` wait; false once the consumer has stopped.
    private func put(_ chunk: Chunk) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while chunks.count >= depth && !stopped { condition.wait() }
        guard !stopped else { return false }
        chunks.append(chunk)
        condition.broadcast()
        return true
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next item; nil at the end; the producer's error if it failed.
    func next() throws -> Item? {
        if let item = current?.take() { return item }
        current = nil
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !finished { condition.wait() }
        if !chunks.isEmpty {
            current = chunks.removeFirst()
            condition.broadcast()
            return current?.take()
        }
        if let failure { throw failure }
        return nil
    }
}

/// A value handed to another thread that alone uses it from then on (hence unchecked: the compiler cannot see
/// that the sender lets go of it).
final class HandOff<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
