import ArgumentParser
import FedSimRuntime
import Foundation

/// `fedsim validate`: scenario files and their data checked without running them.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check scenario files and their data; print every problem with file:line:column.")

    @Argument(help: "Scenario files.")
    var scenarios: [String]

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a scenario field, as `run` does (repeatable).", valueName: "field.path=value"))
    var overrides: [String] = []

    @Option(help: "Override the scenarios' seed, as `run` does.")
    var seed: UInt64?

    @Option(help: "Override the scenarios' data seed, as `run` does.")
    var dataSeed: UInt64?

    func run() throws {
        var failed = false
        for path in scenarios {
            do {
                try reportingErrors {
                    var scenario = try ScenarioLoader.load(path: path, overrides: overrides)
                    if let seed { scenario.seed = seed }
                    if let dataSeed { scenario.dataSeed = dataSeed }
                    let data = try Simulation.prepareData(scenario)
                    let samples = data.clients.reduce(0) { $0 + $1.count }
                    let parts = scenario.decentralized == nil ? "clients" : "nodes"
                    let algorithm = scenario.decentralized.map { "\($0.algorithmName) over \($0.topology)" }
                        ?? scenario.server.algorithm
                    let labels = data.hasTargets ? "real targets" : "\(data.classCount) classes"
                    print("\(path): ok — \(scenario.name): \(data.clients.count) \(parts), \(samples) training and "
                          + "\(data.test.count) test samples, \(data.featureCount) features, \(labels); "
                          + "\(scenario.model.kind.rawValue) model, \(algorithm)")
                    if let base = scenario.model.base {
                        let start = try scenario.startingModel(for: data)
                        let evaluation = start.model.evaluate(parameters: start.trainableParameters, on: data.test)
                        print("  starting model (\(base)): test accuracy \(String(format: "%.4f", evaluation.accuracy)), "
                              + "test loss \(String(format: "%.4f", evaluation.meanLoss)); "
                              + "\(start.trainableParameters.count) of \(start.trainableParameters.count + start.model.frozenParameters.count) "
                              + "parameters train")
                    }
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
