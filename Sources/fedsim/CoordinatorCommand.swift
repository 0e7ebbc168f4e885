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

    @Flag(help: "Go on with the run in the run folder from its checkpoint, if it holds an unfinished run of this scenario.")
    var resume = false

    @Flag(help: ArgumentHelp(
        "Send each worker its clients' rows, for workers on hosts without the scenario's data files.",
        discussion: "Without it, the workers of a server run build their clients' rows from the scenario's data "
            + "recipe (the data files must be at the same paths on their hosts) and check them against the "
            + "coordinator's content hashes."))
    var shipData = false

    @OptionGroup var control: RunControlOptions
    @OptionGroup var keys: KeysOption

    func run() throws {
        // A worker may name the scenario by its name, its file or the file's base name.
        let file = URL(fileURLWithPath: options.scenario)
        let aliases: Set = [options.scenario, file.lastPathComponent, file.deletingPathExtension().lastPathComponent]
        let signals = watchSignals()
        try options.runShowingProgress(workers: workers, server: { scenario, folder, progress in
            try Simulation.coordinate(scenario, bind: bind, workers: workers, folder: folder, joinTimeout: joinTimeout,
                                      scenarioAliases: aliases, options: try runOptions(signals), progress: progress)
        }, decentralized: { scenario, folder, progress in
            try Simulation.coordinateGossip(scenario, bind: bind, workers: workers, folder: folder,
                                            joinTimeout: joinTimeout, scenarioAliases: aliases,
                                            options: try runOptions(signals), progress: progress)
        })
    }

    private func runOptions(_ signals: SignalWatch) throws -> RunOptions {
        var options = try control.runOptions(signals: signals)
        options.resume = resume
        options.keys = keys.folder
        options.shipData = shipData
        return options
    }
}
