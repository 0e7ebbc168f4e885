import Foundation

/// Runs compared on virtual time, as `fedsim report` prints them: a Markdown table and,
/// for a browser, an HTML page with the table and SVG plots of the test loss and the
/// test accuracy against virtual time.
public struct RunComparison: Sendable {
    public let runs: [RunHistory]
    /// The test loss every run is timed to reach: the reference run's final one.
    public let targetLoss: Double
    /// Virtual seconds between the samples of the loss spread.
    public let grid: Double

    public init(runs: [RunHistory], reference: RunHistory, grid: Double) {
        self.runs = runs
        targetLoss = reference.final.testLoss
        self.grid = grid
    }

    /// Header and one row per run: steps, virtual seconds, final test loss and accuracy,
    /// time to the target loss ("not reached") and loss spread.
    public var rows: [[String]] {
        let header = ["run", "steps", "virtual s", "final test loss", "final accuracy",
                      "time to loss \(Self.format(targetLoss, 4))", "loss spread"]
        return [header] + runs.map { run in
            [run.name, "\(run.steps)", Self.format(run.duration, 1), Self.format(run.final.testLoss, 4),
             Self.format(run.final.testAccuracy, 4),
             run.firstTime(testLossAtMost: targetLoss).map { Self.format($0, 1) } ?? "not reached",
             run.lossSpread(every: grid).map { Self.format($0, 4) } ?? "-"]
        }
    }

    public var markdown: String {
        let rows = rows
        let lines = ["| " + rows[0].joined(separator: " | ") + " |", "|---|" + String(repeating: "---:|", count: rows[0].count - 1)]
            + rows.dropFirst().map { "| " + $0.joined(separator: " | ") + " |" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A self-contained HTML page: the table, then the test loss and the test accuracy of
    /// every evaluation against virtual time, one colored line per run.
    public var html: String {
        let rows = rows
        let table = "<table>\n<tr>" + rows[0].map { "<th>\(Self.escaped($0))</th>" }.joined() + "</tr>\n"
            + rows.dropFirst().map { "<tr>" + $0.map { "<td>\(Self.escaped($0))</td>" }.joined() + "</tr>" }
                .joined(separator: "\n") + "\n</table>"
        let legend = runs.enumerated().map { index, run in
            "<span style=\"color:\(Self.color(index))\">&#9632; \(Self.escaped(run.name))</span>"
        }.joined(separator: " ")
        return """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>fedsim report</title>
            <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}\
            td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}</style>
            </head><body>
            <h1>fedsim report</h1>
            \(table)
            <p>\(legend)</p>
            \(plot(title: "test loss", value: \.testLoss))
            \(plot(title: "test accuracy", value: \.testAccuracy))
            </body></html>

            """
    }

    /// One SVG chart of `value` against virtual time, with both axes' ranges labelled.
    func plot(title: String, value: KeyPath<RunHistory.Evaluation, Double>) -> String {
        let (width, height, margin) = (640.0, 320.0, 48.0)
        let points = runs.flatMap(\.evaluations).filter { $0[keyPath: value].isFinite }
        let maxTime = max(points.map(\.time).max() ?? 1, 1e-9)
        let low = points.map { $0[keyPath: value] }.min() ?? 0
        let high = max(points.map { $0[keyPath: value] }.max() ?? 1, low + 1e-9)
        func x(_ time: Double) -> String { Self.format(margin + time / maxTime * (width - 2 * margin), 1) }
        func y(_ v: Double) -> String { Self.format(height - margin - (v - low) / (high - low) * (height - 2 * margin), 1) }
        let lines = runs.enumerated().map { index, run in
            let path = run.evaluations.filter { $0[keyPath: value].isFinite }
                .map { "\(x($0.time)),\(y($0[keyPath: value]))" }.joined(separator: " ")
            return "<polyline fill=\"none\" stroke=\"\(Self.color(index))\" stroke-width=\"1.5\" points=\"\(path)\"/>"
        }
        return """
            <h2>\(title) against virtual time</h2>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))">
            <rect x="\(margin)" y="\(margin)" width="\(width - 2 * margin)" height="\(height - 2 * margin)" fill="none" stroke="#999"/>
            \(lines.joined(separator: "\n"))
            <text x="\(margin)" y="\(height - margin / 3)" font-size="12">0 s</text>
            <text x="\(width - margin)" y="\(height - margin / 3)" font-size="12" text-anchor="end">\(Self.format(maxTime, 1)) s</text>
            <text x="4" y="\(height - margin)" font-size="12">\(Self.format(low, 3))</text>
            <text x="4" y="\(margin + 4)" font-size="12">\(Self.format(high, 3))</text>
            </svg>
            """
    }

    private static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    static func color(_ index: Int) -> String { palette[index % palette.count] }

    static func format(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
