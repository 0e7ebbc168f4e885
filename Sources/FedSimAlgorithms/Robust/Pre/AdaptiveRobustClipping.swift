import FedSimCore

/// Adaptive robust clipping, ARC (Allouah et al. 2024, "The Vital Role of Gradient
/// Clipping in Byzantine-Resilient Distributed Learning"): with k = floor(2 f (n - f) / n),
/// the k inputs of largest norm are clipped to the largest norm among the other n - k
/// (ties in norm broken by the lower index counting as smaller). Needs f < n; k = 0
/// passes the inputs on unchanged. O(n d + n log n).
public struct AdaptiveRobustClipping: PreAggregator, FaultTolerant {
    public var name: String { "arc" }
    public var faultBound: String { "ARC needs f < n" }
    public var f: Int

    public init(f: Int = 0) {
        self.f = f
    }

    public func apply(_ inputs: RobustInputs, stream: inout RandomStream) throws -> PreAggregation {
        let n = try checkedCount(inputs)
        let clippedCount = 2 * f * (n - f) / n
        let norms = RobustKernel.rowNorms(inputs)
        let ascending = norms.indices.sorted { (norms[$0], $0) < (norms[$1], $1) }
        var scales = [Double](repeating: 1, count: n)
        if clippedCount > 0 {
            let threshold = norms[ascending[n - clippedCount - 1]]
            for row in ascending[(n - clippedCount)...] where norms[row] > threshold {
                scales[row] = threshold / norms[row]
            }
        }
        return PreAggregation(
            outputs: RobustKernel.scaledRows(inputs, by: scales),
            report: RobustReport(step: name, inputs: n, clipped: scales.filter { $0 < 1 }.count, outputs: n))
    }
}
