// SiteCharts: the status site's SVG — outcome strips (one cell per run, oldest left; a run's cell says its
// time and outcome and links to its page), their legend, and line charts whose x axis is time in the
// configured zone, with failed runs marked by their colour. Runs of one colour are one rectangle, so a
// service page of 1 000 strips stays small.

import Foundation
import Shared

/// One cell group of a strip: consecutive runs with one colour.
struct StripSegment {
    let start: Int
    let count: Int
    let colour: String
    /// What the cell says on hover ("23:00–23:45 GMT+8: 4 runs ok").
    var title: String?
    /// The page it links to (a run's page), relative to the page it is on.
    var link: String?
}

/// A band over a chart marking one run (a failed one) in its strip colour.
struct ChartMark {
    let index: Int
    let colour: String
    let title: String
}

/// A chart's x axis: labels at point indices, and what the axis is ("time (GMT+8)").
struct ChartAxis {
    var ticks: [(index: Int, label: String)]
    var caption: String
}

extension HTML {
    /// The colour of an outcome letter (OutcomeLetter), by the outcome's kind — an exhaustive switch, so a new kind
    /// does not compile without a colour: green ok, red down, amber answering errors and certificates, grey not
    /// probed or not loaded; a letter no outcome has is red.
    static func stripColour(_ letter: Character) -> String {
        guard let outcome = OutcomeLetter.outcome(letter) else { return "#cf222e" }
        switch outcome.kind {
        case nil: return "#2da44e"
        case .down?: return "#cf222e"
        case .answeringErrors?, .certificate?, .degraded?: return "#d4a72c"
        case .notProbed?, .notLoaded?: return "#8c959f"
        }
    }

    /// The strip's legend (its colours in words), once per page.
    static let stripLegend = legend([
        ("#2da44e", "ok"), ("#d4a72c", "answering errors, certificate or degraded"), ("#cf222e", "down"), ("#8c959f", "not probed"),
    ])

    /// A legend: a coloured key and its words for each entry, an entry never broken across lines.
    static func legend(_ entries: [(colour: String, words: String)], after: String = "") -> String {
        "<p class=\"legend muted\">"
            + entries.map { "<span class=\"entry\"><span class=\"key\" style=\"background:\($0.colour)\"></span> \(escape($0.words))</span>" }
            .joined(separator: " ") + after + "</p>"
    }

    /// The segments of `letters`: consecutive runs of one colour.
    static func segments(_ letters: String) -> [StripSegment] {
        let colours = letters.map(stripColour)
        var out: [StripSegment] = []
        var start = 0
        while start < colours.count {
            var end = start + 1
            while end < colours.count, colours[end] == colours[start] { end += 1 }
            out.append(StripSegment(start: start, count: end - start, colour: colours[start]))
            start = end
        }
        return out
    }

    /// A strip of outcome letters, one coloured cell per run, oldest left, the counts in its title.
    static func strip(_ letters: String, width: Int = 270) -> String {
        let ok = letters.filter { $0 == "o" }.count
        return strip(segments(letters), width: width, title: "last \(letters.count) runs: \(ok) ok, \(letters.count - ok) failed")
    }

    /// A strip of `segments` (`cells` cells across `width`), each with its own title and link when it has them.
    static func strip(_ segments: [StripSegment], width: Int, cells: Int = Rollup.stripLength, title: String) -> String {
        let cell = Double(width) / Double(max(cells, 1))
        var out =
            "<svg class=\"strip\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"16\" viewBox=\"0 0 \(width) 16\" role=\"img\">"
        out += "<title>\(escape(title))</title>"
        for s in segments {
            var rect = "<rect x=\"\(format(Double(s.start) * cell))\" y=\"0\" width=\"\(format(Double(s.count) * cell - 0.5))\" height=\"16\" "
            rect += "fill=\"\(s.colour)\""
            rect += s.title.map { "><title>\(escape($0))</title></rect>" } ?? "/>"
            out += s.link.map { "<a href=\"\(escape($0))\">\(rect)</a>" } ?? rect
        }
        return out + "</svg>"
    }

    /// A line chart of one or more series (values in ms; nil: a gap) with a y axis in ms, an x axis of `axis`,
    /// and `marks` (failed runs) as bands in their colour behind the lines.
    static func chart(
        _ series: [(name: String, colour: String, values: [Double?])], axis: ChartAxis, marks: [ChartMark] = [], title: String
    ) -> String {
        let width = 640.0
        let height = 214.0
        let left = 48.0
        let bottom = 38.0
        let all = series.flatMap { $0.values.compactMap { $0 } }
        let top = max(all.max() ?? 1, 1) * 1.1
        let count = max(series.map(\.values.count).max() ?? 0, 2)
        let step = (width - left - 8) / Double(count - 1)
        func x(_ i: Int) -> Double { left + step * Double(i) }
        func y(_ v: Double) -> Double { (height - bottom) * (1 - v / top) + 4 }
        var out =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\">"
        out += "<title>\(escape(title))</title>"
        // A run's band is its slot: as wide as the step between runs (adjacent failures join up), inside the plot.
        let band = max(step, 3)
        for mark in marks {
            let from = max(left, x(mark.index) - band / 2)
            let to = min(width - 8, x(mark.index) + band / 2)
            out += "<rect x=\"\(format(from))\" y=\"4\" width=\"\(format(to - from))\" height=\"\(format(height - bottom))\" "
            out += "fill=\"\(mark.colour)\" fill-opacity=\"0.3\"><title>\(escape(mark.title))</title></rect>"
        }
        for fraction in [0.0, 0.5, 1.0] {
            let v = top / 1.1 * fraction
            out +=
                "<line x1=\"\(Int(left))\" x2=\"\(Int(width))\" y1=\"\(format(y(v)))\" y2=\"\(format(y(v)))\" stroke=\"#8c959f\" stroke-width=\"0.5\"/>"
            out += "<text x=\"2\" y=\"\(format(y(v) + 4))\" font-size=\"11\" fill=\"#8c959f\">\(Int(v.rounded())) ms</text>"
        }
        for s in series { out += line(s, x: x, y: y) }
        out += xAxis(axis, x: x, baseline: height - bottom + 4, width: width)
        var legend = left
        for s in series {
            out += "<text x=\"\(format(legend))\" y=\"12\" font-size=\"11\" fill=\"\(s.colour)\">\(escape(s.name))</text>"
            legend += 60
        }
        if !marks.isEmpty {
            out += "<text x=\"\(format(legend))\" y=\"12\" font-size=\"11\" fill=\"#cf222e\">failed runs (strip colours)</text>"
        }
        return out + "</svg>"
    }

    /// One series: a path, and (few points: days) a dot on each, so a single day still shows.
    private static func line(_ s: (name: String, colour: String, values: [Double?]), x: (Int) -> Double, y: (Double) -> Double) -> String {
        var path = ""
        var pen = false
        for (i, value) in s.values.enumerated() {
            guard let value else {
                pen = false
                continue
            }
            // Whole pixels are enough for a 640 × 214 chart, and much cheaper to write than decimals.
            path += (pen ? "L" : "M") + String(Int(x(i).rounded())) + "," + String(Int(y(value).rounded())) + " "
            pen = true
        }
        var out = "<path d=\"\(path)\" fill=\"none\" stroke=\"\(s.colour)\" stroke-width=\"1.5\"><title>\(escape(s.name))</title></path>"
        if s.values.count <= 31 {
            for (i, value) in s.values.enumerated() {
                guard let value else { continue }
                out += "<circle cx=\"\(Int(x(i).rounded()))\" cy=\"\(Int(y(value).rounded()))\" r=\"3\" fill=\"\(s.colour)\"/>"
            }
        }
        return out
    }

    /// Tick marks and labels under the plot (the first label starts at its tick, the last ends at it), and the
    /// axis caption below them.
    private static func xAxis(_ axis: ChartAxis, x: (Int) -> Double, baseline: Double, width: Double) -> String {
        var out = ""
        for (n, tick) in axis.ticks.enumerated() {
            let at = x(tick.index)
            let anchor = n == 0 ? "start" : n == axis.ticks.count - 1 ? "end" : "middle"
            out += "<line x1=\"\(format(at))\" x2=\"\(format(at))\" y1=\"\(format(baseline - 4))\" y2=\"\(format(baseline))\" "
            out += "stroke=\"#8c959f\" stroke-width=\"0.5\"/>"
            out += "<text x=\"\(format(at))\" y=\"\(format(baseline + 12))\" font-size=\"11\" fill=\"#8c959f\" text-anchor=\"\(anchor)\">"
            out += "\(escape(tick.label))</text>"
        }
        out += "<text x=\"\(format(width / 2))\" y=\"\(format(baseline + 28))\" font-size=\"11\" fill=\"#8c959f\" text-anchor=\"middle\">"
        return out + "\(escape(axis.caption))</text>"
    }

    /// Up to `count` indices spread evenly over `0..<total`, first and last included.
    static func tickIndices(_ total: Int, count: Int = 5) -> [Int] {
        guard total > 1 else { return total == 1 ? [0] : [] }
        let n = min(count, total)
        var out: [Int] = []
        for k in 0..<n {
            let i = Int((Double(k) * Double(total - 1) / Double(n - 1)).rounded())
            if out.last != i { out.append(i) }
        }
        return out
    }
}
