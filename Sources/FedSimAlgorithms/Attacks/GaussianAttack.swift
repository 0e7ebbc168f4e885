import FedSimCore

/// Gaussian noise: every Byzantine client sends one vector of independent N(mu, sigma^2)
/// coordinates drawn from the stream, of the honest updates' length. Defaults mu = 0,
/// sigma = 1, as in ByzFL. O(d).
public struct GaussianAttack: ByzantineAttack {
    public var name: String { "gaussian" }
    public var mean: Double
    public var standardDeviation: Double

    public init(mean: Double = 0, standardDeviation: Double = 1) {
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    public func byzantineVector(honest: RobustInputs, byzantineCount: Int, stream: inout RandomStream) throws -> [Float] {
        guard mean.isFinite else {
            throw RobustAggregationError.invalidParameter(rule: name, parameter: "mu", message: "must be finite, got \(mean)")
        }
        guard standardDeviation.isFinite, standardDeviation >= 0 else {
            throw RobustAggregationError.invalidParameter(
                rule: name, parameter: "sigma", message: "must be finite and >= 0, got \(standardDeviation)")
        }
        return (0..<honest.dimension).map { _ in Float(stream.normal(mean: mean, standardDeviation: standardDeviation)) }
    }
}
