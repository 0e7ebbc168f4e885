import ArgumentParser
import FedSimRuntime
import Foundation

/// `fedsim sweep`: a scenario run over a grid of field values and seeds, summarized.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a scenario over a grid of field values and seeds, one run folder each; summarize them per grid point.",
        discussion: """
            Runs every combination of the --grid values and the --seeds, each as `fedsim run` would with \
            --set FIELD=VALUE and --seed SEED, into DIR/NAME. NAME is the grid settings then the seed, joined \
            by commas in --grid order: server.learning_rate=0.1,seed=3; in a field or value, characters other \
            than ASCII letters, digits, '.', '_', '-' and '+' are written as %XX (their UTF-8 bytes in hex), so \
            aggregator.pre=[nnm] is aggregator.pre=%5Bnnm%5D. A run's output (its summary table or its error) \
            goes to DIR/NAME.log. Every combination is loaded and checked before any run starts.

            The sweep resumes: a folder that holds a completed run is kept as it is, and a run that failed, \
            was interrupted or never finished is run again from the start (--overwrite). Ctrl-C stops the \
            running runs as `fedsim run` stops (each with a checkpoint and an interrupted summary).

            Then DIR/sweep.csv gets one row per run (grid values, seed, status, final test accuracy, final \
            test loss, time to target) and DIR/sweep.md, also printed, a table per grid point of the mean, \
            sample standard deviation and 95% confidence interval (Student's t, n - 1 degrees of freedom) of \
            each measure over the completed runs. The time to target is the virtual time at which a run's \
            test loss first reaches the target loss: --target-loss, or, as `fedsim report` times runs to its \
            first run's final loss, the final test loss of the first completed run.
            """)

    @Argument(help: "The scenario file (YAML).")
    var scenario: String

    @Option(help: ArgumentHelp(
        "A field and its values, each in YAML, split at commas outside brackets (repeatable): --grid "
            + "server.learning_rate=0.1,0.05 --grid aggregator.pre=[nnm],[bucketing]. The runs are the product.",
        valueName: "field.path=v1,v2,..."))
    var grid: [String] = []

    @Option(help: ArgumentHelp("The seeds of every grid point: 1-5, 1,3,7 or 1-3,10.", valueName: "seeds"))
    var seeds: String

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a scenario field in every run, as `run` does (repeatable).", valueName: "field.path=value"))
    var overrides: [String] = []

    @Option(help: ArgumentHelp("The sweep's folder: a run folder per combination, sweep.csv, sweep.md.", valueName: "dir"))
    var out: String

    @Option(help: "Runs at once, each with its own worker processes.")
    var parallel = 1

    @Option(help: "Worker processes of each run.")
    var workers = 2

    @Option(help: ArgumentHelp(
        "The test loss to time runs to (default: the final test loss of the first completed run).", valueName: "loss"))
    var targetLoss: Double?

    func run() throws {
        let signals = SignalWatch { signal in
            FileHandle.standardError.write(Data(
                "\nfedsim: \(signal == SIGINT ? "SIGINT" : "SIGTERM"): stopping the runs (again to quit at once)\n".utf8))
        }
        try reportingErrors {
            guard workers >= 1 else { throw UsageError("--workers must be at least 1") }
            guard parallel >= 1 else { throw UsageError("--parallel must be at least 1") }
            if let targetLoss, !targetLoss.isFinite { throw UsageError("--target-loss must be finite, got \(targetLoss)") }
            let plan = try SweepPlan(scenario: scenario, overrides: overrides, axes: grid.map(SweepAxis.init(parsing:)),
                                     seeds: SweepSeeds.parse(seeds))
            try plan.validate()
            let runner = SweepRunner(plan: plan, folder: out, workers: workers, parallel: parallel,
                                     executable: LocalCluster.currentExecutable)
            let pending = runner.pending
            let total = plan.runs.count
            if pending.isEmpty {
                say("all \(total) runs of the sweep have completed in \(out); nothing to run")
            } else {
                let done = total - pending.count
                say("running \(pending.count) of \(total) runs\(done > 0 ? " (\(done) completed before)" : ""), "
                    + "\(min(parallel, pending.count)) at a time, into \(out)")
            }
            let incomplete = try runner.run(pending, interruption: { signals.caughtSignal }, log: say)
            let results = try SweepResults(plan: plan, folder: out, targetLoss: targetLoss)
            for (name, text) in [("sweep.csv", results.csv), ("sweep.md", results.markdown)] {
                let file = URL(fileURLWithPath: out).appendingPathComponent(name)
                do {
                    try Data(text.utf8).write(to: file, options: .atomic)
                } catch {
                    throw SweepError.cannotWrite(file: file.path, reason: error.localizedDescription)
                }
            }
            say("\n" + results.markdown)
            say("wrote \(out)/sweep.csv and \(out)/sweep.md")
            if let signal = signals.caughtSignal {
                FileHandle.standardError.write(Data("fedsim: interrupted; run the same sweep again to finish it\n".utf8))
                throw ExitCode(128 + signal)
            }
            if !incomplete.isEmpty { throw SweepError.runsFailed(incomplete, folder: out) }
        }
    }

    /// Prints `line` at once, even into a pipe.
    private func say(_ line: String) {
        print(line)
        fflush(stdout)
    }
}
