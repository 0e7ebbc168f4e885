import Foundation
import FedSimCore

/// The self-repellent random walk of SA-SRRW (Doshi et al., ICML 2023; Hu, Doshi and Eun,
/// ICLR 2024), ALGORITHMS.md section 5, with its stochastic-approximation histogram.
///
/// The base chain P is Metropolis-Hastings for the uniform target mu: P_ij =
/// min(1 / d_i, 1 / d_j) on each edge and P_ii = 1 - sum_j P_ij. From node i with
/// histogram x the next node is drawn from
/// K_ij[x] = P_ij (x_j / mu_j)^(-alpha) / sum_k P_ik (x_k / mu_k)^(-alpha), computed in
/// log space (the weights' logarithms less their largest, so no power under- or
/// overflows); then x_{n+1} = x_n + gamma_{n+1} (delta_{X_{n+1}} - x_n) with
/// gamma_n = (n + 1)^(-a). alpha = 0 is the plain Metropolis-Hastings walk.
///
/// The walk starts at X_0 = `RandomStream(seed:, purpose: .gossip, client: stream)`'s
/// first integer below n, with x_0 = mu; hop n draws one uniform from the same stream at
/// counter n + 1. It is a pure function of (seed, graph, alpha, a). O(d_i + N) per hop
/// (the histogram decays as a whole).
public struct SelfRepellentWalk: Sendable {
    /// The random stream's client of the walk, above every node and the Poisson processes'.
    public static let stream = Int(UInt32.max) - 2

    public let graph: Graph
    public let alpha: Double
    public let a: Double
    public let seed: UInt64
    /// The base chain's rows: each node's possible next nodes (itself when P_ii > 0,
    /// then its neighbours in increasing order) with log P_ij.
    private let rows: [[(node: Int, logProbability: Double)]]
    /// log mu_j, the same for every node (uniform target).
    private let logTarget: Double
    /// X_n.
    public private(set) var position: Int
    /// n, the hops taken.
    public private(set) var hops = 0
    /// x_n.
    public private(set) var histogram: [Double]

    /// - Throws: `GossipError.outOfRange` unless alpha >= 0 is finite and 0.5 < a <= 1,
    ///   `GossipError.noEdges` for a graph without edges.
    public init(graph: Graph, alpha: Double, a: Double, seed: UInt64) throws {
        guard alpha.isFinite, alpha >= 0 else {
            throw GossipError.outOfRange(parameter: "alpha", value: alpha, allowed: "finite and >= 0")
        }
        guard a > 0.5, a <= 1 else { throw GossipError.outOfRange(parameter: "a", value: a, allowed: "in (0.5, 1]") }
        guard !graph.edges.isEmpty else { throw GossipError.noEdges }
        self.graph = graph
        self.alpha = alpha
        self.a = a
        self.seed = seed
        let degrees = graph.degrees
        rows = graph.neighbors.enumerated().map { node, neighbors in
            let moves = neighbors.map { (node: $0, probability: min(1 / Double(max(degrees[node], 1)), 1 / Double(degrees[$0]))) }
            let stay = 1 - moves.reduce(0) { $0 + $1.probability }
            return (stay > 1e-12 ? [(node: node, probability: stay)] : []) + moves
        }.map { $0.map { (node: $0.node, logProbability: Foundation.log($0.probability)) } }
        logTarget = -Foundation.log(Double(graph.nodes))
        histogram = [Double](repeating: 1 / Double(graph.nodes), count: graph.nodes)
        var random = RandomStream(seed: seed, purpose: .gossip, client: Self.stream, counter: 0)
        position = random.integer(below: graph.nodes)
    }

    /// Takes hop n: draws X_{n+1} and updates the histogram; returns X_{n+1}.
    @discardableResult
    public mutating func step() -> Int {
        let row = rows[position]
        let logWeights = row.map { $0.logProbability - alpha * (Foundation.log(histogram[$0.node]) - logTarget) }
        let largest = logWeights.max()!
        let weights = logWeights.map { Foundation.exp($0 - largest) }
        var random = RandomStream(seed: seed, purpose: .gossip, client: Self.stream, counter: hops + 1)
        var remaining = random.uniform() * weights.reduce(0, +)
        var next = row.last!.node
        for (slot, weight) in weights.enumerated() {
            remaining -= weight
            if remaining < 0 {
                next = row[slot].node
                break
            }
        }
        let gamma = Foundation.pow(Double(hops + 2), -a)
        for k in histogram.indices { histogram[k] *= 1 - gamma }
        histogram[next] += gamma
        hops += 1
        position = next
        return next
    }
}
