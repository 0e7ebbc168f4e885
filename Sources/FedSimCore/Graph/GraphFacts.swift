/// What a topology is like for decentralized optimization: its size and degrees, whether
/// it is connected, its diameter, and the spectral quantities that set how fast gossip
/// mixes and how often DADAO communicates. Computed in Double from dense n x n matrices:
/// O(n^3) time and O(n^2) memory, for the hundreds of nodes simulated runs use.
public struct GraphFacts: Equatable, Sendable {
    public let nodes: Int
    public let edges: Int
    public let minDegree: Int
    public let maxDegree: Int
    public let connected: Bool
    /// The largest number of hops between two nodes; nil when the graph is disconnected.
    public let diameter: Int?
    /// The algebraic connectivity: the second-smallest eigenvalue of the Laplacian
    /// L = D - A. Exactly 0 when the graph is disconnected; nil for a single node.
    public let lambda2: Double?
    /// The spectral gap 1 - max(|mu_2|, |mu_n|) of the Metropolis-Hastings gossip matrix
    /// (`Graph.metropolisWeights`), mu_1 = 1 >= mu_2 >= ... >= mu_n its eigenvalues:
    /// the rate at which gossip averages. Exactly 0 when the graph is disconnected; nil
    /// for a single node.
    public let metropolisGap: Double?
    /// DADAO's chi1 and chi2; nil unless the graph is connected and has an edge.
    public let dadao: DADAOGraphConstants?

    /// The facts of `graph`: two symmetric eigendecompositions and a breadth-first search
    /// from every node. O(n^3 + n edges).
    /// - Throws: `LinearAlgebraError` if LAPACK fails.
    public init(_ graph: Graph) throws {
        let degrees = graph.degrees
        nodes = graph.nodes
        edges = graph.edges.count
        minDegree = degrees.min() ?? 0
        maxDegree = degrees.max() ?? 0
        connected = graph.isConnected
        diameter = graph.diameter
        guard graph.nodes >= 2 else {
            (lambda2, metropolisGap, dadao) = (nil, nil, nil)
            return
        }
        guard connected else {
            (lambda2, metropolisGap, dadao) = (0, 0, nil)
            return
        }
        let laplacian = try LAPACK.symmetricEigen(graph.laplacian, size: graph.nodes)
        let metropolis = try LAPACK.symmetricEigen(graph.metropolisWeights, size: graph.nodes).eigenvalues
        lambda2 = laplacian.eigenvalues[1]
        metropolisGap = 1 - max(abs(metropolis[0]), abs(metropolis[graph.nodes - 2]))
        dadao = try DADAOGraphConstants(graph, laplacianEigen: laplacian)
    }
}

/// The two graph constants of DADAO (Nabli and Oyallon, ICML 2023), from the normalized
/// Laplacian L_norm = L / |E|:
///
///     chi1 = 1 / lambda_min+(L_norm)
///     chi2 = max over edges (i, j) of (1/2) (e_i - e_j)^T L_norm^+ (e_i - e_j)
///
/// lambda_min+ is the smallest positive eigenvalue and ^+ the pseudo-inverse, which drops
/// the zero eigenvalue of a connected graph's Laplacian (its eigenvector, the constant
/// vector, is orthogonal to every e_i - e_j). The total communication rate of DADAO is
/// sqrt(2 chi1 chi2). For a complete graph chi1 = chi2 = (n - 1) / 2; for a tree,
/// chi2 = (n - 1) / 2 (every edge has effective resistance 1).
public struct DADAOGraphConstants: Equatable, Sendable {
    public let chi1: Double
    public let chi2: Double

    /// The constants of `graph`. O(n^3 + n edges).
    /// - Throws: `GraphError.undefined` unless `graph` is connected and has an edge;
    ///   `LinearAlgebraError` if LAPACK fails.
    public init(_ graph: Graph) throws {
        try Self.requireDefined(graph)
        try self.init(graph, laplacianEigen: LAPACK.symmetricEigen(graph.laplacian, size: graph.nodes))
    }

    /// The constants from the eigendecomposition of `graph`'s Laplacian, lambda_k and v_k:
    /// with the zero eigenvalue k = 0 dropped, L_norm^+ = sum over k >= 1 of
    /// (|E| / lambda_k) v_k v_k^T, so chi1 = |E| / lambda_1 and the form of edge (i, j) is
    /// sum over k >= 1 of (|E| / lambda_k) (v_k[i] - v_k[j])^2. O(n edges).
    init(_ graph: Graph, laplacianEigen eigen: (eigenvalues: [Double], eigenvectors: [Double])) throws {
        try Self.requireDefined(graph)
        let edgeCount = Double(graph.edges.count)
        let n = graph.nodes
        chi1 = edgeCount / eigen.eigenvalues[1]
        let scaledVectors = (1..<n).map { k in
            (weight: edgeCount / eigen.eigenvalues[k], vector: (0..<n).map { eigen.eigenvectors[$0 * n + k] })
        }
        chi2 = graph.edges.map { edge in
            scaledVectors.reduce(0) { sum, term in
                let difference = term.vector[edge.i] - term.vector[edge.j]
                return sum + term.weight * difference * difference
            } / 2
        }.max() ?? 0
    }

    private static func requireDefined(_ graph: Graph) throws {
        guard graph.isConnected else {
            throw GraphError.undefined("chi1 and chi2 are defined for connected graphs only; this graph is not connected")
        }
        guard !graph.edges.isEmpty else {
            throw GraphError.undefined("chi1 and chi2 need at least one edge (L / |E| divides by the edge count)")
        }
    }
}

extension Graph {
    /// The Laplacian L = D - A, row-major n x n: degree d_i on the diagonal, -1 for
    /// each edge. O(n^2).
    public var laplacian: [Double] {
        var matrix = [Double](repeating: 0, count: nodes * nodes)
        for (node, degree) in degrees.enumerated() { matrix[node * nodes + node] = Double(degree) }
        for edge in edges {
            matrix[edge.i * nodes + edge.j] = -1
            matrix[edge.j * nodes + edge.i] = -1
        }
        return matrix
    }

    /// The Metropolis-Hastings gossip matrix, row-major n x n: W_ij = 1 / (1 + max(d_i, d_j))
    /// for each edge, W_ii = 1 - sum over j != i of W_ij, 0 elsewhere. Symmetric and
    /// doubly stochastic, so gossip with it converges to the average. O(n^2).
    public var metropolisWeights: [Double] {
        let degrees = degrees
        var matrix = [Double](repeating: 0, count: nodes * nodes)
        for node in 0..<nodes { matrix[node * nodes + node] = 1 }
        for edge in edges {
            let weight = 1 / Double(1 + max(degrees[edge.i], degrees[edge.j]))
            matrix[edge.i * nodes + edge.j] = weight
            matrix[edge.j * nodes + edge.i] = weight
            matrix[edge.i * nodes + edge.i] -= weight
            matrix[edge.j * nodes + edge.j] -= weight
        }
        return matrix
    }

    /// The largest number of hops on a shortest path between two nodes (0 for a single
    /// node); nil when the graph is disconnected. A breadth-first search from every
    /// node: O(n (n + edges)).
    public var diameter: Int? {
        var longest = 0
        var distance = [Int](repeating: -1, count: nodes)
        var queue = [Int]()
        queue.reserveCapacity(nodes)
        for source in 0..<nodes {
            for node in 0..<nodes { distance[node] = -1 }
            distance[source] = 0
            queue.removeAll(keepingCapacity: true)
            queue.append(source)
            var head = 0
            while head < queue.count {
                let node = queue[head]
                head += 1
                for neighbor in neighbors[node] where distance[neighbor] < 0 {
                    distance[neighbor] = distance[node] + 1
                    queue.append(neighbor)
                }
            }
            guard queue.count == nodes else { return nil }
            longest = max(longest, distance[queue[nodes - 1]])
        }
        return longest
    }
}
