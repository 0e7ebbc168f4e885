import FedSimCore

/// Inner-product manipulation (Xie et al. 2020, "Fall of Empires"): every Byzantine
/// client sends `-tau * mean_i x_i`, so the aggregate's inner product with the true
/// gradient turns negative. Default tau = 2, as in ByzFL. O(n d).
public struct InnerProductManipulation: ByzantineAttack {
    public var name: String { "inner_product_manipulation" }
    public var tau: Double

    public init(tau: Double = 2) {
        self.tau = tau
    }

    public func byzantineVector(honest: RobustInputs, byzantineCount: Int, stream: inout RandomStream) throws -> [Float] {
        try checkFiniteFactor(tau, attack: name)
        return Self.vector(mean: HonestStatistics.mean(honest), tau: tau)
    }

    /// `-tau * mean`.
    static func vector(mean: [Double], tau: Double) -> [Float] {
        mean.map { Float(-tau * $0) }
    }
}

/// Throws unless an attack factor is finite.
func checkFiniteFactor(_ tau: Double, attack: String) throws {
    guard tau.isFinite else {
        throw RobustAggregationError.invalidParameter(rule: attack, parameter: "tau", message: "must be finite, got \(tau)")
    }
}
