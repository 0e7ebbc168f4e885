import FedSimCore

/// A Byzantine attack on the updates of one aggregation step (ALGORITHMS.md section 2).
///
/// The attackers are omniscient: they see the honest updates of the round, and all f of
/// them send the same vector, computed from those updates. `stream` is the only source
/// of randomness (the Gaussian attack's draws; the bucketing shuffles a line search
/// simulates).
public protocol ByzantineAttack: Sendable {
    /// The name in scenario files.
    var name: String { get }
    /// The vector every one of the `byzantineCount` Byzantine clients sends.
    func byzantineVector(honest: RobustInputs, byzantineCount: Int, stream: inout RandomStream) throws -> [Float]
}

extension ByzantineAttack {
    /// Checks and packs the honest updates (errors cite the attack), then crafts the vector.
    public func byzantineVector(honest: [[Float]], byzantineCount: Int, stream: inout RandomStream) throws -> [Float] {
        try byzantineVector(honest: RobustInputs(honest, context: name), byzantineCount: byzantineCount, stream: &stream)
    }

    /// The `byzantineCount` identical vectors the Byzantine clients send.
    public func byzantineVectors(honest: [[Float]], byzantineCount: Int, stream: inout RandomStream) throws -> [[Float]] {
        let vector = try byzantineVector(honest: honest, byzantineCount: byzantineCount, stream: &stream)
        return Array(repeating: vector, count: byzantineCount)
    }
}

/// Per-coordinate statistics of the honest updates that attacks are built from.
enum HonestStatistics {
    /// The coordinate-wise mean, in Double. O(n d).
    static func mean(_ honest: RobustInputs) -> [Double] {
        let n = Double(honest.count)
        return RobustKernel.weightedSumInDouble(honest, rows: Array(0..<honest.count),
                                                weights: Array(repeating: 1, count: honest.count)).map { $0 / n }
    }

    /// The coordinate-wise sample standard deviation (n - 1 in the denominator, numpy's
    /// ddof = 1), two-pass around `mean`. O(n d).
    /// - Throws: `RobustAggregationError.invalidParameter` with fewer than two honest updates.
    static func standardDeviation(_ honest: RobustInputs, mean: [Double], attack: String) throws -> [Double] {
        let n = honest.count
        guard n >= 2 else {
            throw RobustAggregationError.invalidParameter(
                rule: attack, parameter: "honest updates", message: "must number at least 2 for a sample standard deviation, got \(n)")
        }
        let d = honest.dimension
        var squares = [Double](repeating: 0, count: d)
        honest.matrix.values.withUnsafeBufferPointer { values in
            for row in 0..<n {
                for column in 0..<d {
                    let deviation = Double(values[row * d + column]) - mean[column]
                    squares[column] += deviation * deviation
                }
            }
        }
        return squares.map { ($0 / Double(n - 1)).squareRoot() }
    }
}
