// Bad input everywhere at once: corrupt and truncated spool files, garbage lines, a newer record version,
// broken interface files and a config with every kind of mistake. No program crashes, every problem is
// reported with file and line, quarantine holds what could not be read, and the good work still goes through.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Bad input", .ownThread)
struct BadInputTests {
    @Test("corrupt spool files are quarantined with reasons and the valid run is still reported and delivered")
    func corruptSpool() throws {
        let dir = TemporaryDirectory("badinput")
        try dir.write("config.yaml", "spool:\n  dir: spool\nnotify:\n  quick_retries: 0\n")
        let spool = Spool(root: dir.url("spool"))
        try spool.prepare()
        // Now, to the second: the notifier rightly refuses alerts older than notify.max_age, so a fixed date here
        // would fail the day it ages past it.
        let at = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        func result(_ id: String, run: String, _ outcome: Outcome = .http500) throws -> String {
            try RecordCoding.encodeString(
                ProbeResult(
                    run: run, shard: .whole, id: id, service: "svc", name: id, method: "GET",
                    url: "http://h/\(id)", outcome: outcome, status: 500, latencyMs: 5, attempts: 1,
                    startedAt: at, error: "HTTP 500"))
        }
        func trailer(run: String, count: Int, v: Int = 1) throws -> String {
            try RecordCoding.encodeString(BatchTrailer(run: run, shard: .whole, count: count, prober: "t:1", startedAt: at, finishedAt: at))
                .replacingOccurrences(of: "{\"v\":1,", with: "{\"v\":\(v),")
        }
        let good = RunID.manual(at: at)
        let files: [(String, String)] = [
            (
                "\(good).1of1.h.prober-1.ndjson",
                try [
                    result("a", run: good), "garbage {not json", "{\"v\":9,\"kind\":\"result\"}", result("b", run: good, .ok),
                    trailer(run: good, count: 4),
                ].joined(separator: "\n") + "\n"
            ),
            ("20261122T150100Z-mtrunc.1of1.h.prober-2.ndjson", try result("c", run: "20261122T150100Z-mtrunc") + "\n{\"v\":1,\"kind\":\"res"),
            (
                "20261122T150200Z-mnewer.1of1.h.prober-3.ndjson",
                try result("d", run: "20261122T150200Z-mnewer") + "\n" + trailer(run: "20261122T150200Z-mnewer", count: 1, v: 2) + "\n"
            ),
            ("20261122T150300Z-mempty.1of1.h.prober-4.ndjson", ""),
            ("20261122T150400Z-mbinary.1of1.h.prober-5.ndjson", String(decoding: (0..<600).map { UInt8(($0 * 37) % 256) }, as: UTF8.self)),
        ]
        // The good run started (the analyzer reports no run without its manifest); the junk, unreadable as
        // batches, is quarantined for what it is before any wait for a manifest.
        let manifest = RunManifest(run: good, shards: 1, startedAt: at, deadline: at.addingTimeInterval(600), trigger: "manual")
        try spool.runs.publish(name: RunFileName.manifest(run: good), bytes: Array((try RecordCoding.encodeString(manifest) + "\n").utf8))
        for (name, text) in files { try spool.results.publish(name: name, bytes: Array(text.utf8)) }
        try spool.runs.publish(name: "20261122T150500Z-tick.run.ndjson", bytes: Array("{\"v\":1,\"kind\":\"run\",\"run\":\n".utf8))
        try spool.outbox.publish(name: "20261122T150600Z-tick.alert.ndjson", bytes: Array("{\"v\":1,\"kind\":\"alert\"}\n".utf8))

        let analyzer = try Programs.run("analyzer", ["--config", dir.url("config.yaml"), "--once"])
        #expect(analyzer.exitCode == 0, "no crash: \(analyzer.stderr)")
        let notifier = try Programs.run("notifier", ["--config", dir.url("config.yaml"), "--once"])
        #expect(notifier.exitCode == 0, "no crash: \(notifier.stderr)")

        let report = try dir.read("spool/reports/\(good).md")
        #expect(report.contains("**1 failed** of 2 interfaces"))
        #expect(report.contains("2 result line(s) could not be read and were quarantined"))
        let lines = try dir.read("spool/quarantine/\(files[0].0).lines.ndjson")
        #expect(lines.contains("\"line\":2") && lines.contains("not a JSON record"))
        #expect(lines.contains("\"line\":3") && lines.contains("record version 9 is newer than this program understands"))
        let reasons = [
            (files[1].0, "no trailer after 2 lines"),
            (files[2].0, "line 2: record version 2 is newer than this program understands"),
            (files[3].0, "no trailer after 0 lines"),
            (files[4].0, "no trailer"),
            ("20261122T150500Z-tick.run.ndjson", "unreadable run manifest"),
            ("20261122T150600Z-tick.alert.ndjson", "unreadable alert"),
        ]
        for (name, reason) in reasons {
            let note = (try? dir.read("spool/quarantine/\(name).reason")) ?? ""
            #expect(note.contains("reason: ") && note.contains(reason), "\(name): \(note)")
        }
        #expect(notifier.stdout.contains("## 🔴 Vigil: 1 new failure"), "the good run's alert still goes out")
        let status = try Programs.run("orchestrator", ["status", "--config", dir.url("config.yaml")])
        #expect(status.stdout.contains("quarantine: 6 file(s), 2 line(s)"), "\(status.stdout)")
        for queue in [spool.runs, spool.results, spool.outbox] {
            #expect(FileIO.listIfPresent(queue.curDirectory).isEmpty && FileIO.listIfPresent(queue.tmpDirectory).isEmpty)
        }
    }

    @Test("a config and interface files with every kind of mistake: each reported with file and line, nothing probed")
    func brokenConfiguration() throws {
        let dir = TemporaryDirectory("badconfig")
        try dir.write(
            "config.yaml",
            """
            monitor:
              intervall: 15
              timeout: ten
              concurrency: -3
              circuit_breaker: {failures: many}
              interface_pool: pool
            scheduler:
              schedule: "*/15 * * *"
              probers: 0
            services:
              svc:
                base_url: ftp://example.com
                auth: {method: POST}
            alerts:
              mode: loud
            notify:
              wecom:
                webhook_url: "${MISSING_WEBHOOK}"
            spool:
              retention: forever
            """)
        let check = try Programs.run("orchestrator", ["check", "--config", dir.url("config.yaml")])
        #expect(check.exitCode == 2)
        let expected = [
            "config.yaml:2: monitor.intervall: unknown key; did you mean \"interval\"",
            "config.yaml:3: monitor.timeout: expected a duration",
            "config.yaml:4: monitor.concurrency: expected a whole number from 1 to 10000, found \"-3\"",
            "config.yaml:5: monitor.circuit_breaker.failures: expected a whole number from 1 to 1000, found \"many\"",
            "config.yaml:8: scheduler.schedule: expected five fields",
            "config.yaml:9: scheduler.probers: expected a whole number from 1 to 256, found \"0\"",
            "config.yaml:12: services.svc.base_url: expected an http:// or https:// URL",
            "config.yaml:13: services.svc.auth.url: missing; this key is required",
            "config.yaml:15: alerts.mode: expected one of change, every_run, found \"loud\"",
            "config.yaml:18: notify.wecom.webhook_url: environment variable MISSING_WEBHOOK is not set",
            "config.yaml:20: spool.retention: expected a duration",
        ]
        for line in expected { #expect(check.stdout.contains(line), "missing: \(line)\n\(check.stdout)") }
        #expect(check.stdout.contains("configuration has \(expected.count) problem(s)"), "\(check.stdout)")

        try dir.write("config.yaml", "monitor:\n  interface_pool: pool\nservices:\n  svc: {base_url: \"http://127.0.0.1:9\"}\n")
        try dir.write("pool/svc/tabs.yaml", "name: t\nurl: /t\nexpect:\n\tstatus: 200\n")
        try dir.write("pool/svc/quote.yaml", "name: \"unterminated\nurl: /q\n")
        try dir.write("pool/svc/anchor.yaml", "name: *n\nurl: /a\n")
        try dir.write("pool/svc/latin1.yaml", "name: caf\u{E9}\n")
        try Data([0x6E, 0x61, 0x6D, 0x65, 0x3A, 0x20, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: dir.url("pool/svc/binary.yaml")))
        try dir.write("pool/svc/types.json", "{\n  \"name\": [1],\n  \"url\": \"/x\",\n  \"timeout\": \"soon\"\n}\n")
        try dir.write("pool/svc/good.yaml", "name: fine\nurl: /fine\n")
        let pool = try Programs.run("orchestrator", ["check", "--config", dir.url("config.yaml")])
        #expect(pool.exitCode == 2)
        for line in [
            "pool/svc/tabs.yaml:4:", "tab character in indentation", "pool/svc/quote.yaml:1:", "unterminated double-quoted string",
            "pool/svc/anchor.yaml:1:", "the alias *n names no anchor", "pool/svc/binary.yaml: not valid UTF-8",
            "pool/svc/types.json:2: name: expected a text value, found a list", "pool/svc/types.json:4: timeout: expected a duration",
        ] {
            #expect(pool.stdout.contains(line), "missing: \(line)\n\(pool.stdout)")
        }
        #expect(!pool.stdout.contains("good.yaml"))
    }
}
