import FedSimCore

/// Static clipping: every input with `||x_i|| > c` is scaled to norm c,
/// `x_i <- x_i min(1, c / ||x_i||)`. Default c = 2, as in ByzFL. O(n d).
public struct StaticClipping: PreAggregator {
    public var name: String { "static_clipping" }
    /// c > 0, the largest norm passed on.
    public var threshold: Double

    public init(threshold: Double = 2) {
        self.threshold = threshold
    }

    public func apply(_ inputs: RobustInputs, stream: inout RandomStream) throws -> PreAggregation {
        guard threshold.isFinite, threshold > 0 else {
            throw RobustAggregationError.invalidParameter(rule: name, parameter: "c", message: "must be finite and > 0, got \(threshold)")
        }
        let scales = RobustKernel.rowNorms(inputs).map { $0 > threshold ? threshold / $0 : 1 }
        return PreAggregation(
            outputs: RobustKernel.scaledRows(inputs, by: scales),
            report: RobustReport(step: name, inputs: inputs.count, clipped: scales.filter { $0 < 1 }.count,
                                 outputs: inputs.count))
    }
}
