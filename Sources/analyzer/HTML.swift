// HTML: the pieces of the status site — escaping, the page frame (inline CSS, light and dark by
// prefers-color-scheme, readable on a phone, no scripts, no external assets), SVG charts and strips, and the
// report's Markdown as HTML. Everything is well-formed XHTML, so tests parse it with XMLParser.

import Foundation
import Shared

enum HTML {
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
        """

    /// A whole page: XHTML with its title and body.
    static func page(title: String, root: String, body: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
        <head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>\(escape(title))</title><style>\(style)</style></head>
        <body>\(root.isEmpty ? "" : "<p class=\"muted\"><a href=\"\(root)index.html\">Vigil status</a></p>")
        \(body)
        </body></html>

        """
    }

    /// A strip of outcome letters, one coloured cell per run, oldest left; runs of one colour are one rectangle
    /// (a service page of 1 000 interfaces stays small), the counts in its title.
    static func strip(_ letters: String, width: Int = 270) -> String {
        let cell = Double(width) / Double(Rollup.stripLength)
        func colour(_ letter: Character) -> String {
            switch letter {
            case "o": "#2da44e"
            case "k": "#8c959f"
            // Answering errors and certificates (OutcomeLetter): 4xx, assertion, cert_expiring.
            case "4", "x", "a", "e": "#d4a72c"
            default: "#cf222e"
            }
        }
        let ok = letters.filter { $0 == "o" }.count
        var out =
            "<svg class=\"strip\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"16\" viewBox=\"0 0 \(width) 16\" role=\"img\">"
        out += "<title>last \(letters.count) runs: \(ok) ok, \(letters.count - ok) failed</title>"
        let colours = letters.map(colour)
        var start = 0
        while start < colours.count {
            var end = start + 1
            while end < colours.count, colours[end] == colours[start] { end += 1 }
            out += "<rect x=\"\(format(Double(start) * cell))\" y=\"0\" width=\"\(format(Double(end - start) * cell - 0.5))\" height=\"16\" "
            out += "fill=\"\(colours[start])\"/>"
            start = end
        }
        return out + "</svg>"
    }

    /// A line chart of one or more series (values in ms; nil: a gap) with a y axis in ms.
    static func chart(_ series: [(name: String, colour: String, values: [Double?])], labels: [String], title: String) -> String {
        let width = 640.0
        let height = 200.0
        let left = 48.0
        let bottom = 24.0
        let all = series.flatMap { $0.values.compactMap { $0 } }
        let top = max(all.max() ?? 1, 1) * 1.1
        let count = max(series.map(\.values.count).max() ?? 0, 2)
        func x(_ i: Int) -> Double { left + (width - left - 8) * Double(i) / Double(count - 1) }
        func y(_ v: Double) -> Double { (height - bottom) * (1 - v / top) + 4 }
        var out =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\">"
        out += "<title>\(escape(title))</title>"
        for fraction in [0.0, 0.5, 1.0] {
            let v = top / 1.1 * fraction
            out +=
                "<line x1=\"\(Int(left))\" x2=\"\(Int(width))\" y1=\"\(format(y(v)))\" y2=\"\(format(y(v)))\" stroke=\"#8c959f\" stroke-width=\"0.5\"/>"
            out += "<text x=\"2\" y=\"\(format(y(v) + 4))\" font-size=\"11\" fill=\"#8c959f\">\(Int(v.rounded())) ms</text>"
        }
        for s in series {
            var path = ""
            var pen = false
            for (i, value) in s.values.enumerated() {
                guard let value else {
                    pen = false
                    continue
                }
                // Whole pixels are enough for a 640 × 200 chart, and much cheaper to write than decimals.
                path += (pen ? "L" : "M") + String(Int(x(i).rounded())) + "," + String(Int(y(value).rounded())) + " "
                pen = true
            }
            out += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(s.colour)\" stroke-width=\"1.5\"><title>\(escape(s.name))</title></path>"
            // Few points (days): each is marked, so a single day still shows.
            if s.values.count <= 31 {
                for (i, value) in s.values.enumerated() {
                    guard let value else { continue }
                    out += "<circle cx=\"\(Int(x(i).rounded()))\" cy=\"\(Int(y(value).rounded()))\" r=\"3\" fill=\"\(s.colour)\"/>"
                }
            }
        }
        if let first = labels.first, let last = labels.last {
            out += "<text x=\"\(Int(left))\" y=\"\(Int(height - 4))\" font-size=\"11\" fill=\"#8c959f\">\(escape(first))</text>"
            out +=
                "<text x=\"\(Int(width - 8))\" y=\"\(Int(height - 4))\" font-size=\"11\" fill=\"#8c959f\" text-anchor=\"end\">\(escape(last))</text>"
        }
        var legend = left
        for s in series {
            out += "<text x=\"\(format(legend))\" y=\"12\" font-size=\"11\" fill=\"\(s.colour)\">\(escape(s.name))</text>"
            legend += 60
        }
        return out + "</svg>"
    }

    /// One decimal, without String(format:) (a site of 10 000 charts formats millions of coordinates).
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let tenths = Int((value * 10).rounded())
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
