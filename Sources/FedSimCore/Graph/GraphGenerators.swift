/// The standard topologies of decentralized optimization. Nodes are numbered from 0; each
/// generator says how its nodes are laid out, its edge count and its range of sizes, and
/// throws `GraphError.invalidParameter` outside that range. The random ones draw from the
/// stream they are given, in a fixed order, so a stream gives one graph.
extension Graph {
    /// The cycle 0-1-...-(n-1)-0: n edges, every degree 2. Needs n >= 3. O(n).
    public static func ring(_ nodes: Int) throws -> Graph {
        try require(nodes >= 3, "a ring needs at least 3 nodes, got \(nodes)")
        return try Graph(nodes: nodes, edges: (0..<nodes).map { ($0, ($0 + 1) % nodes) })
    }

    /// The path 0-1-...-(n-1): n - 1 edges. Needs n >= 1. O(n).
    public static func path(_ nodes: Int) throws -> Graph {
        try require(nodes >= 1, "a path needs at least 1 node, got \(nodes)")
        return try Graph(nodes: nodes, edges: (1..<nodes).map { ($0 - 1, $0) })
    }

    /// The rows x columns grid with wrap-around: node r * columns + c is linked to its
    /// right and lower neighbours modulo the sizes, so every degree is 4 and there are
    /// 2 rows columns edges. Needs rows, columns >= 3 (fewer would repeat edges). O(rows columns).
    public static func torus(rows: Int, columns: Int) throws -> Graph {
        try require(rows >= 3 && columns >= 3, "a torus needs at least 3 rows and 3 columns, got \(rows) x \(columns)")
        return try lattice(rows: rows, columns: columns, wrapping: true)
    }

    /// The rows x columns grid: node r * columns + c is linked to its right and lower
    /// neighbours, 2 rows columns - rows - columns edges. Needs rows, columns >= 1.
    /// O(rows columns).
    public static func grid(rows: Int, columns: Int) throws -> Graph {
        try require(rows >= 1 && columns >= 1, "a grid needs at least 1 row and 1 column, got \(rows) x \(columns)")
        return try lattice(rows: rows, columns: columns, wrapping: false)
    }

    /// K_n, every pair linked: n (n - 1) / 2 edges. Needs n >= 1. O(n^2).
    public static func complete(_ nodes: Int) throws -> Graph {
        try require(nodes >= 1, "a complete graph needs at least 1 node, got \(nodes)")
        return try Graph(nodes: nodes, edges: cliqueEdges(0..<nodes))
    }

    /// Node 0, the hub, linked to each of the n - 1 others. Needs n >= 1. O(n).
    public static func star(_ nodes: Int) throws -> Graph {
        try require(nodes >= 1, "a star needs at least 1 node, got \(nodes)")
        return try Graph(nodes: nodes, edges: (1..<nodes).map { (0, $0) })
    }

    /// Two complete graphs on 0..<m and m..<2m joined by the edge (m - 1, m), as
    /// networkx's `barbell_graph(m, 0)`: 2m nodes, 2 C(m, 2) + 1 edges. Needs m >= 2.
    /// O(m^2).
    public static func barbell(cliqueSize: Int) throws -> Graph {
        try require(cliqueSize >= 2, "a barbell needs cliques of at least 2 nodes, got \(cliqueSize)")
        let edges = cliqueEdges(0..<cliqueSize) + cliqueEdges(cliqueSize..<2 * cliqueSize)
            + [(cliqueSize - 1, cliqueSize)]
        return try Graph(nodes: 2 * cliqueSize, edges: edges)
    }

    /// The undirected exponential graph: node i linked to i + 2^k and i - 2^k modulo n for
    /// every k with 2^k < n, each edge once (i + 2^k and i - 2^j coincide when
    /// 2^k + 2^j = n). The graph is circulant, so every node has the same degree, at
    /// most 2 ceil(log2 n). Needs n >= 1.
    /// O(n log n).
    public static func exponential(_ nodes: Int) throws -> Graph {
        try require(nodes >= 1, "an exponential graph needs at least 1 node, got \(nodes)")
        var edges = Set<Edge>()
        var hop = 1
        while hop < nodes {
            for node in 0..<nodes {
                edges.insert(Edge(node, (node + hop) % nodes))
            }
            hop *= 2
        }
        return try Graph(nodes: nodes, edges: edges.map { ($0.i, $0.j) })
    }

    /// G(n, p): each pair (i, j), i < j, linked independently with probability p, pairs in
    /// increasing (i, j) order drawing one `uniform()` each. May be disconnected. Needs
    /// n >= 1 and p in [0, 1]. O(n^2).
    public static func erdosRenyi(nodes: Int, probability: Double, using stream: inout RandomStream) throws -> Graph {
        try require(nodes >= 1, "an Erdos-Renyi graph needs at least 1 node, got \(nodes)")
        try require((0...1).contains(probability), "the edge probability must be in [0, 1], got \(probability)")
        var edges: [(Int, Int)] = []
        for i in 0..<nodes {
            for j in (i + 1)..<nodes where stream.uniform() < probability {
                edges.append((i, j))
            }
        }
        return try Graph(nodes: nodes, edges: edges)
    }

    /// n points uniform in the unit square (node i at (x_i, y_i), drawn x then y, node by
    /// node), two nodes linked when their Euclidean distance is at most `radius`. May be
    /// disconnected. Needs n >= 1 and a finite radius >= 0. O(n^2).
    public static func randomGeometric(nodes: Int, radius: Double, using stream: inout RandomStream) throws -> Graph {
        try require(nodes >= 1, "a random geometric graph needs at least 1 node, got \(nodes)")
        try require(radius.isFinite && radius >= 0, "the radius must be finite and non-negative, got \(radius)")
        let points = (0..<nodes).map { _ in (x: stream.uniform(), y: stream.uniform()) }
        var edges: [(Int, Int)] = []
        for i in 0..<nodes {
            for j in (i + 1)..<nodes {
                let dx = points[i].x - points[j].x
                let dy = points[i].y - points[j].y
                if (dx * dx + dy * dy).squareRoot() <= radius { edges.append((i, j)) }
            }
        }
        return try Graph(nodes: nodes, edges: edges)
    }

    /// Node r * columns + c linked to its right and lower neighbours, modulo the sizes when
    /// `wrapping`.
    private static func lattice(rows: Int, columns: Int, wrapping: Bool) throws -> Graph {
        var edges: [(Int, Int)] = []
        for row in 0..<rows {
            for column in 0..<columns {
                let node = row * columns + column
                if wrapping || column + 1 < columns { edges.append((node, row * columns + (column + 1) % columns)) }
                if wrapping || row + 1 < rows { edges.append((node, (row + 1) % rows * columns + column)) }
            }
        }
        return try Graph(nodes: rows * columns, edges: edges)
    }

    /// Every pair of `nodes`, in increasing order.
    private static func cliqueEdges(_ nodes: Range<Int>) -> [(Int, Int)] {
        nodes.flatMap { i in ((i + 1)..<nodes.upperBound).map { (i, $0) } }
    }

    private static func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        guard condition else { throw GraphError.invalidParameter(message()) }
    }
}
