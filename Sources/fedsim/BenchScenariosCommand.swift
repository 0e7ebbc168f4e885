import ArgumentParser
import FedSimAlgorithms
import FedSimRuntime
import Foundation

/// `fedsim bench [scenarios]`: client updates per second (server runs), events per
/// second (DADAO) or rounds per second (D-SGD), end to end.
struct BenchScenariosCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenarios",
        abstract: "Measure client updates per second on scenarios, end to end across worker processes.",
        discussion: """
            A server scenario is also measured in GFLOP/s of local training (6 operations per parameter per \
            sample trained), as a share of this machine's single-thread sgemm peak times the cores the workers \
            can use; in MB/s through the coordinator's sockets; and in peak resident memory of the coordinator \
            and of the largest worker. A decentralized scenario is measured in events per second, and a D-SGD one \
            also in rounds (units of virtual time) per second, from the first events handed out to the last \
            evaluation.
            """)

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
            // Every repetition replaces the one before in the same folder, without checkpoints.
            var options = RunOptions()
            options.overwrite = true
            options.checkpointEvery = nil
            var medians: [(name: String, rate: Double, unit: String)] = []
            var sgemmPeak: Double?
            for path in scenarios {
                let loaded = try ScenarioLoader.load(path: path)
                if let settings = loaded.decentralized {
                    print("bench: \(loaded.name) (\(settings.algorithmName) over \(settings.topology)), \(workers) workers")
                    var rounds: [Double] = []
                    let rates = try measured(repeats: repeats) { repetition in
                        let summary = try Simulation.runGossipLocally(
                            loaded, workers: workers, folder: folder, executable: LocalCluster.currentExecutable,
                            options: options)
                        let label = repetition == 0 ? "warm-up" : "run \(repetition)"
                        let perSecond = summary.virtualTime / summary.wallTrainingSeconds
                        print("  \(label): \(summary.events) events in \(format(summary.wallTrainingSeconds, 3)) s = "
                              + "\(format(summary.eventsPerSecond, 0)) events/s, \(format(perSecond, 1)) units of time/s "
                              + "(wall with start-up \(format(summary.wallSeconds, 2)) s)")
                        if repetition > 0 { rounds.append(perSecond) }
                        return summary.eventsPerSecond
                    }
                    print("  events per second: \(spread(rates, 0))")
                    medians.append((loaded.name, median(rates), "events/s"))
                    if settings.algorithm is DSGD {
                        print("  rounds per second: \(spread(rounds, 1))")
                        medians.append((loaded.name, median(rounds), "rounds/s"))
                    }
                    continue
                }
                print("bench: \(loaded.name) (\(loaded.server.algorithm)), \(workers) workers")
                if sgemmPeak == nil { sgemmPeak = try sgemmPeakGFLOPs() }
                let cores = min(workers, ProcessInfo.processInfo.activeProcessorCount)
                let machinePeak = sgemmPeak! * Double(cores)
                var cost: RunCost?
                var trainingRates: [Double] = [], wireRates: [Double] = []
                let rates = try measured(repeats: repeats) { repetition in
                    let summary = try Simulation.runLocally(
                        loaded, workers: workers, folder: folder, executable: LocalCluster.currentExecutable,
                        options: options)
                    let label = repetition == 0 ? "warm-up" : "run \(repetition)"
                    let run = try RunCost(folder: folder, scenario: loaded, summary: summary)
                    let gigaflops = run.trainingFLOPs / summary.wallTrainingSeconds / 1e9
                    let wireMegabytes = Double(summary.wireBytesSent + summary.wireBytesReceived) / summary.wallTrainingSeconds / 1e6
                    print("  \(label): \(summary.clientUpdates) updates in \(format(summary.wallTrainingSeconds, 3)) s = "
                          + "\(format(summary.clientUpdatesPerSecond, 0)) updates/s (wall with start-up \(format(summary.wallSeconds, 2)) s), "
                          + "accuracy \(format(summary.finalTestAccuracy, 4)); local training \(format(gigaflops, 1)) GFLOP/s, "
                          + "wire \(format(wireMegabytes, 0)) MB/s")
                    if repetition > 0 { (trainingRates, wireRates) = (trainingRates + [gigaflops], wireRates + [wireMegabytes]) }
                    cost = run
                    return summary.clientUpdatesPerSecond
                }
                print("  client updates per second: \(spread(rates, 0))")
                print("  local training GFLOP/s: \(spread(trainingRates, 1)); \(format(100 * median(trainingRates) / machinePeak, 1))% "
                      + "of \(cores) x \(format(sgemmPeak!, 1)) GFLOP/s (this machine's single-thread sgemm peak)")
                print("  wire MB/s (sent + received by the coordinator): \(spread(wireRates, 0))")
                let megabytes = { (bytes: Int) in format(Double(bytes) / 1e6, bytes < 10_000_000 ? 1 : 0) + " MB" }
                print("  peak memory: coordinator \(megabytes(cost!.coordinatorPeakBytes)) (its test set "
                      + "\(megabytes(cost!.testSetBytes))), largest worker \(megabytes(cost!.workerPeakBytes)) (the "
                      + "training rows of the clients it hosts \(megabytes(cost!.largestWorkerDataBytes)))")
                medians.append((loaded.name, median(rates), "updates/s"))
            }
            let width = medians.map(\.name.count).max() ?? 0
            print("medians, \(workers) workers:")
            for (name, rate, unit) in medians {
                print("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + format(rate, unit == "rounds/s" ? 1 : 0)
                      + " " + unit)
            }
        }
    }
}
