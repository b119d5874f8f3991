// notifier: drains spool/outbox/ to the team's chat (WeCom robots, JSON webhooks; the console when nothing
// is configured). Failed deliveries wait in outbox/deferred/ with back-off and are never dropped; `replay`
// sends them now, `list` shows them. One delivering notifier per spool (state/notifier.lock).

import Foundation
import Shared

Log.setup(program: "notifier")
let options = Startup.options(Options.parse)
Startup.requireHTTP()
let config = Startup.config(options.common)
if options.command == .list {
    // Read-only: never creates a spool.
    let spool = config.spool.spool
    if Startup.spoolIsMissing(spool) { exit(1) }
    Listing.print(spool: spool)
    exit(0)
}
let spool = Startup.spool(config)

let lockPath = spool.stateDirectory + "/notifier.lock"
if case let .replay(selection, all, sent, mention) = options.command {
    do {
        let chosen = try Replay.prepare(spool: spool, selection: selection, all: all, sent: sent, mention: mention)
        // A word for each argument: queued, already delivered, or unknown.
        for key in selection { print(Replay.describe(key, spool: spool, chosen: chosen, sent: sent)) }
        print("\(chosen.count) alert(s) queued for delivery now" + (chosen.isEmpty ? "" : ":\n  " + chosen.joined(separator: "\n  ")))
        if chosen.isEmpty { exit(1) }
    } catch {
        Log.error("replay failed: \(error)")
        exit(1)
    }
}

let lock: FileLock
switch ServiceMain.lock(lockPath) {
case let .success(held): lock = held
case let .failure(other):
    if case .replay = options.command, let pid = Int32(other.holder) {
        kill(pid, SIGUSR1)
        print("the notifier service (pid \(pid)) is delivering them now")
        exit(0)
    }
    if case .deliver(once: true) = options.command {
        Log.notice("a notifier service (pid \(other.holder)) holds \(lockPath); it delivers the outbox")
        exit(0)
    }
    Log.error("another notifier (pid \(other.holder)) already delivers from \(spool.root): one notifier per spool")
    exit(1)
}

let dispatcher = Dispatcher(spool: spool, config: config)
dispatcher.recover()
let once: Bool
if case let .deliver(flag) = options.command { once = flag } else { once = true }
let main = ServiceMain(name: "notifier", watching: [spool.outbox.newDirectory])
Log.info("notifier started on \(spool.root): channels \(dispatcher.channels.keys.sorted().joined(separator: ", "))" + (once ? " (once)" : ""))
exit(await main.run(
    once: once, lock: lock,
    reload: ServiceMain.reloadConfig(options.common) { dispatcher.reload($0) },
    status: { "delivered \(dispatcher.delivered), deferred \(dispatcher.deferredCount), failed \(dispatcher.failedCount)" },
    pass: { await dispatcher.pass(stopping: { main.runner.isStopping }) }))
