import FedSimCore

/// Mean around the median (Xie et al. 2018, "Generalized Byzantine-tolerant SGD"): per
/// coordinate, the mean of the n - f values closest to the coordinate-wise median. Needs
/// f < n.
///
/// The n - f closest values form a run of the sorted values around the median; it is
/// grown one value at a time from the middle, taking the lower value when two are
/// equally close, so the result is well defined with ties. O(d n log n).
public struct Meamed: RobustRule, FaultTolerant {
    public var name: String { "meamed" }
    public var faultBound: String { "Meamed needs f < n" }
    /// Values per coordinate left out (the farthest from the median).
    public var f: Int

    public init(f: Int = 0) {
        self.f = f
    }

    public func aggregate(_ inputs: RobustInputs, stream: inout RandomStream) throws -> RobustResult {
        let n = try checkedCount(inputs)
        let kept = n - f
        let result = RobustKernel.sortedCoordinatewise(inputs) { column in
            let median = Double(RobustKernel.medianOfSorted(column))
            // Below the median: indices <= (n - 1) / 2; above it: the rest.
            var below = (n - 1) / 2
            var above = below + 1
            var sum = 0.0
            for _ in 0..<kept {
                let takeBelow = above >= n
                    || (below >= 0 && median - Double(column[below]) <= Double(column[above]) - median)
                if takeBelow {
                    sum += Double(column[below])
                    below -= 1
                } else {
                    sum += Double(column[above])
                    above += 1
                }
            }
            return Float(sum / Double(kept))
        }
        return RobustResult(aggregate: result, report: RobustReport(step: name, inputs: n, trimmedPerCoordinate: f))
    }
}
