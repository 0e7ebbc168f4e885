import FedSimAlgorithms
import FedSimCore
import XCTest

final class DSGDTests: XCTestCase {
    /// 8 nodes with degrees from 1 to 4.
    private let irregular = try! Graph(
        nodes: 8, edges: [(0, 1), (1, 2), (2, 3), (3, 0), (0, 4), (4, 5), (5, 6), (6, 7), (1, 5), (0, 6)])

    private func vectors(_ count: Int, size: Int, seed: UInt64) -> [[Double]] {
        var stream = RandomStream(seed: seed, purpose: .initialization)
        return (0..<count).map { _ in (0..<size).map { _ in stream.normal() } }
    }

    private func assertClose(_ got: [Double], _ want: [Double], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, file: file, line: line)
        for (g, w) in zip(got, want) { XCTAssertEqual(g, w, accuracy: 1e-15, file: file, line: line) }
    }

    func testWeightsOnAPathAndAStar() throws {
        // Path 0-1-2, degrees (1, 2, 1): W_01 = W_12 = 1/3, W_00 = W_22 = 2/3, W_11 = 1/3.
        let path = MetropolisWeights(graph: try Graph(nodes: 3, edges: [(0, 1), (1, 2)]))
        assertClose(path.selfWeights, [2.0 / 3, 1.0 / 3, 2.0 / 3])
        XCTAssertEqual(path.neighborWeights, [[1.0 / 3], [1.0 / 3, 1.0 / 3], [1.0 / 3]])
        XCTAssertEqual(path.weight(0, 2), 0)
        // Star with centre 0 and 3 leaves: W_0j = 1/4, W_00 = 1/4, W_jj = 3/4.
        let star = MetropolisWeights(graph: try Graph(nodes: 4, edges: [(0, 1), (0, 2), (0, 3)]))
        XCTAssertEqual(star.selfWeights, [0.25, 0.75, 0.75, 0.75])
        XCTAssertEqual(star.weight(2, 0), 0.25)
        XCTAssertEqual(star.weight(2, 3), 0)
    }

    func testRowsSumToOneAndWeightsAreSymmetric() {
        let weights = MetropolisWeights(graph: irregular)
        for i in 0..<8 {
            let row = (0..<8).map { weights.weight(i, $0) }
            XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-15, "row \(i)")
            XCTAssertGreaterThan(row[i], 0)
            for j in 0..<8 {
                XCTAssertEqual(weights.weight(i, j), weights.weight(j, i), "W_\(i)\(j)")
                XCTAssertEqual(weights.weight(i, j) > 0, i == j || irregular.neighbors[i].contains(j))
            }
        }
    }

    func testCombiningOnACompleteGraphAverages() throws {
        let complete = try Graph(nodes: 5, edges: (0..<5).flatMap { i in (i + 1..<5).map { (i, $0) } })
        let weights = MetropolisWeights(graph: complete)
        assertClose(weights.selfWeights, [Double](repeating: 0.2, count: 5))
        let h = vectors(5, size: 3, seed: 1)
        let average = (0..<3).map { k in h.map { $0[k] }.reduce(0, +) / 5 }
        for node in 0..<5 {
            assertClose(weights.combine(at: node) { h[$0] }, average)
        }
    }

    func testCombiningSumsSelfFirstThenNeighboursInIncreasingOrder() throws {
        let weights = MetropolisWeights(graph: irregular)
        // Magnitudes far apart, so a different order would round differently.
        let h = vectors(8, size: 6, seed: 2).enumerated().map { node, v in v.map { $0 * pow(10, Double(4 * (node % 4))) } }
        for node in 0..<8 {
            var expected = h[node].map { weights.selfWeights[node] * $0 }
            for (slot, neighbor) in irregular.neighbors[node].enumerated() {
                for k in 0..<6 { expected[k] += weights.neighborWeights[node][slot] * h[neighbor][k] }
            }
            var asked: [Int] = []
            let combined = weights.combine(at: node) { j in
                asked.append(j)
                return h[j]
            }
            XCTAssertEqual(combined, expected)
            XCTAssertEqual(asked, [node] + irregular.neighbors[node])
        }
    }

    func testRepeatedCombiningKeepsTheAverageAndReachesConsensus() throws {
        let path = try Graph(nodes: 6, edges: (0..<5).map { ($0, $0 + 1) })
        let weights = MetropolisWeights(graph: path)
        var x = vectors(6, size: 2, seed: 3)
        let average = (0..<2).map { k in x.map { $0[k] }.reduce(0, +) / 6 }
        for _ in 0..<400 {
            let current = x
            x = (0..<6).map { node in weights.combine(at: node) { current[$0] } }
        }
        for node in 0..<6 {
            for k in 0..<2 { XCTAssertEqual(x[node][k], average[k], accuracy: 1e-12) }
        }
    }

    func testDSGDAverageTakesGradientStepsOnTheMeanObjective() throws {
        // f_i(x) = (1/2) ||x - c_i||^2: W is doubly stochastic and the gradients affine with
        // one curvature, so the average follows x_avg <- x_avg - gamma (x_avg - c_avg) exactly
        // while the nodes, with different c_i, stay apart by O(gamma).
        let graph = irregular
        let dsgd = try DSGD(graph: graph, stepSize: 0.1)
        let centers = vectors(8, size: 2, seed: 4)
        let target = (0..<2).map { k in centers.map { $0[k] }.reduce(0, +) / 8 }
        var x = vectors(8, size: 2, seed: 5)
        let start = (0..<2).map { k in x.map { $0[k] }.reduce(0, +) / 8 }
        let rounds = 60
        for _ in 0..<rounds {
            let h = (0..<8).map { dsgd.localStep(x[$0], gradient: zip(x[$0], centers[$0]).map { $0 - $1 }) }
            x = (0..<8).map { node in dsgd.combine(at: node) { h[$0] } }
        }
        let contraction = pow(0.9, Double(rounds))
        for k in 0..<2 {
            let average = x.map { $0[k] }.reduce(0, +) / 8
            XCTAssertEqual(average, target[k] + contraction * (start[k] - target[k]), accuracy: 1e-13)
            XCTAssertGreaterThan(x.map { abs($0[k] - average) }.max()!, 1e-3, "heterogeneous nodes do not agree")
        }
    }

    func testLocalStepAndInvalidStepSizes() throws {
        let dsgd = try DSGD(graph: irregular, stepSize: 0.5)
        XCTAssertEqual(dsgd.localStep([1, 2], gradient: [4, -2]), [-1, 3])
        for bad in [0, -0.1, .nan, .infinity] {
            XCTAssertThrowsError(try DSGD(graph: irregular, stepSize: bad))
        }
    }
}
