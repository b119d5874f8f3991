// HTML: the pieces of the status site — escaping, the page frame (inline CSS, light and dark by
// prefers-color-scheme, readable on a phone, no scripts, no external assets, a refresh for wall screens) and the
// report's Markdown as HTML (the SVG charts and strips are in SiteCharts.swift). Everything is well-formed
// XHTML, so tests parse it with XMLParser.

import Foundation
import Shared

enum HTML {
    /// The list of every kept run, linked from every page.
    static let runsPage = "runs.html"

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // XML 1.0 allows no other control characters than tab, CR and LF.
                if scalar.value < 0x20, scalar != "\t", scalar != "\n", scalar != "\r" {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    static let style = """
        :root{color-scheme:light dark;--bg:#fff;--fg:#1d1d1f;--muted:#6e6e73;--line:#d2d2d7;--ok:#1a7f37;--bad:#cf222e;--warn:#bf8700;--card:#f6f8fa}
        @media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#8b949e;--line:#30363d;--ok:#3fb950;--bad:#f85149;--warn:#d29922;--card:#161b22}}
        body{margin:0 auto;max-width:72rem;padding:1rem;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,sans-serif}
        a{color:inherit}h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:1.6rem}.muted{color:var(--muted)}
        table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.3rem .4rem;border-bottom:1px solid var(--line);vertical-align:top}
        .num{text-align:right;font-variant-numeric:tabular-nums}.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}
        .card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.6rem .8rem;margin:.5rem 0}
        pre{background:var(--card);padding:.6rem;overflow-x:auto;border-radius:6px;font-size:13px}code{font-size:13px}
        svg{max-width:100%;height:auto}.strip{display:block}@media (max-width:40rem){.wide{display:none}}
        .legend{font-size:13px}.entry{white-space:nowrap;margin-right:.6em}.key{display:inline-block;width:.8em;height:.8em;border-radius:2px;vertical-align:-1px}
        .scroll{overflow-x:auto}nav{margin:.5rem 0}nav a{margin-right:1rem}
        """

    /// A whole page: XHTML with its title and body. `refresh`: seconds after which a browser reloads it (a wall
    /// screen follows the runs without a script: the site's Content-Security-Policy allows none).
    static func page(title: String, root: String, body: String, refresh: Int? = nil) -> String {
        let meta = refresh.map { "<meta http-equiv=\"refresh\" content=\"\($0)\"/>" } ?? ""
        let nav = "<nav class=\"muted\"><a href=\"\(root)index.html\">Vigil status</a><a href=\"\(root)\(runsPage)\">All runs</a></nav>"
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
            <head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>\(meta)
            <title>\(escape(title))</title><style>\(style)</style></head>
            <body>\(root.isEmpty ? "" : nav)
            \(body)
            </body></html>

            """
    }

    /// One decimal, without String(format:) (a site of 10 000 charts formats millions of coordinates).
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let tenths = Int((min(max(value, -1e15), 1e15) * 10).rounded())  // a hand-made 1e300 must not trap
        let sign = tenths < 0 ? "-" : ""
        return sign + String(abs(tenths) / 10) + "." + String(abs(tenths) % 10)
    }

    /// The report's Markdown (the subset ReportRenderer writes) as XHTML.
    static func markdown(_ text: String) -> String {
        var out = ""
        var lines = text.components(separatedBy: "\n")[...]
        var list = false
        func closeList() {
            if list { out += "</ul>\n" }
            list = false
        }
        while let line = lines.popFirst() {
            if line.hasPrefix("```") {
                closeList()
                let fence = String(line.prefix { $0 == "`" })
                var code: [String] = []
                while let next = lines.popFirst(), next != fence { code.append(next) }
                out += "<pre><code>\(escape(code.joined(separator: "\n")))</code></pre>\n"
            } else if line.hasPrefix("#") {
                closeList()
                let level = min(line.prefix { $0 == "#" }.count, 6)
                out += "<h\(level)>\(inline(String(line.dropFirst(level)).trimmingCharacters(in: .whitespaces)))</h\(level)>\n"
            } else if line.hasPrefix("|") {
                closeList()
                var rows = [line]
                while let next = lines.first, next.hasPrefix("|") {
                    rows.append(next)
                    lines.removeFirst()
                }
                out += table(rows)
            } else if line.hasPrefix("- ") {
                if !list { out += "<ul>\n" }
                list = true
                out += "<li>\(inline(String(line.dropFirst(2))))</li>\n"
            } else if line == "<details><summary>Request and response</summary>" {
                closeList()
                out += "<details><summary>Request and response</summary>\n"
            } else if line == "</details>" {
                closeList()
                out += "</details>\n"
            } else if line.trimmingCharacters(in: .whitespaces).isEmpty {
                closeList()
            } else {
                closeList()
                out += "<p>\(inline(line))</p>\n"
            }
        }
        closeList()
        return out
    }

    private static func table(_ rows: [String]) -> String {
        func cells(_ row: String) -> [String] {
            var out: [String] = []
            var current = ""
            var escaped = false
            for c in row.dropFirst() {
                if escaped {
                    current.append(c)
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "|" {
                    out.append(current.trimmingCharacters(in: .whitespaces))
                    current = ""
                } else {
                    current.append(c)
                }
            }
            return out
        }
        let body = rows.filter { !$0.hasPrefix("|---") && !$0.hasPrefix("| ---") }
        var out = "<table>\n"
        for (i, row) in body.enumerated() {
            let tag = i == 0 ? "th" : "td"
            out += "<tr>" + cells(row).map { "<\(tag)>\(inline($0))</\(tag)>" }.joined() + "</tr>\n"
        }
        return out + "</table>\n"
    }

    /// `**bold**` and `` `code` ``; everything else escaped.
    static func inline(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while !rest.isEmpty {
            if rest.hasPrefix("**"), let end = rest.dropFirst(2).range(of: "**") {
                out += "<strong>\(escape(String(rest.dropFirst(2)[..<end.lowerBound])))</strong>"
                rest = rest[end.upperBound...]
            } else if rest.hasPrefix("`"), let end = rest.dropFirst().firstIndex(of: "`") {
                out += "<code>\(escape(String(rest.dropFirst()[..<end])))</code>"
                rest = rest[rest.index(after: end)...]
            } else {
                out += escape(String(rest.first!))
                rest = rest.dropFirst()
            }
        }
        return out
    }
}
