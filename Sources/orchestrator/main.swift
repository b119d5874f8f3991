// orchestrator: keeps the schedule, starts one run per tick, spawns and supervises the probers of this host's
// shards, and guarantees every shard ends in exactly one batch. Also the operator's commands: once, check,
// trigger, status, spool, demo. See `orchestrator --help`.

import Foundation
import Shared

await Program.main("orchestrator") {
    let options = try Startup.options(Options.parse)
    switch options.command {
    case .check: return CheckCommand.run(options)
    case .trigger: return TriggerCommand.run(options)
    case let .status(json): return StatusCommand.run(options, json: json)
    case let .spool(action): return SpoolCommands.run(action, options)
    case let .silence(action): return SilenceCommands.run(action, options)
    case .once: return await OnceCommand.run(options)
    case let .demo(keep): return await DemoCommand.run(keep: keep)
    case let .mockAPI(port, latency): return MockAPI.serve(port: port, latency: latency)
    case .site: return ServeCommand.run(options)
    case let .importSpec(request): return ImportCommand.run(request, options)
    case .service: return try await Service.main(options)
    }
}
