import ArgumentParser
import FedSimRuntime
import Foundation

/// `fedsim coordinator`: a coordinator that waits for workers to connect.
struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
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
            guard workers >= 1 else { throw UsageError("--workers must be at least 1") }
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
