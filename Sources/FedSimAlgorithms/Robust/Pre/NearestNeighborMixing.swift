import FedSimCore

/// Nearest neighbor mixing, NNM (Allouah et al. 2023, "Fixing by Mixing: A Recipe for
/// Optimal Byzantine ML under Heterogeneity"): each x_i is replaced by the mean of its
/// n - f nearest inputs, itself included (ties broken by the lower index). Needs f < n.
///
/// Distances come from one Gram sgemm and the n means from a second one, `W X` with
/// `W_ij = 1/(n - f)` for j among i's neighbours. O(n^2 d + n^2 log n).
public struct NearestNeighborMixing: PreAggregator, FaultTolerant {
    public var name: String { "nnm" }
    public var faultBound: String { "NNM averages n - f neighbours and needs f < n" }
    public var f: Int

    public init(f: Int = 0) {
        self.f = f
    }

    public func apply(_ inputs: RobustInputs, stream: inout RandomStream) throws -> PreAggregation {
        let n = try checkedCount(inputs)
        let distances = try RobustKernel.squaredDistances(inputs, rule: name)
        var mixing = Matrix(rows: n, columns: n)
        let share = 1 / Float(n - f)
        for i in 0..<n {
            for j in RobustKernel.nearest(n - f, to: i, distances: distances, includingSelf: true) {
                mixing[i, j] = share
            }
        }
        let mixed: Matrix
        do {
            mixed = try BLAS.product(mixing, inputs.matrix)
        } catch {
            throw RobustAggregationError.linearAlgebra(rule: name, message: "\(error)")
        }
        return PreAggregation(outputs: RobustInputs(trusted: mixed), report: RobustReport(step: name, inputs: n, outputs: n))
    }
}
