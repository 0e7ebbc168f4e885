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
        subcommands: [RunCommand.self, ResumeCommand.self, SweepCommand.self, CoordinatorCommand.self, WorkerCommand.self,
                      KeygenCommand.self, ValidateCommand.self, FieldsCommand.self, ReportCommand.self, AggregateCommand.self,
                      PrivacyCommand.self, BenchCommand.self, TopologyCommand.self])

    static func main() {
        PinnedKernels.relaunchIfNeeded()
        MemoryReuse.apply()
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

    @Option(help: "Override the scenario's data seed (data_seed: the data's generation, split and partition).")
    var dataSeed: UInt64?

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a scenario field, the value in YAML (repeatable): --set aggregator.rule=krum, --set attack=null.",
        valueName: "field.path=value"))
    var overrides: [String] = []

    /// The validated scenario with the overrides applied, and its run folder.
    func load() throws -> (scenario: Scenario, folder: String) {
        var loaded = try ScenarioLoader.load(path: scenario, overrides: overrides)
        if let seed { loaded.seed = seed }
        if let dataSeed { loaded.dataSeed = dataSeed }
        return (loaded, out ?? "runs/\(loaded.name)")
    }

    /// Runs the scenario with `workers` workers under a live progress line, through
    /// `server` or, for a decentralized scenario, `decentralized` (each given the
    /// scenario, its run folder and the progress callback), and prints the summary table;
    /// every error is printed by `reportingErrors`.
    func runShowingProgress(
        workers: Int, server: (Scenario, String, @escaping (StepRecord) -> Void) throws -> RunSummary,
        decentralized: (Scenario, String, @escaping (GossipRecord) -> Void) throws -> GossipSummary
    ) throws {
        try reportingErrors {
            let (loaded, folder) = try load()
            try showingProgress(loaded, folder: folder, workers: workers, server: server, decentralized: decentralized)
        }
    }
}

/// Runs `scenario` into `folder` with `workers` workers under a live progress line, as
/// `ScenarioOptions.runShowingProgress` says. An interrupted run says how to resume it
/// and ends the command with status 128 + the signal.
func showingProgress(
    _ scenario: Scenario, folder: String, workers: Int,
    server: (Scenario, String, @escaping (StepRecord) -> Void) throws -> RunSummary,
    decentralized: (Scenario, String, @escaping (GossipRecord) -> Void) throws -> GossipSummary
) throws {
    guard workers >= 1 else { throw UsageError("--workers must be at least 1") }
    do {
        if let settings = scenario.decentralized {
            let progress = GossipProgressLine(timeBudget: settings.timeBudget)
            let summary = try decentralized(scenario, folder, progress.update)
            progress.finish()
            print(SummaryTable.render(summary, folder: folder))
        } else {
            let progress = ProgressLine(scenario.server.stop)
            let summary = try server(scenario, folder, progress.update)
            progress.finish()
            print(SummaryTable.render(summary, folder: folder))
        }
    } catch RunError.interrupted(let signal) {
        let resume = scenario.decentralized == nil && RunCheckpoint.exists(in: folder)
            ? "; continue it with: fedsim resume \(folder)" : ""
        FileHandle.standardError.write(Data("fedsim: interrupted; \(folder)/summary.json says so\(resume)\n".utf8))
        throw ExitCode(128 + signal)
    }
}

/// An option value a command cannot use, said in the option's words ("--workers must be
/// at least 1").
struct UsageError: FedSimError {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
