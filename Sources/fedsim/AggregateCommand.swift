import ArgumentParser
import FedSimAlgorithms
import FedSimCore
import Foundation

/// `fedsim aggregate`: one robust aggregation of the vectors in a CSV file.
struct AggregateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate",
        abstract: "Apply one robust aggregator to the vectors of a CSV file and print the aggregate.",
        discussion: """
            VECTORS.csv holds one vector per row, no header. The aggregate is printed on one \
            comma-separated line, each value with the digits that read back to the same Float; \
            what each step did (the vector Krum selected, how many inputs were clipped) goes \
            to standard error.
            Rules: \(RobustAggregator.ruleNames.joined(separator: ", ")).
            Pre-aggregators: \(RobustAggregator.preAggregatorNames.joined(separator: ", ")).
            """)

    @Option(help: "The aggregation rule.")
    var rule: String

    @Option(name: .customLong("f"), help: "Byzantine inputs to tolerate (default 0).")
    var f: Int?

    @Option(help: "Centered clipping radius (default 100).")
    var tau: Double?

    @Option(help: "Centered clipping iterations L (default 1); Flag Aggregator IRLS steps (default 4).")
    var iterations: Int?

    @Option(help: "Geometric median smoothing nu (default 0.1).")
    var nu: Double?

    @Option(name: .customLong("T"), help: "Geometric median iterations (default 3).")
    var weiszfeldIterations: Int?

    @Option(help: "Geometric median: stop once an iteration moves less than this.")
    var tolerance: Double?

    @Option(help: "Flag Aggregator subspace rank r (default 1).")
    var rank: Int?

    @Option(help: "Flag Aggregator pairwise weight lambda (default 0).")
    var lambda: Double?

    @Option(name: .customLong("m"), help: "Multi-Krum: inputs averaged (default n - f).")
    var multiKrumCount: Int?

    @Flag(help: "Krum and Multi-Krum: score Blanchard et al.'s n - f - 2 neighbours instead of n - f - 1.")
    var originalKrum = false

    @Option(help: "Pre-aggregators to run first, in order, comma-separated (e.g. nnm or arc,bucketing).")
    var pre: String?

    @Option(help: "Bucketing: inputs per bucket s (default 1).")
    var bucketSize: Int?

    @Option(help: "Static clipping threshold c (default 2).")
    var clipThreshold: Double?

    @Option(help: "Seed of the aggregation random stream (bucketing, Flag Aggregator start).")
    var seed: UInt64 = 0

    @Argument(help: "CSV file with one vector per row.")
    var vectors: String

    /// The aggregator the options describe; only the options given become parameters, so
    /// a rule rejects options it does not take.
    func description() -> RobustAggregatorDescription {
        var parameters: [String: Double] = [:]
        parameters["f"] = f.map(Double.init)
        parameters["tau"] = tau
        parameters["iterations"] = iterations.map(Double.init)
        parameters["nu"] = nu
        parameters["T"] = weiszfeldIterations.map(Double.init)
        parameters["tolerance"] = tolerance
        parameters["rank"] = rank.map(Double.init)
        parameters["lambda"] = lambda
        parameters["m"] = multiKrumCount.map(Double.init)
        if originalKrum { parameters["original"] = 1 }
        let steps = (pre ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let preAggregators = steps.map { name -> PreAggregatorDescription in
            var own: [String: Double] = [:]
            if name == "bucketing" { own["s"] = bucketSize.map(Double.init) }
            if name == "static_clipping" { own["c"] = clipThreshold }
            return PreAggregatorDescription(name, parameters: own)
        }
        return RobustAggregatorDescription(rule: rule, parameters: parameters, pre: preAggregators)
    }

    func validate() throws {
        if bucketSize != nil && !(pre ?? "").contains("bucketing") {
            throw ValidationError("--bucket-size applies to the bucketing pre-aggregator; add it with --pre bucketing")
        }
        if clipThreshold != nil && !(pre ?? "").contains("static_clipping") {
            throw ValidationError("--clip-threshold applies to static clipping; add it with --pre static_clipping")
        }
    }

    func run() throws {
        try reportingErrors {
            var aggregator = try RobustAggregator(description())
            let rows = try VectorCSV.load(path: vectors)
            var stream = RandomStream(seed: seed, purpose: .aggregation)
            let result = try aggregator.aggregate(rows, stream: &stream)
            print(result.aggregate.map { "\($0)" }.joined(separator: ","))
            for report in result.reports {
                FileHandle.standardError.write(Data("\(report)\n".utf8))
            }
        }
    }
}
