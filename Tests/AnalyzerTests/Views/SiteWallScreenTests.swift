// The status site on a wall screen: pages that reload at the run interval, a runs page that reaches every kept
// run (an all-green one too), strips and charts whose cells and axes say when (in notify.timezone, the zone
// named) and mark failed runs, the request's method and URL, a certificate's days left. Times derive from now.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Status site for a wall screen", .ownThread)
struct SiteWallScreenTests {
    /// The last quarter hour an hour ago: runs 15 minutes apart from there end before now.
    static let base = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 900).rounded(.down) * 900 - 3600)

    /// Publishes and analyzes one run per plan entry, 15 minutes apart from `base`; returns the run ids.
    static func publish(_ f: AnalyzerFixture, _ plan: [[String: Outcome]], adjust: (inout ProbeResult) -> Void = { _ in }) throws -> [String] {
        var runs: [String] = []
        for (i, outcomes) in plan.enumerated() {
            let start = base.addingTimeInterval(Double(i) * 900)
            let run = RunID.scheduled(tick: start)
            runs.append(run)
            let results = outcomes.sorted { $0.key < $1.key }.map { id, outcome in
                var result = AnalyzerFixture.result(id, outcome, run: run, at: start)
                adjust(&result)
                return result
            }
            try f.publishBatch(run: run, results: results, start: start)
            let analyzed = try f.analyzeOnce()
            #expect(analyzed.exitCode == 0, "\(analyzed.stderr)")
        }
        return runs
    }

    static func page(_ f: AnalyzerFixture, _ relative: String) throws -> XHTMLPage {
        let page = XHTMLPage(try String(contentsOfFile: f.dir.url("spool/site/" + relative), encoding: .utf8))
        #expect(page.error == nil, "\(relative): \(page.error ?? "")")
        return page
    }

    /// How the site writes a time for people in Asia/Shanghai (the fixture's notify.timezone).
    static func shanghai(_ date: Date, _ format: String = "yyyy-MM-dd HH:mm:ss zzz") -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        formatter.dateFormat = format
        return formatter.string(from: date)
    }

    static let threeRuns: [[String: Outcome]] = [
        ["user/login": .ok, "user/list": .ok], ["user/login": .timeout, "user/list": .ok], ["user/login": .ok, "user/list": .ok],
    ]

    @Test("the runs page lists every kept run newest first, each linked to its page (all-green runs too); the index links to it")
    func runsPage() throws {
        let f = try AnalyzerFixture()
        let runs = try Self.publish(f, Self.threeRuns)
        let page = try Self.page(f, "runs.html")
        let rows = page.byClass("run")
        #expect(rows.map { $0.attributes["data-run"] } == runs.reversed(), "every run, newest first")
        for (row, run) in zip(rows, runs.reversed()) {
            let link = row.children.map { page.elements[$0] }.first.flatMap { page.children(of: $0, named: "a").first }
            #expect(link?.attributes["href"] == SiteLayout.runPage(run))
            #expect(FileManager.default.fileExists(atPath: f.dir.url("spool/site/" + SiteLayout.runPage(run))), "\(run)'s page exists")
            #expect(link?.text == Self.shanghai(try #require(RunID.date(of: run))), "started, in the configured zone")
        }
        #expect(rows.map { page.children(of: $0, named: "td")[1].text } == ["all ok", "1 failed", "all ok"])

        let index = try Self.page(f, "index.html")
        #expect(index.elements.contains { $0.name == "a" && $0.attributes["href"] == HTMLNames.runsPage }, "the index links to the runs page")
        // The index's strip of the last runs: a cell per run, each linked to its page and saying how it went.
        let cells = index.elements.filter { $0.name == "a" && ($0.attributes["href"] ?? "").hasPrefix("runs/") && $0.text.contains("interfaces") }
        #expect(cells.map { $0.attributes["href"] } == runs.map { SiteLayout.runPage($0) })
        #expect(
            cells.map(\.text)
                == runs.enumerated().map { i, run in "\(Self.shanghai(RunID.date(of: run)!)): 2 interfaces, \(i == 1 ? "1 failed" : "all ok")" })
    }

    @Test("the latency chart's axis shows run times in the configured zone, failed runs are marked, strip cells say when and link")
    func timeAxisAndFailures() throws {
        let f = try AnalyzerFixture()
        let runs = try Self.publish(f, Self.threeRuns)
        let page = try Self.page(f, SiteLayout.interfacePage("user/login"))
        let texts = page.elements.filter { $0.name == "text" }.map(\.text)
        let dates = runs.map { RunID.date(of: $0)! }
        for date in dates {
            #expect(texts.contains { $0.hasSuffix(Self.shanghai(date, "HH:mm")) }, "a tick at \(Self.shanghai(date)): \(texts)")
        }
        #expect(texts.contains("run start (GMT+8)"), "the axis names the zone")
        #expect(texts.contains("day (UTC)"), "the day chart says its days are UTC days")
        let marks = page.elements.filter { $0.name == "rect" && $0.attributes["fill-opacity"] != nil }
        #expect(marks.map(\.text) == ["\(Self.shanghai(dates[1])): timeout"], "the failed run is marked, and only it")
        #expect(marks.first?.attributes["fill"] == "#cf222e", "down is red")

        let cells = page.elements.filter { $0.name == "a" && ($0.attributes["href"] ?? "").hasPrefix("../runs/") && $0.children.count == 1 }
        let failed = try #require(cells.first { $0.text.contains("timeout") }, "\(cells.map(\.text))")
        #expect(failed.attributes["href"] == "../" + SiteLayout.runPage(runs[1]))
        #expect(failed.text == "\(Self.shanghai(dates[1], "HH:mm")) GMT+8: timeout" || failed.text.hasSuffix(" GMT+8: timeout"), "\(failed.text)")
        #expect(cells.contains { $0.attributes["href"] == "../" + SiteLayout.runPage(runs[2]) && $0.text.hasSuffix(": ok") }, "the ok cell too")
        #expect(page.byClass("legend").first?.text.contains("down") == true, "the strip has a legend")
    }

    @Test("the request block starts with the method and URL; a certificate says its days left")
    func requestAndCertificate() throws {
        let f = try AnalyzerFixture()
        _ = try Self.publish(f, [["user/login": .http500, "user/cert": .certExpiring]]) { result in
            guard result.outcome == .certExpiring else { return }
            result.status = 200
            let expiry = result.startedAt.addingTimeInterval(9 * 86_400 + 3600)
            result.tls = TLSFacts(subject: "CN = api.example.com", issuer: "CN = CA", notAfter: expiry, daysLeft: 9, earliestNotAfter: expiry)
        }
        let login = try Self.page(f, SiteLayout.interfacePage("user/login"))
        let request = try #require(login.byID("request")?.text)
        #expect(request.split(separator: "\n").first == "GET https://api.example.com/user/login", "\(request)")
        #expect(request.contains("Authorization: Bearer ***"), "the headers follow")

        let cert = try Self.page(f, SiteLayout.interfacePage("user/cert"))
        #expect(cert.byID("cert-days")?.text == "9 days left")
        let index = try String(contentsOfFile: f.dir.url("spool/site/index.html"), encoding: .utf8)
        #expect(index.contains("certificate expiring: 9 days left") && !index.contains("certificate expiring: certificate expiring"))
    }

    @Test(
        "pages reload at the run interval (a run's page does not): the default 15 minutes, an interval, a cron schedule's gap",
        arguments: [("", 900), ("interval: 5", 300), ("schedule: \"*/10 * * * *\"", 600)])
    func refresh(_ monitor: String, _ seconds: Int) throws {
        let f = try AnalyzerFixture(extra: monitor.isEmpty ? "" : "monitor:\n  \(monitor)")
        let runs = try Self.publish(f, [["user/login": .ok]])
        for relative in ["index.html", HTMLNames.runsPage, SiteLayout.servicePage("user"), SiteLayout.interfacePage("user/login")] {
            let meta = try Self.page(f, relative).elements.first { $0.name == "meta" && $0.attributes["http-equiv"] == "refresh" }
            #expect(meta?.attributes["content"] == "\(seconds)", "\(relative)")
        }
        #expect(!(try Self.page(f, SiteLayout.runPage(runs[0])).elements.contains { $0.attributes["http-equiv"] == "refresh" }))
    }

    @Test("every time a person reads on the site is in the configured zone: no ISO UTC time on any page, silences included")
    func oneClock() throws {
        let f = try AnalyzerFixture()
        let until = Self.base.addingTimeInterval(3600)
        let silence = Silence(id: "s", match: "user/*", createdAt: Self.base.addingTimeInterval(-60), until: until, reason: "migration", by: "ops")
        _ = try f.dir.write("spool/state/silences/s.json", try RecordCoding.encodeString(silence) + "\n")
        let runs = try Self.publish(f, Self.threeRuns)
        let login = try String(contentsOfFile: f.dir.url("spool/site/" + SiteLayout.interfacePage("user/login")), encoding: .utf8)
        #expect(login.contains("silenced until \(Self.shanghai(until)): migration (ops)"), "\(login)")
        let pages =
            ["index.html", HTMLNames.runsPage, SiteLayout.servicePage("user"), SiteLayout.interfacePage("user/login")]
            + runs.map { SiteLayout.runPage($0) }
        for relative in pages {
            let text = try String(contentsOfFile: f.dir.url("spool/site/" + relative), encoding: .utf8)
            let iso = text.range(of: #"\d{4}-\d\d-\d\dT\d\d:\d\d"#, options: .regularExpression)
            #expect(iso == nil, "\(relative): \(iso.map { String(text[$0.lowerBound...].prefix(40)) } ?? "")")
        }
    }
}

/// Names the site gives its pages, as a reader links to them (the analyzer's own constants are not importable).
enum HTMLNames {
    static let runsPage = "runs.html"
}
