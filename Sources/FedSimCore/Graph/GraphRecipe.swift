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

/// The sizes and parameters of a generated graph, named as scenario files name them
/// (`topology: {kind: erdos_renyi, nodes: 64, p: 0.1, seed: 1}`) and, with `--`, as
/// `fedsim topology` does.
public struct GraphParameters: Equatable, Sendable {
    public var nodes: Int?
    public var rows: Int?
    public var columns: Int?
    /// `p`, Erdos-Renyi's edge probability.
    public var probability: Double?
    public var radius: Double?
    /// The seed of a random kind's draws; 0 when absent.
    public var seed: UInt64?

    public init(nodes: Int? = nil, rows: Int? = nil, columns: Int? = nil, probability: Double? = nil,
                radius: Double? = nil, seed: UInt64? = nil) {
        (self.nodes, self.rows, self.columns) = (nodes, rows, columns)
        (self.probability, self.radius, self.seed) = (probability, radius, seed)
    }

    /// The names of the parameters given, in the order of `GraphKind.parameters`.
    public var given: [String] {
        [("nodes", nodes != nil), ("rows", rows != nil), ("columns", columns != nil), ("p", probability != nil),
         ("radius", radius != nil), ("seed", seed != nil)].filter(\.1).map(\.0)
    }
}

/// Why parameters make no recipe of a kind.
public enum GraphParameterProblem: Error, Equatable, Sendable {
    /// The kind needs the parameter of this name.
    case missing(String)
    /// The kind does not take the parameter of this name.
    case extra(String)
    /// A barbell's node count must be even (two cliques of nodes/2).
    case oddBarbell(nodes: Int)
}

extension GraphKind {
    /// The parameters the kind takes, by name: `nodes` (for a barbell, the total of its
    /// two cliques), `rows` and `columns` (torus, grid), `p` and `seed` (Erdos-Renyi),
    /// `radius` and `seed` (random geometric).
    public var parameters: [String] {
        switch self {
        case .ring, .path, .complete, .star, .exponential, .barbell: return ["nodes"]
        case .torus, .grid: return ["rows", "columns"]
        case .erdosRenyi: return ["nodes", "p", "seed"]
        case .randomGeometric: return ["nodes", "radius", "seed"]
        }
    }
}

extension GraphRecipe {
    /// The recipe of `kind` with `parameters`; sizes and ranges are checked when the graph
    /// is made.
    /// - Throws: `GraphParameterProblem` for a parameter missing or not taken by the
    ///   kind, or an odd barbell.
    public init(kind: GraphKind, _ parameters: GraphParameters) throws {
        if let extra = parameters.given.first(where: { !kind.parameters.contains($0) }) {
            throw GraphParameterProblem.extra(extra)
        }
        func required<Value>(_ value: Value?, _ name: String) throws -> Value {
            guard let value else { throw GraphParameterProblem.missing(name) }
            return value
        }
        let p = parameters
        switch kind {
        case .ring: self = .ring(nodes: try required(p.nodes, "nodes"))
        case .path: self = .path(nodes: try required(p.nodes, "nodes"))
        case .complete: self = .complete(nodes: try required(p.nodes, "nodes"))
        case .star: self = .star(nodes: try required(p.nodes, "nodes"))
        case .exponential: self = .exponential(nodes: try required(p.nodes, "nodes"))
        case .torus: self = .torus(rows: try required(p.rows, "rows"), columns: try required(p.columns, "columns"))
        case .grid: self = .grid(rows: try required(p.rows, "rows"), columns: try required(p.columns, "columns"))
        case .barbell:
            let nodes = try required(p.nodes, "nodes")
            guard nodes.isMultiple(of: 2) else { throw GraphParameterProblem.oddBarbell(nodes: nodes) }
            self = .barbell(cliqueSize: nodes / 2)
        case .erdosRenyi:
            self = .erdosRenyi(nodes: try required(p.nodes, "nodes"), probability: try required(p.probability, "p"),
                               seed: p.seed ?? 0)
        case .randomGeometric:
            self = .randomGeometric(nodes: try required(p.nodes, "nodes"), radius: try required(p.radius, "radius"),
                                    seed: p.seed ?? 0)
        }
    }

    /// The parameters that make this recipe again with its `kind`; none for a file.
    public var parameters: GraphParameters {
        switch self {
        case let .ring(nodes), let .path(nodes), let .complete(nodes), let .star(nodes), let .exponential(nodes):
            return GraphParameters(nodes: nodes)
        case let .torus(rows, columns), let .grid(rows, columns):
            return GraphParameters(rows: rows, columns: columns)
        case let .barbell(cliqueSize):
            return GraphParameters(nodes: 2 * cliqueSize)
        case let .erdosRenyi(nodes, probability, seed):
            return GraphParameters(nodes: nodes, probability: probability, seed: seed)
        case let .randomGeometric(nodes, radius, seed):
            return GraphParameters(nodes: nodes, radius: radius, seed: seed)
        case .file:
            return GraphParameters()
        }
    }
}

extension GraphParameters {
    /// The given parameters as name and value text, in the order of `given`.
    public var fields: [(name: String, value: String)] {
        var fields: [(String, String)] = []
        if let nodes { fields.append(("nodes", "\(nodes)")) }
        if let rows { fields.append(("rows", "\(rows)")) }
        if let columns { fields.append(("columns", "\(columns)")) }
        if let probability { fields.append(("p", "\(probability)")) }
        if let radius { fields.append(("radius", "\(radius)")) }
        if let seed { fields.append(("seed", "\(seed)")) }
        return fields
    }
}
