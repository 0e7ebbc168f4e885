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

    @Option(help: "How many times a worker process that dies is replaced before the run fails.")
    var maxRestarts = 3

    @OptionGroup var control: RunControlOptions
    @OptionGroup var keys: KeysOption

    func run() throws {
        let signals = watchSignals()
        try options.runShowingProgress(workers: workers, server: { scenario, folder, progress in
            try Simulation.runLocally(scenario, workers: workers, folder: folder, executable: LocalCluster.currentExecutable,
                                      options: try runOptions(signals), progress: progress)
        }, decentralized: { scenario, folder, progress in
            try Simulation.runGossipLocally(scenario, workers: workers, folder: folder,
                                            executable: LocalCluster.currentExecutable,
                                            options: try runOptions(signals), progress: progress)
        })
    }

    private func runOptions(_ signals: SignalWatch) throws -> RunOptions {
        guard maxRestarts >= 0 else { throw UsageError("--max-restarts must be at least 0") }
        var options = try control.runOptions(signals: signals)
        options.maxRestarts = maxRestarts
        options.keys = keys.folder
        return options
    }
}

/// `fedsim resume`: goes on with a run that stopped early, from its checkpoint.
struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Go on with an interrupted or failed run from its checkpoint, as `fedsim run` does.",
        discussion: """
            The run folder's scenario.yaml is the scenario. The metrics written after the checkpoint are \
            written again, so the run ends with the metrics.jsonl and summary.json of an uninterrupted run \
            (wall_ fields aside). A run without a checkpoint starts again from the beginning.
            """)

    @Argument(help: "The run folder.")
    var folder: String

    @Option(help: "Worker processes to spawn (default: as many as the run had).")
    var workers: Int?

    @Option(help: "How many times a worker process that dies is replaced before the run fails.")
    var maxRestarts = 3

    @Option(help: ArgumentHelp("Write a checkpoint every N steps or every Ns seconds ('none': only when stopped early).",
                               valueName: "N|Ns"))
    var checkpointEvery = "60s"

    @OptionGroup var heartbeat: HeartbeatOptions

    @OptionGroup var keys: KeysOption

    func run() throws {
        let signals = watchSignals()
        try reportingErrors {
            let scenario = try ScenarioLoader.load(path: folder + "/scenario.yaml")
            guard RunFolder.status(in: folder) != .completed else {
                throw RunFolderError.cannotResume(folder: folder, reason: "its run has completed")
            }
            let workers = try workers ?? RunCheckpoint.read(from: folder)?.workers ?? 2
            var options = try makeRunOptions(checkpointEvery: checkpointEvery, heartbeat: heartbeat.value, signals: signals)
            options.resume = true
            options.maxRestarts = maxRestarts
            options.keys = keys.folder
            try showingProgress(scenario, folder: folder, workers: workers, server: { scenario, folder, progress in
                try Simulation.runLocally(scenario, workers: workers, folder: folder,
                                          executable: LocalCluster.currentExecutable, options: options, progress: progress)
            }, decentralized: { _, folder, _ in
                throw RunFolderError.cannotResume(
                    folder: folder, reason: "a decentralized run keeps no checkpoint; run it again with --overwrite")
            })
        }
    }
}
