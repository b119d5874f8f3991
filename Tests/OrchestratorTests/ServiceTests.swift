// The orchestrator service with real processes: schedule ticks, trigger, SIGTERM mid-run, two hosts on one
// spool, status, sd_notify, and journald-style logging.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Orchestrator service", .ownThread)
struct ServiceTests {
    @Test("trigger starts a manual run within a second and the service logs it")
    func trigger() throws {
        let f = try OrchestratorFixture()
        try f.healthyInterfaces(2)
        let errors = LineCollector()
        let service = try f.startService(stderr: errors)
        defer {
            service.signal(SIGKILL)
            _ = service.wait()
        }
        let stateFile = f.spool.stateDirectory + "/orchestrator-\(SpoolName.host).json"
        #expect(eventually(timeout: 10) { FileIO.status(stateFile) != nil })
        #expect(f.manifests().isEmpty, "an hourly schedule starts nothing yet")
        let trigger = try f.run(["trigger"])
        #expect(trigger.exitCode == 0, "\(trigger.stderr)")
        #expect(trigger.stdout.contains("run requested: the orchestrator (pid \(service.pid)) starts it now"))
        #expect(eventually(timeout: 1.0) { !f.manifests().isEmpty }, "the run starts within a second")
        #expect(eventually(timeout: 10) { errors.text.contains("manual run requested") })
        #expect(eventually(timeout: 20) { (try? f.batches().count) == 1 })
        let status = try f.run(["status"])
        #expect(status.stdout.contains("orchestrator on \(SpoolName.host): running, pid \(service.pid)"), "\(status.stdout)")
        #expect(eventually(timeout: 10) { (try? f.run(["status"]).stdout.contains("(manual)")) == true })
        service.signal(SIGTERM)
        #expect(service.wait(timeout: 20) == .exited(0))
        #expect(try f.run(["status"]).stdout.contains("not running"))
    }

    @Test("scheduled ticks run on the clock and SIGTERM mid-run ends cleanly with nothing half-written")
    func sigtermMidRun() throws {
        // graceful_shutdown 15 s: the probes in flight (3 s each) finish and publish, however loaded the machine.
        let f = try OrchestratorFixture(scheduler: "probers: 2\ngraceful_shutdown: 15s", monitor: "interval: 2s\ntimeout: 30")
        f.server.route("/slow", reply: .text(200, "ok", delay: 3))
        for i in 0..<6 { try f.interface("slow\(i)", "url: /slow?i=\(i)") }
        let errors = LineCollector()
        let service = try f.startService(stderr: errors)
        defer {
            service.signal(SIGKILL)
            _ = service.wait()
        }
        #expect(eventually(timeout: 10) { f.server.hits("/slow") >= 2 }, "\(errors.text)")
        let manifest = try #require(f.manifests().first)
        #expect(manifest.contains("-tick."), "a scheduled run: \(manifest)")
        service.signal(SIGTERM)
        #expect(service.wait(timeout: 40) == .exited(0), "\(errors.text)")
        let run = String(manifest.prefix { $0 != "." })
        let ends = try f.batches().map(\.1).filter { $0.run == run }
        #expect(ends.count == 2, "every shard ended in exactly one batch: \(ends)")
        for end in ends {
            if case let .trailer(trailer) = end { #expect(trailer.interrupted == true) }
        }
        for queue in [f.spool.runs, f.spool.results, f.spool.outbox] {
            #expect(FileIO.listIfPresent(queue.tmpDirectory).isEmpty, "nothing half-written in \(queue.name)/tmp")
        }
        // Nothing starts on the way out: every run announced has both shards ended (the shutdown once ran a whole
        // pass, which started the next run when its tick fell within the grace period and orphaned its probers).
        for announced in f.manifests() {
            let id = String(announced.prefix { $0 != "." })
            #expect(try f.batches().map(\.1).filter { $0.run == id }.count == 2, "run \(id) announced but not ended: \(errors.text)")
        }
        #expect(errors.text.contains("stopping: run \(run) gets 15s"))
    }

    @Test("a tick that comes while a run is going is skipped, never overlapped")
    func skippedTick() throws {
        let f = try OrchestratorFixture(monitor: "interval: 1s\ntimeout: 10")
        f.server.route("/slow", reply: .text(200, "ok", delay: 2.5))
        try f.interface("slow", "url: /slow")
        let errors = LineCollector()
        let service = try f.startService(stderr: errors)
        defer {
            service.signal(SIGKILL)
            _ = service.wait()
        }
        #expect(
            eventually(timeout: 15) {
                errors.text.contains("ran nothing: the previous run was still going (run ") && errors.text.contains(" still going)")
            }, "\(errors.text)")
        let counter = Counter()
        f.server.route("/slow") { _ in
            _ = counter.increment()
            counter.enter()
            usleep(500_000)
            counter.leave()
            return .text(200, "ok")
        }
        // Probes of three more runs happen, one at a time (at interval 1s, each tick meets the previous run still going).
        #expect(eventually(timeout: 30) { counter.count >= 3 })
        #expect(counter.maximum == 1, "one prober at a time: runs never overlap")
    }

    @Test("two orchestrators with --hosts 2 on one spool yield one complete report per run")
    func twoHosts() throws {
        let f = try OrchestratorFixture(scheduler: "probers: 4", monitor: "interval: 2s")
        try f.healthyInterfaces(16)
        let logs = LineCollector()
        let a = try f.startService(["--hosts", "2", "--host-index", "1"], environment: ["VIGIL_HOST": "host-a"], stderr: logs)
        let b = try f.startService(["--hosts", "2", "--host-index", "2"], environment: ["VIGIL_HOST": "host-b"], stderr: logs)
        defer {
            for p in [a, b] {
                p.signal(SIGKILL)
                _ = p.wait()
            }
        }
        // Two full ticks on both hosts.
        #expect(
            eventually(timeout: 20) {
                let byRun = Dictionary(grouping: (try? f.batches()) ?? [], by: { $0.1.run })
                return byRun.values.filter { $0.count == 4 }.count >= 2
            })
        for p in [a, b] { p.signal(SIGTERM) }
        #expect(a.wait(timeout: 20) == .exited(0) && b.wait(timeout: 20) == .exited(0))
        let batches = try f.batches()
        let names = batches.map(\.0)
        #expect(names.contains { $0.contains(".host-a.prober-") } && names.contains { $0.contains(".host-b.prober-") })
        for (_, list) in Dictionary(grouping: batches, by: { $0.1.run }) where list.count == 4 {
            let hostA = list.filter { $0.0.contains("host-a") }.map(\.1.shard.index).sorted()
            #expect(hostA == [1, 3], "host 1 of 2 runs shards 1 and 3")
        }
        #expect(try f.analyzeOnce().exitCode == 0)
        let complete = Set(batches.map(\.1.run)).filter { run in batches.filter { $0.1.run == run }.count == 4 }
        for run in complete {
            #expect(f.reports.contains("\(run).md"))
            #expect(try f.dir.read("spool/reports/\(run).md").contains("| Shards | 4 of 4 reported |"))
        }
        // Ticks before both hosts were up have only one host's shards (they wait for their deadline). From the
        // first tick both ran, a run is complete — unless one host was still busy with the previous run (a
        // loaded machine), and then that host says it skipped the tick. Every complete run has its one report.
        let first = try #require(complete.min())
        for run in Set(batches.map(\.1.run)).filter({ $0 >= first }).subtracting(complete) {
            let tick = try #require(RunID.date(of: run))
            #expect(
                logs.text.contains("tick \(Timestamp.format(tick)) ran nothing: the previous run was still going"),
                "run \(run) is incomplete and no host said why: \(logs.text)")
        }
        #expect(Set(f.reports) == Set(complete.map { "\($0).md" }), "one report per complete run")
    }

    @Test("sd_notify: READY, STATUS and WATCHDOG while running, STOPPING at the end", arguments: ["orchestrator", "analyzer", "notifier"])
    func systemdNotify(_ program: String) throws {
        let f = try OrchestratorFixture()
        try f.healthyInterfaces(1)
        let socket = f.dir.url("notify.sock")
        let receiver = try DatagramReceiver(socket)
        let child = try Programs.start(
            program, ["--config", f.config],
            environment: ["NOTIFY_SOCKET": socket, "WATCHDOG_USEC": "1000000"])
        defer {
            child.signal(SIGKILL)
            _ = child.wait()
        }
        var messages: [String] = []
        #expect(
            eventually(timeout: 10) {
                messages += receiver.drain(timeout: 0.05)
                return messages.contains { $0.hasPrefix("READY=1") } && messages.filter { $0 == "WATCHDOG=1" }.count >= 2
                    && messages.contains { $0.hasPrefix("STATUS=") }
            }, "\(messages)")
        child.signal(SIGTERM)
        #expect(child.wait(timeout: 15) == .exited(0))
        messages += receiver.drain(timeout: 0.2)
        #expect(messages.last == "STOPPING=1", "\(messages.suffix(3))")
    }

    @Test("under journald every log line carries a <priority> prefix on stderr and stdout carries only data")
    func journaldLogging() throws {
        let f = try OrchestratorFixture()
        try f.healthyInterfaces(2)
        let once = try f.run(["once"], environment: ["JOURNAL_STREAM": "8:12345"])
        #expect(once.exitCode == 0)
        let lines = once.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0.range(of: #"^<[2-7]>"#, options: .regularExpression) != nil }, "\(lines.prefix(5))")
        #expect(once.stdout.hasPrefix("Report: "))
        #expect(!once.stdout.contains("<6>"))
    }
}

@Suite("Orchestrator reload", .ownThread)
struct ReloadTests {
    @Test("SIGHUP with a broken config keeps the old one and says why; with a good one it takes the new schedule")
    func reload() throws {
        let f = try OrchestratorFixture()
        try f.healthyInterfaces(1)
        let errors = LineCollector()
        let service = try f.startService(stderr: errors)
        defer {
            service.signal(SIGKILL)
            _ = service.wait()
        }
        #expect(eventually(timeout: 10) { errors.text.contains("orchestrator started") })
        let good = try f.dir.read("config.yaml")
        try f.dir.write("config.yaml", good.replacingOccurrences(of: "interval: 1h", with: "interval: often"))
        service.signal(SIGHUP)
        #expect(eventually(timeout: 10) { errors.text.contains("problem(s); reload failed, keeping the old configuration") }, "\(errors.text)")
        // One event per line: the problem is a line of its own, with file:line, and no line holds an escaped break.
        #expect(errors.lines.contains { $0.contains("config.yaml:") && $0.contains("monitor.interval: expected a duration") }, "\(errors.text)")
        #expect(!errors.lines.contains { $0.contains("\\n") }, "\(errors.text)")
        #expect(service.termination == nil, "still running")
        try f.dir.write("config.yaml", good.replacingOccurrences(of: "interval: 1h", with: "interval: 30m"))
        // The pool changes too: one interface renamed (a new id, and one gone), which the log says.
        try FileManager.default.moveItem(atPath: f.dir.url("pool/svc/i0.yaml"), toPath: f.dir.url("pool/svc/renamed.yaml"))
        service.signal(SIGHUP)
        #expect(eventually(timeout: 10) { errors.text.contains("configuration reloaded") && errors.text.contains("schedule every 30m") })
        #expect(errors.text.contains("interfaces new in the pool (1): svc/renamed"), "\(errors.text)")
        #expect(errors.text.contains("interfaces gone from the pool (1): svc/i0"), "\(errors.text)")
        service.signal(SIGTERM)
        #expect(service.wait(timeout: 15) == .exited(0))
    }
}
