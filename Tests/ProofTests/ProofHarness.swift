// ProofHarness: a whole Vigil deployment under test — an API of N interfaces whose failures change from run to
// run, a token endpoint, a WeCom-style receiver, the analyzer and notifier as services, and probers started
// per shard — plus seeded chaos that SIGKILLs the programs at random moments and restarts them. The test
// plays the orchestrator's part (manifests, one prober per shard, restarting a killed prober), so every
// kill point of the prober is reachable.

import Foundation
import Shared
import TestSupport
import Testing

/// The secrets of the proof deployment, grepped for everywhere at the end.
enum ProofSecrets {
    static let password = "proof-Password-5519"
    static let webhookKey = "proof-webhook-KEY-8841"
    static let headerToken = "proof-header-TOKEN-2207"
    static let tokenPrefix = "proof-bearer-"
}

/// The programs of a proof run, its test server's answers, and what it counted. Unchecked Sendable: the
/// server's threads, the prober threads and the test share it, and every stored `var` is read and written only
/// while holding `lock`.
final class ProofHarness: @unchecked Sendable {
    let dir = TemporaryDirectory("proof")
    let server: TestServer
    let interfaces: Int
    let shards: Int
    /// Every log line of every program started here.
    let logs = LineCollector()
    private let lock = NSLock()
    private var currentRun = 0
    private var receiverFailing = false
    private var received: [String] = []
    private var issuedTokens: [String] = []
    private var services: [String: ChildProcess] = [:]
    private var killCounts: [String: Int] = [:]
    /// How many times each program was killed.
    var kills: [String: Int] { lock.withLock { killCounts } }

    init(interfaces: Int, shards: Int, notify: String = "") throws {
        self.interfaces = interfaces
        self.shards = shards
        server = try TestServer()
        try dir.write(
            "config.yaml",
            """
            monitor:
              timeout: 5
              retry_attempts: 0
              concurrency: 50
              interface_pool: pool
            scheduler:
              probers: \(shards)
              max_runtime: 600
            services:
              api:
                base_url: \(server.baseURL)
                headers: {X-Api-Token: "${PROOF_HEADER_TOKEN}"}
                auth:
                  url: /token
                  body: {user: vigil, password: "${PROOF_PASSWORD}"}
                  token_field: access_token
            alerts:
              mode: change
              repeat_interval: 1h
            \(ConfigText.section("notify", defaults: [("timeout", "2s"), ("quick_retries", "0"), ("backoff_min", "200ms"), ("backoff_max", "1s")],
                             overrides: notify))
              wecom:
                webhook_url: "\(server.url("/cgi-bin/webhook/send"))?key=${PROOF_WEBHOOK_KEY}"
                mentioned_list: [oncall]
            spool:
              dir: spool
            """)
        var list = "interfaces:\n"
        for i in 0..<interfaces { list += "  - {id: i\(i), name: \"接口 \(i)\", url: \"/p?i=\(i)\", auth: true}\n" }
        try dir.write("pool/api/all.yaml", list)
        try spool.prepare()
        server.route("/token") { [self] request in
            guard request.bodyText.contains(ProofSecrets.password) else { return .text(401, "bad credentials") }
            let token = lock.withLock { () -> String in
                issuedTokens.append(ProofSecrets.tokenPrefix + "\(issuedTokens.count)")
                return issuedTokens.last!
            }
            return .json(200, #"{"access_token":"\#(token)","expires_in":3600}"#)
        }
        server.route("/p") { [self] request in
            let i = Int(request.query["i"] ?? "") ?? 0
            let run = lock.withLock { currentRun }
            // Interfaces fail in changing groups, so runs bring new failures and recoveries; a failure echoes
            // the request's credentials back, to prove they are masked downstream.
            if ProofHarness.fails(interface: i, run: run) {
                return .json(
                    500, #"{"error":"boom","auth":"\#(request.header("Authorization") ?? "")","key":"\#(request.header("X-Api-Token") ?? "")"}"#)
            }
            return .json(200, #"{"code":0}"#)
        }
        server.route("/cgi-bin/webhook/send") { [self] request in
            let failing = lock.withLock { receiverFailing }
            if failing { return .json(500, #"{"errcode":-1,"errmsg":"system busy"}"#) }
            lock.withLock { received.append(request.bodyText) }
            return .json(200, #"{"errcode":0,"errmsg":"ok"}"#)
        }
    }

    static func fails(interface i: Int, run: Int) -> Bool { i % 25 == run % 5 }

    var spool: Spool { Spool(root: dir.url("spool")) }
    var environment: [String: String] {
        ["PROOF_PASSWORD": ProofSecrets.password, "PROOF_WEBHOOK_KEY": ProofSecrets.webhookKey, "PROOF_HEADER_TOKEN": ProofSecrets.headerToken]
    }

    static func runID(_ n: Int) -> String { RunID.scheduled(tick: Date(timeIntervalSince1970: 1_795_359_600 + Double(n) * 900)) }

    func setReceiverFailing(_ failing: Bool) { lock.withLock { receiverFailing = failing } }
    var receivedMessages: [String] { lock.withLock { received } }
    var tokens: [String] { lock.withLock { issuedTokens } }

    private func start(_ program: String, _ arguments: [String]) throws -> ChildProcess {
        try Programs.start(
            program, ["--config", dir.url("config.yaml")] + arguments, environment: environment, stdout: .discard,
            stderr: logs)
    }

    func startService(_ program: String) throws {
        let child = try start(program, [])
        lock.withLock { services[program] = child }
    }

    /// SIGKILLs a running service and starts it again (it recovers its claims at start-up).
    func killAndRestart(_ program: String) throws {
        guard let child = lock.withLock({ services[program] }) else { return }
        child.signal(SIGKILL)
        _ = child.wait()
        lock.withLock { killCounts[program, default: 0] += 1 }
        try startService(program)
    }

    func stopServices() {
        let all = lock.withLock { services }
        for child in all.values { child.signal(SIGTERM) }
        for child in all.values {
            if child.wait(timeout: 30) == nil {
                child.signal(SIGKILL)
                _ = child.wait()
            }
        }
        lock.withLock { services = [:] }
    }

    /// Run `n`: the manifest, then one prober per shard; with `chaos`, a prober may be SIGKILLed at a random
    /// moment, and is then started again (as a supervisor would) until it publishes.
    func performRun(_ n: Int, rng: inout SeededRandom, chaos: Bool) throws {
        lock.withLock { currentRun = n }
        let run = ProofHarness.runID(n)
        let startedAt = Date()
        let manifest = RunManifest(
            run: run, shards: shards, startedAt: startedAt, deadline: startedAt.addingTimeInterval(600),
            trigger: "schedule")
        try spool.runs.publish(name: RunFileName.manifest(run: run), bytes: try RecordCoding.encode(manifest) + [10])
        let delays = Shard.all(shards).map { _ in
            chaos && Double.random(in: 0..<1, using: &rng) < 0.35 ? Double.random(in: 0.05..<1.2, using: &rng) : nil
        }
        let errors = LineCollector()
        DispatchQueue.concurrentPerform(iterations: shards) { index in
            let shard = Shard(index: index + 1, count: shards)
            var killDelay = delays[index]
            for _ in 0..<5 {
                guard let child = try? start("prober", ["--run", run, "--shard", shard.description]) else { continue }
                if let delay = killDelay, child.wait(timeout: delay) == nil {
                    child.signal(SIGKILL)
                    _ = child.wait()
                    lock.withLock { killCounts["prober", default: 0] += 1 }
                    // As the orchestrator does: the dead prober's unfinished tmp file goes.
                    let prefix = RunFileName.batchPrefix(run: run, shard: shard)
                    for name in FileIO.listIfPresent(spool.results.tmpDirectory) where name.hasPrefix(prefix) {
                        try? FileIO.unlink(spool.results.tmpDirectory + "/" + name)
                    }
                    killDelay = nil
                    continue
                }
                if child.wait() == .exited(0) { return }
            }
            errors.append("shard \(shard) of \(run) never published")
        }
        if !errors.lines.isEmpty { throw SpoolError.invalidFile(path: run, reason: errors.text) }
    }

    /// Runs whose summary the analyzer has written.
    func history() -> [RunSummary] { RunSummary.history(at: spool.historyPath) }

    /// No queue holds anything in tmp/ or cur/, and nothing waits to be delivered.
    var settled: Bool {
        let queues = [spool.runs, spool.results, spool.outbox]
        return queues.allSatisfy { FileIO.listIfPresent($0.tmpDirectory).isEmpty && FileIO.listIfPresent($0.curDirectory).isEmpty }
            && spool.runs.pending().isEmpty && spool.results.pending().isEmpty && spool.outbox.pending().isEmpty
            && FileIO.listIfPresent(spool.deferredDirectory).isEmpty
    }

    /// What keeps the spool from being settled (for the failure message).
    var unsettled: String {
        var parts: [String] = []
        for queue in [spool.runs, spool.results, spool.outbox] {
            for (what, names) in [
                ("tmp", FileIO.listIfPresent(queue.tmpDirectory)), ("cur", FileIO.listIfPresent(queue.curDirectory)), ("new", queue.pending()),
            ] where !names.isEmpty {
                parts.append("\(queue.name)/\(what): \(names.joined(separator: ", "))")
            }
        }
        let deferred = FileIO.listIfPresent(spool.deferredDirectory)
        if !deferred.isEmpty { parts.append("outbox/deferred: \(deferred.joined(separator: ", "))") }
        return parts.joined(separator: "; ")
    }

    /// Everything secret that any part of this deployment knew.
    var secrets: [String] { [ProofSecrets.password, ProofSecrets.webhookKey, ProofSecrets.headerToken] + tokens }

    /// Text of every spool file except the token cache (0600, the designed home of tokens).
    func spoolText() -> String {
        // Private inputs (mode 0700): tokens, and the pool snapshot's copies of the operator's interface files.
        spool.allFiles().filter { !$0.hasPrefix("state/tokens/") && !$0.hasPrefix("state/pool/") }
            .compactMap { try? FileIO.read(spool.root + "/" + $0) }.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
    }
}

extension NSLock {
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}
