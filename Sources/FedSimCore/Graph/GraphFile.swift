/// Graphs as edge-list files:
///
/// ```
/// # a ring of 4 nodes
/// nodes 4      # optional; without it, nodes = largest node number + 1
/// 0 1
/// 1 2
/// 2 3
/// 0 3
/// ```
///
/// One edge "i j" a line, node numbers non-negative integers, either orientation. "#"
/// starts a comment, on its own line or after an edge; blank lines are ignored. The
/// first line that is not blank or a comment may be `nodes N`, which allows isolated
/// nodes after the largest named one and makes every node number below N. A file's
/// graph may be disconnected; connectivity is a separate check.
public enum GraphFile {
    /// The largest node count a file may give or imply, so a stray large number fails
    /// with a message instead of allocating without bound.
    public static let maximumNodes = 1 << 20

    /// Reads the graph in the file at `path`. See `parse`.
    public static func load(path: String) throws -> Graph {
        try parse(readFileBytes(path), name: path)
    }

    /// Parses an edge list; `name` is the file name errors cite. O(file length + edges log edges).
    /// - Throws: `DataError` naming the line (and the field, for a bad node number): a
    ///   token that is not a node number, a line with other than two fields, a self-loop,
    ///   an edge given twice, a node at or past the `nodes N` count, a misplaced or bad
    ///   `nodes` line, or `.noData` for a file with no edge and no `nodes` line.
    public static func parse(_ contents: [UInt8], name: String) throws -> Graph {
        let file = TextFile(name: name, contents: contents)
        var declared: (nodes: Int, line: Int)?
        var edgeLines: [Graph.Edge: Int] = [:]
        var edges: [(Int, Int)] = []
        var tokens = [Range<Int>]()
        try file.forEachLine { line in
            func failure(_ kind: DataError.Kind, field: Int? = nil, _ message: String) -> DataError {
                DataError(kind, file: name, line: line.number, field: field, message)
            }
            let content = line.firstIndex(of: UInt8(ascii: "#"), in: line.range).map { line.range.lowerBound..<$0 }
                ?? line.range
            line.tokens(content, into: &tokens)
            if tokens.isEmpty { return }
            if line.spells("nodes", tokens[0]) {
                guard declared == nil && edges.isEmpty else {
                    throw failure(.invalidGraph, "\"nodes N\" must be the first line that is not blank or a comment")
                }
                guard tokens.count == 2 else { throw failure(.invalidGraph, "expected \"nodes N\", found \(tokens.count) fields") }
                guard let count = line.digits(tokens[1]), (1...maximumNodes).contains(count) else {
                    throw failure(.invalidValue, field: 2,
                                  "\"\(line.text(tokens[1]))\" is not a node count from 1 to \(maximumNodes)")
                }
                declared = (count, line.number)
                return
            }
            guard tokens.count == 2 else { throw failure(.invalidGraph, "expected an edge \"i j\", found \(tokens.count) fields") }
            let ends = try tokens.indices.map { field in
                guard let node = line.digits(tokens[field]) else {
                    throw failure(.invalidValue, field: field + 1,
                                  "\"\(line.text(tokens[field]))\" is not a node number (a non-negative integer)")
                }
                if let declared, node >= declared.nodes {
                    throw failure(.invalidGraph, field: field + 1,
                                  "node \(node) is outside 0..<\(declared.nodes) (nodes \(declared.nodes) on line \(declared.line))")
                }
                guard node < maximumNodes else {
                    throw failure(.invalidGraph, field: field + 1, "node \(node) is past the largest node number \(maximumNodes - 1)")
                }
                return node
            }
            guard ends[0] != ends[1] else { throw failure(.invalidGraph, "self-loop at node \(ends[0])") }
            let edge = Graph.Edge(ends[0], ends[1])
            if let first = edgeLines[edge] {
                throw failure(.invalidGraph, "edge \(edge) is given twice (first on line \(first))")
            }
            edgeLines[edge] = line.number
            edges.append((ends[0], ends[1]))
        }
        guard let nodes = declared?.nodes ?? edges.map({ max($0.0, $0.1) + 1 }).max() else {
            throw DataError(.noData, file: name, "no edges and no \"nodes N\" line")
        }
        return try Graph(nodes: nodes, edges: edges)
    }

    /// The file text of `graph`: each line of `comments` as a "# " line, then `nodes N`,
    /// then one "i j" line per edge in increasing order. `parse` reads it back to `graph`.
    public static func text(of graph: Graph, comments: [String]) -> String {
        let commentLines = comments.flatMap { $0.split(separator: "\n", omittingEmptySubsequences: false) }
            .map { $0.isEmpty ? "#" : "# \($0)" }
        let lines = commentLines + ["nodes \(graph.nodes)"] + graph.edges.map { "\($0.i) \($0.j)" }
        return lines.joined(separator: "\n") + "\n"
    }
}
