import Foundation

/// Decentralized runs compared on what they spend, as `fedsim report` prints them: a
/// Markdown table of final measures and of the communications and gradients each run
/// needed to bring its relative distance to the optimum down to a target, and an HTML
/// page with the relative distance (log scale) and the test accuracy against the
/// communication count (or virtual time).
public struct DecentralizedRunComparison: RunReport {
    /// The relative distance to the optimum `fedsim report` times runs to unless told
    /// otherwise.
    public static let defaultTarget = 1e-4

    public let runs: [DecentralizedRunHistory]
    /// The relative distance to the optimum every run is timed to reach.
    public let target: Double
    /// The runs the charts draw as one curve each.
    public let groups: [RunGroup]
    /// `.communication` or `.time`: a decentralized run has no aggregation steps.
    public let x: ChartAxis
    /// Whether the test accuracy's y axis is logarithmic too.
    public let logarithmicY: Bool

    /// `groups` defaults to every run on its own.
    public init(runs: [DecentralizedRunHistory], target: Double = Self.defaultTarget, groups: [RunGroup]? = nil,
                x: ChartAxis = .communication, logarithmicY: Bool = false) {
        precondition(target > 0 && target.isFinite, "the target relative distance must be positive and finite, got \(target)")
        precondition(x != .steps, "a decentralized run has no aggregation steps to plot against")
        self.runs = runs
        self.target = target
        self.groups = groups ?? RunGroup.separately(runs.map(\.name))
        self.x = x
        self.logarithmicY = logarithmicY
    }

    /// Header and one row per run: virtual seconds, communications and gradients at the
    /// end, the final record's measures ("n/a" when the run has none: accuracy for least
    /// squares, distances for a network), and the communications and gradients of the
    /// first record at or below the target ("not reached", or "n/a" without distances).
    public var rows: [[String]] {
        let target = String(format: "%g", target)
        let walks = runs.contains { $0.final.visitDistance != nil }
        let header = ["run", "virtual s", "communications", "gradients", "final test loss", "final accuracy",
                      "final relative distance", "final consensus distance",
                      "communications to target \(target)", "gradients to target \(target)"]
            + (walks ? ["visit TV distance"] : [])
        return [header] + runs.map { run in
            let final = run.final
            let reached = run.firstRecord(relativeDistanceAtMost: self.target)
            func toTarget(_ count: KeyPath<DecentralizedRunHistory.Record, Int>) -> String {
                guard final.relativeDistanceToOptimum != nil else { return "n/a" }
                return reached.map { "\($0[keyPath: count])" } ?? "not reached"
            }
            let row: [String] = [run.name, ReportText.fixed(final.time, 1), "\(final.communications)", "\(final.gradients)",
                                 final.testLoss.map { ReportText.fixed($0, 4) } ?? "n/a",
                                 final.testAccuracy.map { ReportText.fixed($0, 4) } ?? "n/a",
                                 final.relativeDistanceToOptimum.map(ReportText.scientific) ?? "n/a",
                                 final.consensusDistance.map(ReportText.scientific) ?? "n/a",
                                 toTarget(\.communications), toTarget(\.gradients)]
            guard walks else { return row }
            return row + [final.visitDistance.map(ReportText.scientific) ?? "n/a"]
        }
    }

    /// With two or more token walks over the same nodes (runs of one scenario with
    /// different seeds), the trace of the empirical covariance of their final visit
    /// distributions: sum_i of the sample variance (n - 1) of visits_i / hops across the
    /// runs, the SRRW paper's measure of how evenly a walk samples.
    public var notes: [String] {
        let walks = runs.filter { $0.visits.map { $0.reduce(0, +) > 0 } ?? false }
        guard walks.count >= 2, Set(walks.map { $0.visits!.count }).count == 1 else { return [] }
        let distributions = walks.map { run in run.visits!.map { Double($0) / Double(run.visits!.reduce(0, +)) } }
        let count = Double(distributions.count)
        let trace = distributions[0].indices.reduce(0.0) { sum, node in
            let values = distributions.map { $0[node] }
            let mean = values.reduce(0, +) / count
            return sum + values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (count - 1)
        }
        return ["Visit distribution covariance trace across the \(walks.count) token walks "
                + "(\(walks.map(\.name).joined(separator: ", "))): \(ReportText.scientific(trace))"]
    }

    /// The relative distance to the optimum on a logarithmic scale and the test accuracy,
    /// against `x`; a chart no run has values for is left out.
    public var charts: [LineChart] {
        [chart("relative distance to optimum", \.relativeDistanceToOptimum, yScale: .logarithmic),
         chart("test accuracy", \.testAccuracy, yScale: logarithmicY ? .logarithmic : .linear)].filter(\.hasPoints)
    }

    private func chart(
        _ measure: String, _ value: KeyPath<DecentralizedRunHistory.Record, Double?>, yScale: LineChart.Scale
    ) -> LineChart {
        let curves = GroupCurve.curves(of: groups) { run in
            runs[run].records.compactMap { record in
                record[keyPath: value].map { (x: x == .time ? record.time : Double(record.communications), y: $0) }
            }
        }
        return LineChart(measure: measure, x: x, xTitle: x == .time ? "virtual time" : "communications", yScale: yScale,
                         curves: curves)
    }
}
