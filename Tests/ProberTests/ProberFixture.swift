// ProberFixture: a temporary deployment for prober tests — a config and an interface pool pointing at a
// TestServer, a spool, and helpers to run the real prober binary and read the batches it published.

import Foundation
import Shared
import TestSupport
import Testing

@testable import prober

struct ProberFixture {
    let dir = TemporaryDirectory("prober")
    let server: TestServer

    /// `monitor` lines ("key: value") replace the defaults of the same key.
    init(monitor: String = "", services: String = "", server: TestServer? = nil) throws {
        self.server = try server ?? TestServer()
        let monitorSection = ConfigText.section(
            "monitor",
            defaults: [
                ("timeout", "2"), ("retry_attempts", "2"), ("retry_delay", "10ms"),
                ("interface_pool", "pool"),
            ], overrides: monitor)
        try dir.write(
            "config.yaml",
            monitorSection + """
                services:
                  svc:
                    base_url: \(self.server.baseURL)
                \(services.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
                spool:
                  dir: spool
                """)
    }

    /// Adds `pool/<path>.yaml`.
    func interface(_ path: String, _ yaml: String) throws {
        try dir.write("pool/\(path).yaml", yaml)
    }

    var spool: Spool { Spool(root: dir.url("spool")) }

    func runProber(_ arguments: [String] = [], environment: [String: String] = [:]) throws -> ProgramRun {
        try Programs.run("prober", ["--config", dir.url("config.yaml")] + arguments, environment: environment, timeout: 60)
    }

    func startProber(_ arguments: [String] = [], stderr: LineCollector? = nil) throws -> ChildProcess {
        try Programs.start("prober", ["--config", dir.url("config.yaml")] + arguments, stderr: stderr)
    }

    /// Every batch in results/new/ with its results, in the order the probers finished them (run ids made
    /// within the same second do not sort by time).
    func batches() throws -> [(trailer: BatchTrailer, results: [ProbeResult])] {
        try spool.results.pending().map { name -> (trailer: BatchTrailer, results: [ProbeResult]) in
            var results: [ProbeResult] = []
            let summary = try BatchFile.read(spool.results.newDirectory + "/" + name) { result, _ in results.append(result) }
            guard case let .trailer(trailer) = summary.end else { throw SpoolError.invalidFile(path: name, reason: "not a result batch") }
            #expect(summary.badLines.isEmpty)
            return (trailer, results)
        }.sorted { $0.trailer.finishedAt < $1.trailer.finishedAt }
    }

    /// Results of the newest batch by interface id.
    func latestResults() throws -> [String: ProbeResult] {
        guard let last = try batches().last else { return [:] }
        return Dictionary(uniqueKeysWithValues: last.results.map { ($0.id, $0) })
    }

    /// The raw text of every file under the spool except the token cache (which holds tokens by design).
    func spoolText() throws -> String {
        // The prober's private inputs (mode 0700) hold what the operator wrote: tokens, and the pool snapshot's
        // copies of the interface files (a literal user:pass@ in a URL is there as written). Records never do.
        try spool.allFiles().filter { !$0.hasPrefix("state/tokens/") && !$0.hasPrefix("state/pool/") }.map { try dir.read("spool/" + $0) }.joined(
            separator: "\n")
    }
}

/// A token endpoint that issues `tok-1`, `tok-2`, … and counts its hits.
func tokenRoute(expiresIn: Int = 3600, delay: TimeInterval = 0) -> TestServer.Route {
    let counter = Counter()
    return { request in
        let n = counter.increment()
        return .json(200, #"{"code":0,"data":{"access_token":"tok-\#(n)","expires_in":\#(expiresIn)}}"#, delay: delay)
    }
}

extension ProberFixture {
    /// Moves the breaker's recorded times `seconds` into the past, as if that much time had passed.
    func ageBreaker(by seconds: TimeInterval) throws {
        let path = self.spool.stateDirectory + "/breaker.json"
        var file = try RecordDecoder().decode(BreakerFile.self, from: try FileIO.read(path))
        for (id, var entry) in file.interfaces {
            entry.openedAt = entry.openedAt?.addingTimeInterval(-seconds)
            entry.openUntil = entry.openUntil?.addingTimeInterval(-seconds)
            file.interfaces[id] = entry
        }
        try FileIO.replaceAtomically(path, with: try RecordCoding.encode(file) + [10])
    }

    /// Moves the cached token of `service` `seconds` into the past.
    func ageToken(of service: String, by seconds: TimeInterval) throws {
        let path = self.spool.tokensDirectory + "/\(service).json"
        let token = try RecordDecoder().decode(Token.self, from: try FileIO.read(path))
        let aged = Token(
            service: token.service, token: token.token, fetchedAt: token.fetchedAt.addingTimeInterval(-seconds),
            expiresAt: token.expiresAt.addingTimeInterval(-seconds))
        try FileIO.replaceAtomically(path, with: try RecordCoding.encode(aged) + [10], mode: 0o600)
    }
}
