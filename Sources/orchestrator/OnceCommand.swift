// OnceCommand: `orchestrator once` — one full cycle in the foreground. Probers for every shard, then the
// analyzer and the notifier once each as child processes; prints the report path and the report. Exit 0
// when every interface is ok, 1 when failures were found (or shards failed, or interface files did not load),
// 2 when the config is wrong.

import Foundation
import Shared

enum OnceCommand {
    static func run(_ options: Options) async -> Int32 {
        guard let deployment = loadDeployment(options) else { return 2 }
        let (plan, record) = await probe(deployment, options)
        await runOnce("analyzer", deployment)
        guard await printReport(of: plan, deployment) else { return 1 }
        // The notifier goes last: what it prints (with no channel configured) comes after the report.
        await runOnce("notifier", deployment)
        let summary = RunSummary.history(at: deployment.spool.historyPath, where: { $0.run == plan.run }).last
        let clean =
            record.failedShards.isEmpty && (summary.map { $0.stats.failed == 0 && $0.stats.missingShards.isEmpty && $0.stats.pool == nil } ?? false)
        return clean ? 0 : 1
    }

    /// The configuration with its spool ready, the location known and the programs present; nil (logged) when not.
    private static func loadDeployment(_ options: Options) -> Deployment? {
        let deployment: Deployment
        do {
            deployment = try Deployment.load(options, needsPool: false)
            try deployment.spool.prepare()
        } catch let error as ConfigError {
            for issue in error.issues { Log.error("\(issue)") }
            Log.error("configuration invalid: \(error.issues.count) problem(s)")
            return nil
        } catch {
            Log.error("\(error)")
            return nil
        }
        if let problem = LocationSettings.problem(options.location, config: deployment.config) {
            Log.error(problem)
            return nil
        }
        if let missing = Programs.missing(["prober", "analyzer", "notifier"]) {
            Log.error(missing)
            return nil
        }
        return deployment
    }

    /// A manual run of every shard here, stopped by SIGTERM or SIGINT; its plan and record.
    private static func probe(_ deployment: Deployment, _ options: Options) async -> (RunPlan, RunRecord) {
        let now = Date()
        let shards = deployment.config.scheduler.probers
        var plan = RunPlan(
            run: RunID.manual(at: now), trigger: "manual", shardCount: shards, localShards: Shard.all(shards),
            startedAt: now, deadline: now.addingTimeInterval(deployment.config.scheduler.maxRuntime))
        plan.pool = deployment.snapshotter().snapshot(now: now)
        plan.location = options.location
        let supervisor = RunSupervisor(plan: plan, deployment: deployment)
        let watcher = SignalWatcher([SIGTERM, SIGINT]) { number in
            Log.notice("\(SignalWatcher.name(number)): stopping the probers")
            Task {
                await supervisor.terminate(grace: deployment.config.scheduler.gracefulShutdown, reason: "interrupted (\(SignalWatcher.name(number)))")
            }
        }
        let record = await supervisor.execute()
        _ = watcher
        // What supervising the probers cost the orchestrator itself (its children are not counted).
        let cpu = String(format: "%.2f", Memory.cpuSeconds)
        Log.info("run \(plan.run): \(plan.localShards.count) prober(s) supervised; orchestrator CPU \(cpu) s\(Memory.peakNote)")
        return (plan, record)
    }

    /// Prints the run's report path and report; false (logged) when there is no report.
    private static func printReport(of plan: RunPlan, _ deployment: Deployment) async -> Bool {
        let reportPath = deployment.spool.reportsDirectory + "/" + RunFileName.report(run: plan.run)
        // An analyzer service on the same spool may be the one writing the report: give it a moment.
        let end = Date().addingTimeInterval(60)
        while FileIO.status(reportPath) == nil, Date() < end { try? await Task.sleep(nanoseconds: 100_000_000) }
        guard let report = try? FileIO.read(reportPath) else {
            Log.error("no report for run \(plan.run) at \(reportPath)")
            return false
        }
        // The report quotes response bodies: their control characters (ESC, a terminal-title sequence) are shown
        // escaped, never sent to the terminal.
        print(TerminalText.escape("Report: \(reportPath)\n"))
        print(TerminalText.escape(String(decoding: report, as: UTF8.self)))
        fflushStandardOutput()
        return true
    }
}

private func runOnce(_ program: String, _ deployment: Deployment) async {
    do {
        let child = try ChildProcess(executable: Programs.path(program), arguments: deployment.childArguments + ["--once"])
        let ended = await child.exit()
        if !ended.succeeded { Log.error("\(program) \(ended)") }
    } catch {
        Log.error("cannot start \(program): \(error)")
    }
}

/// Flushes buffered `print` output before a child writes to the same stdout.
private func fflushStandardOutput() {
    fflush(nil)
}
