import ArgumentParser
import FedSimRuntime
import Foundation

/// `fedsim bench`: client updates per second, end to end.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure client updates per second on scenarios, end to end across worker processes.")

    @Argument(help: "Scenario files (YAML).")
    var scenarios = ["scenarios/quickstart.yaml", "scenarios/quickstart-fedasync.yaml"]

    @Option(help: "Worker processes to spawn.")
    var workers = 2

    @Option(help: "Measured repetitions of each scenario (after one warm-up run).")
    var repeats = 3

    func run() throws {
        try reportingErrors {
            guard workers >= 1, repeats >= 1 else { throw UsageError("--workers and --repeats must be at least 1") }
            let folder = FileManager.default.temporaryDirectory
                .appendingPathComponent("fedsim-bench-\(ProcessInfo.processInfo.processIdentifier)").path
            defer { try? FileManager.default.removeItem(atPath: folder) }
            var medians: [(String, Double)] = []
            for path in scenarios {
                let loaded = try ScenarioLoader.load(path: path)
                print("bench: \(loaded.name) (\(loaded.server.algorithm)), \(workers) workers")
                let rates = try measured(repeats: repeats) { repetition in
                    let summary = try Simulation.runLocally(
                        loaded, workers: workers, folder: folder, executable: LocalCluster.currentExecutable)
                    let label = repetition == 0 ? "warm-up" : "run \(repetition)"
                    print("  \(label): \(summary.clientUpdates) updates in \(format(summary.wallTrainingSeconds, 3)) s = "
                          + "\(format(summary.clientUpdatesPerSecond, 0)) updates/s (wall with start-up \(format(summary.wallSeconds, 2)) s), "
                          + "accuracy \(format(summary.finalTestAccuracy, 4))")
                    return summary.clientUpdatesPerSecond
                }
                print("  client updates per second: \(spread(rates, 0))")
                medians.append((loaded.name, median(rates)))
            }
            let width = medians.map(\.0.count).max() ?? 0
            print("median client updates per second, \(workers) workers:")
            for (name, rate) in medians {
                print("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + format(rate, 0))
            }
        }
    }
}
