// Intake: claims what waits in runs/new and results/new and feeds the assembly. A batch is known by its last
// line (trailer or stub) until its run is reported, when RunPass streams it: its bad lines go to quarantine
// (the rest counts), and a batch that is unusable as a whole (no trailer, wrong count) goes to quarantine
// entirely and its shard is reported as a monitoring failure. An error that says nothing about a file's content
// (SpoolError.isTransient: EIO, a file system gone, no memory) puts its claim back in new/ and intake backs off.

import Foundation
import Shared

struct Intake {
    let spool: Spool
    /// locations.names: every location sends each shard, assembled under LocationShards keys (nil: one location).
    var locations: [String]? = nil
    let owner = ClaimOwner.current

    /// Claims and reads every manifest and batch waiting; returns how many files were taken. After a transient
    /// error it puts that claim back, records it in `backOff` and stops until `backOff` allows a new try.
    func collect(into assembly: inout RunAssembly, backOff: inout RetryBackOff, reported: (String) -> Bool) -> Int {
        let now = Date()
        guard backOff.mayTry(at: now) else { return 0 }
        var taken = 0
        for name in spool.runs.pending() {
            guard let claim = claim(spool.runs, name) else { continue }
            taken += 1
            if let error = readManifest(claim, into: &assembly, reported: reported) {
                holdBack(claim, in: spool.runs, error, backOff: &backOff, now: now)
                return taken
            }
        }
        for name in spool.results.pending() {
            guard let claim = claim(spool.results, name) else { continue }
            taken += 1
            if let error = read(claim, into: &assembly, reported: reported) {
                holdBack(claim, in: spool.results, error, backOff: &backOff, now: now)
                return taken
            }
        }
        if let past = backOff.succeeded() { Log.notice("intake works again (the error before was: \(past))") }
        return taken
    }

    /// Puts a claim back in its queue's new/ after a transient error, and backs intake off (logged once per
    /// distinct error).
    private func holdBack(_ claim: ClaimedFile, in queue: Queue, _ error: Error, backOff: inout RetryBackOff, now: Date) {
        do {
            try queue.release(claim)
        } catch {
            Log.error("\(queue.name)/\(claim.name): cannot put it back in new/ either (\(error)); it waits in cur/ for this analyzer's restart")
        }
        let wait = backOff.failed(at: now, error: "\(error)")
        let line =
            "\(queue.name)/\(claim.name): cannot read it: \(error); not quarantined (the error says nothing of its content), taken again in \(Int(wait)) s"
        if backOff.isNewError { Log.error(line) } else { Log.debug(line) }
    }

    /// Takes a claimed manifest in (an unreadable one goes to quarantine); returns a transient error, which leaves
    /// the claim to the caller.
    private func readManifest(_ claim: ClaimedFile, into assembly: inout RunAssembly, reported: (String) -> Bool) -> Error? {
        do {
            let bytes = try FileIO.read(claim.path)
            let decoder = RecordDecoder()
            let line = bytes.split(separator: 10, omittingEmptySubsequences: true).first ?? []
            _ = try decoder.header(line)
            let manifest = try decoder.decode(RunManifest.self, from: line)
            if reported(manifest.run) {
                archive([claim], note: "manifest of already reported run \(manifest.run)")
            } else {
                assembly.add(manifest: manifest, claim: claim)
            }
            return nil
        } catch  where SpoolError.isTransient(error) {
            return error
        } catch {
            quarantine(claim, reason: "unreadable run manifest: \(error)")
            return nil
        }
    }

    /// A previous owner's claim that cannot go back to new/ because a file of its name waits there (another
    /// host's manifest of the same run) is taken over where it is — claimed anew from cur/ — and read as if this
    /// instance had claimed it: its run keeps its manifest (and the gaps it carries) and is reported.
    func adopt(_ claim: ClaimedFile, from queue: Queue, into assembly: inout RunAssembly, reported: (String) -> Bool) throws {
        let entry = (claim.path as NSString).lastPathComponent
        guard let mine = try queue.claim(entry, from: queue.curDirectory, by: owner) else { return }
        let adopted = ClaimedFile(name: claim.name, path: mine.path)
        let error =
            queue.name == spool.runs.name
            ? readManifest(adopted, into: &assembly, reported: reported) : read(adopted, into: &assembly, reported: reported)
        if let error { throw error }
    }

    private func claim(_ queue: Queue, _ name: String) -> ClaimedFile? {
        do {
            return try spool.claim(queue, name, by: owner)
        } catch {
            Spool.reportClaimFailure(queue, name, error)
            return nil
        }
    }

    /// Takes a batch in by its last line (its trailer or stub); the results are read when the run is reported,
    /// streamed (RunPass), which also checks the count and quarantines bad lines. A file whose last line is
    /// neither is read whole now, to say what is wrong with it. Returns a transient error, which leaves the claim
    /// to the caller.
    private func read(_ claim: ClaimedFile, into assembly: inout RunAssembly, reported: (String) -> Bool) -> Error? {
        let end: BatchEnd
        if let peeked = BatchFile.peekEnd(claim.path) {
            end = peeked
        } else {
            do {
                end = try BatchFile.read(claim.path) { _, _ in }.end
            } catch  where SpoolError.isTransient(error) {
                return error
            } catch {
                let reason = "\(error)".replacingOccurrences(of: claim.path + ": ", with: "")
                if let run = RunFileName.run(of: claim.name), let shard = RunFileName.shard(of: claim.name), !reported(run) {
                    assembly.addQuarantined(run: run, shard: shard, reason: reason)
                }
                quarantine(claim, reason: reason)
                return nil
            }
        }
        if reported(end.run) {
            archive([claim], note: "late batch for already reported run \(end.run) shard \(end.shard)")
            return nil
        }
        guard let key = LocationShards.key(end.shard, location: end.location, names: locations) else {
            let said = end.location.map { "location \"\($0)\"" } ?? "no location"
            quarantine(
                claim,
                reason: "a batch of \(said), while locations.names is \(locations?.joined(separator: ", ") ?? "unset"): another "
                    + "deployment's, or a prober without --location")
            return nil
        }
        assembly.add(batch: ReceivedBatch(claim: claim, shard: key, end: end))
        return nil
    }

    func quarantine(_ claim: ClaimedFile, reason: String) {
        do {
            try spool.quarantine.file(at: claim.path, name: claim.name, reason: reason)
        } catch {
            Log.error("cannot quarantine \(claim.path): \(error)")
        }
    }

    /// Archives the claims of a reported run, a transient error (EIO, ENOTCONN: a brick restarting) tried again in
    /// place (TransientRetry). A claim that still cannot be archived goes back to new/, where the next pass finds
    /// its run reported and archives it; one that cannot go back either is returned, for the next pass to archive.
    /// None is left in cur/ for the lease. `retry`: how hard to try each one now.
    func archiveReported(_ claims: [ClaimedFile], run: String, retry: TransientRetry = TransientRetry()) -> [ClaimedFile] {
        claims.filter { claim in
            do {
                try retry.run("run \(run): archiving \(claim.name)") { try archiveOnce(claim) }
                return false
            } catch {
                let queue = claim.path.hasPrefix(spool.runs.curDirectory) ? spool.runs : spool.results
                do {
                    try queue.release(claim)
                    Log.error(
                        "run \(run): cannot archive \(claim.name): \(error); handed back to \(queue.name)/new (the run is reported: "
                            + "the next pass archives it without reprocessing)")
                    return false
                } catch let back {
                    Log.error("run \(run): cannot archive \(claim.name) (\(error)) nor hand it back (\(back)); the next pass tries again")
                    return true
                }
            }
        }
    }

    /// One try at archiving a claim. A try after an I/O error may find the move done (the error came after it).
    private func archiveOnce(_ claim: ClaimedFile) throws {
        do {
            try spool.results.move(claim, to: spool.archiveDirectory)
        } catch let SpoolError.system(_, _, code) where code == ENOENT && FileIO.status(claim.path) == nil {
            let entry = (claim.path as NSString).lastPathComponent
            guard FileIO.status(spool.archiveDirectory + "/" + claim.name) != nil || FileIO.status(spool.archiveDirectory + "/" + entry) != nil
            else { throw SpoolError.system(operation: "archive", path: claim.path, errno: ENOENT) }
        }
    }

    /// Moves claims into results/archive/ (kept for spool.retention).
    func archive(_ claims: [ClaimedFile], note: String? = nil) {
        if let note { Log.warning("\(note): archived without reprocessing") }
        for claim in claims {
            do {
                try spool.results.move(claim, to: spool.archiveDirectory)
            } catch {
                Log.error("cannot archive \(claim.path): \(error)")
            }
        }
    }
}
