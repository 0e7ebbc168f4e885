import ArgumentParser
import FedSimAlgorithms
import FedSimCore
import Foundation

/// `fedsim bench aggregators`: wall time of each robust aggregator on one random input set.
struct BenchAggregatorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregators",
        abstract: "Time the robust aggregators on n standard normal vectors of dimension d (build with -c release).")

    @Option(help: "Input vectors n.")
    var inputs = 100

    @Option(help: "Vector length d.")
    var dimension = 100_000

    @Option(name: .customLong("f"), help: "Byzantine inputs the rules tolerate.")
    var f = 10

    @Option(help: "Measured repetitions of each rule (after one warm-up).")
    var repeats = 3

    @Option(help: "Seed of the random inputs.")
    var seed: UInt64 = 1

    func run() throws {
        BLAS.useSingleThread()
        guard inputs >= 2, dimension >= 1, repeats >= 1, f >= 0, 2 * f < inputs else {
            throw ValidationError("need --inputs >= 2, --dimension >= 1, --repeats >= 1 and 0 <= 2 f < n")
        }
        var stream = RandomStream(seed: seed, purpose: .aggregation, client: 1)
        let vectors = (0..<inputs).map { _ in (0..<dimension).map { _ in Float(stream.normal()) } }
        print("bench aggregators: n = \(inputs) inputs of d = \(dimension), f = \(f), "
              + "median of \(repeats) runs after a warm-up, single-threaded OpenBLAS")

        var rows: [(String, [Double])] = []
        rows.append(("pack + check inputs", try measure { _ = try RobustInputs(vectors) }))
        let packed = try RobustInputs(vectors)
        let rules: [(String, any RobustRule)] = [
            ("average", Average()),
            ("median", CoordinateWiseMedian()),
            ("trimmed_mean", TrimmedMean(f: f)),
            ("meamed", Meamed(f: f)),
            ("geometric_median (T = 3)", GeometricMedian()),
            ("krum", Krum(f: f)),
            ("multi_krum", MultiKrum(f: f)),
            ("centered_clipping (L = 1)", CenteredClipping()),
            ("flag (r = 1)", FlagAggregator()),
            ("flag (r = 5, lambda = 1)", FlagAggregator(rank: 5, lambda: 1)),
        ]
        for (label, rule) in rules {
            rows.append((label, try measure {
                var fresh = rule
                var ruleStream = RandomStream(seed: seed, purpose: .aggregation)
                _ = try fresh.aggregate(packed, stream: &ruleStream)
            }))
        }
        let nnm = NearestNeighborMixing(f: f)
        rows.append(("nnm (pre-aggregation)", try measure {
            var preStream = RandomStream(seed: seed, purpose: .aggregation)
            _ = try nnm.apply(packed, stream: &preStream)
        }))

        let average = median(rows[1].1)
        let width = rows.map(\.0.count).max() ?? 0
        print("rule".padding(toLength: width, withPad: " ", startingAt: 0) + "   median ms     min ms   x average")
        for (label, times) in rows {
            let columns = [format(median(times) * 1e3, 1), format(times.min()! * 1e3, 1), format(median(times) / average, 1)]
            print(label.padding(toLength: width, withPad: " ", startingAt: 0)
                  + columns.map { String(repeating: " ", count: max(0, 11 - $0.count)) + $0 }.joined(separator: " "))
        }
    }

    /// Seconds per run of `body`: one warm-up, then `repeats` measured runs.
    private func measure(_ body: () throws -> Void) throws -> [Double] {
        try measured(repeats: repeats) { _ in try seconds(body) }
    }
}
