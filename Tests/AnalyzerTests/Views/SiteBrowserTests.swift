// The status site in a real browser: the index, an interface page and the runs page, rendered by headless
// Chromium at a phone's (390 px) and a desktop's (1280 px) width, each fit the screen (no horizontal scrolling)
// and render to a screenshot with content. Headless Chromium lays a window out at least 500 px wide whatever
// --window-size says, so each page is loaded in an iframe of the exact width (srcdoc: the site has no external
// assets). Skipped, saying so, where Chromium is not installed (Debian: apt-get install chromium).

import Foundation
import Shared
import TestSupport
import Testing

enum Chromium {
    /// The browser's path, nil when it is not installed.
    static let path: String? = {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map(String.init)
        for name in ["chromium", "chromium-browser"] {
            for directory in directories where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
                return directory + "/" + name
            }
        }
        return nil
    }()

    /// Runs the browser headless on `html` (written to a file in `work`) with `arguments`; returns its stdout.
    static func run(_ arguments: [String], html: String, work: TemporaryDirectory, name: String) throws -> String {
        let page = try work.write(name + ".html", html)
        let child = try ChildProcess(
            executable: try #require(path),
            arguments: [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=" + work.url("profile"),
            ] + arguments + ["file://" + page],
            stdout: .capture, stderr: .discard)
        guard child.wait(timeout: 60) != nil else {
            child.signal(SIGKILL)
            _ = child.wait()
            Issue.record("chromium did not finish within 60 s on \(name)")
            return ""
        }
        return child.output()
    }

    /// `page` in an iframe `width` × `height` px; `onload` (a script's function name) runs when it has loaded.
    static func frame(_ page: String, width: Int, height: Int, script: String = "") -> String {
        var escaped = ""
        for c in page.unicodeScalars {
            switch c {
            case "&": escaped += "&amp;"
            case "\"": escaped += "&quot;"
            case "<": escaped += "&lt;"
            default: escaped.unicodeScalars.append(c)
            }
        }
        return "<!DOCTYPE html><html><head><style>body{margin:0}iframe{border:0;display:block}</style><script>\(script)</script></head>"
            + "<body><iframe id=\"f\" width=\"\(width)\" height=\"\(height)\"\(script.isEmpty ? "" : " onload=\"measure(this)\"") "
            + "srcdoc=\"\(escaped)\"></iframe></body></html>"
    }

    /// Writes into the wrapper's body the page's scroll width, its viewport's width, and the first elements
    /// that reach past the viewport outside a scrolling box (for the failure message).
    static let measure = """
        function measure(f) {
          const doc = f.contentDocument, width = doc.documentElement.clientWidth, wide = [];
          for (const e of doc.body.querySelectorAll('*')) {
            if (e.getBoundingClientRect().right <= width + 0.5) continue;
            let p = e.parentElement, scrolls = false;
            for (; p; p = p.parentElement) if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) scrolls = true;
            if (!scrolls) wide.push(e.tagName + (typeof e.className === 'string' && e.className ? '.' + e.className : ''));
          }
          document.body.setAttribute('data-measure', doc.documentElement.scrollWidth + ' ' + width + ' ' + wide.slice(0, 6).join(','));
        }
        """
}

@Suite(
    "Status site in headless Chromium", .ownThread,
    .enabled(if: Chromium.path != nil, "Chromium is not installed (apt-get install chromium): the pages are not checked at phone and desktop width"))
struct SiteBrowserTests {
    @Test("the index, an interface page and the runs page fit a phone's and a desktop's width and render", arguments: [390, 1280])
    func widths(_ width: Int) throws {
        let f = try AnalyzerFixture()
        let ids = ["user/login", "user/profile/get-info-by-department-and-ward", "nurse/list", "admin/export"]
        var plan: [[String: Outcome]] = []
        for i in 0..<8 {
            plan.append(Dictionary(uniqueKeysWithValues: ids.map { ($0, Outcome.ok) }))
            if (2...4).contains(i) { plan[i]["user/login"] = .timeout }
            if i >= 5 { plan[i]["user/profile/get-info-by-department-and-ward"] = .http500 }
        }
        _ = try SiteWallScreenTests.publish(f, plan)
        let work = TemporaryDirectory("chromium")
        let height = 900
        _ = try Chromium.run(
            ["--window-size=\(width),\(height)", "--screenshot=" + work.url("blank.png")],
            html: Chromium.frame("<!DOCTYPE html><html><body></body></html>", width: width, height: height), work: work, name: "blank")
        let blankSize = try FileIO.read(work.url("blank.png")).count
        for relative in ["index.html", SiteLayout.interfacePage("user/profile/get-info-by-department-and-ward"), "runs.html"] {
            let page = try String(contentsOfFile: f.dir.url("spool/site/" + relative), encoding: .utf8)
            let name = "\(relative.replacingOccurrences(of: "/", with: "_"))-\(width)"
            let dom = try Chromium.run(
                ["--window-size=\(width),\(height)", "--dump-dom"],
                html: Chromium.frame(page, width: width, height: height, script: Chromium.measure), work: work, name: name + "-measure")
            let measured = try #require(
                dom.range(of: #"data-measure="[^"]*""#, options: .regularExpression).map { String(dom[$0].dropFirst(14).dropLast()) },
                "\(relative) at \(width) px: no measurement in Chromium's DOM")
            let parts = measured.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            let (scroll, viewport) = (Int(parts[0]) ?? -1, Int(parts[1]) ?? -1)
            #expect(viewport == width, "\(relative): laid out \(viewport) px wide, not \(width)")
            #expect(scroll == viewport, "\(relative) at \(width) px: \(scroll) px wide; past the screen: \(parts.count > 2 ? parts[2] : "")")

            let shot = work.url(name + ".png")
            _ = try Chromium.run(
                ["--window-size=\(width),\(height)", "--screenshot=" + shot], html: Chromium.frame(page, width: width, height: height), work: work,
                name: name)
            let png = try FileIO.read(shot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "\(relative): a PNG")
            // IHDR: width and height, big-endian, at bytes 16 and 20.
            let size = png.count >= 24 ? (png[16..<20].reduce(0) { $0 << 8 | Int($1) }, png[20..<24].reduce(0) { $0 << 8 | Int($1) }) : (0, 0)
            #expect(size == (width, height), "\(relative): screenshot \(size), not \(width) × \(height)")
            #expect(png.count > 4 * blankSize, "\(relative) at \(width) px: \(png.count) bytes, a blank page is \(blankSize): nothing rendered?")
        }
    }
}
