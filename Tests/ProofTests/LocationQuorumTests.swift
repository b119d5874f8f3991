// Three locations on one machine, each prober in its own network namespace with a veth pair to a router
// namespace where the targets listen (Python's http.server): a target down for everyone pages once naming all
// three; a target unreachable from one location only (a prohibit route there) is degraded, not paged; one
// location's link cut makes it blind — its results are not judged, the other two still page a real failure by
// quorum; a location whose batch never arrives is a gap and the run is reported from the others. Real probers
// and analyzer over one spool. Needs root and iproute2; skipped with the reason where a namespace cannot be made.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Locations paging on a quorum", .ownThread)
struct LocationQuorumTests {
    /// `executable` run to its end (our programs beside it found through VIGIL_BIN_DIR).
    private func command(_ executable: String, _ arguments: [String], timeout: TimeInterval = 60) throws -> ProgramRun {
        try Programs.runTool(executable, arguments, environment: Programs.environment(), timeout: timeout)
    }

    private var ip: String? { Programs.ip }

    /// The alerts the analyzer published, oldest first.
    private func alerts(_ spool: Spool) throws -> [Alert] {
        try FileIO.listIfPresent(spool.outbox.newDirectory).map {
            try RecordDecoder().decode(Alert.self, from: try FileIO.read(spool.outbox.newDirectory + "/" + $0).split(separator: 10).first ?? [])
        }.sorted { $0.stats.startedAt < $1.stats.startedAt }
    }

    @Test("down for everyone pages naming all three; one location's view is degraded; a cut location is blind; a late one is a gap")
    func quorum() throws {
        guard getuid() == 0, let ip else {
            print("skipped: network namespaces need root and iproute2 (uid \(getuid()))")
            return
        }
        let tag = "vq\(getpid() % 100_000)"
        let router = "\(tag)r"
        let locations = ["bj", "sh", "sg"]
        let made = try command(ip, ["netns", "add", router])
        guard made.exitCode == 0 else {
            print("skipped: `ip netns add` refused: \(made.stderr)")
            return
        }
        defer {
            for ns in [router] + locations.map({ "\(tag)\($0)" }) { _ = try? command(ip, ["netns", "del", ns]) }
        }
        let net = getpid() % 200 + 20
        // The targets' addresses, on the router's loopback, routed from every location: .1 for most, .3 for one.
        var steps: [[String]] = [
            ["-n", router, "link", "set", "lo", "up"], ["-n", router, "addr", "add", "10.232.\(net).1/32", "dev", "lo"],
            ["-n", router, "addr", "add", "10.232.\(net).3/32", "dev", "lo"],
        ]
        for (i, location) in locations.enumerated() {
            let ns = "\(tag)\(location)"
            let subnet = "10.\(233 + i).\(net)"
            steps += [
                ["netns", "add", ns], ["link", "add", "\(tag)\(location)a", "type", "veth", "peer", "name", "\(tag)\(location)b"],
                ["link", "set", "\(tag)\(location)a", "netns", ns], ["link", "set", "\(tag)\(location)b", "netns", router],
                ["-n", ns, "addr", "add", "\(subnet).2/24", "dev", "\(tag)\(location)a"],
                ["-n", router, "addr", "add", "\(subnet).1/24", "dev", "\(tag)\(location)b"],
                ["-n", ns, "link", "set", "\(tag)\(location)a", "up"], ["-n", router, "link", "set", "\(tag)\(location)b", "up"],
                ["-n", ns, "link", "set", "lo", "up"], ["-n", ns, "route", "add", "10.232.\(net).0/24", "via", "\(subnet).1"],
            ]
        }
        for step in steps {
            let r = try command(ip, step)
            try #require(r.exitCode == 0, "ip \(step.joined(separator: " ")): \(r.stderr)")
        }
        let dir = TemporaryDirectory("locations")
        try dir.write("site/ok", "ok")
        try dir.write("site/api", "{}")
        func serve(_ port: Int) throws -> ChildProcess {
            try ChildProcess(
                executable: ip, arguments: ["netns", "exec", router, "python3", "-m", "http.server", "\(port)", "--directory", dir.url("site")],
                environment: Programs.environment(), stdout: .discard, stderr: .discard)
        }
        let main = try serve(8080)
        var second: ChildProcess? = try serve(8081)
        defer {
            for p in [main, second].compactMap({ $0 }) {
                p.signal(SIGKILL)
                _ = p.wait()
            }
        }
        let target = "10.232.\(net).1"
        try dir.write(
            "config.yaml",
            """
            monitor:
              interval: 1h
              timeout: 2
              retry_attempts: 0
              interface_pool: pool
            scheduler:
              start_delay: 0
              graceful_shutdown: 1
            locations:
              names: [bj, sh, sg]
            services:
              svc:
                base_url: http://\(target):8080
            spool:
              dir: spool
            """)
        for i in 0..<4 { try dir.write("pool/svc/ok\(i).yaml", "name: ok\(i)\nurl: /ok?i=\(i)\n") }
        try dir.write("pool/svc/second.yaml", "name: second\nurl: http://\(target):8081/ok\n")
        try dir.write("pool/svc/other.yaml", "name: other\nurl: http://10.232.\(net).3:8080/ok\n")
        try dir.write("pool/svc/api.yaml", "name: api\nurl: /api\n")
        let spool = Spool(root: dir.url("spool"))
        try spool.prepare()
        for location in locations {
            #expect(
                eventually(timeout: 20) {
                    (try? command(
                        ip,
                        [
                            "netns", "exec", "\(tag)\(location)", "python3", "-c",
                            "import urllib.request as u; u.urlopen('http://\(target):8080/ok', timeout=1)",
                        ]))?.exitCode == 0
                }, "\(location) reaches the targets")
        }

        /// One run: its manifest, then the probers of `at` in their namespaces (at once), then the analyzer.
        func run(at: [String] = locations, deadlinePassed: Bool = false) throws -> (report: String, run: String) {
            let now = Date()
            let id = RunID.manual(at: now)
            var manifest = RunManifest(
                run: id, shards: 1, startedAt: deadlinePassed ? now.addingTimeInterval(-120) : now,
                deadline: deadlinePassed ? now.addingTimeInterval(-100) : now.addingTimeInterval(60), trigger: "manual")
            manifest.locations = locations
            try spool.runs.publish(name: RunFileName.manifest(run: id), bytes: try RecordCoding.encode(manifest) + [10], control: true)
            let probers = try at.map { location in
                try ChildProcess(
                    executable: ip,
                    arguments: [
                        "netns", "exec", "\(tag)\(location)", Programs.path("prober"), "--config", dir.url("config.yaml"), "--run", id, "--location",
                        location,
                    ],
                    environment: Programs.environment(["VIGIL_HOST": "host-\(location)"]), stdout: .discard, stderr: .discard)
            }
            for p in probers { #expect(p.wait(timeout: 60) == .exited(0)) }
            let analyzer = try Programs.run("analyzer", ["--config", dir.url("config.yaml"), "--once"])
            #expect(analyzer.exitCode == 0, "\(analyzer.stderr)")
            return ((try? dir.read("spool/reports/\(RunFileName.report(run: id))")) ?? "no report: \(analyzer.stderr)", id)
        }

        let healthy = try run()
        #expect(healthy.report.contains("All 7 interfaces answered as expected"), "\(healthy.report)")

        // (1) Down for everyone: one page, naming all three.
        second?.signal(SIGKILL)
        _ = second?.wait()
        second = nil
        let down = try run()
        #expect(down.report.contains("down from bj (connection failure), sh (connection failure), sg (connection failure)"), "\(down.report)")
        var sent = try alerts(spool)
        #expect(sent.count == 1 && sent[0].headline == "1 new failure (down)", "\(sent.map(\.headline))")
        #expect(sent.first?.transitions.first?.id == "svc/second")
        second = try serve(8081)
        #expect(
            eventually(timeout: 10) {
                (try? command(
                    ip,
                    ["netns", "exec", "\(tag)bj", "python3", "-c", "import urllib.request as u; u.urlopen('http://\(target):8081/ok', timeout=1)"]))?
                    .exitCode == 0
            })

        // (2) Unreachable from sh only: degraded, not paged.
        #expect(try command(ip, ["-n", "\(tag)sh", "route", "add", "prohibit", "10.232.\(net).3/32"]).exitCode == 0)
        let partial = try run()
        #expect(partial.report.contains("## Degraded (1)"), "\(partial.report)")
        #expect(partial.report.contains("down from sh (connection failure); ok from bj"), "\(partial.report)")
        sent = try alerts(spool)
        // Degraded is its own outcome: told once, orange, a warning — never paged as down (routable by outcome).
        let degraded = try #require(sent.last { $0.transitions.contains { $0.id == "svc/other" } }, "\(sent.map(\.headline))")
        #expect(
            degraded.headline.hasPrefix("1 new failure (degraded)") && degraded.tone == .orange && degraded.severity == .warning,
            "\(degraded.headline)")
        #expect(degraded.transitions.first { $0.id == "svc/other" }?.outcome == .degraded)
        #expect(try command(ip, ["-n", "\(tag)sh", "route", "del", "prohibit", "10.232.\(net).3/32"]).exitCode == 0)

        // (3) sg's link cut: sg is blind; a real failure still pages by quorum from bj and sh.
        #expect(try command(ip, ["-n", "\(tag)sg", "link", "set", "\(tag)sga", "down"]).exitCode == 0)
        try FileIO.unlink(dir.url("site/api"))
        let cut = try run()
        #expect(cut.report.contains("location sg cannot reach its targets: 7 of 7 probes failed to connect"), "\(cut.report)")
        #expect(cut.report.contains("answering errors from bj (HTTP 404), sh (HTTP 404)"), "\(cut.report)")
        sent = try alerts(spool)
        let pages = sent.flatMap(\.transitions).filter { $0.change == .newFailure && $0.outcome.kind?.pages == true }
        #expect(Set(pages.map(\.id)) == ["svc/second", "svc/api"], "only the real failures paged: \(pages.map(\.id))")
        #expect(sent.last?.stats.blind?.first?.hasPrefix("location sg cannot reach its targets") == true, "the alert says sg was blind")
        let status = try Programs.run("orchestrator", ["status", "--config", dir.url("config.yaml")])
        #expect(status.stdout.contains("    blind: location sg cannot reach its targets"), "status shows it: \(status.stdout)")
        let runsPage = try dir.read("spool/site/runs.html")
        #expect(runsPage.contains("1 blind (not judged)"), "the site's runs page shows it")
        #expect(try command(ip, ["-n", "\(tag)sg", "link", "set", "\(tag)sga", "up"]).exitCode == 0)
        // A link that went down took its routes with it: the way to the targets again.
        #expect(try command(ip, ["-n", "\(tag)sg", "route", "add", "10.232.\(net).0/24", "via", "10.235.\(net).1"]).exitCode == 0)
        try dir.write("site/api", "{}")

        // (4) sg's batch never arrives: a gap; the run is reported from bj and sh.
        let late = try run(at: ["bj", "sh"], deadlinePassed: true)
        #expect(late.report.contains("sg 1/1: no batch arrived by the deadline"), "\(late.report)")
        #expect(late.report.contains("| Shards | 2 of 3 reported |"), "\(late.report)")

        // (5) Two locations cut, and the third alone sees a failure: below the quorum, never a page.
        for location in ["bj", "sh"] {
            #expect(try command(ip, ["-n", "\(tag)\(location)", "link", "set", "\(tag)\(location)a", "down"]).exitCode == 0)
        }
        #expect(try command(ip, ["-n", "\(tag)sg", "route", "add", "prohibit", "10.232.\(net).3/32"]).exitCode == 0)
        let alone = try run()
        #expect(
            alone.report.contains("location bj cannot reach its targets") && alone.report.contains("location sh cannot reach its targets"),
            "\(alone.report)")
        #expect(
            alone.report.contains("down from sg (connection failure) (fewer than the quorum of 2: not an outage everyone sees)"), "\(alone.report)")
        sent = try alerts(spool)
        #expect(
            !sent.contains { $0.run == alone.run && $0.transitions.contains { $0.id == "svc/other" && $0.outcome.kind?.pages == true } },
            "\(sent.map(\.headline))")
    }

    @Test("with locations configured, a host must say which it is at; a name not among them, or one without a locations: section, is refused")
    func locationRequired() throws {
        let dir = TemporaryDirectory("locations-cli")
        try dir.write("config.yaml", "monitor: {interface_pool: pool}\nlocations: {names: [bj, sh], quorum: 2}\nspool: {dir: spool}\n")
        try dir.write("pool/svc/a.yaml", "name: a\nurl: http://127.0.0.1:9/\n")
        let none = try Programs.run("orchestrator", ["once", "--config", dir.url("config.yaml")], environment: ["VIGIL_LOCATION": ""])
        #expect(none.exitCode == 2 && none.stderr.contains("say which one this host is at with --location NAME"), "\(none.stderr)")
        let wrong = try Programs.run("prober", ["--config", dir.url("config.yaml"), "--location", "ny"])
        #expect(
            wrong.exitCode == 2 && wrong.stderr.contains("\"ny\" (--location or VIGIL_LOCATION) is not one of locations.names (bj, sh)"),
            "\(wrong.stderr)")
        // check asks what the service will: the same location is refused there, before anything runs.
        let checked = try Programs.run("orchestrator", ["check", "--config", dir.url("config.yaml"), "--location", "ny"])
        #expect(
            checked.exitCode == 2 && checked.stdout.contains("\"ny\" (--location or VIGIL_LOCATION) is not one of locations.names (bj, sh)"),
            "\(checked.stdout)")
        try dir.write("config.yaml", "monitor: {interface_pool: pool}\nspool: {dir: spool}\n")
        let stray = try Programs.run("orchestrator", ["once", "--config", dir.url("config.yaml"), "--location", "bj"])
        #expect(stray.exitCode == 2 && stray.stderr.contains("the config names no locations: section"), "\(stray.stderr)")
        try dir.write("config.yaml", "locations: {names: [bj, bj]}\nservices: {svc: {locations: [ny]}}\n")
        let check = try Programs.run("orchestrator", ["check", "--config", dir.url("config.yaml")])
        #expect(check.exitCode == 2 && (check.stdout + check.stderr).contains("locations.names"), "\(check.stdout)")
    }
}
