import Foundation

/// Runs of one kind compared as `fedsim report` prints them: a table, one row per run,
/// in Markdown and, for a browser, in an HTML page above SVG charts of the runs (one
/// curve per group of runs that differ only by seed), whose curves also go to CSV.
public protocol RunReport: Sendable {
    /// The header, then one row per run.
    var rows: [[String]] { get }
    /// What the charts put along x.
    var x: ChartAxis { get }
    /// The page's charts, each an SVG under its heading (`LineChart.html`); a chart with
    /// nothing to draw is left out.
    var charts: [LineChart] { get }
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

    /// A self-contained HTML page: the table, the notes, the charts (each with its legend).
    public var html: String {
        let rows = rows
        let table = "<table>\n<tr>" + rows[0].map { "<th>\(ReportText.escaped($0))</th>" }.joined() + "</tr>\n"
            + rows.dropFirst().map { "<tr>" + $0.map { "<td>\(ReportText.escaped($0))</td>" }.joined() + "</tr>" }
                .joined(separator: "\n") + "\n</table>"
        return """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>fedsim report</title>
            <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}\
            td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}</style>
            </head><body>
            <h1>fedsim report</h1>
            \(table)
            \(notes.map { "<p>\(ReportText.escaped($0))</p>" }.joined(separator: "\n"))
            \(charts.map(\.html).joined(separator: "\n"))
            </body></html>

            """
    }

    /// The charts' curves for other tools: a header `chart,series,runs,X,mean,std,min,max`
    /// (X the axis: `time`, `steps` or `communication`), then one row per point of every
    /// curve, chart by chart and curve by curve: the measure with underscores
    /// (`test_loss`), the group's name, how many runs it has, the x value of the group's
    /// common grid (`GroupCurve`), and the mean, sample standard deviation (empty for a
    /// lone run), minimum and maximum of its runs' values there.
    public var csv: String {
        let header = "chart,series,runs,\(x.rawValue),mean,std,min,max\n"
        return header + charts.flatMap { chart in
            chart.curves.flatMap { curve in
                curve.points.map { point in
                    [chart.measure.replacingOccurrences(of: " ", with: "_"), ReportText.csvField(curve.name), "\(curve.runs)",
                     ReportText.csvNumber(point.x), ReportText.csvNumber(point.mean),
                     point.standardDeviation.map(ReportText.csvNumber) ?? "", ReportText.csvNumber(point.min),
                     ReportText.csvNumber(point.max)].joined(separator: ",") + "\n"
                }
            }
        }.joined()
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

    /// `text` as one CSV field: quoted, its quotes doubled, when it holds a comma, a
    /// quote or a line break.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `value` in the shortest digits that read back as it; empty when it is not finite.
    static func csvNumber(_ value: Double) -> String {
        value.isFinite ? "\(value)" : ""
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
