// One location with canaries, its uplink cut for real: the prober runs in a network namespace whose only way to
// the targets (and to the canary) is a veth pair to a "router" namespace where they listen. Cut the link: the run
// is blind — one "monitoring blind" alert, no interface pages, no state change; restore it: nothing recovers,
// because nothing was judged down. A real outage with the link up still pages. Needs root and iproute2 (CI has
// both); skipped with the reason where a namespace cannot be made.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Canaries: a blind prober pages nothing", .ownThread)
struct CanaryBlindTests {
    /// `executable` run to its end (our programs beside it found through VIGIL_BIN_DIR).
    private func command(_ executable: String, _ arguments: [String], timeout: TimeInterval = 60) throws -> ProgramRun {
        try Programs.runTool(executable, arguments, environment: Programs.environment(), timeout: timeout)
    }

    private var ip: String? { Programs.ip }

    /// Alerts written so far (sent by `once`'s notifier), oldest first.
    private func alerts(_ spool: Spool) throws -> [Alert] {
        try FileIO.listIfPresent(spool.sentDirectory).filter { $0.hasSuffix(".ndjson") }.map {
            try RecordDecoder().decode(Alert.self, from: try FileIO.read(spool.sentDirectory + "/" + $0).split(separator: 10).first ?? [])
        }.sorted { $0.stats.startedAt < $1.stats.startedAt }
    }

    @Test("the uplink cut: a blind run, one monitoring alert, no interface page; a real outage with the link up still pages")
    func uplinkCut() throws {
        guard getuid() == 0, let ip else {
            print("skipped: network namespaces need root and iproute2 (uid \(getuid()), ip \(self.ip ?? "missing"))")
            return
        }
        let tag = "vc\(getpid() % 100_000)"
        let (router, prober) = ("\(tag)r", "\(tag)p")
        let made = try command(ip, ["netns", "add", router])
        guard made.exitCode == 0 else {
            print("skipped: `ip netns add` refused: \(made.stderr)")
            return
        }
        defer {
            _ = try? command(ip, ["netns", "del", router])
            _ = try? command(ip, ["netns", "del", prober])
        }
        let subnet = "10.231.\(getpid() % 200 + 20)"
        for step in [
            ["netns", "add", prober],
            ["link", "add", "\(tag)a", "type", "veth", "peer", "name", "\(tag)b"],
            ["link", "set", "\(tag)a", "netns", prober], ["link", "set", "\(tag)b", "netns", router],
            ["-n", prober, "addr", "add", "\(subnet).2/24", "dev", "\(tag)a"],
            ["-n", router, "addr", "add", "\(subnet).1/24", "dev", "\(tag)b"],
            ["-n", prober, "link", "set", "\(tag)a", "up"], ["-n", router, "link", "set", "\(tag)b", "up"],
            ["-n", prober, "link", "set", "lo", "up"], ["-n", router, "link", "set", "lo", "up"],
        ] {
            let r = try command(ip, step)
            try #require(r.exitCode == 0, "ip \(step.joined(separator: " ")): \(r.stderr)")
        }
        // The targets and the canary: Python's http.server in the router namespace.
        let dir = TemporaryDirectory("canary")
        try dir.write("site/ok", "ok")
        try dir.write("site/health", "up")
        let server = try ChildProcess(
            executable: ip,
            arguments: ["netns", "exec", router, "python3", "-m", "http.server", "8080", "--bind", "\(subnet).1", "--directory", dir.url("site")],
            environment: Programs.environment(), stdout: .discard, stderr: .discard)
        defer {
            server.signal(SIGKILL)
            _ = server.wait()
        }
        try dir.write(
            "config.yaml",
            """
            monitor:
              interval: 1h
              timeout: 2
              retry_attempts: 0
              interface_pool: pool
              canaries: [http://\(subnet).1:8080/health]
            scheduler:
              start_delay: 0
            services:
              svc:
                base_url: http://\(subnet).1:8080
            spool:
              dir: spool
            """)
        for i in 0..<3 { try dir.write("pool/svc/i\(i).yaml", "name: i\(i)\nurl: /ok?i=\(i)\n") }
        let spool = Spool(root: dir.url("spool"))
        func once() throws -> ProgramRun {
            try command(ip, ["netns", "exec", prober, Programs.path("orchestrator"), "once", "--config", dir.url("config.yaml")], timeout: 120)
        }
        #expect(
            eventually(timeout: 20) {
                (try? command(
                    ip, ["netns", "exec", prober, "python3", "-c", "import urllib.request as u; u.urlopen('http://\(subnet).1:8080/ok', timeout=1)"]))?
                    .exitCode == 0
            }, "the router answers")
        let healthy = try once()
        #expect(healthy.exitCode == 0, "\(healthy.stdout)\(healthy.stderr)")

        // The uplink cut: everything fails from here, canary included.
        #expect(try command(ip, ["-n", prober, "link", "set", "\(tag)a", "down"]).exitCode == 0)
        let cut = try once()
        #expect(cut.stdout.contains("**Blind**: shard 1/1 (prober "), "\(cut.stdout)")
        #expect(cut.stdout.contains("1 of 1 canaries failed (http://\(subnet).1:8080/health: "), "\(cut.stdout)")
        #expect(cut.stdout.contains("**Nothing probed**: the probers could not reach their canaries"), "\(cut.stdout)")
        #expect(cut.stderr.contains("this shard is blind for the run"), "\(cut.stderr)")
        var sent = try alerts(spool)
        #expect(sent.count == 1, "\(sent.map(\.headline))")
        #expect(sent.first?.reason == .incomplete && sent.first?.transitions.isEmpty == true, "no interface in it")
        #expect(sent.first?.headline.hasPrefix("monitoring blind: shard 1/1 (prober ") == true, "\(sent.map(\.headline))")
        let again = try once()
        #expect(again.stdout.contains("**Blind**"), "\(again.stdout)")
        #expect(try alerts(spool).count == 1, "the same cause pages once")

        // Back: nothing recovers, because nothing was judged down.
        #expect(try command(ip, ["-n", prober, "link", "set", "\(tag)a", "up"]).exitCode == 0)
        let back = try once()
        #expect(back.exitCode == 0, "\(back.stdout)")
        sent = try alerts(spool)
        #expect(!sent.contains { !$0.transitions.isEmpty }, "no interface paged or recovered: \(sent.map(\.headline))")

        // A real outage with the link up pages.
        try FileIO.unlink(dir.url("site/ok"))
        let outage = try once()
        #expect(outage.exitCode == 1)
        sent = try alerts(spool)
        #expect(sent.last?.headline == "3 new failures (answering errors)", "\(sent.map(\.headline))")
    }
}
