import Foundation

/// What a sweep's run folders hold, as `sweep.csv` (a row per run) and `sweep.md` (a
/// table per grid point) say it. Server and decentralized runs are read alike: the final
/// test loss and accuracy are those of the last evaluation (a decentralized run's average
/// model's), and the time to target is the virtual time of the first evaluation whose
/// test loss is at most the target loss.
public struct SweepResults: Sendable {
    /// One run's outcome.
    public struct Row: Sendable {
        public let run: SweepRun
        /// `SweepRun.status(in:)`.
        public let status: String
        public let finalTestAccuracy: Double?
        public let finalTestLoss: Double?
        /// Nil when the run never reached the target loss, or there is no target.
        public let timeToTarget: Double?
    }

    public let plan: SweepPlan
    public let rows: [Row]
    /// The test loss runs are timed to; nil when none was given and no run completed.
    public let targetLoss: Double?
    /// Where the target loss comes from, for `sweep.md`.
    public let targetSource: String

    /// Reads the run folders of `plan` in `folder`. The target loss is `targetLoss` or,
    /// as `fedsim report` times runs to its first folder's final loss, the final test
    /// loss of the first completed run in the plan's order that did not diverge.
    /// - Throws: the `RunFolderError` of a completed run whose metrics cannot be read.
    public init(plan: SweepPlan, folder: String, targetLoss: Double?) throws {
        let read = try plan.runs.map { run -> (run: SweepRun, status: String, history: RunFolderHistory?) in
            let path = run.folder(in: folder), status = run.status(in: folder)
            let history = status == RunStatus.completed.rawValue
                ? try RunFolderHistory(folder: path) : try? RunFolderHistory(folder: path)
            return (run, status, history)
        }
        let firstCompleted = read.first {
            guard $0.status == RunStatus.completed.rawValue, let history = $0.history else { return false }
            return history.finalTestLoss != nil && !history.diverged
        }
        let target: Double?
        if let targetLoss {
            target = targetLoss
            targetSource = "given by --target-loss"
        } else if let firstCompleted, let loss = firstCompleted.history?.finalTestLoss {
            target = loss
            targetSource = "the final test loss of the first completed run that did not diverge, \(firstCompleted.run.name)"
        } else {
            target = nil
            targetSource = "no run has completed without diverging"
        }
        self.plan = plan
        self.targetLoss = target
        rows = read.map { run, status, history in
            Row(run: run, status: status, finalTestAccuracy: history?.finalTestAccuracy,
                finalTestLoss: history?.finalTestLoss,
                timeToTarget: target.flatMap { history?.firstTime(testLossAtMost: $0) })
        }
    }

    /// `sweep.csv`: a header `run,FIELD...,seed,status,final_test_accuracy,final_test_loss,
    /// time_to_target` (a column per grid field, named by its path), then a row per run in
    /// the plan's order: its folder name, the grid values as given, the seed, the status
    /// and the measures in full precision, empty when the run has none.
    public var csv: String {
        let header = ["run"] + plan.axes.map(\.field)
            + ["seed", "status", "final_test_accuracy", "final_test_loss", "time_to_target"]
        let lines = [header.map(ReportText.csvField)] + rows.map { row in
            [row.run.name] + row.run.settings.map { String($0.drop { $0 != "=" }.dropFirst()) }
                + ["\(row.run.seed)", row.status] + [row.finalTestAccuracy, row.finalTestLoss, row.timeToTarget]
                .map { $0.map(ReportText.csvNumber) ?? "" }
        }.map { $0.map(ReportText.csvField) }
        return lines.map { $0.joined(separator: ",") + "\n" }.joined()
    }

    /// `sweep.md`: what was swept and how the statistics are made, then per grid point a
    /// table of the final test accuracy, the final test loss and the time to target over
    /// its completed runs (the time to target over those that reached it): how many, the
    /// mean, the sample standard deviation and the 95% confidence interval of the mean
    /// (`SampleStatistics`); "-" where a statistic needs more runs.
    public var markdown: String {
        let completed = rows.filter { $0.status == RunStatus.completed.rawValue }
        let grid = plan.axes.map { "\($0.field) = \($0.values.joined(separator: ", "))" } + [
            "seed\(plan.seeds.count == 1 ? "" : "s") \(plan.seeds.map(String.init).joined(separator: ", "))",
        ]
        var lines = [
            "# Sweep of \(plan.scenario)", "",
            "\(rows.count) run\(rows.count == 1 ? "" : "s") (\(grid.joined(separator: "; "))): \(completed.count) completed.",
            "",
            "Time to target: the virtual time at which a run's test loss first reaches "
                + (targetLoss.map { ReportText.fixed($0, 4) } ?? "a target") + " (\(targetSource)).",
            "Statistics over each grid point's completed runs (for the time to target, those that reached it): "
                + "mean, sample standard deviation (n - 1), and the 95% confidence interval of the mean, "
                + "mean ± t · std / sqrt(n) with t the 0.975 quantile of Student's t with n - 1 degrees of freedom.",
        ]
        var points: [String] = []
        for row in rows where !points.contains(row.run.point) { points.append(row.run.point) }
        for point in points {
            let runs = rows.filter { $0.run.point == point }
            let done = runs.filter { $0.status == RunStatus.completed.rawValue }
            let reached = done.compactMap(\.timeToTarget)
            lines += ["", "## \(point)", "", "| measure | runs | mean | std | 95% CI |", "|---|---:|---:|---:|---:|",
                      Self.row("final test accuracy", done.compactMap(\.finalTestAccuracy), count: nil, decimals: 4),
                      Self.row("final test loss", done.compactMap(\.finalTestLoss), count: nil, decimals: 4),
                      Self.row("time to target (virtual s)", reached, count: "\(reached.count) of \(done.count)", decimals: 2)]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A table row: `measure`, the count (`count`, or how many values there are), and
    /// the statistics of `values` with `decimals` digits.
    private static func row(_ measure: String, _ values: [Double], count: String?, decimals: Int) -> String {
        let statistics = SampleStatistics(values)
        let cells = [measure, count ?? "\(values.count)", statistics.map { ReportText.fixed($0.mean, decimals) } ?? "-",
                     statistics?.standardDeviation.map { ReportText.fixed($0, decimals) } ?? "-",
                     statistics?.confidenceInterval.map {
                         "\(ReportText.fixed($0.lowerBound, decimals)) to \(ReportText.fixed($0.upperBound, decimals))"
                     } ?? "-"]
        return "| " + cells.joined(separator: " | ") + " |"
    }
}
