// OrchestratorFixture: a deployment for orchestrator tests — config, interface pool on a TestServer, spool —
// and helpers to run the real orchestrator (and the programs it starts) as child processes.

import Foundation
import Shared
import TestSupport
import Testing

struct OrchestratorFixture {
    let dir = TemporaryDirectory("orchestrator")
    let server: TestServer

    init(scheduler: String = "probers: 1", monitor: String = "interval: 1h", alerts: String = "mode: change") throws {
        server = try TestServer()
        server.route("/ok", reply: .json(200, #"{"code":0}"#))
        try dir.write(
            "config.yaml",
            ConfigText.section(
                "monitor", defaults: [("timeout", "2"), ("retry_attempts", "0"), ("interface_pool", "pool")],
                overrides: monitor)
                + ConfigText.section("scheduler", defaults: [("start_delay", "0")], overrides: scheduler) + """
                    services:
                      svc:
                        base_url: \(server.baseURL)
                    alerts:
                      \(alerts)
                    spool:
                      dir: spool
                    """)
    }

    var spool: Spool { Spool(root: dir.url("spool")) }
    var config: String { dir.url("config.yaml") }

    func interface(_ id: String, _ body: String) throws {
        try dir.write("pool/svc/\(id).yaml", "name: \(id)\n\(body)\n")
    }

    /// `count` interfaces answering `/ok`.
    func healthyInterfaces(_ count: Int, prefix: String = "i") throws {
        for i in 0..<count { try interface("\(prefix)\(i)", "url: /ok?i=\(i)") }
    }

    /// An interface id of the form `svc/<prefix>N` that lands in shard `shard`.
    static func id(in shard: Shard, prefix: String) -> String {
        var n = 0
        while Shard.index(of: "svc/\(prefix)\(n)", count: shard.count) != shard.index { n += 1 }
        return "\(prefix)\(n)"
    }

    func run(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 120) throws -> ProgramRun {
        try Programs.run("orchestrator", arguments + ["--config", config], environment: environment, timeout: timeout)
    }

    func startService(_ arguments: [String] = [], environment: [String: String] = [:], stderr: LineCollector? = nil) throws -> ChildProcess {
        try Programs.start("orchestrator", ["--config", config] + arguments, environment: environment, stderr: stderr)
    }

    func analyzeOnce() throws -> ProgramRun {
        try Programs.run("analyzer", ["--config", config, "--once"])
    }

    var reports: [String] { FileIO.listIfPresent(spool.reportsDirectory) }

    /// Batches (and stubs) anywhere in results/, as (name, end).
    func batches() throws -> [(String, BatchEnd)] {
        try [spool.results.newDirectory, spool.results.curDirectory, spool.archiveDirectory].flatMap { dir in
            try FileIO.listIfPresent(dir).filter { !$0.hasSuffix(".run.ndjson") }.map { name in
                (name, try BatchFile.read(dir + "/" + name) { _, _ in }.end)
            }
        }
    }

    func manifests() -> [String] {
        [spool.runs.newDirectory, spool.runs.curDirectory, spool.archiveDirectory].flatMap {
            FileIO.listIfPresent($0).filter { $0.hasSuffix(".run.ndjson") }
        }
    }
}
