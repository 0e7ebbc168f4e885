@testable import FedSimCore
import Foundation
import XCTest

/// The edges of `graph` as (i, j) pairs, for comparing with literals.
private func pairs(_ graph: Graph) -> [[Int]] {
    graph.edges.map { [$0.i, $0.j] }
}

final class GraphFileTests: XCTestCase {
    func parse(_ text: String) throws -> Graph {
        try GraphFile.parse(Array(text.utf8), name: "g.txt")
    }

    func error(_ text: String) -> String {
        do {
            let graph = try parse(text)
            return "no error: \(graph)"
        } catch {
            return "\(error)"
        }
    }

    func testCommentsBlankLinesAndEitherOrientationAreRead() throws {
        let graph = try parse("# a triangle and a tail\n\n2 1\n 0\t1   # trailing comment\r\n0 2\n#\n3 2#no space\n")
        XCTAssertEqual(graph.nodes, 4)
        XCTAssertEqual(pairs(graph), [[0, 1], [0, 2], [1, 2], [2, 3]])
        XCTAssertEqual(graph.neighbors[2], [0, 1, 3])
    }

    func testTheNodesLineAllowsIsolatedNodes() throws {
        let graph = try parse("# header\n\nnodes 6  # two isolated\n0 1\n1 3\n")
        XCTAssertEqual(graph.nodes, 6)
        XCTAssertEqual(graph.degrees, [1, 2, 0, 1, 0, 0])
        XCTAssertFalse(graph.isConnected)
        XCTAssertEqual(try parse("nodes 1\n").nodes, 1)
    }

    func testProblemsNameTheFileAndLine() {
        XCTAssertEqual(error("0 1\n\n2 2\n"), "g.txt:3: self-loop at node 2")
        XCTAssertEqual(error("0 1\n# note\n1 2\n1 0\n"), "g.txt:4: edge 0-1 is given twice (first on line 1)")
        XCTAssertEqual(error("nodes 4\n0 1\n1 4\n"), "g.txt:3: field 2: node 4 is outside 0..<4 (nodes 4 on line 1)")
        XCTAssertEqual(error("0 1\n1 x\n"), "g.txt:2: field 2: \"x\" is not a node number (a non-negative integer)")
        XCTAssertEqual(error("-1 0\n"), "g.txt:1: field 1: \"-1\" is not a node number (a non-negative integer)")
        XCTAssertEqual(error("0 1.5\n"), "g.txt:1: field 2: \"1.5\" is not a node number (a non-negative integer)")
        XCTAssertEqual(error("0 1\n1 2 3\n"), "g.txt:2: expected an edge \"i j\", found 3 fields")
        XCTAssertEqual(error("0 1\n2  # half an edge\n"), "g.txt:2: expected an edge \"i j\", found 1 fields")
        XCTAssertEqual(error("0 1\nnodes 3\n"), "g.txt:2: \"nodes N\" must be the first line that is not blank or a comment")
        XCTAssertEqual(error("nodes\n"), "g.txt:1: expected \"nodes N\", found 1 fields")
        XCTAssertEqual(error("nodes 0\n"), "g.txt:1: field 2: \"0\" is not a node count from 1 to 1048576")
        XCTAssertEqual(error("0 99999999\n"), "g.txt:1: field 2: node 99999999 is past the largest node number 1048575")
        XCTAssertEqual(error("# only comments\n\n"), "g.txt: no edges and no \"nodes N\" line")
    }

    func testAMissingFileIsNamed() {
        XCTAssertThrowsError(try GraphFile.load(path: "/nonexistent/ring.txt")) { error in
            XCTAssertEqual((error as? DataError)?.kind, .fileNotFound)
            XCTAssertEqual("\(error)", "/nonexistent/ring.txt: no such file")
        }
    }

    func testWrittenTextReadsBackToTheSameGraph() throws {
        let graph = try Graph(nodes: 5, edges: [(3, 0), (1, 2), (0, 1)])
        let text = GraphFile.text(of: graph, comments: ["made by hand", "", "two\nlines"])
        XCTAssertEqual(text, "# made by hand\n#\n# two\n# lines\nnodes 5\n0 1\n0 3\n1 2\n")
        XCTAssertEqual(try parse(text), graph)
    }
}
