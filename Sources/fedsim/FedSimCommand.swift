import ArgumentParser
import FedSimAlgorithms
import FedSimCore
import FedSimRuntime
import Foundation

@main
struct FedSimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fedsim",
        abstract: "Simulate federated and decentralized training across real processes.",
        subcommands: [Run.self, Coordinator.self, Worker.self, Validate.self, Report.self, Aggregate.self,
                      PrivacyCommand.self, Bench.self, BenchAggregators.self, BenchPrivacy.self])

    static func main() {
        PinnedKernels.relaunchIfNeeded()
        main(nil)
    }
}

/// Runs `body` and prints any error it throws the one way fedsim prints errors: a
/// scenario's problems as the file:line:column lines they are, every other `FedSimError`
/// as "fedsim: error: ...", and an error of an unexpected type as an internal error.
/// Either way the command exits with status 1. The command-line parser's own errors
/// (usage, help, exit codes) pass through to it.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    BLAS.useSingleThread()
    do {
        return try body()
    } catch let error as ScenarioError {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
    } catch let error as FedSimError {
        FileHandle.standardError.write(Data("fedsim: error: \(error)\n".utf8))
    } catch let error as RuntimeError {
        FileHandle.standardError.write(Data("fedsim: error: \(error)\n".utf8))
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        FileHandle.standardError.write(Data("fedsim: internal error: \(error)\n".utf8))
    }
    throw ExitCode.failure
}

/// The scenario a run executes, and what a run may override.
struct ScenarioOptions: ParsableArguments {
    @Argument(help: "The scenario file (YAML).")
    var scenario: String

    @Option(help: "Run folder for metrics (default: runs/NAME).")
    var out: String?

    @Option(help: "Override the scenario's seed.")
    var seed: UInt64?

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a scenario field, the value in YAML (repeatable): --set aggregator.rule=krum, --set attack=null.",
        valueName: "field.path=value"))
    var overrides: [String] = []

    /// The validated scenario with the overrides applied, and its run folder.
    func load() throws -> (scenario: Scenario, folder: String) {
        var loaded = try ScenarioLoader.load(path: scenario, overrides: overrides)
        if let seed { loaded.seed = seed }
        return (loaded, out ?? "runs/\(loaded.name)")
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario: the coordinator in this process, N worker processes on this host.")

    @OptionGroup var options: ScenarioOptions

    @Option(help: "Worker processes to spawn.")
    var workers = 2

    func run() throws {
        try reportingErrors {
            guard workers >= 1 else { throw RuntimeError("--workers must be at least 1") }
            let (loaded, folder) = try options.load()
            let progress = ProgressLine(loaded.server.stop)
            let summary = try Simulation.runLocally(
                loaded, workers: workers, folder: folder, executable: LocalCluster.currentExecutable,
                progress: progress.update)
            progress.finish()
            print(SummaryTable.render(summary, folder: folder))
        }
    }
}

struct Coordinator: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario's coordinator and wait for workers to connect (docker-compose, several hosts).")

    @OptionGroup var options: ScenarioOptions

    @Option(help: "ZeroMQ endpoint to listen on.")
    var bind = "tcp://*:5555"

    @Option(help: "Workers to wait for before the first round.")
    var workers = 1

    @Option(help: "Seconds to wait for all workers to join.")
    var joinTimeout = 120.0

    func run() throws {
        try reportingErrors {
            guard workers >= 1 else { throw RuntimeError("--workers must be at least 1") }
            let (loaded, folder) = try options.load()
            let progress = ProgressLine(loaded.server.stop)
            // A worker may name the scenario by its name, its file or the file's base name.
            let file = URL(fileURLWithPath: options.scenario)
            let summary = try Simulation.coordinate(
                loaded, bind: bind, workers: workers, folder: folder, joinTimeout: joinTimeout,
                scenarioAliases: [options.scenario, file.lastPathComponent, file.deletingPathExtension().lastPathComponent],
                progress: progress.update)
            progress.finish()
            print(SummaryTable.render(summary, folder: folder))
        }
    }
}

struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Join a coordinator and train the clients it assigns.")

    @Option(help: "The coordinator's ZeroMQ endpoint, e.g. tcp://coordinator:5555.")
    var connect: String

    @Option(help: "This worker's name in logs (default: hostname-pid).")
    var name: String?

    @Option(help: "The scenario this worker is for (its name or file); a coordinator running another refuses it.")
    var scenario = ""

    @Option(help: "Seconds to keep trying to reach the coordinator before giving up.")
    var connectTimeout = 120.0

    @Option(help: "Seconds without a message from the coordinator before giving up.")
    var idleTimeout = 600.0

    func run() throws {
        try reportingErrors {
            let process = ProcessInfo.processInfo
            let workerName = name ?? "\(process.hostName)-\(process.processIdentifier)"
            try Simulation.work(connect: connect, name: workerName, scenario: scenario, connectTimeout: connectTimeout,
                                idleTimeout: idleTimeout)
        }
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check scenario files and their data; print every problem with file:line:column.")

    @Argument(help: "Scenario files.")
    var scenarios: [String]

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a scenario field, as `run` does (repeatable).", valueName: "field.path=value"))
    var overrides: [String] = []

    func run() throws {
        var failed = false
        for path in scenarios {
            do {
                try reportingErrors {
                    let scenario = try ScenarioLoader.load(path: path, overrides: overrides)
                    let data = try Simulation.prepareData(scenario)
                    let samples = data.clients.reduce(0) { $0 + $1.count }
                    print("\(path): ok — \(scenario.name): \(data.clients.count) clients, \(samples) training and "
                          + "\(data.test.count) test samples, \(data.featureCount) features, \(data.classCount) classes; "
                          + "\(scenario.model.kind.rawValue) model, \(scenario.server.algorithm.rawValue)")
                    if scenario.privacy != nil {
                        let plan = try PrivacyPlan(scenario: scenario, data: data)
                        print("  privacy: \(plan.description)")
                        if let warning = plan.warning {
                            FileHandle.standardError.write(Data("\(path): warning: \(warning)\n".utf8))
                        }
                    }
                }
            } catch {
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure client updates per second on scenarios, end to end across worker processes.")

    @Argument(help: "Scenario files (YAML).")
    var scenarios = ["scenarios/quickstart.yaml", "scenarios/quickstart-fedasync.yaml"]

    @Option(help: "Worker processes to spawn.")
    var workers = 2

    @Option(help: "Measured repetitions of each scenario (after one warm-up run).")
    var repeats = 3

    func run() throws {
        try reportingErrors {
            guard workers >= 1, repeats >= 1 else { throw RuntimeError("--workers and --repeats must be at least 1") }
            let folder = FileManager.default.temporaryDirectory
                .appendingPathComponent("fedsim-bench-\(ProcessInfo.processInfo.processIdentifier)").path
            defer { try? FileManager.default.removeItem(atPath: folder) }
            var medians: [(String, Double)] = []
            for path in scenarios {
                let loaded = try ScenarioLoader.load(path: path)
                print("bench: \(loaded.name) (\(loaded.server.algorithm.rawValue)), \(workers) workers")
                var rates: [Double] = []
                for repetition in 0...repeats {
                    let summary = try Simulation.runLocally(
                        loaded, workers: workers, folder: folder, executable: LocalCluster.currentExecutable)
                    let label = repetition == 0 ? "warm-up" : "run \(repetition)"
                    print("  \(label): \(summary.clientUpdates) updates in \(format(summary.wallTrainingSeconds, 3)) s = "
                          + "\(format(summary.clientUpdatesPerSecond, 0)) updates/s (wall with start-up \(format(summary.wallSeconds, 2)) s), "
                          + "accuracy \(format(summary.finalTestAccuracy, 4))")
                    if repetition > 0 { rates.append(summary.clientUpdatesPerSecond) }
                }
                print("  client updates per second: median \(format(median(rates), 0)), "
                      + "min \(format(rates.min()!, 0)), max \(format(rates.max()!, 0))")
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

/// The middle of `values` once sorted (the upper of the two middles for an even count).
///
/// - Precondition: `values` is not empty.
func median(_ values: [Double]) -> Double {
    values.sorted()[values.count / 2]
}

func format(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
}
