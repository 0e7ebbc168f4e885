import ArgumentParser
import FedSimRuntime
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Compare run folders: server runs on virtual time, decentralized runs on communications and gradients.",
        discussion: """
            Prints a Markdown table, one row per run folder. Every folder must hold the same kind of run: \
            server runs and decentralized runs are measured differently, so give each kind its own report.

            Server runs: "time to loss" is the virtual time at which the run's test loss first reaches the \
            reference run's final test loss (the first folder whose run did not diverge, that is whose \
            model never held NaN and whose last test loss is not above its first, unless --reference \
            names another); "loss \
            spread" is the standard deviation of the successive changes of the test loss sampled every \
            --grid virtual seconds.

            Decentralized runs: communications, gradients and the final record's test loss, accuracy, \
            relative distance to the optimum and consensus distance; "communications to target" and \
            "gradients to target" are those of the first record whose relative distance to the optimum is \
            at most --target ("not reached" when none is, "n/a" for a run without distances, such as a \
            network's). --html plots the relative distance (log scale) and the test accuracy against the \
            communication count. Token walks (sa_srrw) add the total-variation distance of their visits \
            to the target, and two or more walks over the same nodes the trace of the covariance of their \
            visit distributions.
            """)

    @Argument(help: "Run folders (each holding a metrics.jsonl), all server runs or all decentralized runs.")
    var runs: [String]

    @Option(help: ArgumentHelp("Server runs: the run whose final test loss is the target (default: the first that "
                               + "did not diverge)."))
    var reference: String?

    @Option(help: "Server runs: virtual seconds between the samples of the loss spread.")
    var grid = 0.5

    @Option(help: ArgumentHelp(
        "Decentralized runs: the relative distance to the optimum to count communications and gradients to "
            + "(default: \(DecentralizedRunComparison.defaultTarget)).",
        valueName: "distance"))
    var target: Double?

    @Option(help: "Also write an HTML page with the table and SVG plots of the runs.")
    var html: String?

    @Option(name: .customLong("x"), help: ArgumentHelp(
        "What the plots put along x: virtual time, aggregation steps (server runs) or communication (bytes sent up "
            + "and down by a server run, edge exchanges of a decentralized run) (default: time for server runs, "
            + "communication for decentralized runs).",
        valueName: "time|steps|communication"))
    var xAxis: String?

    @Flag(help: "Plot every measure on a logarithmic y axis (the relative distance to the optimum always is).")
    var logY = false

    @Option(help: ArgumentHelp(
        "Also write the plotted curves as CSV: chart,series,runs,X,mean,std,min,max, a row per x value of each curve.",
        valueName: "file"))
    var csv: String?

    func run() throws {
        try reportingErrors {
            guard !runs.isEmpty else { throw UsageError("give at least one run folder") }
            guard grid > 0 else { throw UsageError("--grid must be positive, got \(grid)") }
            if let target, !(target > 0 && target.isFinite) {
                throw UsageError("--target must be a positive finite relative distance, got \(target)")
            }
            let axis = try xAxis.map { name in
                guard let axis = ChartAxis(rawValue: name) else {
                    throw UsageError("--x must be one of \(ChartAxis.allCases.map(\.rawValue).joined(separator: ", ")), not '\(name)'")
                }
                return axis
            }
            let histories = try runs.map { try RunFolderHistory(folder: $0) }
            let groups = RunGroup.bySeed(folders: runs, names: histories.map(\.name))
            let report = try comparison(of: histories, groups: groups, x: axis)
            print(report.markdown, terminator: "")
            for (file, text) in [(html, report.html), (csv, report.csv)] {
                guard let file else { continue }
                do {
                    try Data(text.utf8).write(to: URL(fileURLWithPath: file))
                } catch {
                    throw RunFolderError.cannotWriteReport(file: file, reason: error.localizedDescription)
                }
                print("wrote \(file)")
            }
        }
    }

    /// The comparison of `histories`, all of one kind, their plots' curves `groups` against
    /// `x` (nil: the kind's default), with the options of that kind; a mix of kinds or an
    /// option of the other kind is a usage error.
    private func comparison(of histories: [RunFolderHistory], groups: [RunGroup], x: ChartAxis?) throws -> any RunReport {
        var server: [RunHistory] = [], decentralized: [DecentralizedRunHistory] = []
        for history in histories {
            switch history {
            case let .server(run): server.append(run)
            case let .decentralized(run): decentralized.append(run)
            }
        }
        if server.isEmpty {
            guard reference == nil else { throw UsageError("--reference applies to server runs; use --target") }
            guard x != .steps else {
                throw UsageError("--x steps applies to server runs: decentralized runs have no aggregation steps "
                                 + "(use time or communication)")
            }
            return DecentralizedRunComparison(runs: decentralized, target: target ?? DecentralizedRunComparison.defaultTarget,
                                              groups: groups, x: x ?? .communication, logarithmicY: logY)
        }
        guard decentralized.isEmpty else {
            throw UsageError("cannot compare server runs (\(server.map(\.name).joined(separator: ", "))) with "
                             + "decentralized runs (\(decentralized.map(\.name).joined(separator: ", "))) in one table; "
                             + "report each kind on its own")
        }
        guard target == nil else { throw UsageError("--target applies to decentralized runs; use --reference") }
        let chosen = try reference.map { try RunHistory(folder: $0) }
        return RunComparison(runs: server, reference: chosen, grid: grid, groups: groups, x: x ?? .time, logarithmicY: logY)
    }
}
