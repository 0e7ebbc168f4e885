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

    private func nodes(_ algorithm: DSGD, centers: [[Double]], start: [[Double]]) throws -> [any NodeProgram] {
        let parameters = try algorithm.parameters(graph: irregular, constants: RegularityConstants(strongConvexity: 1, smoothness: 1))
        return try (0..<irregular.nodes).map { node in
            try DSGD.node(node, graph: irregular, parameters: parameters,
                          learner: .objective(Quadratic(center: centers[node])), initial: start[node])
        }
    }

    private func average(_ programs: [any NodeProgram]) -> [Double] {
        let models = programs.map { $0.model(at: 0) }
        return (0..<models[0].count).map { k in models.map { $0[k] }.reduce(0, +) / Double(models.count) }
    }

    func testRoundsAreLocalStepsThenEveryEdgeThenCombines() {
        var rounds = DSGD.rounds(graph: try! Graph.path(3))
        let events = (0..<14).map { _ in rounds.next()! }
        XCTAssertEqual(events.map(\.index), Array(0..<14))
        XCTAssertEqual(events.map(\.kind), [.local, .local, .local, .exchange, .exchange, .combine, .combine, .combine,
                                            .local, .local, .local, .exchange, .exchange, .combine])
        XCTAssertEqual(events.map(\.first), [0, 1, 2, 0, 1, 0, 1, 2, 0, 1, 2, 0, 1, 0])
        XCTAssertEqual(events[3].second, 1)
        XCTAssertEqual(events[4].second, 2)
        XCTAssertEqual(events.map(\.time), [0.25, 0.25, 0.25, 0.5, 0.5, 1, 1, 1, 1.25, 1.25, 1.25, 1.5, 1.5, 2])
    }

    func testDSGDAverageTakesGradientStepsOnTheMeanObjective() throws {
        // f_i(x) = (1/2) ||x - c_i||^2: W is doubly stochastic and the gradients affine with
        // one curvature, so the average follows x_avg <- x_avg - gamma (x_avg - c_avg) exactly
        // while the nodes, with different c_i, stay apart by O(gamma).
        let centers = vectors(8, size: 2, seed: 4)
        let target = (0..<2).map { k in centers.map { $0[k] }.reduce(0, +) / 8 }
        let initial = vectors(8, size: 2, seed: 5)
        let start = (0..<2).map { k in initial.map { $0[k] }.reduce(0, +) / 8 }
        var programs = try nodes(DSGD(stepSize: 0.1), centers: centers, start: initial)
        let rounds = 60
        simulate(&programs, DSGD.rounds(graph: irregular), until: Double(rounds))
        let contraction = pow(0.9, Double(rounds))
        let mean = average(programs)
        for k in 0..<2 {
            XCTAssertEqual(mean[k], target[k] + contraction * (start[k] - target[k]), accuracy: 1e-13)
            XCTAssertGreaterThan(programs.map { abs($0.model(at: 0)[k] - mean[k]) }.max()!, 1e-3,
                                 "heterogeneous nodes do not agree")
        }
    }

    func testGradientTrackingReachesTheMinimizerWherePlainDSGDStopsShort() throws {
        // The same heterogeneous quadratics: x* = c_avg. Plain D-SGD with gamma = 0.2 keeps
        // every node O(gamma) from it; gradient tracking drives every node to it.
        let centers = vectors(8, size: 3, seed: 6)
        let optimum = (0..<3).map { k in centers.map { $0[k] }.reduce(0, +) / 8 }
        let initial = vectors(8, size: 3, seed: 7)
        func worstDistance(_ programs: [any NodeProgram]) -> Double {
            programs.map { zip($0.model(at: 0), optimum).map { abs($0 - $1) }.max()! }.max()!
        }
        var plain = try nodes(DSGD(stepSize: 0.2), centers: centers, start: initial)
        var tracking = try nodes(DSGD(stepSize: 0.2, variant: .gradientTracking), centers: centers, start: initial)
        simulate(&plain, DSGD.rounds(graph: irregular), until: 600)
        simulate(&tracking, DSGD.rounds(graph: irregular), until: 600)
        XCTAssertGreaterThan(worstDistance(plain), 1e-2)
        XCTAssertLessThan(worstDistance(tracking), 1e-10, "plain \(worstDistance(plain))")
    }

    func testSettingsResolveTheStepSizeAndRefuseObjectiveSettingsForANetwork() throws {
        let constants = RegularityConstants(strongConvexity: 0.5, smoothness: 4)
        let parameters = try DSGD().parameters(graph: irregular, constants: constants)
        XCTAssertEqual(parameters.names, ["step_size", "local_steps", "gradient_tracking"])
        XCTAssertEqual(parameters.values, [0.25, 1, 0])
        XCTAssertEqual(try DSGD.messageWidth(modelWidth: 5, parameters: parameters), 5)
        let tracking = try DSGD(stepSize: 0.1, variant: .gradientTracking).parameters(graph: irregular, constants: constants)
        XCTAssertEqual(tracking.values, [0.1, 1, 1])
        XCTAssertEqual(try DSGD.messageWidth(modelWidth: 5, parameters: tracking), 10)
        XCTAssertEqual(try DSGD(localSteps: 3).parameters(graph: irregular, constants: constants).values, [0.25, 3, 0])
        XCTAssertEqual(try DSGD.gradientsPerLocalEvent(parameters: DSGD(localSteps: 3).parameters(graph: irregular, constants: constants)), 3)
        XCTAssertEqual(try DSGD().parameters(graph: irregular, constants: nil).names, ["local_steps", "gradient_tracking"])
        XCTAssertThrowsError(try DSGD(stepSize: 0.1).parameters(graph: irregular, constants: nil)) { error in
            XCTAssertEqual(error as? GossipError, .needsObjective(algorithm: "D-SGD's step_size, local_steps and variant"))
        }
        var bad = parameters
        bad = try GossipParameters(names: ["step_size", "local_steps", "gradient_tracking"], values: [0, 1, 0])
        XCTAssertThrowsError(try DSGD.node(0, graph: irregular, parameters: bad, learner: .objective(Quadratic(center: [0])),
                                           initial: [0]))
    }
}
