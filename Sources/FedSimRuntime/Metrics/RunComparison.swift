import Foundation

/// Server runs compared on virtual time, as `fedsim report` prints them: a Markdown table
/// and, for a browser, an HTML page with the table and SVG plots of the test loss and the
/// test accuracy against virtual time, steps or communicated bytes.
public struct RunComparison: RunReport {
    public let runs: [RunHistory]
    /// The test loss every run is timed to reach: the reference run's final one; nil
    /// when every run diverged and none was given.
    public let targetLoss: Double?
    /// Virtual seconds between the samples of the loss spread.
    public let grid: Double
    /// The runs the charts draw as one curve each.
    public let groups: [RunGroup]
    public let x: ChartAxis
    /// Whether the charts' y axes are logarithmic.
    public let logarithmicY: Bool

    /// `reference` defaults to the first run that did not diverge (`RunHistory.diverged`),
    /// whose final loss is one worth reaching; `groups` to every run on its own.
    public init(runs: [RunHistory], reference: RunHistory? = nil, grid: Double, groups: [RunGroup]? = nil,
                x: ChartAxis = .time, logarithmicY: Bool = false) {
        self.runs = runs
        targetLoss = (reference ?? runs.first { !$0.diverged })?.final.testLoss
        self.grid = grid
        self.groups = groups ?? RunGroup.separately(runs.map(\.name))
        self.x = x
        self.logarithmicY = logarithmicY
    }

    /// Header and one row per run: steps, virtual seconds, final test loss and accuracy,
    /// time to the target loss ("not reached"), loss spread, the bytes an update carried
    /// up (which LoRA's rules and compression change) and, when a run is private, the
    /// largest epsilon a client spent.
    public var rows: [[String]] {
        let private_ = runs.contains { $0.epsilonMax != nil }
        let header = ["run", "steps", "virtual s", "final test loss", "final accuracy",
                      targetLoss.map { "time to loss \(ReportText.fixed($0, 4))" } ?? "time to loss (every run diverged)",
                      "loss spread", "bytes up / update"]
            + (private_ ? ["epsilon"] : [])
        return [header] + runs.map { run -> [String] in
            let timeToLoss = targetLoss.map { run.firstTime(testLossAtMost: $0).map { ReportText.fixed($0, 1) } ?? "not reached" }
                ?? "-"
            let spread = run.lossSpread(every: grid).map { ReportText.fixed($0, 4) } ?? "-"
            let bytesUp = run.bytesUpPerUpdate.map { ReportText.fixed($0, 0) } ?? "-"
            var row = [run.name, "\(run.steps)", ReportText.fixed(run.duration, 1), ReportText.fixed(run.final.testLoss, 4),
                       ReportText.fixed(run.final.testAccuracy, 4), timeToLoss, spread, bytesUp]
            if private_ { row.append(run.epsilonMax.map { ReportText.fixed($0, 2) } ?? "-") }
            return row
        }
    }

    /// The test loss and the test accuracy of every evaluation against `x`.
    public var charts: [LineChart] {
        [chart("test loss", \.testLoss), chart("test accuracy", \.testAccuracy)].filter(\.hasPoints)
    }

    private func chart(_ measure: String, _ value: KeyPath<RunHistory.Evaluation, Double>) -> LineChart {
        let curves = GroupCurve.curves(of: groups) { run in
            runs[run].evaluations.map { (x: xValue(of: $0), y: $0[keyPath: value]) }
        }
        let xTitle = switch x {
        case .time: "virtual time"
        case .steps: "aggregation steps"
        case .communication: "bytes sent up and down"
        }
        return LineChart(measure: measure, x: x, xTitle: xTitle, yScale: logarithmicY ? .logarithmic : .linear,
                         curves: curves)
    }

    private func xValue(of evaluation: RunHistory.Evaluation) -> Double {
        switch x {
        case .time: return evaluation.time
        case .steps: return Double(evaluation.step)
        case .communication: return evaluation.communicatedBytes
        }
    }
}
