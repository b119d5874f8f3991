// notifier: drains spool/outbox/ to the team's chat (WeCom robots, JSON webhooks; the console when nothing
// is configured). Failed deliveries wait in outbox/deferred/ with back-off and are never dropped; `replay`
// sends them now, `list` shows them. One delivering notifier per spool: state/notifier.lock on this host, and the
// owner record state/owner-notifier.json across hosts (Ownership); --standby waits for the role (Standby).

import Foundation
import Shared

await Program.main("notifier") {
    let options = try Startup.options(Options.parse)
    try Startup.requireHTTP()
    // list and replay need no secret (they run as the service user, without the root-only env file): an unset
    // ${…} leaves its key out, and replay delivers itself only when nothing was left out.
    let config = try Startup.config(options.common, toleratingUnsetVariables: !options.command.delivers)
    if options.command == .list {
        // Read-only: never creates a spool.
        if Startup.spoolIsMissing(config.spool.spool) { return 1 }
        Listing.print(spool: config.spool.spool)
        return 0
    }
    let spool = try Startup.spool(config)
    if case let .replay(selection, all, sent, mention) = options.command {
        guard Replay.run(spool: spool, selection: selection, all: all, sent: sent, mention: mention) else { return 1 }
    }
    let lockPath = spool.stateDirectory + "/notifier.lock"
    let main = ServiceMain(name: "notifier", watching: [spool.outbox.newDirectory], rescan: config.spool.rescan)
    if options.standby {
        guard let (lock, ownership) = Standby.wait(role: "notifier", lockPath: lockPath, spool: spool, stopping: { main.runner.isStopping })
        else { return main.runner.exitStatus }
        return await serve(config: config, spool: spool, options: options, main: main, lock: lock, ownership: ownership)
    }
    let lock: FileLock
    switch ServiceMain.lock(lockPath) {
    case let .success(held): lock = held
    case let .failure(other):
        if case .replay = options.command, let pid = Int32(other.holder) {
            kill(pid, SIGUSR1)
            print("the notifier service (pid \(pid)) is delivering them now")
            return 0
        }
        if case .deliver(once: true) = options.command {
            Log.notice("a notifier service (pid \(other.holder)) holds \(lockPath); it delivers the outbox")
            return 0
        }
        Log.error("another notifier (pid \(other.holder)) already delivers from \(spool.root): one notifier per spool")
        return 1
    }
    let ownership: Ownership
    do {
        ownership = try Ownership.acquire(role: "notifier", spool: spool)
    } catch let error as OwnershipError {
        if case let .held(owner, _, _) = error, options.command != .deliver(once: false) {
            // Another host's notifier delivers from this spool: what replay made due goes out at its next pass.
            let message = "the notifier owner (host \(owner.host), pid \(owner.pid)) delivers the outbox"
            if case .replay = options.command { print(message + " at its next pass") } else { Log.notice(message) }
            return 0
        }
        Log.error("\(error)")
        return 1
    }
    if case .replay = options.command, let missing = Replay.undeliverable(config) {
        ownership.release()
        print(missing)
        return 1
    }
    return await serve(config: config, spool: spool, options: options, main: main, lock: lock, ownership: ownership)
}

/// Delivering, as a service or once, once the notifier holds the lock and the role.
func serve(config: Config, spool: Spool, options: Options, main: ServiceMain, lock: FileLock, ownership: Ownership) async -> Int32 {
    let dispatcher = Dispatcher(spool: spool, config: config, ownership: ownership)
    dispatcher.recover()
    let once = options.command != .deliver(once: false)
    ownership.startHeartbeats { lost in
        Log.error("\(lost)")
        main.runner.requestStop()
    }
    Log.info("notifier started on \(spool.root): channels \(dispatcher.channels.keys.sorted().joined(separator: ", "))" + (once ? " (once)" : ""))
    let status = await main.run(
        once: once, lock: lock,
        reload: ServiceMain.reloadConfig(options.common) { dispatcher.reload($0) },
        status: { "delivered \(dispatcher.delivered), deferred \(dispatcher.deferredCount), failed \(dispatcher.failedCount)" },
        pass: {
            let wait = await dispatcher.pass(stopping: { main.runner.isStopping })
            if ownership.lost != nil { main.runner.requestStop() }
            return wait
        },
        stop: {
            dispatcher.commits.handBack()
            ownership.release()
        })
    // Another host owns the role now: a failure for the service manager, and for whoever reads the journal.
    return ownership.lost != nil ? 1 : status
}
