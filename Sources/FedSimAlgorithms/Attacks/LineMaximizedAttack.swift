import FedSimCore

/// The "optimal" inner-product manipulation and a-little-is-enough attacks: the factor
/// tau is line-searched to maximize `||aggregate - mean of the honest updates||`, where the
/// aggregate is the server's robust aggregator applied to the honest updates followed by
/// `byzantineCount` copies of the attack vector (ByzFL's LineMaximize).
///
/// The search, on tau >= 0 with at most `evaluations` aggregations:
/// - evaluate `start`; expansion: try `best + delta`, doubling delta after each
///   improvement, until a try fails to improve, then shrink delta by `ratio`;
/// - contraction: step from the last try towards the best one (forwards if the try lay
///   below it, else backwards, halving any step that would cross 0), keeping any
///   improvement, shrinking delta by `ratio` after every try.
/// Defaults as in ByzFL: 16 evaluations, start 0, delta 1, ratio 0.8.
///
/// Each evaluation aggregates with a copy of the aggregator (so a stateful rule's state
/// is untouched) and of `stream` (so every candidate faces the same random draws).
/// O(evaluations x the aggregator's cost).
public struct LineMaximizedAttack: ByzantineAttack {
    /// The attack whose factor is searched.
    public enum Family: String, Sendable, CaseIterable {
        /// `-tau * mean`.
        case innerProductManipulation = "ipm"
        /// `mean + tau * std`.
        case aLittleIsEnough = "alie"
    }

    public var family: Family
    /// The aggregator the attackers face (they know the server's rule).
    public var aggregator: RobustAggregator
    public var evaluations: Int
    public var start: Double
    public var delta: Double
    public var ratio: Double

    public init(_ family: Family, against aggregator: RobustAggregator, evaluations: Int = 16, start: Double = 0,
                delta: Double = 1, ratio: Double = 0.8) {
        self.family = family
        self.aggregator = aggregator
        self.evaluations = evaluations
        self.start = start
        self.delta = delta
        self.ratio = ratio
    }

    public var name: String { "optimal_\(family.rawValue)" }

    public func byzantineVector(honest: RobustInputs, byzantineCount: Int, stream: inout RandomStream) throws -> [Float] {
        try search(honest: honest, byzantineCount: byzantineCount, stream: stream).vector
    }

    /// The factor the search settles on, the attack vector it gives, and the distance of
    /// the resulting aggregate from the honest mean.
    public func search(
        honest: RobustInputs, byzantineCount: Int, stream: RandomStream
    ) throws -> (factor: Double, vector: [Float], distance: Double) {
        try checkSettings(byzantineCount)
        let mean = HonestStatistics.mean(honest)
        let deviation = family == .aLittleIsEnough
            ? try HonestStatistics.standardDeviation(honest, mean: mean, attack: name) : []

        func vector(_ factor: Double) -> [Float] {
            switch family {
            case .innerProductManipulation: return InnerProductManipulation.vector(mean: mean, tau: factor)
            case .aLittleIsEnough: return ALittleIsEnough.vector(mean: mean, standardDeviation: deviation, tau: factor)
            }
        }
        func damage(_ factor: Double) throws -> Double {
            let attack = vector(factor)
            var values = honest.matrix.values
            for _ in 0..<byzantineCount { values += attack }
            let inputs = try RobustInputs(
                validating: Matrix(rows: honest.count + byzantineCount, columns: honest.dimension, values: values), context: name)
            var trial = aggregator
            var trialStream = stream
            let aggregate = try trial.aggregate(inputs, stream: &trialStream).aggregate
            return zip(aggregate, mean).reduce(0.0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) }.squareRoot()
        }

        var remaining = evaluations
        var step = delta
        var best = (factor: start, distance: try damage(start))
        remaining -= 1
        var proposal = best.factor
        while remaining > 0 {
            proposal = best.factor + step
            let distance = try damage(proposal)
            remaining -= 1
            if distance > best.distance {
                best = (proposal, distance)
                step *= 2
            } else {
                step *= ratio
                break
            }
        }
        while remaining > 0 {
            if proposal < best.factor {
                proposal += step
            } else {
                var backwards = proposal - step
                while backwards < 0 { backwards = (backwards + proposal) / 2 }
                proposal = backwards
            }
            let distance = try damage(proposal)
            remaining -= 1
            if distance > best.distance { best = (proposal, distance) }
            step *= ratio
        }
        return (best.factor, vector(best.factor), best.distance)
    }

    private func checkSettings(_ byzantineCount: Int) throws {
        func invalid(_ parameter: String, _ message: String) -> RobustAggregationError {
            .invalidParameter(rule: name, parameter: parameter, message: message)
        }
        guard byzantineCount >= 0 else { throw invalid("byzantine count", "must be >= 0, got \(byzantineCount)") }
        guard evaluations >= 1 else { throw invalid("evaluations", "must be >= 1, got \(evaluations)") }
        guard start.isFinite, start >= 0 else { throw invalid("start", "must be finite and >= 0, got \(start)") }
        guard delta.isFinite, delta > 0 else { throw invalid("delta", "must be finite and > 0, got \(delta)") }
        guard ratio > 0.5, ratio < 1 else { throw invalid("ratio", "must lie strictly between 0.5 and 1, got \(ratio)") }
    }
}
