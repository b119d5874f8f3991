// BatchFile: reads and checks one result batch. Results stream to the caller one by one; bad lines are
// collected with their numbers and reasons (for quarantine) while the rest of the file is read; the file as
// a whole is accepted only if it ends with a trailer whose count matches, or is a single shard_failed stub.
// Because results are handed over before the end is known, callers keep them apart until `read` returns.

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
        let reader = try LineReader(path: path)
        let decoder = RecordDecoder()
        var badLines: [BadLine] = []
        var badBytes = 0
        /// Keeps a bad line for quarantine, counting its bytes against the bound.
        func bad(_ line: Line, _ reason: String) {
            badLines.append(BadLine(lineNumber: line.number, reason: reason, text: line.text))
            badBytes += line.bytes.count
        }
        var end: BatchEnd?
        var endLine = 0
        var lines = 0
        var results = 0
        while let line = try reader.next() {
            if line.bytes.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }
            if end != nil {
                throw SpoolError.invalidFile(
                    path: path,
                    reason: "line \(line.number) follows the "
                        + "\(endKind(end!)) on line \(endLine): the trailer must be the last line")
            }
            lines += 1
            // Bad lines are kept for quarantine, within bounds: past them the file is not a batch with a few
            // damaged lines but something else, and goes to quarantine whole (memory never follows junk size).
            if badLines.count >= maxBadLines || badBytes >= maxBadBytes {
                throw SpoolError.invalidFile(
                    path: path,
                    reason: "\(badLines.count) unreadable lines (\(badBytes) bytes) before "
                        + "line \(line.number), more than a batch may have: not a result batch")
            }
            if line.truncated {
                bad(line, "line longer than the 8 MiB limit")
                continue
            }
            // Fast path: a well-formed version-1 result (nearly every line).
            if let result = ProbeResult.scan(line.bytes, excerptsOfSuccesses: excerptsOfSuccesses) {
                results += 1
                try onResult(result, line.number)
                continue
            }
            let header: RecordHeader
            do {
                header = try decoder.anyHeader(line.bytes)
            } catch {
                bad(line, "\(error)")
                continue
            }
            if header.v > RecordCoding.version {
                // A newer trailer means the whole file is from a newer writer: say so rather than "no trailer".
                if header.kind == "batch" || header.kind == "shard_failed" {
                    throw SpoolError.invalidFile(path: path, reason: "line \(line.number): \(RecordError.newerVersion(header.v))")
                }
                bad(line, "\(RecordError.newerVersion(header.v))")
                continue
            }
            switch header.kind {
            case "result":
                do {
                    let result = try decoder.decode(ProbeResult.self, from: line.bytes)
                    results += 1
                    try onResult(result, line.number)
                } catch let error as RecordError {
                    bad(line, "result: \(error)")
                }
            case "batch":
                do {
                    end = .trailer(try decoder.decode(BatchTrailer.self, from: line.bytes))
                } catch {
                    throw SpoolError.invalidFile(path: path, reason: "line \(line.number): unreadable trailer: \(error)")
                }
                endLine = line.number
                lines -= 1
            case "shard_failed":
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
        }
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
        return BatchReadSummary(end: end, results: results, badLines: badLines)
    }

    private static func endKind(_ end: BatchEnd) -> String {
        switch end {
        case .trailer: "trailer"
        case .shardFailed: "shard_failed stub"
        }
    }
}
