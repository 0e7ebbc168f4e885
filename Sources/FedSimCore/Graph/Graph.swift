/// An undirected simple graph on the nodes 0..<nodes: the topology a decentralized run's
/// nodes exchange state over. Edges are stored once each, as (i, j) with i < j, in
/// increasing order, so a graph has one representation and iterates the same way in
/// every process.
public struct Graph: Equatable, Sendable {
    /// An undirected edge between nodes `i` < `j`.
    public struct Edge: Hashable, Comparable, Sendable, CustomStringConvertible {
        public let i: Int
        public let j: Int

        /// The edge between `a` and `b`, in either order.
        public init(_ a: Int, _ b: Int) {
            (i, j) = a < b ? (a, b) : (b, a)
        }

        public static func < (lhs: Edge, rhs: Edge) -> Bool {
            (lhs.i, lhs.j) < (rhs.i, rhs.j)
        }

        public var description: String { "\(i)-\(j)" }
    }

    public let nodes: Int
    /// Every edge once, in increasing (i, j) order.
    public let edges: [Edge]
    /// Each node's neighbours, in increasing order.
    public let neighbors: [[Int]]

    /// The graph on `nodes` nodes with `edges` (given in any order and orientation).
    /// - Throws: `GraphError` for fewer than one node, a self-loop, an edge given twice
    ///   or a node outside 0..<nodes, naming the edge.
    public init(nodes: Int, edges: [(Int, Int)]) throws {
        guard nodes >= 1 else { throw GraphError.noNodes }
        var seen = Set<Edge>()
        for (a, b) in edges {
            guard a != b else { throw GraphError.selfLoop(node: a) }
            guard (0..<nodes).contains(a), (0..<nodes).contains(b) else {
                throw GraphError.nodeOutOfRange(edge: "\(a)-\(b)", nodes: nodes)
            }
            guard seen.insert(Edge(a, b)).inserted else { throw GraphError.duplicateEdge(Edge(a, b).description) }
        }
        self.nodes = nodes
        self.edges = seen.sorted()
        var neighbors = [[Int]](repeating: [], count: nodes)
        for edge in self.edges {
            neighbors[edge.i].append(edge.j)
            neighbors[edge.j].append(edge.i)
        }
        self.neighbors = neighbors.map { $0.sorted() }
    }

    /// Each node's number of neighbours.
    public var degrees: [Int] { neighbors.map(\.count) }

    /// Whether every node can reach every other. O(nodes + edges).
    public var isConnected: Bool {
        var reached = [Bool](repeating: false, count: nodes)
        var stack = [0]
        reached[0] = true
        var count = 1
        while let node = stack.popLast() {
            for neighbor in neighbors[node] where !reached[neighbor] {
                reached[neighbor] = true
                count += 1
                stack.append(neighbor)
            }
        }
        return count == nodes
    }
}

/// Why a graph could not be built, or a quantity of it is not defined.
public enum GraphError: FedSimError, Equatable, Sendable {
    case noNodes
    case selfLoop(node: Int)
    case duplicateEdge(String)
    case nodeOutOfRange(edge: String, nodes: Int)
    /// A generator's parameter outside its range; the message names it and its range.
    case invalidParameter(String)
    /// None of the first `attempts` draws of the random graph `graph` was connected;
    /// `hint` says which parameters make connected draws likely.
    case noConnectedDraw(graph: String, attempts: Int, hint: String)
    /// A quantity defined only for some graphs, asked of another; the message says which.
    case undefined(String)

    public var description: String {
        switch self {
        case .noNodes: return "a graph needs at least one node"
        case let .selfLoop(node): return "self-loop at node \(node)"
        case let .duplicateEdge(edge): return "edge \(edge) is given twice"
        case let .nodeOutOfRange(edge, nodes): return "edge \(edge) names a node outside 0..<\(nodes)"
        case let .invalidParameter(message), let .undefined(message): return message
        case let .noConnectedDraw(graph, attempts, hint):
            return "\(graph): none of the first \(attempts) draws is connected; \(hint)"
        }
    }
}
