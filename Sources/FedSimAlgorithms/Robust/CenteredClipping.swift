import FedSimCore

/// Centered clipping (Karimireddy et al. 2021, "Learning from History for Byzantine
/// Robust Optimization"), stateful across rounds.
///
/// v starts at the previous round's output (0 in the first round); `iterations` (L)
/// times, `v <- v + (1/n) sum_i (x_i - v) min(1, tau / ||x_i - v||)`. The output becomes
/// the next round's starting point. Defaults as in ByzFL: tau = 100, L = 1.
/// The report counts the inputs clipped (`||x_i - v|| > tau`) in the last iteration.
/// O(L n d), in Double.
public struct CenteredClipping: RobustRule {
    public var name: String { "centered_clipping" }
    /// The clipping radius tau > 0.
    public var tau: Double
    /// L, the clipping iterations per round (at least 1).
    public var iterations: Int
    /// The previous round's output, where the next round starts; nil before the first.
    public private(set) var center: [Float]?

    public var carriedState: [Float]? {
        get { center }
        set { center = newValue }
    }

    public init(tau: Double = 100, iterations: Int = 1, center: [Float]? = nil) {
        self.tau = tau
        self.iterations = iterations
        self.center = center
    }

    public mutating func aggregate(_ inputs: RobustInputs, stream: inout RandomStream) throws -> RobustResult {
        guard tau.isFinite, tau > 0 else {
            throw RobustAggregationError.invalidParameter(rule: name, parameter: "tau", message: "must be finite and > 0, got \(tau)")
        }
        guard iterations >= 1 else {
            throw RobustAggregationError.invalidParameter(
                rule: name, parameter: "iterations", message: "must be >= 1, got \(iterations)")
        }
        let n = inputs.count
        let d = inputs.dimension
        if let center, center.count != d {
            throw RobustAggregationError.invalidParameter(
                rule: name, parameter: "state",
                message: "holds the previous round's output with \(center.count) coordinates, but the inputs have \(d)")
        }
        var v = center.map { $0.map(Double.init) } ?? [Double](repeating: 0, count: d)
        var clipped = 0
        for _ in 0..<iterations {
            let scales = (0..<n).map { row -> Double in
                let distance = RobustKernel.distance(inputs, row: row, to: v)
                return distance > tau ? tau / distance : 1
            }
            clipped = scales.filter { $0 < 1 }.count
            var step = [Double](repeating: 0, count: d)
            inputs.matrix.values.withUnsafeBufferPointer { values in
                for (row, scale) in scales.enumerated() {
                    for column in 0..<d {
                        step[column] += (Double(values[row * d + column]) - v[column]) * scale
                    }
                }
            }
            for column in 0..<d { v[column] += step[column] / Double(n) }
        }
        let output = v.map { Float($0) }
        center = output
        return RobustResult(aggregate: output,
                            report: RobustReport(step: name, inputs: n, clipped: clipped, iterations: iterations))
    }
}
