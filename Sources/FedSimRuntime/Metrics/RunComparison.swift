import Foundation

/// Server runs compared on virtual time, as `fedsim report` prints them: a Markdown table
/// and, for a browser, an HTML page with the table and SVG plots of the test loss and the
/// test accuracy against virtual time.
public struct RunComparison: RunReport {
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
    /// time to the target loss ("not reached"), loss spread, the bytes an update carried
    /// up (which LoRA's rules and compression change) and, when a run is private, the
    /// largest epsilon a client spent.
    public var rows: [[String]] {
        let private_ = runs.contains { $0.epsilonMax != nil }
        let header = ["run", "steps", "virtual s", "final test loss", "final accuracy",
                      "time to loss \(ReportText.fixed(targetLoss, 4))", "loss spread", "bytes up / update"]
            + (private_ ? ["epsilon"] : [])
        return [header] + runs.map { run -> [String] in
            let timeToLoss = run.firstTime(testLossAtMost: targetLoss).map { ReportText.fixed($0, 1) } ?? "not reached"
            let spread = run.lossSpread(every: grid).map { ReportText.fixed($0, 4) } ?? "-"
            let bytesUp = run.bytesUpPerUpdate.map { ReportText.fixed($0, 0) } ?? "-"
            var row = [run.name, "\(run.steps)", ReportText.fixed(run.duration, 1), ReportText.fixed(run.final.testLoss, 4),
                       ReportText.fixed(run.final.testAccuracy, 4), timeToLoss, spread, bytesUp]
            if private_ { row.append(run.epsilonMax.map { ReportText.fixed($0, 2) } ?? "-") }
            return row
        }
    }

    public var runNames: [String] { runs.map(\.name) }

    /// The test loss and the test accuracy of every evaluation against virtual time.
    public var charts: [String] {
        [chart(title: "test loss", value: \.testLoss), chart(title: "test accuracy", value: \.testAccuracy)]
    }

    private func chart(title: String, value: KeyPath<RunHistory.Evaluation, Double>) -> String {
        LineChart(title: "\(title) against virtual time",
                  series: runs.map { $0.evaluations.map { (x: $0.time, y: $0[keyPath: value]) } },
                  xUnit: " s", xDecimals: 1, yScale: .linear).html
    }
}
