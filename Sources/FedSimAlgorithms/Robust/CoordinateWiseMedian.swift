import FedSimCore

/// The coordinate-wise median (Yin et al. 2018): coordinate j of the result is the median
/// of x_1j, ..., x_nj, the mean of the two middle values when n is even.
/// O(d n log n).
public struct CoordinateWiseMedian: RobustRule {
    public var name: String { "median" }

    public init() {}

    public func aggregate(_ inputs: RobustInputs, stream: inout RandomStream) throws -> RobustResult {
        let median = RobustKernel.sortedCoordinatewise(inputs) { column in
            return RobustKernel.medianOfSorted(column)
        }
        return RobustResult(aggregate: median, report: RobustReport(step: name, inputs: inputs.count))
    }
}
