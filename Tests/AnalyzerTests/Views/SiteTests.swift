// The status site against the spool: pages that parse as XHTML and whose figures (failing list, uptime,
// incidents with start and end) are the facts of the runs that were published.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Status site", .ownThread)
struct SiteTests {
    @Test("the failing list, uptime and incidents on the pages are those of the runs")
    func facts() throws {
        let f = try AnalyzerFixture()
        // Four runs 15 minutes apart: user/login fails in the first and recovers; nurse/list fails in the last;
        // admin/export is always ok.
        let plan: [[String: Outcome]] = [
            ["user/login": .http503, "nurse/list": .ok, "admin/export": .ok],
            ["user/login": .ok, "nurse/list": .ok, "admin/export": .ok],
            ["user/login": .ok, "nurse/list": .ok, "admin/export": .ok],
            ["user/login": .ok, "nurse/list": .timeout, "admin/export": .ok],
        ]
        var runs: [String] = []
        for (i, outcomes) in plan.enumerated() {
            let start = t0.addingTimeInterval(Double(i) * 900)
            let run = RunID.scheduled(tick: start)
            runs.append(run)
            try f.publishBatch(
                run: run, results: outcomes.sorted { $0.key < $1.key }.map { AnalyzerFixture.result($0.key, $0.value, run: run, at: start) },
                start: start)
            let analyzed = try f.analyzeOnce()
            #expect(analyzed.exitCode == 0, "\(analyzed.stderr)")
        }
        let site = f.dir.url("spool/site")
        let index = XHTMLPage(try String(contentsOfFile: site + "/index.html", encoding: .utf8))
        #expect(index.error == nil, "\(index.error ?? "")")
        let failing = index.byClass("failing").compactMap { $0.attributes["data-id"] }
        #expect(failing == ["nurse/list"], "only what fails now")
        #expect(index.byID("failing")?.text == "Failing now (1 of 3)")

        let login = XHTMLPage(try String(contentsOfFile: site + "/" + SiteLayout.interfacePage("user/login"), encoding: .utf8))
        #expect(login.error == nil, "\(login.error ?? "")")
        #expect(login.byID("uptime-24h")?.text == "75.00 %" && login.byID("uptime-7d")?.text == "75.00 %", "3 of 4 runs ok")
        let incidents = login.byClass("incident")
        #expect(incidents.count == 1)
        let cells = incidents.first.map { login.children(of: $0, named: "td").map(\.text) } ?? []
        // Asia/Shanghai (notify.timezone): 15:00Z is 23:00.
        #expect(cells.prefix(4) == ["2026-11-22 23:00:00 GMT+8", "2026-11-22 23:15:00 GMT+8", "15m", "http_503"], "\(cells)")

        let list = XHTMLPage(try String(contentsOfFile: site + "/" + SiteLayout.interfacePage("nurse/list"), encoding: .utf8))
        let open = list.byClass("incident").first.map { list.children(of: $0, named: "td").map(\.text) } ?? []
        #expect(open.prefix(2) == ["2026-11-22 23:45:00 GMT+8", "ongoing"], "\(open)")
        let service = XHTMLPage(try String(contentsOfFile: site + "/" + SiteLayout.servicePage("admin"), encoding: .utf8))
        #expect(service.error == nil && service.byClass("uptime-24h").map(\.text) == ["100.00 %"])
        for run in runs {
            let page = XHTMLPage(try String(contentsOfFile: site + "/" + SiteLayout.runPage(run), encoding: .utf8))
            #expect(page.error == nil && page.elements.contains { $0.name == "h1" && $0.text == "Vigil report — run \(run)" }, "\(run)")
        }
        // The rollup is what the figures come from, and reads with jq-like tools: one JSON object a line.
        let day = try f.dir.read("spool/state/history/days/2026-11-22.ndjson").split(separator: "\n")
        #expect(
            day.count == 5 && day[0].contains(#""kind":"history_day""#) && day.dropFirst().dropLast().allSatisfy { $0.contains(#""runs":4"#) }
                && day[4].contains(#""kind":"history_day_services""#))
        // A run redone (the analyzer killed after the rollup) is not counted twice.
        #expect(try f.analyzeOnce().exitCode == 0)
        #expect(
            try f.dir.read("spool/state/history/days/2026-11-22.ndjson").split(separator: "\n").dropFirst().dropLast().allSatisfy {
                $0.contains(#""runs":4"#)
            })
    }

    @Test("web.dir puts the status site off the spool (a local disk beside a shared spool)")
    func siteOffTheSpool() throws {
        let f = try AnalyzerFixture(extra: "web:\n  dir: local-site")
        let run = RunID.scheduled(tick: t0)
        try f.publishBatch(run: run, results: [AnalyzerFixture.result("user/a", .timeout, run: run, at: t0)], start: t0)
        #expect(try f.analyzeOnce().exitCode == 0)
        #expect(FileManager.default.fileExists(atPath: f.dir.url("local-site/index.html")), "the site is where web.dir says")
        #expect(!FileManager.default.fileExists(atPath: f.dir.url("spool/site/index.html")), "and not in the spool")
        let page = try String(contentsOfFile: f.dir.url("local-site/" + SiteLayout.interfacePage("user/a")), encoding: .utf8)
        #expect(XHTMLPage(page).error == nil)
    }

    @Test("past web.interface_pages_limit only interfaces failing now or with incidents have pages; the others' are removed")
    func boundedPages() throws {
        let f = try AnalyzerFixture()
        let plan: [[String: Outcome]] = [
            ["user/a": .ok, "user/b": .timeout, "user/c": .http500], ["user/a": .ok, "user/b": .timeout, "user/c": .ok],
        ]
        for (i, outcomes) in plan.enumerated() {
            if i == 1 {
                // From the second run on, the pool is "large": pages only where they are needed.
                let config = try f.dir.read("config.yaml")
                try f.dir.write("config.yaml", config + "\nweb:\n  interface_pages: auto\n  interface_pages_limit: 2\n")
            }
            let start = t0.addingTimeInterval(Double(i) * 900)
            let run = RunID.scheduled(tick: start)
            try f.publishBatch(
                run: run, results: outcomes.sorted { $0.key < $1.key }.map { AnalyzerFixture.result($0.key, $0.value, run: run, at: start) },
                start: start)
            #expect(try f.analyzeOnce().exitCode == 0)
        }
        let site = f.dir.url("spool/site/")
        func page(_ id: String) -> Bool { FileManager.default.fileExists(atPath: site + SiteLayout.interfacePage(id)) }
        #expect(page("user/b") && page("user/c") && !page("user/a"), "failing now, recovered (an incident), and not the always-ok one")
        let service = try String(contentsOfFile: site + SiteLayout.servicePage("user"), encoding: .utf8)
        #expect(!service.contains(SiteLayout.interfacePage("user/a")) && service.contains(SiteLayout.interfacePage("user/b")))
        #expect(XHTMLPage(service).error == nil)
    }

    @Test("a mass outage past web.interface_pages_limit: pages for the first failing up to the limit, the index counts them all")
    func massOutage() throws {
        let f = try AnalyzerFixture()
        let config = try f.dir.read("config.yaml")
        try f.dir.write("config.yaml", config + "\nweb:\n  interface_pages: auto\n  interface_pages_limit: 2\n")
        let ids = ["user/a", "user/b", "user/c", "user/d", "user/e"]
        let run = RunID.scheduled(tick: t0)
        try f.publishBatch(run: run, results: ids.map { AnalyzerFixture.result($0, .timeout, run: run, at: t0) }, start: t0)
        #expect(try f.analyzeOnce().exitCode == 0)
        let site = f.dir.url("spool/site/")
        let pages = FileIO.listIfPresent(site + "i").filter { $0.hasSuffix(".html") }
        #expect(pages.count == 2 && ids.prefix(2).allSatisfy { FileManager.default.fileExists(atPath: site + SiteLayout.interfacePage($0)) })
        let index = try String(contentsOfFile: site + "index.html", encoding: .utf8)
        #expect(index.contains("Failing now (5 of 5)") && index.contains("… and 3 more failing"), "\(index)")
        #expect(XHTMLPage(index).error == nil)
        // The report still lists every failure.
        let report = try f.dir.read("spool/reports/\(RunFileName.report(run: run))")
        #expect(ids.allSatisfy { report.contains("(`\($0)`)") })
    }

    @Test("an interface without a result for longer than history.retention is forgotten after a complete run, not before")
    func forgetting() throws {
        let f = try AnalyzerFixture()
        func run(_ days: Double, _ ids: [String]) throws -> ProgramRun {
            let start = t0.addingTimeInterval(days * 86_400)
            let run = RunID.scheduled(tick: start)
            try f.publishBatch(run: run, results: ids.map { AnalyzerFixture.result($0, .ok, run: run, at: start) }, start: start)
            return try f.analyzeOnce()
        }
        func known() throws -> (state: Bool, recent: Bool) {
            (
                try f.dir.read("spool/state/interfaces.ndjson").contains(#""id":"user/old""#),
                try f.dir.read("spool/state/history/recent.ndjson").contains(#""id":"user/old""#)
            )
        }
        #expect(try run(0, ["user/a", "user/old"]).exitCode == 0)
        let within = try run(89, ["user/a"])
        #expect(within.stderr.contains("interfaces no longer reported (1): user/old") && !within.stderr.contains("forgotten"))
        #expect(try known() == (true, true), "within the 90 days it is kept")
        let past = try run(91, ["user/a"])
        #expect(past.stderr.contains("interfaces forgotten (no result for longer than history.retention, 90d) (1): user/old"), "\(past.stderr)")
        #expect(!past.stderr.contains("no longer reported"))
        #expect(try known() == (false, false), "dropped from the state and the history")
        #expect(!FileManager.default.fileExists(atPath: f.dir.url("spool/site/" + SiteLayout.interfacePage("user/old"))), "its page is removed")
        #expect(try run(92, ["user/a"]).stderr.contains("forgotten") == false, "said once")
    }

    @Test("text from the targets is escaped: a page stays well-formed whatever the answer said")
    func escaping() throws {
        let f = try AnalyzerFixture()
        let run = RunID.scheduled(tick: t0)
        var hostile = AnalyzerFixture.result("user/x", .assertion, run: run, at: t0)
        hostile.name = "<script>alert(1)</script> & \"quotes\" \u{1}"
        hostile.error = "</pre><b>not markup</b> ]]> &amp;"
        hostile.response = HTTPExcerpt(headers: ["Content-Type": "text/html"], body: "<html><body onload=x()>\u{7}</body>")
        try f.publishBatch(run: run, results: [hostile], start: t0)
        #expect(try f.analyzeOnce().exitCode == 0)
        for page in [SiteLayout.interfacePage("user/x"), "index.html", SiteLayout.servicePage("user"), SiteLayout.runPage(run)] {
            let text = try String(contentsOfFile: f.dir.url("spool/site/" + page), encoding: .utf8)
            let parsed = XHTMLPage(text)
            #expect(parsed.error == nil, "\(page): \(parsed.error ?? "")")
            #expect(!parsed.elements.contains { $0.name == "script" || $0.name == "b" }, "\(page): markup from the target became markup")
        }
    }
}

@Suite("Per-interface metrics", .ownThread)
struct MetricsSelectionTests {
    @Test(
        "metrics.per_interface: all, failing, none, and auto past its limit; per-run totals always",
        arguments: [
            ("all", 10_000, ["user/a", "user/b", "user/c"]), ("failing", 10_000, ["user/b"]), ("none", 10_000, []),
            ("auto", 10_000, ["user/a", "user/b", "user/c"]), ("auto", 2, ["user/b"]),
        ])
    func selection(_ mode: String, _ limit: Int, _ expected: [String]) throws {
        let f = try AnalyzerFixture()
        let config = try f.dir.read("config.yaml")
        try f.dir.write("config.yaml", config + "\nmetrics:\n  per_interface: \(mode)\n  per_interface_limit: \(limit)\n")
        let run = RunID.scheduled(tick: t0)
        try f.publishBatch(
            run: run,
            results: [("user/a", Outcome.ok), ("user/b", .timeout), ("user/c", .ok)].map { AnalyzerFixture.result($0.0, $0.1, run: run, at: t0) },
            start: t0)
        #expect(try f.analyzeOnce().exitCode == 0)
        let name = try #require(FileIO.listIfPresent(f.spool.metricsDirectory).first { $0.hasPrefix("vigil-analyzer-") })
        let text = try f.dir.read("spool/metrics/\(name)")
        let up = text.split(separator: "\n").filter { $0.hasPrefix("vigil_interface_up{") }.compactMap { line in
            line.range(of: #"id="[^"]*""#, options: .regularExpression).map { String(line[$0].dropFirst(4).dropLast()) }
        }
        #expect(up == expected, "\(mode)/\(limit): \(up)")
        #expect(text.contains("vigil_run_interfaces{result=\"failed\"} 1"), "per-run totals are always written")
    }
}
