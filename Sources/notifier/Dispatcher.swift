// Dispatcher: one pass over the outbox. New alerts are split into one delivery per channel; then new and due
// deferred deliveries go out in the order of their names (oldest alert first). A channel that fails is
// "down" for the rest of the pass: its later deliveries are deferred behind the failed one without being
// tried, so the channel keeps its order when it comes back. A delivery reaches sent/ only after the channel
// accepted it; a kill in between repeats the delivery, never loses it. Nothing is delivered or recorded unless the
// owner record still names this notifier (PendingCommits, Ownership).

import Foundation
import Shared

/// Used by one task at a time (the service loop's passes run one after another), hence unchecked.
final class Dispatcher: @unchecked Sendable {
    let spool: Spool
    private(set) var config: Config
    private(set) var channels: [String: any Channel]
    private let owner = ClaimOwner.current
    private var lastPrune = Date.distantPast
    /// When each delivery's run started (names never change, so a name's key is read once).
    private var startTimes: [String: Date] = [:]
    /// Splitting alerts after a transient error (no space, EIO): when to try again.
    private var splitBackOff = RetryBackOff()
    /// Counters for metrics and status.
    private(set) var delivered = 0, deferredCount = 0, failedCount = 0
    /// The ownership checks and the commits an I/O error held back.
    let commits: PendingCommits

    init(spool: Spool, config: Config, ownership: Ownership? = nil) {
        self.spool = spool
        self.config = config
        commits = PendingCommits(spool: spool, ownership: ownership)
        channels = Dispatcher.makeChannels(config)
    }

    static func makeChannels(_ config: Config) -> [String: any Channel] {
        let client = HTTPClient(settings: config.notify.http)
        var out: [String: any Channel] = [:]
        // One place builds every kind (ChannelSettings.channel): a new kind does not compile until it is handled.
        for settings in config.notify.configuredChannels {
            out[settings.name] = settings.channel(client: client, notify: config.notify)
        }
        if out.isEmpty { out["stdout"] = ConsoleChannel(style: MessageStyle(config.notify)) }
        if !config.notify.routes.isEmpty {
            // What no route and no default channel takes is printed and kept in sent/ as not delivered, never dropped.
            out[Routing.unrouted] = ConsoleChannel(name: Routing.unrouted, style: MessageStyle(config.notify), why: "no route takes it")
        }
        return out
    }

    var deferral: Deferral { Deferral(spool: spool, settings: config.notify) }

    /// New config (SIGHUP): new channels, and every deferred delivery becomes due (a fixed webhook is used at once).
    func reload(_ newConfig: Config) {
        config = newConfig
        channels = Dispatcher.makeChannels(newConfig)
        makeAllDeferredDue()
        Log.notice("configuration reloaded: channels \(channels.keys.sorted().joined(separator: ", ")); deferred alerts are due now")
    }

    func makeAllDeferredDue() {
        let now = Date()
        for name in spool.deliveries.deferred { try? spool.deliveries.makeDue(name, now: now) }
    }

    /// Start-up recovery: claims of a dead notifier go back to new/, unless a later copy (deferred/, sent/,
    /// failed/) shows the step had finished before the kill. A dead notifier is one of this host whose process is
    /// gone, or the owner of another host this one took the role over from.
    func recover() {
        let previous = commits.ownership?.previousOnOtherHost
        // A delivery half-written by a notifier that was killed will never be finished (its alert is split again).
        let dropped = spool.outbox.removeOrphanedTemporaries()
        if !dropped.isEmpty { Log.notice("removed \(dropped.count) unfinished file(s) of dead writers from outbox/tmp") }
        for entry in FileIO.listIfPresent(spool.outbox.curDirectory) {
            let path = spool.outbox.curDirectory + "/" + entry
            guard let parsed = ClaimOwner.parse(claimedName: entry), let st = FileIO.status(path) else { continue }
            let deadHere =
                parsed.owner.host == SpoolName.host && parsed.owner.pid != getpid()
                && !FileIO.processHolds(parsed.owner.pid, claimedAt: st.changeDate)
            guard deadHere || parsed.owner == previous else { continue }
            let later = [spool.deferredDirectory, spool.sentDirectory, spool.failedDirectory]
                .contains { FileIO.status($0 + "/" + parsed.name) != nil }
            if later {
                try? FileIO.unlink(path)
            } else {
                try? spool.outbox.release(ClaimedFile(name: parsed.name, path: path))
                Log.notice("recovered \(parsed.name) from a notifier that died while holding it")
            }
        }
    }

    /// One pass; returns how long the service may sleep before a deferred delivery is due.
    func pass(now: Date = Date(), stopping: @escaping @Sendable () -> Bool) async -> TimeInterval? {
        guard commits.mayWork(now: now) else { return commits.lost ? nil : Ownership.heartbeatInterval }
        commits.retry(now: now)
        split(now: now)
        var down: [String: Date] = deferral.nextAttempts().filter { $0.value > now }
        let newNames = spool.outbox.pending().filter { Delivery.channel(of: $0) != nil }.map { ($0, false) }
        let dueNames = deferral.due(now: now).map { ($0, true) }
        // Alerts of a channel go out in the order their runs started (then by name), whatever their names say:
        // two manual runs of the same second have random suffixes.
        let ordered = (newNames + dueNames).map { ($0.0, $0.1, startTime(of: $0.0, fromDeferred: $0.1)) }
            .sorted { ($0.2, $0.0) < ($1.2, $1.0) }
        let current = Set(ordered.map(\.0))
        startTimes = startTimes.filter { current.contains($0.key) }
        for (name, fromDeferred, _) in ordered {
            if stopping() || !splitBackOff.mayTry(at: now) || !commits.mayWork() { break }
            await handle(name, fromDeferred: fromDeferred, down: &down, now: now, stopping: stopping)
        }
        if now.timeIntervalSince(lastPrune) > 3600 {
            lastPrune = now
            let old = spool.prune(spool.sentDirectory, olderThan: config.spool.retention, now: now)
            if !old.isEmpty { Log.info("retention: removed \(old.count) delivered alert(s) from outbox/sent/") }
        }
        NotifierMetrics.write(self)
        return (Array(deferral.nextAttempts().values) + [splitBackOff.retryAt, commits.retryAt].compactMap { $0 }).min()
            .map { max(0.05, $0.timeIntervalSince(Date())) }
    }

    /// The start of the run a delivery belongs to (from its alert's stats; the run id's second if unreadable).
    /// Claims an alert or delivery (from new/, or from deferred/); a failure is logged once per file.
    private func claim(_ name: String, from directory: String?) -> ClaimedFile? {
        do {
            return try spool.claim(spool.outbox, name, from: directory, by: owner)
        } catch {
            Spool.reportClaimFailure(spool.outbox, name, error)
            return nil
        }
    }

    private func startTime(of name: String, fromDeferred: Bool) -> Date {
        if let known = startTimes[name] { return known }
        let path = (fromDeferred ? spool.deferredDirectory : spool.outbox.newDirectory) + "/" + name
        // Only a regular file of a sane size is read here: anything else is quarantined when it is claimed, and
        // opening a FIFO would block the notifier.
        let readable = Spool.isPlainFile(path, limit: Spool.fileLimit(of: "outbox"))
        let start =
            (readable ? (try? Delivery.read(path, name: name))?.alert.stats.startedAt : nil)
            ?? RunFileName.run(of: name).flatMap(RunID.date(of:)) ?? .distantPast
        startTimes[name] = start
        return start
    }

    /// Claims each alert not yet split and publishes one delivery per channel, then acknowledges it. Only an
    /// alert that cannot be read goes to quarantine: when the deliveries cannot be written (no space, the disk
    /// floor, an I/O error) the alert goes back to outbox/new and splitting waits (RetryBackOff; its outputs
    /// are idempotent: a delivery already published is skipped when it is split again).
    private func split(now: Date) {
        guard splitBackOff.mayTry(at: now) else { return }
        for name in spool.outbox.pending() where Delivery.channel(of: name) == nil {
            guard let claim = claim(name, from: nil) else { continue }
            let delivery: Delivery
            do {
                delivery = try Delivery.read(claim.path, name: name)
            } catch  where SpoolError.isTransient(error) {
                return holdBack(claim, "cannot read it", error, now: now)
            } catch {
                Log.error("outbox/\(name): \(error)")
                try? spool.quarantine.file(at: claim.path, name: name, reason: "unreadable alert: \(error)")
                continue
            }
            do {
                // Each channel gets the part of the alert its routes give it (all of it without routes).
                try commits.fence()
                let targets = channels.keys.filter { $0 != Routing.unrouted }.sorted()
                for (channel, part) in Routing.parts(of: delivery.alert, notify: config.notify, channels: targets) {
                    var copy = delivery
                    copy.alert = part
                    copy.state = DeliveryState(channel: channel)
                    try spool.outbox.publish(name: Delivery.name(alertFile: name, channel: channel), bytes: try copy.bytes())
                }
                try spool.outbox.ack(claim)
            } catch {
                // Writing our own outputs failed: that says nothing about the alert.
                return holdBack(claim, "cannot publish its deliveries", error, now: now)
            }
        }
        if let past = splitBackOff.succeeded() { Log.notice("outbox: alerts are split again (the error before was: \(past))") }
    }

    /// Puts a claimed alert back in outbox/new after a transient error and backs splitting off; logged once per
    /// distinct error, then at debug level.
    private func holdBack(_ claim: ClaimedFile, _ what: String, _ error: Error, now: Date) {
        do {
            try spool.outbox.release(claim)
        } catch {
            // Still in cur/: this notifier's own claim, taken again at its next start (or by the janitor's lease).
            Log.error("outbox/\(claim.name): cannot put it back in outbox/new either (\(error)); it waits in outbox/cur")
        }
        let wait = splitBackOff.failed(at: now, error: "\(error)")
        let line = "outbox/\(claim.name): \(what): \(error); it stays in the outbox and is taken again in \(Int(wait)) s"
        if splitBackOff.isNewError { Log.error(line) } else { Log.debug(line) }
    }

    private func handle(
        _ name: String, fromDeferred: Bool, down: inout [String: Date], now: Date,
        stopping: @escaping @Sendable () -> Bool
    ) async {
        guard let claim = claim(name, from: fromDeferred ? spool.deferredDirectory : nil) else { return }
        let claimed = claim.path
        var delivery: Delivery
        do {
            delivery = try Delivery.read(claimed, name: name)
        } catch  where SpoolError.isTransient(error) {
            // An I/O error says nothing about the delivery: it goes back to new/ and the outbox waits.
            return holdBack(claim, "cannot read it", error, now: now)
        } catch {
            try? spool.quarantine.file(at: claimed, name: name, reason: "unreadable delivery: \(error)")
            return
        }
        let channelName = delivery.state.channel
        do {
            if now.timeIntervalSince(delivery.alert.createdAt) > config.notify.maxAge {
                failedCount += 1
                let reason = "expired: older than notify.max_age (\(DurationParser.format(config.notify.maxAge)))"
                return try commits.commit(claim, "alert \(delivery.alert.id) for \(channelName): moving it to outbox/failed") {
                    try self.deferral.fail(delivery, reason: reason, claimed: claimed)
                }
            }
            if let until = down[channelName] {
                // The channel is down: queue behind the deliveries that failed, in order.
                deferredCount += 1
                return try commits.commit(claim, "alert \(delivery.alert.id) for \(channelName): deferring it") { [delivery] in
                    try self.deferral.postpone(delivery, until: until, claimed: claimed)
                }
            }
            guard let channel = channels[channelName] else {
                let until = now.addingTimeInterval(config.notify.backoffMax)
                Log.error(
                    "alert \(delivery.alert.id): channel \"\(channelName)\" is not configured any more; kept in outbox/deferred/ "
                        + "(add the channel back, or `orchestrator spool purge` it)")
                deferredCount += 1
                return try commits.commit(claim, "alert \(delivery.alert.id) for \(channelName): deferring it") { [delivery] in
                    try self.deferral.postpone(delivery, until: until, claimed: claimed)
                }
            }
            let result = await attempt(&delivery, on: channel, stopping: stopping)
            try settle(delivery, result: result, channel: channel, claim: claim, down: &down)
        } catch let error as OwnershipError where error.isLost {
            // Another host owns the role now: record nothing; the claim goes back for the new owner.
            commits.handBack(claim, error)
        } catch {
            Log.error("alert \(delivery.alert.id) for \(channelName): cannot record its state: \(error); it stays claimed until restart")
        }
    }

    /// The first try plus notify.quick_retries immediate retries (1 s apart), unless the peer asks to wait.
    private func attempt(_ delivery: inout Delivery, on channel: any Channel, stopping: @escaping @Sendable () -> Bool) async -> AttemptResult {
        var result = AttemptResult.retryLater("not attempted", partsSent: delivery.state.partsSent, retryAfter: nil)
        for retry in 0...config.notify.quickRetries {
            if retry > 0 {
                if stopping() { break }
                try? await Task.sleep(nanoseconds: 1_000_000_000)
            }
            let now = Date()
            delivery.state.attempts += 1
            delivery.state.firstAttemptAt = delivery.state.firstAttemptAt ?? now
            delivery.state.lastAttemptAt = now
            let replay = delivery.state.replayedAt.map {
                ReplayMark(resentAt: $0, firstSentAt: delivery.state.firstDeliveredAt, mention: delivery.state.mention ?? false)
            }
            result = await channel.deliver(delivery.alert, fromPart: delivery.state.partsSent, replay: replay, stop: stopping)
            delivery.state.partsSent = result.partsSent
            guard case let .retryLater(_, _, retryAfter) = result, retryAfter == nil else { break }
        }
        return result
    }

    private func settle(
        _ delivery: Delivery, result: AttemptResult, channel: any Channel, claim: ClaimedFile,
        down: inout [String: Date]
    ) throws {
        var delivery = delivery
        let id = delivery.alert.id
        let claimed = claim.path
        let what = "alert \(id) for \(channel.name)"
        let deferral = self.deferral
        switch result {
        case .delivered:
            delivery.state.deliveredAt = Date()
            delivery.state.lastError = nil
            delivery.state.nextAttemptAt = nil
            delivery.state.delivered = channel.reachesTeam
            delivery.state.record(channel.reachesTeam ? "delivered" : "printed", error: nil)
            if let console = channel as? ConsoleChannel { delivery.state.note = "\(console.why): printed on stdout, not delivered to anyone" }
            CrashPoint.hit("before-sent")
            try commits.commit(claim, what + ": recording its delivery in outbox/sent") { [delivery] in
                try deferral.markSent(delivery, claimed: claimed)
            }
            delivered += 1
            Log.info("alert \(id) delivered to \(channel.name) after \(delivery.state.attempts) attempt(s)")
        case let .retryLater(error, _, retryAfter):
            delivery.state.deferrals += 1
            delivery.state.lastError = error
            delivery.state.record("deferred", error: error)
            let until = Date().addingTimeInterval(deferral.backoff(deferrals: delivery.state.deferrals, retryAfter: retryAfter))
            down[channel.name] = until
            try commits.commit(claim, what + ": deferring it") { [delivery] in try deferral.postpone(delivery, until: until, claimed: claimed) }
            deferredCount += 1
            Log.warning(
                "alert \(id) for \(channel.name) deferred until \(Timestamp.format(until)) "
                    + "(attempt \(delivery.state.attempts)): \(error)")
        case let .misconfigured(error, _):
            delivery.state.deferrals += 1
            delivery.state.lastError = error
            delivery.state.record("misconfigured", error: error)
            let until = Date().addingTimeInterval(config.notify.backoffMax)
            down[channel.name] = until
            try commits.commit(claim, what + ": deferring it") { [delivery] in try deferral.postpone(delivery, until: until, claimed: claimed) }
            deferredCount += 1
            Log.error(
                "channel \(channel.name) is misconfigured: \(error). Alert \(id) is kept in outbox/deferred/ until "
                    + "\(Timestamp.format(until)); fix the config and send SIGHUP (or run `notifier replay --all`)")
        case let .refused(error):
            delivery.state.lastError = error
            delivery.state.record("refused", error: error)
            try commits.commit(claim, what + ": moving it to outbox/failed") { [delivery] in
                try deferral.fail(delivery, reason: error, claimed: claimed)
            }
            failedCount += 1
        }
    }
}
