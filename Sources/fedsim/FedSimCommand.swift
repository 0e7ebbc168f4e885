import ArgumentParser
import FedSimRuntime

@main
struct FedSimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fedsim",
        abstract: "Simulate federated and decentralized training across real processes.")
}
