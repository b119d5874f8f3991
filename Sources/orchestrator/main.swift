// orchestrator: keeps the schedule, starts one run per tick, spawns and supervises the probers of this host's
// shards, and guarantees every shard ends in exactly one batch. Also the operator's commands: once, check,
// trigger, status, spool, demo. See `orchestrator --help`.

import Foundation
import Shared

Log.setup(program: "orchestrator")
let options = Startup.options(Options.parse)

switch options.command {
case .check: exit(CheckCommand.run(options))
case .trigger: exit(TriggerCommand.run(options))
case let .status(json): exit(StatusCommand.run(options, json: json))
case let .spool(action): exit(SpoolCommands.run(action, options))
case let .silence(action): exit(SilenceCommands.run(action, options))
case .once: exit(await OnceCommand.run(options))
case let .demo(keep): exit(await DemoCommand.run(keep: keep))
case let .mockAPI(port, latency): exit(MockAPI.serve(port: port, latency: latency))
case .serve: break
}

let deployment: Deployment
do {
    deployment = try Deployment.load(options)
    try deployment.spool.prepare()
} catch {
    Log.configurationProblems(error, "not started")
    exit(2)
}
if let missing = Programs.missing(["prober"]) {
    Log.error(missing)
    exit(2)
}
// Another host's live orchestrator on the same shards would double the probing: refuse, saying which.
let conflicts = ServiceState.conflicts(in: deployment.spool.stateDirectory, hosts: options.hosts, hostIndex: options.hostIndex)
if !conflicts.isEmpty {
    for conflict in conflicts { Log.error(conflict) }
    exit(1)
}
let lock: FileLock
switch ServiceMain.lock(deployment.lockFile) {
case let .success(held): lock = held
case .failure:
    let pid = ServiceState.read(deployment.stateFile)?.pid.description ?? "?"
    Log.error("another orchestrator (pid \(pid)) already runs on this host for \(deployment.spool.root)")
    exit(1)
}
try? FileIO.makeDirectory(deployment.triggerDirectory, mode: deployment.spool.permissions.directoryMode)
for leftover in FileIO.listIfPresent(deployment.triggerDirectory) { try? FileIO.unlink(deployment.triggerDirectory + "/" + leftover) }

let service = Service(deployment: deployment, options: options)
let main = ServiceMain(name: "orchestrator", watching: [deployment.triggerDirectory])
service.wake = { main.runner.wake() }
if let idle = deployment.config.monitor.schedule.idleWarning(after: Date()) { Log.warning(idle) }
Log.info("orchestrator started on \(deployment.spool.root) with \(deployment.pool.interfaces.count) interfaces")
exit(await main.run(once: false, lock: lock, reload: { service.reload(options) }, status: { service.statusLine },
                    pass: { await service.pass() }, stop: { await service.shutdown() }))
