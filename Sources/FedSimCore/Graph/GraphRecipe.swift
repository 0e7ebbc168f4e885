import Foundation

/// The generator kinds a `GraphRecipe` can name, spelled as the command line spells them.
public enum GraphKind: String, CaseIterable, Sendable {
    case ring, path, torus, grid, complete, star, barbell
    case erdosRenyi = "erdos_renyi"
    case randomGeometric = "random_geometric"
    case exponential
}

/// How a topology is made: one of the generators of `Graph` with its parameters, or an
/// edge-list file. A recipe is a value, so a scenario can hold one and every process
/// rebuilds the same graph from it.
///
/// The random kinds take the first connected draw: attempt a (from 1) draws from
/// `RandomStream(seed: seed, purpose: .topology, counter: a - 1)`, up to
/// `connectedDrawAttempts` attempts.
public enum GraphRecipe: Equatable, Sendable, CustomStringConvertible {
    case ring(nodes: Int)
    case path(nodes: Int)
    case torus(rows: Int, columns: Int)
    case grid(rows: Int, columns: Int)
    case complete(nodes: Int)
    /// Node 0 is the hub.
    case star(nodes: Int)
    /// Two complete graphs of `cliqueSize` nodes joined by one edge: 2 cliqueSize nodes.
    case barbell(cliqueSize: Int)
    /// Each pair linked with probability `probability`; the first connected draw.
    case erdosRenyi(nodes: Int, probability: Double, seed: UInt64)
    /// Points uniform in the unit square, linked within `radius`; the first connected draw.
    case randomGeometric(nodes: Int, radius: Double, seed: UInt64)
    case exponential(nodes: Int)
    /// An edge-list file (see `GraphFile`).
    case file(path: String)

    /// How many draws of a random kind are tried before giving up on a connected one.
    public static let connectedDrawAttempts = 100

    /// The generator kind; nil for a file.
    public var kind: GraphKind? {
        switch self {
        case .ring: return .ring
        case .path: return .path
        case .torus: return .torus
        case .grid: return .grid
        case .complete: return .complete
        case .star: return .star
        case .barbell: return .barbell
        case .erdosRenyi: return .erdosRenyi
        case .randomGeometric: return .randomGeometric
        case .exponential: return .exponential
        case .file: return nil
        }
    }

    /// The graph. See `makeDescribed`.
    public func make() throws -> Graph {
        try makeDescribed().graph
    }

    /// The graph and a line saying how it was made: `description`, followed for a random
    /// kind by the attempt of its first connected draw.
    /// - Throws: `GraphError.invalidParameter` for a parameter out of range,
    ///   `GraphError.noConnectedDraw` when no attempt is connected, `DataError` for a file.
    public func makeDescribed() throws -> (graph: Graph, description: String) {
        switch self {
        case let .ring(nodes): return (try Graph.ring(nodes), description)
        case let .path(nodes): return (try Graph.path(nodes), description)
        case let .torus(rows, columns): return (try Graph.torus(rows: rows, columns: columns), description)
        case let .grid(rows, columns): return (try Graph.grid(rows: rows, columns: columns), description)
        case let .complete(nodes): return (try Graph.complete(nodes), description)
        case let .star(nodes): return (try Graph.star(nodes), description)
        case let .barbell(cliqueSize): return (try Graph.barbell(cliqueSize: cliqueSize), description)
        case let .exponential(nodes): return (try Graph.exponential(nodes), description)
        case let .file(path): return (try GraphFile.load(path: path), description)
        case let .erdosRenyi(nodes, probability, seed):
            let threshold = log(Double(nodes)) / Double(nodes)
            return try firstConnectedDraw(
                seed: seed, hint: "connected draws become likely once p exceeds ln(n)/n = \(rounded(threshold))"
            ) { try Graph.erdosRenyi(nodes: nodes, probability: probability, using: &$0) }
        case let .randomGeometric(nodes, radius, seed):
            let threshold = (log(Double(nodes)) / (Double.pi * Double(nodes))).squareRoot()
            return try firstConnectedDraw(
                seed: seed,
                hint: "connected draws become likely once the radius exceeds sqrt(ln(n)/(pi n)) = \(rounded(threshold))"
            ) { try Graph.randomGeometric(nodes: nodes, radius: radius, using: &$0) }
        }
    }

    /// One line naming the kind and its parameters: "ring of 16 nodes", "random geometric
    /// graph: 300 points in the unit square, radius 0.15, seed 1, first connected draw".
    public var description: String {
        switch self {
        case let .ring(nodes): return "ring of \(nodes) nodes"
        case let .path(nodes): return "path of \(nodes) nodes"
        case let .torus(rows, columns):
            return "\(rows) x \(columns) torus (grid with wrap-around), \(rows * columns) nodes"
        case let .grid(rows, columns): return "\(rows) x \(columns) grid, \(rows * columns) nodes"
        case let .complete(nodes): return "complete graph of \(nodes) nodes"
        case let .star(nodes): return "star of \(nodes) nodes, node 0 the hub"
        case let .barbell(cliqueSize):
            return "barbell: two complete graphs of \(cliqueSize) nodes joined by the edge "
                + "\(cliqueSize - 1)-\(cliqueSize), \(2 * cliqueSize) nodes"
        case .erdosRenyi, .randomGeometric: return randomParameters + ", first connected draw"
        case let .exponential(nodes): return "exponential graph of \(nodes) nodes: i linked to i +/- 2^k mod \(nodes)"
        case let .file(path): return "edge list read from \(path)"
        }
    }

    /// A random kind's parameters, as its description and its failure name them.
    private var randomParameters: String {
        switch self {
        case let .erdosRenyi(nodes, probability, seed):
            return "Erdos-Renyi graph: \(nodes) nodes, edge probability \(probability), seed \(seed)"
        case let .randomGeometric(nodes, radius, seed):
            return "random geometric graph: \(nodes) points in the unit square, radius \(radius), seed \(seed)"
        default: return description
        }
    }

    /// The first connected graph `draw` makes from the streams of attempts 1, 2, ...
    private func firstConnectedDraw(
        seed: UInt64, hint: String, _ draw: (inout RandomStream) throws -> Graph
    ) throws -> (graph: Graph, description: String) {
        for attempt in 1...Self.connectedDrawAttempts {
            var stream = RandomStream(seed: seed, purpose: .topology, counter: attempt - 1)
            let graph = try draw(&stream)
            if graph.isConnected { return (graph, description + " at attempt \(attempt)") }
        }
        throw GraphError.noConnectedDraw(graph: randomParameters, attempts: Self.connectedDrawAttempts, hint: hint)
    }

    /// `value` with three significant digits, for hints.
    private func rounded(_ value: Double) -> String {
        String(format: "%.3g", value)
    }
}
