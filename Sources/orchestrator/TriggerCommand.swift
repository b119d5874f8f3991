// TriggerCommand: `orchestrator trigger` asks the running service to start a run now: it drops a file in
// state/trigger/ (which the service watches) and sends SIGUSR1 to the pid in the service's state file.

import Foundation
import Shared

enum TriggerCommand {
    static func run(_ options: Options) -> Int32 {
        guard let deployment = Deployment.loadOrReport(options, needsPool: false) else { return 2 }
        guard let state = ServiceState.read(deployment.stateFile), state.isAlive else {
            Log.error(
                "no orchestrator service is running on this host (\(deployment.stateFile)); "
                    + "start it, or run `orchestrator once` for a run in the foreground")
            return 1
        }
        do {
            try FileIO.makeDirectory(deployment.triggerDirectory, mode: deployment.spool.permissions.directoryMode)
            let name = SpoolName.unique(program: "trigger")
            try FileIO.replaceAtomically(deployment.triggerDirectory + "/" + name, with: Array("\(Timestamp.format(Date()))\n".utf8))
        } catch {
            Log.error("cannot write the trigger file: \(error)")
            return 1
        }
        kill(state.pid, SIGUSR1)
        print("run requested: the orchestrator (pid \(state.pid)) starts it now" + (state.currentRun.map { ", after run \($0) ends" } ?? ""))
        return 0
    }
}
