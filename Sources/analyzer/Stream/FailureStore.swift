// FailureStore: the failed results of a run, in id order, for the report. A few thousand are held in memory;
// past that (a mass outage of a big pool) they go to a scratch file in the spool, and memory keeps 24 bytes a
// failure: where its line is, its outcome and its service — what the report groups and counts by — so a
// failure is read back only to be written into the report.

import Foundation
import Shared

final class FailureStore {
    /// Failures held in memory before the rest goes to the scratch file (VIGIL_FAILURES_IN_MEMORY: for tests,
    /// which compare a report written both ways).
    static let memoryLimit = ProcessInfo.processInfo.environment["VIGIL_FAILURES_IN_MEMORY"].flatMap { Int($0) } ?? 2_000

    private struct Spilled {
        let offset: Int
        let length: Int32
        let service: UInt32
        let outcome: Outcome
    }

    /// Where the scratch file goes; nil: everything stays in memory (also once making one there failed: tried once).
    private var directory: String?
    private var held: [ProbeResult] = []
    private var spill: SpillFile?
    private var spilled: [Spilled] = []
    private var services: [String] = []
    private var serviceNumbers: [String: UInt32] = [:]

    init(directory: String?) { self.directory = directory }

    var count: Int { spill == nil ? held.count : spilled.count }
    var isEmpty: Bool { count == 0 }
    var indices: Range<Int> { 0..<count }

    func append(_ result: ProbeResult) {
        if spill == nil, held.count >= Self.memoryLimit, let directory {
            do {
                let file = try SpillFile(directory: directory)
                spill = file
                for r in held { try put(r, into: file) }
                held = []
            } catch {
                Log.warning("failures of the run kept in memory: no scratch file in \(directory) (\(error))")
                spill = nil
                spilled = []
                self.directory = nil
            }
        }
        guard let spill else { return held.append(result) }
        guard writeError == nil else { return }  // the report will fail, and the run be reported again
        do {
            try put(result, into: spill)
        } catch {
            // The disk filled up under the scratch file: reading the failures back fails, so does the report, and
            // the run is reported again later (its batches stay claimed) — never a report missing failures.
            writeError = error
        }
    }

    /// Why the scratch file could not be written, once it could not.
    private var writeError: (any Error)?

    private func put(_ result: ProbeResult, into file: SpillFile) throws {
        let number: UInt32
        if let known = serviceNumbers[result.service] {
            number = known
        } else {
            number = UInt32(services.count)
            services.append(result.service)
            serviceNumbers[result.service] = number
        }
        let line = result.encodedLine()
        let offset = file.size
        try file.line(line)
        spilled.append(Spilled(offset: offset, length: Int32(line.count), service: number, outcome: result.outcome))
    }

    /// The i-th failure (read back from the scratch file past the memory limit).
    func result(at i: Int) throws -> ProbeResult {
        if let writeError { throw writeError }
        guard let spill else { return held[i] }
        let entry = spilled[i]
        let bytes = try spill.read(offset: entry.offset, length: Int(entry.length))
        guard let result = ProbeResult.scan(bytes) else {
            throw SpoolError.invalidFile(path: "(scratch file of the run's failures)", reason: "failure \(i + 1) does not read back")
        }
        return result
    }

    /// The i-th failure's outcome and service, without reading it back.
    func outcome(at i: Int) -> Outcome { spill == nil ? held[i].outcome : spilled[i].outcome }
    func service(at i: Int) -> String { spill == nil ? held[i].service : services[Int(spilled[i].service)] }
}
