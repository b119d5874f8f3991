// Shipping a location's spool over a WAN, for real: deploy/vigil-ship runs rsync over Debian's sshd on loopback
// into a central spool whose new/ a consumer claims from all along; the shipper is SIGKILLed mid-transfer, just
// after a file completed centrally and while it publishes, then run again. Every file arrives once, whole.

import Foundation
import Shared
import TestSupport
import Testing

/// The SHA-256 of a file, in hex, as sha256sum prints it.
private func digest(of path: String) throws -> String {
    SHA256.hash(try FileIO.read(path)).map { String(format: "%02x", $0) }.joined()
}

private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

@Suite("Shipping over rsync and ssh", .ownThread)
struct RsyncShippingTests {
    @Test(
        "the shipper SIGKILLed mid-transfer, after a rename and while publishing: nothing lost, half-read or twice",
        .enabled(if: SSHTools.available, Comment(rawValue: SSHTools.skipReason ?? "")))
    func killedShipper() throws {
        let sshd = try LoopbackSSHD()
        let site = try ShippingSite(sshd: sshd)
        // A copy into new/ made the Maildir way by hand (rsync straight into new/) that never finished: no
        // consumer may take it.
        let stray = site.central.results.newDirectory + "/.20261122T150000Z-tick.1of1.far.prober-9.ndjson.Ab3xYz"
        _ = FileManager.default.createFile(atPath: stray, contents: Data("{\"v\":1,\"kind\":\"res".utf8))
        try site.add(manifests: 4, batches: 120, large: 6)
        let consumer = CentralConsumer(spool: site.central, originals: site.originals)
        consumer.start()
        let (kills, rounds) = try Self.killRounds(site, consumer)
        // Then runs that are left alone finish the job.
        var finals = 0
        while finals < 3, finals == 0 || !site.localFiles.isEmpty {
            finals += 1
            let run = try site.ship()
            #expect(run.termination == .exited(0), "a shipper left alone succeeds: \(run.stderr)")
        }
        let expected = site.shipped
        #expect(eventually(timeout: 120) { consumer.taken >= expected.count }, "the consumer took everything shipped")
        consumer.stop()

        let seen = consumer.result
        let twice = seen.counts.filter { $0.value > 1 }
        let lost = expected.keys.filter { seen.counts[$0] == nil }
        #expect(twice.isEmpty, "published more than once: \(twice)")
        #expect(lost.isEmpty, "never arrived: \(lost.sorted())")
        #expect(Set(seen.counts.keys) == Set(expected.keys), "only the files shipped arrived")
        #expect(seen.damaged.isEmpty, "read half-written or changed: \(seen.damaged)")
        #expect(seen.counts.keys.allSatisfy { !$0.hasPrefix(".") }, "no hidden name was taken")
        #expect(FileIO.status(stray) != nil, "the stray rsync temporary in new/ was left alone")
        #expect(site.localFiles.isEmpty, "the local spool was emptied: \(site.localFiles)")
        for leftover in ["runs/new", "results/new", "work/runs", "work/results"] {
            #expect(
                FileIO.listIfPresent(site.incoming(leftover)).isEmpty && FileIO.hidden(site.incoming(leftover)).isEmpty,
                "incoming/\(leftover) is empty")
        }
        let killed = kills.values.reduce(0, +)
        #expect(killed >= 6, "the shipper was killed often enough to mean something: \(kills)")
        #expect(kills[Self.triggers[0], default: 0] >= 1, "at least one kill mid-transfer: \(kills)")
        let dropped = site.shipperLog.lines.filter { $0.contains("was published before: this copy dropped") }.count
        let bytes = expected.values.reduce(0, +)
        print(
            "rsync shipping: \(expected.count) files (\(bytes >> 20) MiB) shipped in \(rounds) killed-or-not rounds + \(finals) clean; "
                + "\(killed) SIGKILLs \(kills.sorted { $0.key < $1.key }); \(dropped) re-sent copies dropped centrally; "
                + "taken twice \(twice.count), lost \(lost.count), damaged \(seen.damaged.count)")
    }

    static let triggers = ["a temporary file in the central incoming/", "a file completed centrally", "the consumer took a shipped file"]

    /// Starts the shipper again and again and SIGKILLs its process group when the round's event is seen: a new
    /// rsync temporary in incoming/, a new complete file there, or the consumer taking a published file. Nine
    /// kills, at most 40 rounds or ten minutes. Returns the kills by event and the rounds.
    static func killRounds(_ site: ShippingSite, _ consumer: CentralConsumer) throws -> (kills: [String: Int], rounds: Int) {
        var kills: [String: Int] = [:]
        var rounds = 0
        let deadline = Date().addingTimeInterval(600)
        let staged = site.incoming("results/new")
        while kills.values.reduce(0, +) < 9, rounds < 40, Date() < deadline {
            rounds += 1
            let trigger = rounds % 3
            // New batches keep coming, some large enough that a transfer is in flight for a while.
            if trigger == 0 { try site.add(manifests: 1, batches: 10, large: 1) }
            let (taken, temporaries, completed) = (consumer.taken, Set(FileIO.hidden(staged)), Set(FileIO.listIfPresent(staged)))
            let shipper = try site.startShipper()
            let fired = eventually(timeout: 60) {
                if shipper.termination != nil { return true }
                switch trigger {
                case 0: return !Set(FileIO.hidden(staged)).subtracting(temporaries).isEmpty
                case 1: return !Set(FileIO.listIfPresent(staged)).subtracting(completed).isEmpty
                default: return consumer.taken > taken
                }
            }
            if fired, shipper.termination == nil {
                kill(-shipper.pid, SIGKILL)
                kills[triggers[trigger], default: 0] += 1
            }
            #expect(shipper.wait(timeout: 60) != nil, "the shipper ended")
        }
        return (kills, rounds)
    }

    @Test(
        "a file sent again after the kill between the central rename and the local delete is dropped, not published twice",
        .enabled(if: SSHTools.available, Comment(rawValue: SSHTools.skipReason ?? "")))
    func resentCopies() throws {
        let sshd = try LoopbackSSHD()
        // The central spool is shared by a group (spool.group_shared): what is published there is 0660.
        let site = try ShippingSite(sshd: sshd, central: .groupShared)
        try site.add(manifests: 1, batches: 3, large: 0)
        #expect(try site.ship().termination == .exited(0), "\(site.shipperLog.text)")
        let published = FileIO.listIfPresent(site.central.results.newDirectory)
        #expect(published.count == 3 && FileIO.listIfPresent(site.central.runs.newDirectory).count == 1)
        let modes = published.compactMap { FileIO.status(site.central.results.newDirectory + "/" + $0).map { $0.st_mode & 0o777 } }
        #expect(modes == [0o660, 0o660, 0o660], "group-shared files: \(modes.map { String($0, radix: 8) })")
        // The analyzer took the first batch (it is gone from new/); the second waits in new/. Both come again, as
        // after a kill between rsync's rename and its deletion of the local file.
        let first = try #require(try site.central.results.claim(published[0]))
        try site.central.results.ack(first)
        for name in published.prefix(2) { try FileIO.link(site.originals + "/results/" + name, site.local.results.newDirectory + "/" + name) }
        // A publisher killed between its mark and its rename: the file is in work/, its digest in its mark.
        try site.add(manifests: 0, batches: 1, large: 0)
        let halfway = try #require(site.localFiles.first { !published.contains(($0 as NSString).lastPathComponent) })
        let name = (halfway as NSString).lastPathComponent
        try FileManager.default.moveItem(atPath: halfway, toPath: site.incoming("work/results/" + name))
        try (digest(of: site.incoming("work/results/" + name)) + "\n").write(
            toFile: site.incoming("shipped/results/" + name), atomically: false, encoding: .utf8)
        // Another location's manifest of a new run waits in new/ under the name ours has: ours waits for it.
        try site.add(manifests: 1, batches: 0, large: 0)
        let manifest = try #require(FileIO.listIfPresent(site.local.runs.newDirectory).first)
        let theirs = Array("{\"v\":1,\"kind\":\"run\",\"from\":\"sh\"}\n".utf8)
        try site.central.runs.publish(name: manifest, bytes: theirs)

        let again = try site.ship()
        #expect(again.termination == .exited(0), "\(again.stderr)")
        #expect(site.localFiles.isEmpty, "the re-sent copies left the location")
        #expect(
            FileIO.listIfPresent(site.central.results.newDirectory) == [published[1], published[2], name].sorted(),
            "nothing twice, the interrupted one once")
        #expect(again.stderr.contains("dropped 2 copies published before"), "\(again.stderr)")
        #expect(again.stderr.contains("runs/new/\(manifest) exists: this one waits"), "\(again.stderr)")
        // The analyzer takes theirs; the next run publishes ours, though nothing is left to ship.
        let claimed = try #require(try site.central.runs.claim(manifest))
        #expect(try FileIO.read(claimed.path) == theirs)
        try site.central.runs.ack(claimed)
        #expect(try site.ship().termination == .exited(0), "\(site.shipperLog.text)")
        #expect(try FileIO.read(site.central.runs.newDirectory + "/" + manifest) == FileIO.read(site.originals + "/runs/" + manifest))
        #expect(try site.ship().stderr.isEmpty, "then there is nothing to do, and no connection is made")
        for published in FileIO.listIfPresent(site.incoming("shipped/results")) {
            let mark = try String(contentsOfFile: site.incoming("shipped/results/" + published), encoding: .utf8)
            #expect(mark == (try digest(of: site.originals + "/results/" + published)) + "\n", "the mark of \(published) is its digest")
        }
    }

    @Test(
        "another file under a published name (a second host's manifest of the run) is published; marks are pruned after KEEP_DAYS",
        .enabled(if: SSHTools.available, Comment(rawValue: SSHTools.skipReason ?? "")))
    func sameNameOtherContent() throws {
        let sshd = try LoopbackSSHD()
        let site = try ShippingSite(sshd: sshd)
        try site.add(manifests: 1, batches: 2, large: 0)
        #expect(try site.ship().termination == .exited(0), "\(site.shipperLog.text)")
        let manifest = try #require(FileIO.listIfPresent(site.central.runs.newDirectory).first)
        let batch = try #require(FileIO.listIfPresent(site.central.results.newDirectory).first)
        let taken = try #require(try site.central.runs.claim(manifest))
        try site.central.runs.ack(taken)
        // The location's second host publishes its own manifest of the run once the first has left; a batch
        // comes again.
        let second = Array("{\"v\":1,\"kind\":\"run\",\"host\":\"second\"}\n".utf8)
        try site.local.runs.publish(name: manifest, bytes: second)
        try FileIO.link(site.originals + "/results/" + batch, site.local.results.newDirectory + "/" + batch)
        let again = try site.ship()
        #expect(again.stderr.contains("published 1 file(s)") && again.stderr.contains("dropped 1 copies"), "\(again.stderr)")
        #expect(try FileIO.read(site.central.runs.newDirectory + "/" + manifest) == second)
        let mark = try String(contentsOfFile: site.incoming("shipped/runs/" + manifest), encoding: .utf8)
        #expect(mark.split(separator: "\n").count == 2, "both contents are remembered: \(mark)")

        // The hourly pruning: a mark past VIGIL_SHIP_KEEP_DAYS (30) and a killed transfer's temporary go.
        let now = Date()
        let old = site.incoming("shipped/results/" + batch)
        let temporary = site.incoming("results/new/." + batch + ".Qx7Rt2")
        _ = FileManager.default.createFile(atPath: temporary, contents: Data("half".utf8))
        for (path, age) in [(old, 31 * 86_400.0), (temporary, 7_200), (site.incoming(".pruned"), 7_200)] {
            try FileIO.setModificationTime(path, to: now.addingTimeInterval(-age))
        }
        try site.add(manifests: 0, batches: 1, large: 0)
        #expect(try site.ship().termination == .exited(0), "\(site.shipperLog.text)")
        #expect(FileIO.status(old) == nil && FileIO.status(temporary) == nil, "the old mark and the stale temporary are gone")
        #expect(FileIO.listIfPresent(site.incoming("shipped/results")).count == 2, "the other mark stays, the new one is there")
    }

    @Test(
        "a real run probed at a location, shipped, is reported by the real analyzer on the central spool",
        .enabled(if: SSHTools.available, Comment(rawValue: SSHTools.skipReason ?? "")))
    func realRunShipped() throws {
        let sshd = try LoopbackSSHD()
        let site = try ShippingSite(sshd: sshd)
        let server = try TestServer()
        server.route("/ok", reply: .json(200, #"{"code":0}"#))
        let config = try site.dir.write(
            "config.yaml",
            """
            monitor: {timeout: 2, retry_attempts: 0, interface_pool: pool, interval: 1h}
            scheduler: {start_delay: 0}
            services:
              svc: {base_url: \(server.baseURL)}
            alerts: {mode: change}
            spool: {dir: spool}
            """)
        for i in 0..<6 { try site.dir.write("pool/svc/i\(i).yaml", "name: i\(i)\nurl: /ok?i=\(i)\n") }
        // A prober started by hand publishes its run's manifest, then its batch.
        let probe = try Programs.run("prober", ["--config", config, "--spool", site.local.root])
        #expect(probe.exitCode == 0, "\(probe.stderr)")
        #expect(site.localFiles.count == 2, "a manifest and a batch wait at the location: \(site.localFiles)")
        #expect(try site.ship().termination == .exited(0), "\(site.shipperLog.text)")
        let analyzer = try Programs.run("analyzer", ["--config", config, "--spool", site.central.root, "--once"])
        #expect(analyzer.exitCode == 0, "\(analyzer.stderr)")
        let reports = FileIO.listIfPresent(site.central.reportsDirectory)
        #expect(reports.count == 1, "\(reports) \(analyzer.stderr)")
        let report = try String(contentsOfFile: site.central.reportsDirectory + "/" + (try #require(reports.first)), encoding: .utf8)
        #expect(report.contains("All 6 interfaces answered as expected"), "the run's six interfaces: \(report.prefix(600))")
        #expect(FileIO.listIfPresent(site.central.quarantineDirectory).isEmpty, "nothing quarantined")
        #expect(FileIO.listIfPresent(site.central.results.newDirectory).isEmpty && FileIO.listIfPresent(site.central.runs.newDirectory).isEmpty)
    }

    @Test("the janitor's rule removes rsync temporaries left in new/ past 36 h, and only those; no claim ever sees one")
    func staleTransferTemporaries() throws {
        let dir = TemporaryDirectory("ship-janitor")
        let spool = try dir.spool()
        let new = spool.results.newDirectory
        let now = Date()
        for (name, age) in [(".a.ndjson.Xy12Zq", 37.0), (".b.ndjson.Qq34Rr", 1.0), (".operator-notes", 40.0), (".c.ndjson.too-long", 40.0)] {
            _ = FileManager.default.createFile(atPath: new + "/" + name, contents: Data("partial".utf8))
            try FileIO.setModificationTime(new + "/" + name, to: now.addingTimeInterval(-age * 3600))
        }
        #expect(spool.results.pending().isEmpty, "no consumer lists a hidden name")
        #expect(spool.results.removeStaleTransferTemporaries(now: now) == [".a.ndjson.Xy12Zq"])
        #expect(FileIO.hidden(new) == [".b.ndjson.Qq34Rr", ".c.ndjson.too-long", ".operator-notes"])
    }

    @Test(
        "vigil-ship.service and vigil-ship.timer pass systemd-analyze verify",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
    func units() throws {
        let dir = TemporaryDirectory("ship-units")
        var paths: [String] = []
        for unit in ["vigil-ship.service", "vigil-ship.timer"] {
            let text = try String(contentsOfFile: repository + "/deploy/" + unit, encoding: .utf8)
            try dir.write(unit, text.replacingOccurrences(of: "/usr/local/bin/vigil-ship", with: repository + "/deploy/vigil-ship"))
            paths.append(dir.url(unit))
        }
        let verify = try Programs.runTool("/usr/bin/systemd-analyze", ["verify"] + paths)
        #expect(verify.termination == .exited(0), "\(verify.stdout) \(verify.stderr)")
        let service = try String(contentsOfFile: paths[0], encoding: .utf8)
        for directive in ["User=vigil", "Type=oneshot", "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/vigil"] {
            #expect(service.contains(directive), "vigil-ship.service lacks \(directive)")
        }
    }
}
