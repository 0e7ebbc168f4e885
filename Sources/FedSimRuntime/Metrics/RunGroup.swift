import Foundation

/// Runs a report draws as one curve: the runs of one scenario that differ only by seed.
public struct RunGroup: Equatable, Sendable {
    /// The legend's name: a lone run's name, or for seeds of one scenario the folder name
    /// without its `seed=N` part (as `fedsim sweep` names folders; else the first run's
    /// folder name) and the seeds, "server.rounds=2 (seeds 1, 2)".
    public let name: String
    /// The runs, as indices into the report's runs, in order.
    public let members: [Int]

    public init(name: String, members: [Int]) {
        self.name = name
        self.members = members
    }

    /// Every run on its own, named `names`.
    public static func separately(_ names: [String]) -> [RunGroup] {
        names.enumerated().map { RunGroup(name: $1, members: [$0]) }
    }

    /// The run folders `folders` (named `names` in the report) grouped by seed: two
    /// completed runs fall in one group when their `scenario.yaml` files (the resolved
    /// scenario each run wrote) are the same but for the top-level `seed:` line. A run
    /// that did not complete, or whose folder has no `scenario.yaml`, stands alone: its
    /// shorter curve would cut the group's short. Groups are in the order of their first
    /// runs.
    public static func bySeed(folders: [String], names: [String]) -> [RunGroup] {
        let scenarios = folders.map { folder -> (withoutSeed: String, seed: String)? in
            guard RunFolder.status(in: folder) == .completed,
                  let text = try? String(contentsOfFile: folder + "/scenario.yaml", encoding: .utf8) else { return nil }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let seed = lines.first { $0.hasPrefix("seed:") }.map { $0.dropFirst(5).trimmingCharacters(in: .whitespaces) }
            return (lines.filter { !$0.hasPrefix("seed:") }.joined(separator: "\n"), seed ?? "?")
        }
        var members: [[Int]] = [], groupOfScenario: [String: Int] = [:]
        for (index, scenario) in scenarios.enumerated() {
            if let scenario, let group = groupOfScenario[scenario.withoutSeed] {
                members[group].append(index)
            } else {
                if let scenario { groupOfScenario[scenario.withoutSeed] = members.count }
                members.append([index])
            }
        }
        return members.map { runs in
            guard runs.count > 1 else { return RunGroup(name: names[runs[0]], members: runs) }
            let folderNames = runs.map { URL(fileURLWithPath: folders[$0]).lastPathComponent }
            let withoutSeeds = Set(folderNames.map { name in
                name.split(separator: ",").filter { !$0.hasPrefix("seed=") }.joined(separator: ",")
            })
            let common = withoutSeeds.count == 1 && withoutSeeds.first != "" ? withoutSeeds.first! : folderNames[0]
            let seeds = runs.map { scenarios[$0]!.seed }.joined(separator: ", ")
            return RunGroup(name: "\(common) (seeds \(seeds))", members: runs)
        }
    }
}

/// One measure of a group of runs on an x grid they share: every x at which one of the
/// runs has a value, from the last of their first x to the first of their last x (so
/// every point is over all the runs), each run taken at its latest value at or before x.
/// A lone run's curve is its own points.
public struct GroupCurve: Sendable {
    public struct Point: Equatable, Sendable {
        public let x: Double
        public let mean: Double
        /// The sample standard deviation across the runs; nil for a lone run.
        public let standardDeviation: Double?
        public let min: Double
        public let max: Double
    }

    /// The group's name.
    public let name: String
    /// How many runs the curve is over.
    public let runs: Int
    public let points: [Point]

    /// The curve of `series`, each run's points in increasing x; points whose value is
    /// not finite (a run that diverged writes null) are left out.
    public init(name: String, series: [[(x: Double, y: Double)]]) {
        let series = series.map { $0.filter { $0.y.isFinite } }
        self.name = name
        runs = series.count
        guard !series.contains(where: \.isEmpty),
              let start = series.map({ $0[0].x }).max(), let end = series.map({ $0[$0.count - 1].x }).min() else {
            points = []
            return
        }
        let grid = Set(series.flatMap { $0.map(\.x) }).filter { $0 >= start && $0 <= end }.sorted()
        var next = Array(repeating: 0, count: series.count)
        points = grid.map { x in
            let values = series.indices.map { run -> Double in
                while next[run] + 1 < series[run].count, series[run][next[run] + 1].x <= x { next[run] += 1 }
                return series[run][next[run]].y
            }
            let statistics = SampleStatistics(values)!
            return Point(x: x, mean: statistics.mean, standardDeviation: statistics.standardDeviation,
                         min: values.min()!, max: values.max()!)
        }
    }

    /// The curves of `groups`, the points of run `index` being `series(index)`.
    static func curves(of groups: [RunGroup], series: (Int) -> [(x: Double, y: Double)]) -> [GroupCurve] {
        groups.map { GroupCurve(name: $0.name, series: $0.members.map(series)) }
    }
}
