// PendingCommits: how the notifier commits what it did with a delivery (its copy in sent/, deferred/ or failed/,
// then its claim dropped). Each commit is checked against the owner record first (Ownership: a notifier that lost
// its role to another host commits nothing more and hands its claims back); an I/O error is tried again in place
// (TransientRetry), and a commit that still fails is kept, its claim held, and tried again at the next pass — at a
// stop its claim goes back to outbox/new — so no claim is left in outbox/cur for the janitor's lease.

import Foundation
import Shared

/// Used by the dispatcher's passes, one at a time (hence unchecked).
final class PendingCommits: @unchecked Sendable {
    let spool: Spool
    /// The notifier role's owner record (nil: not checked).
    let ownership: Ownership?
    private var waiting: [(claim: ClaimedFile, what: String, step: () throws -> Void)] = []
    private var backOff = RetryBackOff()

    init(spool: Spool, ownership: Ownership?) {
        self.spool = spool
        self.ownership = ownership
    }

    /// Whether the role was lost: the notifier must stop.
    var lost: Bool { ownership?.lost != nil }

    /// When the waiting commits are tried again.
    var retryAt: Date? { waiting.isEmpty ? nil : backOff.retryAt }

    /// Whether the notifier may work now (before a pass, before each delivery): it owns its role. A lost role is
    /// logged; a role that cannot be checked (an I/O error) is logged once and waits.
    func mayWork(now: Date = Date()) -> Bool {
        ownership?.mayWork(now: now, otherwise: "nothing is delivered until it can") ?? true
    }

    /// Throws unless this notifier may commit now (the ownership check alone).
    func fence() throws { try ownership?.verify() }

    /// Commits `step` for `claim` (which it drops). Throws a lost role (the caller hands the claim back) and errors
    /// that are not transient; a transient error that outlasts the in-place retries, or a role that cannot be
    /// checked now, keeps the step for the next pass.
    func commit(_ claim: ClaimedFile, _ what: String, _ step: @escaping () throws -> Void) throws {
        do {
            try fence()
            try TransientRetry().run(what, step)
        } catch let error as OwnershipError where error.isLost {
            throw error
        } catch  where SpoolError.isTransient(error) || error is OwnershipError {
            let wait = backOff.failed(at: Date(), error: "\(error)")
            Log.error("\(what): \(error); it stays claimed and is recorded at the next pass (in \(Int(wait)) s)")
            waiting.append((claim, what, step))
        }
    }

    /// Tries the waiting commits again once the back-off allows.
    func retry(now: Date = Date()) {
        guard !waiting.isEmpty, backOff.mayTry(at: now), mayWork(now: now) else { return }
        waiting = waiting.filter { claim, what, step in
            do {
                try step()
                Log.notice("\(what): done")
                return false
            } catch {
                _ = backOff.failed(at: now, error: "\(error)")
                Log.debug("\(what): \(error); tried again later")
                return true
            }
        }
        if waiting.isEmpty { backOff.succeeded() }
    }

    /// Hands the claims of waiting commits back to outbox/new (a stop, a lost role): their deliveries may go out
    /// once more — better twice than never.
    func handBack() {
        for (claim, what, _) in waiting {
            do {
                try spool.outbox.release(claim)
                Log.warning("\(what): not recorded; handed back to outbox/new (it may be delivered once more)")
            } catch {
                Log.error("\(what): not recorded, and cannot hand it back to outbox/new (\(error)); it waits in outbox/cur")
            }
        }
        waiting = []
    }

    /// Hands one claim back to outbox/new after the role was lost mid-delivery.
    func handBack(_ claim: ClaimedFile, _ error: Error) {
        Log.error("outbox/\(claim.name): not recorded here: \(error)")
        do {
            try spool.outbox.release(claim)
        } catch {
            Log.error("outbox/\(claim.name): cannot hand it back to outbox/new (\(error)); it waits in outbox/cur")
        }
    }
}
