import Foundation

/// Runs of one kind compared as `fedsim report` prints them: a table, one row per run,
/// in Markdown and, for a browser, in an HTML page above SVG charts of the runs.
public protocol RunReport: Sendable {
    /// The header, then one row per run.
    var rows: [[String]] { get }
    /// The runs' names, in row order: the page's legend.
    var runNames: [String] { get }
    /// The page's charts, each an SVG under its heading (`LineChart.html`).
    var charts: [String] { get }
    /// Sentences about the runs as a group, printed after the table.
    var notes: [String] { get }
}

extension RunReport {
    public var notes: [String] { [] }

    /// The table in Markdown, numbers right-aligned, then the notes.
    public var markdown: String {
        let rows = rows
        let lines = ["| " + rows[0].joined(separator: " | ") + " |", "|---|" + String(repeating: "---:|", count: rows[0].count - 1)]
            + rows.dropFirst().map { "| " + $0.joined(separator: " | ") + " |" }
        return lines.joined(separator: "\n") + "\n" + notes.map { "\n" + $0 + "\n" }.joined()
    }

    /// A self-contained HTML page: the table, a legend of the runs' colors, the charts.
    public var html: String {
        let rows = rows
        let table = "<table>\n<tr>" + rows[0].map { "<th>\(ReportText.escaped($0))</th>" }.joined() + "</tr>\n"
            + rows.dropFirst().map { "<tr>" + $0.map { "<td>\(ReportText.escaped($0))</td>" }.joined() + "</tr>" }
                .joined(separator: "\n") + "\n</table>"
        let legend = runNames.enumerated().map { index, name in
            "<span style=\"color:\(LineChart.color(index))\">&#9632; \(ReportText.escaped(name))</span>"
        }.joined(separator: " ")
        return """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>fedsim report</title>
            <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}\
            td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}</style>
            </head><body>
            <h1>fedsim report</h1>
            \(table)
            \(notes.map { "<p>\(ReportText.escaped($0))</p>" }.joined(separator: "\n"))
            <p>\(legend)</p>
            \(charts.joined(separator: "\n"))
            </body></html>

            """
    }
}

/// One chart of a report page: a colored line per run, x from 0 to the largest x drawn,
/// y over the values drawn, both ranges labelled.
struct LineChart {
    enum Scale {
        case linear
        /// Powers of ten equally spaced, for measures that fall by orders of magnitude.
        case logarithmic
    }

    /// The heading, e.g. "test loss against virtual time".
    var title: String
    /// Each run's points, in run order. A point the scale cannot draw (a value that is
    /// not finite, or not positive on a logarithmic scale) is left out.
    var series: [[(x: Double, y: Double)]]
    /// After the x labels ("0 s" ... "60.0 s").
    var xUnit: String
    /// Digits after the point of the largest x's label.
    var xDecimals: Int
    var yScale: Scale

    /// The heading and the SVG.
    var html: String {
        let (width, height, margin) = (640.0, 320.0, 48.0)
        let drawn = series.map { $0.compactMap { point in yScale.position(point.y).map { (x: point.x, y: $0) } } }
        let points = drawn.flatMap { $0 }
        let maxX = max(points.map(\.x).max() ?? 1, 1e-9)
        let low = points.map(\.y).min() ?? 0
        let high = max(points.map(\.y).max() ?? 1, low + 1e-9)
        func x(_ value: Double) -> String { ReportText.fixed(margin + value / maxX * (width - 2 * margin), 1) }
        func y(_ position: Double) -> String {
            ReportText.fixed(height - margin - (position - low) / (high - low) * (height - 2 * margin), 1)
        }
        let lines = drawn.enumerated().map { index, run in
            let path = run.map { "\(x($0.x)),\(y($0.y))" }.joined(separator: " ")
            return "<polyline fill=\"none\" stroke=\"\(Self.color(index))\" stroke-width=\"1.5\" points=\"\(path)\"/>"
        }
        return """
            <h2>\(title)</h2>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))">
            <rect x="\(margin)" y="\(margin)" width="\(width - 2 * margin)" height="\(height - 2 * margin)" fill="none" stroke="#999"/>
            \(lines.joined(separator: "\n"))
            <text x="\(margin)" y="\(height - margin / 3)" font-size="12">0\(xUnit)</text>
            <text x="\(width - margin)" y="\(height - margin / 3)" font-size="12" text-anchor="end">\(ReportText.fixed(maxX, xDecimals))\(xUnit)</text>
            <text x="4" y="\(height - margin)" font-size="12">\(yScale.label(low))</text>
            <text x="4" y="\(margin + 4)" font-size="12">\(yScale.label(high))</text>
            </svg>
            """
    }

    private static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    /// Run `index`'s color, in the charts and the legend alike.
    static func color(_ index: Int) -> String { palette[index % palette.count] }
}

extension LineChart.Scale {
    /// Where `value` sits on the scale (its log10 on a logarithmic one); nil if it cannot be drawn.
    func position(_ value: Double) -> Double? {
        switch self {
        case .linear: return value.isFinite ? value : nil
        case .logarithmic: return value.isFinite && value > 0 ? log10(value) : nil
        }
    }

    /// The value at `position`, as the axis labels it.
    func label(_ position: Double) -> String {
        switch self {
        case .linear: return ReportText.fixed(position, 3)
        case .logarithmic: return ReportText.scientific(pow(10, position))
        }
    }
}

/// How report tables and pages write numbers and text.
enum ReportText {
    /// `value` with `decimals` digits after the point.
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }

    /// `value` with three significant digits and an exponent (4.50e-04), for measures
    /// that span orders of magnitude.
    static func scientific(_ value: Double) -> String {
        String(format: "%.2e", value)
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
