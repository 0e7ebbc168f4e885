import FedSimCore

/// The coordinate-wise trimmed mean (Yin et al. 2018): per coordinate, drop the f
/// smallest and the f largest values and average the n - 2f left. Needs 2f < n; f = 0 is
/// the average. O(d n log n).
public struct TrimmedMean: RobustRule, FaultTolerant {
    public var name: String { "trimmed_mean" }
    public var faultBound: String { "the trimmed mean needs 2f < n" }
    /// Values dropped at each end of every coordinate.
    public var f: Int

    public init(f: Int = 0) {
        self.f = f
    }

    public func aggregate(_ inputs: RobustInputs, stream: inout RandomStream) throws -> RobustResult {
        let n = try checkedCount(inputs)
        let f = self.f
        let trimmed = RobustKernel.sortedCoordinatewise(inputs) { column in
            return RobustKernel.mean(of: column, f..<(n - f))
        }
        return RobustResult(aggregate: trimmed,
                            report: RobustReport(step: name, inputs: n, trimmedPerCoordinate: 2 * f))
    }

    public func tolerates(_ faulty: Int, among n: Int) -> Bool {
        2 * faulty < n
    }
}
