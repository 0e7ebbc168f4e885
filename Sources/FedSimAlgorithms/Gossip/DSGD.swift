import FedSimCore

/// Decentralized SGD with Metropolis-Hastings weights, one synchronous round:
/// x_i <- sum_j W_ij h_j with h_j = x_j - gamma grad f_j(x_j) (or the result of node j's
/// local steps). A round at node i: `localStep` gives h_i, which goes to every neighbour;
/// once the neighbours' h_j are in, `combine` gives the new x_i.
public struct DSGD: Equatable, Sendable {
    public let weights: MetropolisWeights
    /// gamma.
    public let stepSize: Double

    /// - Throws: `GossipError` unless `stepSize` is finite and > 0.
    public init(graph: Graph, stepSize: Double) throws {
        try GossipError.requirePositive(stepSize, "D-SGD's step size")
        weights = MetropolisWeights(graph: graph)
        self.stepSize = stepSize
    }

    /// h = x - gamma g. O(d).
    public func localStep(_ x: [Double], gradient: [Double]) -> [Double] {
        precondition(gradient.count == x.count, "the gradient has \(gradient.count) entries for \(x.count)")
        return zip(x, gradient).map { $0 - stepSize * $1 }
    }

    /// The new x_i = sum_j W_ij h_j, self first, then neighbours in increasing order;
    /// `h(j)` gives node j's local step for j = i and each neighbour.
    public func combine(at node: Int, _ h: (Int) -> [Double]) -> [Double] {
        weights.combine(at: node, h)
    }
}
