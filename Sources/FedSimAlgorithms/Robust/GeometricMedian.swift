import FedSimCore

/// The geometric median `argmin_z sum_i ||x_i - z||`, approximated by the smoothed
/// Weiszfeld algorithm (Pillutla et al. 2022, "Robust Aggregation for Federated
/// Learning"), as in ByzFL.
///
/// From z = 0, each iteration sets `b_i = max(nu, ||x_i - z||)` and
/// `z <- sum_i (x_i / b_i) / sum_i (1 / b_i)`. `nu` keeps an input that z reaches from
/// getting an unbounded weight. Runs `iterations` (T) times, or stops earlier once an
/// iteration moves z by at most `tolerance` when one is given.
/// Defaults: nu = 0.1, T = 3, no tolerance. O(T n d); z is kept in Double.
public struct GeometricMedian: RobustRule {
    public var name: String { "geometric_median" }
    /// The smoothing floor nu > 0 on distances.
    public var nu: Double
    /// T, the most iterations run (at least 1).
    public var iterations: Int
    /// Stop once `||z_new - z|| <= tolerance`; nil runs all T iterations.
    public var tolerance: Double?

    public init(nu: Double = 0.1, iterations: Int = 3, tolerance: Double? = nil) {
        self.nu = nu
        self.iterations = iterations
        self.tolerance = tolerance
    }

    public func aggregate(_ inputs: RobustInputs, stream: inout RandomStream) throws -> RobustResult {
        guard nu.isFinite, nu > 0 else {
            throw RobustAggregationError.invalidParameter(rule: name, parameter: "nu", message: "must be finite and > 0, got \(nu)")
        }
        guard iterations >= 1 else {
            throw RobustAggregationError.invalidParameter(rule: name, parameter: "T", message: "must be >= 1, got \(iterations)")
        }
        if let tolerance, !(tolerance.isFinite && tolerance >= 0) {
            throw RobustAggregationError.invalidParameter(
                rule: name, parameter: "tolerance", message: "must be finite and >= 0, got \(tolerance)")
        }
        let rows = Array(0..<inputs.count)
        var z = [Double](repeating: 0, count: inputs.dimension)
        var performed = 0
        while performed < iterations {
            performed += 1
            let weights = rows.map { 1 / max(nu, RobustKernel.distance(inputs, row: $0, to: z)) }
            let total = weights.reduce(0, +)
            let next = RobustKernel.weightedSumInDouble(inputs, rows: rows, weights: weights).map { $0 / total }
            let step = zip(next, z).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            z = next
            if let tolerance, step <= tolerance { break }
        }
        return RobustResult(aggregate: z.map { Float($0) },
                            report: RobustReport(step: name, inputs: inputs.count, iterations: performed))
    }
}
