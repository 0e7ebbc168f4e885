import FedSimCore

/// A little is enough (Baruch et al. 2019): every Byzantine client sends
/// `mean + tau * std` per coordinate, with the sample standard deviation (ddof = 1) of
/// the honest updates: a shift small enough to pass as honest. Default tau = 1.5, as in
/// ByzFL. Needs at least two honest updates. O(n d).
public struct ALittleIsEnough: ByzantineAttack {
    public var name: String { "alie" }
    public var tau: Double

    public init(tau: Double = 1.5) {
        self.tau = tau
    }

    public func byzantineVector(honest: RobustInputs, byzantineCount: Int, stream: inout RandomStream) throws -> [Float] {
        try checkFiniteFactor(tau, attack: name)
        let mean = HonestStatistics.mean(honest)
        let deviation = try HonestStatistics.standardDeviation(honest, mean: mean, attack: name)
        return Self.vector(mean: mean, standardDeviation: deviation, tau: tau)
    }

    /// `mean + tau * std`.
    static func vector(mean: [Double], standardDeviation: [Double], tau: Double) -> [Float] {
        zip(mean, standardDeviation).map { Float($0 + tau * $1) }
    }
}
