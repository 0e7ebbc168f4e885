import ArgumentParser

/// `fedsim bench MODE`: fedsim's benchmarks, one mode each. Without a mode's name,
/// `fedsim bench [SCENARIO...]` measures scenarios end to end.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure fedsim's speed: scenarios end to end (the default mode), the robust aggregators, "
            + "DP-SGD local steps, or the coordinator's update path.",
        discussion: "Build with -c release to measure what a run gets.",
        subcommands: [BenchScenariosCommand.self, BenchAggregatorsCommand.self, BenchPrivacyCommand.self,
                      BenchUpdatePathCommand.self],
        defaultSubcommand: BenchScenariosCommand.self)
}
