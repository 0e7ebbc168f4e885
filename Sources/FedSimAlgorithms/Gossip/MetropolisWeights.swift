import FedSimCore

/// The Metropolis-Hastings gossip matrix of a graph: W_ij = 1 / (1 + max(d_i, d_j)) on
/// each edge, W_ii = 1 - sum_j W_ij, 0 elsewhere (d_i the degree of node i). W is
/// symmetric and doubly stochastic with W_ii >= 1 / (1 + d_i) > 0, so repeated
/// combination on a connected graph converges to the average.
public struct MetropolisWeights: Equatable, Sendable {
    public let graph: Graph
    /// W_ii.
    public let selfWeights: [Double]
    /// W_ij of node i for each j in `graph.neighbors[i]`, in that (increasing) order.
    public let neighborWeights: [[Double]]

    /// O(nodes + edges).
    public init(graph: Graph) {
        self.graph = graph
        let degrees = graph.degrees
        neighborWeights = graph.neighbors.enumerated().map { node, neighbors in
            neighbors.map { 1 / Double(1 + max(degrees[node], degrees[$0])) }
        }
        selfWeights = neighborWeights.map { 1 - $0.reduce(0, +) }
    }

    /// W_ij: O(d_i).
    public func weight(_ i: Int, _ j: Int) -> Double {
        if i == j { return selfWeights[i] }
        guard let slot = graph.neighbors[i].firstIndex(of: j) else { return 0 }
        return neighborWeights[i][slot]
    }

    /// sum_j W_ij h_j at node i, summed self first, then neighbours in increasing order,
    /// so the result does not depend on the order the neighbours' vectors arrived in.
    /// `value(j)` gives h_j for j = i and each neighbour j. O(d (1 + d_i)).
    public func combine(at node: Int, _ value: (Int) -> [Double]) -> [Double] {
        var sum = value(node).map { selfWeights[node] * $0 }
        for (neighbor, weight) in zip(graph.neighbors[node], neighborWeights[node]) {
            let h = value(neighbor)
            precondition(h.count == sum.count, "node \(neighbor)'s vector has \(h.count) entries for \(sum.count)")
            for k in sum.indices { sum[k] += weight * h[k] }
        }
        return sum
    }
}
