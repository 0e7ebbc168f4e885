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

    @OptionGroup var keys: KeysOption

    func run() throws {
        let executable = LocalCluster.currentExecutable
        try options.runShowingProgress(workers: workers, server: { scenario, folder, progress in
            try Simulation.runLocally(scenario, workers: workers, folder: folder, executable: executable,
                                      keys: keys.folder, progress: progress)
        }, decentralized: { scenario, folder, progress in
            try Simulation.runGossipLocally(scenario, workers: workers, folder: folder, executable: executable,
                                            keys: keys.folder, progress: progress)
        })
    }
}
