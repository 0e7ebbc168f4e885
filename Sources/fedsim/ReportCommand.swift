import ArgumentParser
import FedSimRuntime
import Foundation

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare run folders on virtual time: final loss and accuracy, time to a target loss, loss stability.",
        discussion: """
            Prints a Markdown table, one row per run folder. "time to target" is the virtual time at which \
            the run's test loss first reaches the reference run's final test loss (the first folder unless \
            --reference names another); "loss spread" is the standard deviation of the successive changes \
            of the test loss sampled every --grid virtual seconds.
            """)

    @Argument(help: "Run folders (each holding a metrics.jsonl).")
    var runs: [String]

    @Option(help: "The run whose final test loss is the target (default: the first).")
    var reference: String?

    @Option(help: "Virtual seconds between the samples of the loss spread.")
    var grid = 0.5

    func run() throws {
        try reportingErrors {
            guard !runs.isEmpty else { throw RuntimeError("give at least one run folder") }
            guard grid > 0 else { throw RuntimeError("--grid must be positive, got \(grid)") }
            let histories = try runs.map { try RunHistory(folder: $0) }
            let target = try reference.map { try RunHistory(folder: $0) } ?? histories[0]
            let targetLoss = target.final.testLoss
            print("| run | steps | virtual s | final test loss | final accuracy | time to loss \(format(targetLoss, 4)) | loss spread |")
            print("|---|---:|---:|---:|---:|---:|---:|")
            for history in histories {
                let reached = history.firstTime(testLossAtMost: targetLoss).map { format($0, 1) } ?? "not reached"
                let spread = history.lossSpread(every: grid).map { format($0, 4) } ?? "-"
                print("| \(history.name) | \(history.steps) | \(format(history.duration, 1)) | "
                      + "\(format(history.final.testLoss, 4)) | \(format(history.final.testAccuracy, 4)) | "
                      + "\(reached) | \(spread) |")
            }
        }
    }
}
