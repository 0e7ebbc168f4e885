@testable import FedSimCore
import Foundation
import XCTest

/// The edges of `graph` as (i, j) pairs, for comparing with literals.
private func pairs(_ graph: Graph) -> [[Int]] {
    graph.edges.map { [$0.i, $0.j] }
}

/// The message of the error `body` throws, or "no error" and the graph it made.
private func thrownMessage(_ body: () throws -> Graph) -> String {
    do {
        return "no error: \(try body())"
    } catch {
        return "\(error)"
    }
}

final class GraphFileTests: XCTestCase {
    func parse(_ text: String) throws -> Graph {
        try GraphFile.parse(Array(text.utf8), name: "g.txt")
    }

    func error(_ text: String) -> String {
        thrownMessage { try parse(text) }
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

final class GraphGeneratorTests: XCTestCase {
    func testRingPathStarAndCompleteHaveTheirEdges() throws {
        XCTAssertEqual(pairs(try Graph.ring(4)), [[0, 1], [0, 3], [1, 2], [2, 3]])
        XCTAssertEqual(pairs(try Graph.path(4)), [[0, 1], [1, 2], [2, 3]])
        XCTAssertEqual(pairs(try Graph.star(4)), [[0, 1], [0, 2], [0, 3]])
        XCTAssertEqual(pairs(try Graph.complete(4)), [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]])
        XCTAssertEqual(try Graph.path(1).edges.count, 0)
        for n in [3, 7, 16] {
            XCTAssertEqual(try Graph.ring(n).degrees, Array(repeating: 2, count: n))
            XCTAssertEqual(try Graph.complete(n).edges.count, n * (n - 1) / 2)
            XCTAssertEqual(try Graph.star(n).degrees, [n - 1] + Array(repeating: 1, count: n - 1))
        }
    }

    func testTorusAndGridEdgeCounts() throws {
        for (rows, columns) in [(3, 3), (4, 4), (3, 5), (6, 4)] {
            let torus = try Graph.torus(rows: rows, columns: columns)
            XCTAssertEqual(torus.nodes, rows * columns)
            XCTAssertEqual(torus.edges.count, 2 * rows * columns, "\(rows) x \(columns)")
            XCTAssertEqual(Set(torus.degrees), [4])
            let grid = try Graph.grid(rows: rows, columns: columns)
            XCTAssertEqual(grid.edges.count, 2 * rows * columns - rows - columns, "\(rows) x \(columns)")
            XCTAssert(Set(grid.edges).isSubset(of: Set(torus.edges)))
        }
        // Node r * columns + c: on a 3 x 3 torus node 4 (the centre) and node 0 (a corner,
        // wrapping left to 2 and up to 6).
        let torus = try Graph.torus(rows: 3, columns: 3)
        XCTAssertEqual(torus.neighbors[4], [1, 3, 5, 7])
        XCTAssertEqual(torus.neighbors[0], [1, 2, 3, 6])
        XCTAssertEqual(try Graph.grid(rows: 3, columns: 3).neighbors[0], [1, 3])
        XCTAssertEqual(pairs(try Graph.grid(rows: 1, columns: 3)), [[0, 1], [1, 2]])
        XCTAssertEqual(try Graph.grid(rows: 1, columns: 1).edges.count, 0)
    }

    func testBarbellIsTwoCliquesJoinedByOneEdge() throws {
        for m in [2, 3, 8] {
            let barbell = try Graph.barbell(cliqueSize: m)
            XCTAssertEqual(barbell.nodes, 2 * m)
            XCTAssertEqual(barbell.edges.count, 2 * (m * (m - 1) / 2) + 1)
            let crossing = barbell.edges.filter { ($0.i < m) != ($0.j < m) }
            XCTAssertEqual(crossing, [Graph.Edge(m - 1, m)])
        }
        XCTAssertEqual(pairs(try Graph.barbell(cliqueSize: 2)), [[0, 1], [1, 2], [2, 3]])
    }

    func testExponentialGraphLinksPowersOfTwoEachEdgeOnce() throws {
        // n = 32: hops 1, 2, 4, 8, 16 each way, 16 forward and backward being one hop.
        let thirtyTwo = try Graph.exponential(32)
        XCTAssertEqual(thirtyTwo.neighbors[0], [1, 2, 4, 8, 16, 24, 28, 30, 31])
        XCTAssertEqual(Set(thirtyTwo.degrees), [9])
        XCTAssertEqual(thirtyTwo.edges.count, 4 * 32 + 16)
        // n = 12: hops 1, 2, 4, 8, and +8 is -4, so 6 neighbours.
        let twelve = try Graph.exponential(12)
        XCTAssertEqual(twelve.neighbors[0], [1, 2, 4, 8, 10, 11])
        XCTAssertEqual(twelve.neighbors[5], [1, 3, 4, 6, 7, 9])
        XCTAssertEqual(twelve.edges.count, 12 * 6 / 2)
        XCTAssertEqual(pairs(try Graph.exponential(2)), [[0, 1]])
        XCTAssertEqual(try Graph.exponential(1).edges.count, 0)
    }

    func testParametersOutOfRangeAreRefused() {
        var stream = RandomStream(seed: 0, purpose: .topology)
        XCTAssertEqual(thrownMessage { try Graph.ring(2) }, "a ring needs at least 3 nodes, got 2")
        XCTAssertEqual(thrownMessage { try Graph.path(0) }, "a path needs at least 1 node, got 0")
        XCTAssertEqual(thrownMessage { try Graph.torus(rows: 2, columns: 5) },
                       "a torus needs at least 3 rows and 3 columns, got 2 x 5")
        XCTAssertEqual(thrownMessage { try Graph.grid(rows: 3, columns: 0) }, "a grid needs at least 1 row and 1 column, got 3 x 0")
        XCTAssertEqual(thrownMessage { try Graph.barbell(cliqueSize: 1) }, "a barbell needs cliques of at least 2 nodes, got 1")
        XCTAssertEqual(thrownMessage { try Graph.erdosRenyi(nodes: 5, probability: 1.5, using: &stream) },
                       "the edge probability must be in [0, 1], got 1.5")
        XCTAssertEqual(thrownMessage { try Graph.randomGeometric(nodes: 5, radius: -0.1, using: &stream) },
                       "the radius must be finite and non-negative, got -0.1")
    }

    func testErdosRenyiExtremesAndDrawOrder() throws {
        var stream = RandomStream(seed: 4, purpose: .topology)
        XCTAssertEqual(try Graph.erdosRenyi(nodes: 6, probability: 0, using: &stream).edges.count, 0)
        XCTAssertEqual(try Graph.erdosRenyi(nodes: 6, probability: 1, using: &stream), try Graph.complete(6))
        // One uniform per pair, pairs in increasing (i, j) order.
        var draw = RandomStream(seed: 9, purpose: .topology, counter: 2)
        var replay = draw
        let graph = try Graph.erdosRenyi(nodes: 10, probability: 0.3, using: &draw)
        let expected = (0..<10).flatMap { i in ((i + 1)..<10).map { (i, $0) } }.filter { _ in replay.uniform() < 0.3 }
        XCTAssertEqual(graph, try Graph(nodes: 10, edges: expected))
        XCTAssertGreaterThan(graph.edges.count, 0)
    }

    func testRandomGeometricLinksExactlyThePointsWithinTheRadius() throws {
        var draw = RandomStream(seed: 2, purpose: .topology)
        var replay = draw
        let graph = try Graph.randomGeometric(nodes: 40, radius: 0.25, using: &draw)
        let points = (0..<40).map { _ in (x: replay.uniform(), y: replay.uniform()) }
        for i in 0..<40 {
            for j in (i + 1)..<40 {
                let distance = ((points[i].x - points[j].x) * (points[i].x - points[j].x)
                                + (points[i].y - points[j].y) * (points[i].y - points[j].y)).squareRoot()
                XCTAssertEqual(graph.neighbors[i].contains(j), distance <= 0.25, "\(i)-\(j) at \(distance)")
            }
        }
        XCTAssertGreaterThan(graph.edges.count, 0)
    }
}

final class GraphRecipeTests: XCTestCase {
    func testDeterministicRecipesMakeTheirGeneratorsGraphs() throws {
        XCTAssertEqual(try GraphRecipe.ring(nodes: 16).make(), try Graph.ring(16))
        XCTAssertEqual(try GraphRecipe.torus(rows: 4, columns: 4).make(), try Graph.torus(rows: 4, columns: 4))
        XCTAssertEqual(try GraphRecipe.barbell(cliqueSize: 8).make(), try Graph.barbell(cliqueSize: 8))
        XCTAssertEqual(try GraphRecipe.exponential(nodes: 32).make(), try Graph.exponential(32))
        XCTAssertEqual(GraphRecipe.ring(nodes: 16).description, "ring of 16 nodes")
        XCTAssertEqual(GraphRecipe.barbell(cliqueSize: 8).description,
                       "barbell: two complete graphs of 8 nodes joined by the edge 7-8, 16 nodes")
        XCTAssertEqual(GraphRecipe.file(path: "topologies/ring-16.txt").description,
                       "edge list read from topologies/ring-16.txt")
        XCTAssertEqual(GraphRecipe.erdosRenyi(nodes: 64, probability: 0.1, seed: 1).kind, .erdosRenyi)
        XCTAssertNil(GraphRecipe.file(path: "x").kind)
    }

    func testRandomRecipesAreConnectedReproducibleAndDifferBySeed() throws {
        let recipes: [(UInt64) -> GraphRecipe] = [
            { .erdosRenyi(nodes: 64, probability: 0.1, seed: $0) },
            { .randomGeometric(nodes: 100, radius: 0.2, seed: $0) },
        ]
        for recipe in recipes {
            let graph = try recipe(1).make()
            XCTAssert(graph.isConnected, recipe(1).description)
            XCTAssertEqual(try recipe(1).make(), graph)
            XCTAssertNotEqual(try recipe(2).make(), graph, recipe(1).description)
        }
    }

    func testTheFirstConnectedDrawIsTakenAndItsAttemptNamed() throws {
        // Just above ln(40)/40 = 0.092 a draw is connected about half the time: find a
        // seed whose first draw is not, and check that the attempt named is the first
        // connected one, drawn with counter attempt - 1.
        let draws = try (UInt64(0)..<20).map { seed -> (seed: UInt64, made: (graph: Graph, description: String)) in
            (seed, try GraphRecipe.erdosRenyi(nodes: 40, probability: 0.1, seed: seed).makeDescribed())
        }
        let late = try XCTUnwrap(draws.first { !$0.made.description.hasSuffix("at attempt 1") })
        let prefix = "Erdos-Renyi graph: 40 nodes, edge probability 0.1, seed \(late.seed), first connected draw at attempt "
        XCTAssert(late.made.description.hasPrefix(prefix), late.made.description)
        let attempt = try XCTUnwrap(Int(late.made.description.dropFirst(prefix.count)))
        for counter in 0..<attempt {
            var stream = RandomStream(seed: late.seed, purpose: .topology, counter: counter)
            let draw = try Graph.erdosRenyi(nodes: 40, probability: 0.1, using: &stream)
            XCTAssertEqual(draw.isConnected, counter == attempt - 1, "counter \(counter)")
            if counter == attempt - 1 { XCTAssertEqual(draw, late.made.graph) }
        }
    }

    func testNoConnectedDrawIsAClearError() {
        XCTAssertThrowsError(try GraphRecipe.erdosRenyi(nodes: 20, probability: 0.02, seed: 3).make()) { error in
            XCTAssertEqual("\(error)", "Erdos-Renyi graph: 20 nodes, edge probability 0.02, seed 3: none of the first "
                           + "100 draws is connected; connected draws become likely once p exceeds ln(n)/n = 0.15")
        }
        XCTAssertThrowsError(try GraphRecipe.randomGeometric(nodes: 300, radius: 0.01, seed: 1).make()) { error in
            XCTAssertEqual("\(error)", "random geometric graph: 300 points in the unit square, radius 0.01, seed 1: none of "
                           + "the first 100 draws is connected; connected draws become likely once the radius exceeds "
                           + "sqrt(ln(n)/(pi n)) = 0.0778")
        }
    }

    func testNewPurposesDoNotMoveEarlierOnes() {
        // A purpose's number keys its draws: a new one goes last, so that every earlier
        // purpose, and so every earlier run's results, keeps its draws.
        XCTAssertEqual(RandomPurpose.allCases.map(\.rawValue), Array(1...16))
        XCTAssertEqual(RandomPurpose.aggregation.rawValue, 12)
        XCTAssertEqual(RandomPurpose.topology.rawValue, 13)
        XCTAssertEqual(RandomPurpose.regression.rawValue, 14)
        XCTAssertEqual(RandomPurpose.featurePermutation.rawValue, 15)
        XCTAssertEqual(RandomPurpose.stragglers.rawValue, 16)
    }
}

final class GraphFactsTests: XCTestCase {
    override func setUp() {
        BLAS.useSingleThread()
    }

    private func assertClose(_ got: Double?, _ want: Double, _ message: String = "",
                             file: StaticString = #filePath, line: UInt = #line) {
        guard let got else { return XCTFail("nil, expected \(want) \(message)", file: file, line: line) }
        XCTAssertEqual(got, want, accuracy: 1e-9 * max(1, abs(want)), message, file: file, line: line)
    }

    func testRingMatchesItsClosedForms() throws {
        for n in [3, 4, 5, 8, 16, 31] {
            let facts = try GraphFacts(try Graph.ring(n))
            XCTAssertEqual([facts.nodes, facts.edges, facts.minDegree, facts.maxDegree], [n, n, 2, 2])
            XCTAssert(facts.connected)
            XCTAssertEqual(facts.diameter, n / 2)
            let lambda2 = 2 - 2 * cos(2 * Double.pi / Double(n))
            assertClose(facts.lambda2, lambda2, "ring \(n)")
            // Metropolis weights 1/3 everywhere: eigenvalues (1 + 2 cos(2 pi k / n)) / 3.
            let secondModulus = (1..<n).map { abs(1 + 2 * cos(2 * Double.pi * Double($0) / Double(n))) / 3 }.max()!
            assertClose(facts.metropolisGap, 1 - secondModulus, "ring \(n)")
            // chi1 = |E| / lambda2; each edge's effective resistance is (n - 1) / n.
            assertClose(facts.dadao?.chi1, Double(n) / lambda2, "ring \(n)")
            assertClose(facts.dadao?.chi2, Double(n - 1) / 2, "ring \(n)")
        }
    }

    func testPathAndStarMatchTheirClosedForms() throws {
        for n in [2, 3, 6, 16] {
            let path = try GraphFacts(try Graph.path(n))
            XCTAssertEqual(path.diameter, n - 1)
            let lambda2 = 2 - 2 * cos(Double.pi / Double(n))
            assertClose(path.lambda2, lambda2, "path \(n)")
            // A tree: every edge has effective resistance 1.
            assertClose(path.dadao?.chi1, Double(n - 1) / lambda2, "path \(n)")
            assertClose(path.dadao?.chi2, Double(n - 1) / 2, "path \(n)")
        }
        for n in [3, 5, 16] {
            // Laplacian eigenvalues 0, 1 (n - 2 times), n; Metropolis eigenvalues 1,
            // 1 - 1/n (n - 2 times), 0.
            let star = try GraphFacts(try Graph.star(n))
            XCTAssertEqual([star.minDegree, star.maxDegree], [1, n - 1])
            XCTAssertEqual(star.diameter, 2)
            assertClose(star.lambda2, 1, "star \(n)")
            assertClose(star.metropolisGap, 1 / Double(n), "star \(n)")
            assertClose(star.dadao?.chi1, Double(n - 1), "star \(n)")
            assertClose(star.dadao?.chi2, Double(n - 1) / 2, "star \(n)")
        }
    }

    func testCompleteGraphChiByHand() throws {
        // K4: L = 4 I - J, |E| = 6. L/|E| has eigenvalues 0 and 4/6 (three times), so
        // chi1 = 6/4 = 1.5. L = 4 P with P = I - J/4, so (L/6)^+ = (6/4) P and
        // (e_i - e_j)^T P (e_i - e_j) = 2: chi2 = (1/2)(6/4)(2) = 1.5.
        let k4 = try GraphFacts(try Graph.complete(4))
        assertClose(k4.dadao?.chi1, 1.5)
        assertClose(k4.dadao?.chi2, 1.5)
        for n in [2, 3, 5, 8, 12] {
            let facts = try GraphFacts(try Graph.complete(n))
            XCTAssertEqual(facts.diameter, 1)
            assertClose(facts.lambda2, Double(n), "K\(n)")
            // W = J / n: eigenvalues 1 and 0.
            assertClose(facts.metropolisGap, 1, "K\(n)")
            assertClose(facts.dadao?.chi1, Double(n - 1) / 2, "K\(n)")
            assertClose(facts.dadao?.chi2, Double(n - 1) / 2, "K\(n)")
        }
    }

    func testMetropolisWeightsOfAPathOfThreeByHand() throws {
        // Degrees 1, 2, 1: each edge weighs 1/(1 + 2) = 1/3, the ends keep 2/3, the
        // middle 1/3. W (1, 1, 1) = (1, 1, 1), W (1, 0, -1) = (2/3)(1, 0, -1), and the
        // trace 5/3 leaves 0 for the third eigenvalue: the gap is 1 - 2/3.
        let path = try Graph.path(3)
        let third = 1.0 / 3
        let expected = [2 * third, third, 0, third, third, third, 0, third, 2 * third]
        for (got, want) in zip(path.metropolisWeights, expected) { XCTAssertEqual(got, want, accuracy: 1e-15) }
        XCTAssertEqual(path.laplacian, [1, -1, 0, -1, 2, -1, 0, -1, 1])
        assertClose(try GraphFacts(path).metropolisGap, third)
    }

    func testAGraphWithABridgeHasChi2HalfItsEdges() throws {
        // A bridge has effective resistance 1, the most any edge can have, so
        // chi2 = |E| / 2; a barbell's joining edge is one.
        for m in [2, 3, 8] {
            let barbell = try Graph.barbell(cliqueSize: m)
            let facts = try GraphFacts(barbell)
            XCTAssertEqual(facts.diameter, 3)
            assertClose(facts.dadao?.chi2, Double(barbell.edges.count) / 2, "barbell \(m)")
            assertClose(facts.dadao?.chi1, Double(barbell.edges.count) / facts.lambda2!, "barbell \(m)")
        }
    }

    func testTorusAndGridDiameters() throws {
        XCTAssertEqual(try GraphFacts(try Graph.torus(rows: 4, columns: 5)).diameter, 2 + 2)
        XCTAssertEqual(try GraphFacts(try Graph.grid(rows: 3, columns: 8)).diameter, 2 + 7)
        // The 4 x 4 torus is the 4-cycle squared: lambda2 = 2 - 2 cos(pi / 2) = 2.
        assertClose(try GraphFacts(try Graph.torus(rows: 4, columns: 4)).lambda2, 2)
    }

    func testADisconnectedGraphHasNoDiameterAndNoChi() throws {
        let graph = try Graph(nodes: 5, edges: [(0, 1), (1, 2), (3, 4)])
        let facts = try GraphFacts(graph)
        XCTAssertFalse(facts.connected)
        XCTAssertNil(facts.diameter)
        XCTAssertEqual(facts.lambda2, 0)
        XCTAssertEqual(facts.metropolisGap, 0)
        XCTAssertNil(facts.dadao)
        XCTAssertEqual([facts.nodes, facts.edges, facts.minDegree, facts.maxDegree], [5, 3, 1, 2])
        XCTAssertThrowsError(try DADAOGraphConstants(graph)) { error in
            XCTAssertEqual("\(error)", "chi1 and chi2 are defined for connected graphs only; this graph is not connected")
        }
        let single = try GraphFacts(try Graph.path(1))
        XCTAssert(single.connected)
        XCTAssertEqual(single.diameter, 0)
        XCTAssertNil(single.lambda2)
        XCTAssertNil(single.metropolisGap)
        XCTAssertNil(single.dadao)
        XCTAssertThrowsError(try DADAOGraphConstants(try Graph.path(1))) { error in
            XCTAssertEqual("\(error)", "chi1 and chi2 need at least one edge (L / |E| divides by the edge count)")
        }
    }

    func testDADAOGraphConstantsAloneEqualTheFacts() throws {
        let graph = try GraphRecipe.randomGeometric(nodes: 60, radius: 0.3, seed: 5).make()
        XCTAssertEqual(try DADAOGraphConstants(graph), try GraphFacts(graph).dadao)
    }
}

final class ShippedTopologyTests: XCTestCase {
    /// The files of topologies/ and the recipes scripts/make-topologies writes them with.
    static let shipped: [String: GraphRecipe] = [
        "ring-16": .ring(nodes: 16),
        "path-16": .path(nodes: 16),
        "torus-4x4": .torus(rows: 4, columns: 4),
        "grid-8x8": .grid(rows: 8, columns: 8),
        "complete-8": .complete(nodes: 8),
        "star-16": .star(nodes: 16),
        "barbell-2x8": .barbell(cliqueSize: 8),
        "erdos-renyi-64": .erdosRenyi(nodes: 64, probability: 0.1, seed: 1),
        "random-geometric-300": .randomGeometric(nodes: 300, radius: 0.15, seed: 1),
        "exponential-32": .exponential(nodes: 32),
    ]

    func testEveryShippedFileIsWhatItsRecipeMakes() throws {
        let folder = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("topologies")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(files, Self.shipped.keys.map { "\($0).txt" }.sorted())
        for (name, recipe) in Self.shipped {
            let path = folder.appendingPathComponent("\(name).txt").path
            let made = try recipe.makeDescribed()
            XCTAssertEqual(try GraphFile.load(path: path), made.graph, name)
            let firstLine = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").first
            XCTAssertEqual(firstLine.map(String.init), "# " + made.description, name)
            XCTAssert(made.graph.isConnected, name)
        }
    }
}
