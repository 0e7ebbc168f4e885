import ArgumentParser
import FedSimRuntime
import Foundation

/// `fedsim run`: the coordinator in this process and worker processes on this host.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a scenario: the coordinator in this process, N worker processes on this host.")

    @OptionGroup var options: ScenarioOptions

    @Option(help: "Worker processes to spawn.")
    var workers = 2

    func run() throws {
        try reportingErrors {
            guard workers >= 1 else { throw UsageError("--workers must be at least 1") }
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
