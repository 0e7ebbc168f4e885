import ArgumentParser
import FedSimRuntime
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
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

    @Option(help: "Also write an HTML page with the table and SVG plots of test loss and accuracy against virtual time.")
    var html: String?

    func run() throws {
        try reportingErrors {
            guard !runs.isEmpty else { throw UsageError("give at least one run folder") }
            guard grid > 0 else { throw UsageError("--grid must be positive, got \(grid)") }
            let histories = try runs.map { try RunHistory(folder: $0) }
            let comparison = RunComparison(
                runs: histories, reference: try reference.map { try RunHistory(folder: $0) } ?? histories[0], grid: grid)
            print(comparison.markdown, terminator: "")
            if let html {
                do {
                    try Data(comparison.html.utf8).write(to: URL(fileURLWithPath: html))
                } catch {
                    throw RunFolderError.cannotWriteReport(file: html, reason: error.localizedDescription)
                }
                print("wrote \(html)")
            }
        }
    }
}
