import FedSimAlgorithms
import FedSimCore
import XCTest

final class DADAOTests: XCTestCase {
    /// mu = 2, L = 16, chi1 = 8, chi2 = 1: nu = 1 and sqrt(nu / L) = 1/4, so every
    /// constant is a short binary fraction.
    private func workedConstants() throws -> DADAOConstants {
        try DADAOConstants(strongConvexity: 2, smoothness: 16, chi1: 8, chi2: 1)
    }

    /// mu = 1, L = 10 on the 6-cycle (chi1 = 6, chi2 = 5/2).
    private func cycleConstants(smoothness: Double = 10) throws -> DADAOConstants {
        try DADAOConstants(strongConvexity: 1, smoothness: smoothness, chi1: 6, chi2: 2.5)
    }

    private func randomVector(_ count: Int, _ stream: inout RandomStream) -> [Double] {
        (0..<count).map { _ in stream.normal() }
    }

    private func randomNode(_ constants: DADAOConstants, size: Int = 4, time: Double = 0, key: Int) -> DADAONodeState {
        var stream = RandomStream(seed: 5, purpose: .initialization, counter: key)
        return DADAONodeState(
            x: randomVector(size, &stream), xTilde: randomVector(size, &stream), y: randomVector(size, &stream),
            yTilde: randomVector(size, &stream), z: randomVector(size, &stream), zTilde: randomVector(size, &stream),
            time: time, constants: constants)
    }

    private func vectors(_ node: DADAONodeState) -> [[Double]] {
        [node.x, node.xTilde, node.y, node.yTilde, node.z, node.zTilde]
    }

    // MARK: constants

    func testConstantsOnAWorkedExample() throws {
        let c = try workedConstants()
        XCTAssertEqual(c.nu, 1)  // mu / 2
        XCTAssertEqual(c.alpha, 1.0 / 16)  // (1/4) sqrt(1/16)
        XCTAssertEqual(c.alphaTilde, 1.0 / 32)  // (1/8) sqrt(1/16)
        XCTAssertEqual(c.eta, 1.0 / 32)
        XCTAssertEqual(c.etaTilde, 1.0 / 32)
        XCTAssertEqual(c.theta, 2)  // (1/2) sqrt(16)
        XCTAssertEqual(c.gamma, 1.0 / 64)  // 1 / (4 * 16)
        XCTAssertEqual(c.gammaTilde, 1.0 / 16)  // 1 / (4 sqrt(16))
        XCTAssertEqual(c.delta, 1.0 / 16)
        XCTAssertEqual(c.deltaTilde, 1)
        XCTAssertEqual(c.beta, 0.5)
        XCTAssertEqual(c.lambdaMix, 4)  // sqrt(2 * 8 * 1)
        XCTAssertEqual(c.chi1Star, 2)  // 8 / 4
        XCTAssertEqual(c.betaTilde, 16)  // 2 * 2 * sqrt(16)
    }

    func testODEMatrixIsTheAuthorsOnTheWorkedExample() throws {
        // The authors' ode_matrix: [0,0] = -eta, [0,1] = eta, [1,0] = eta~, [1,1] = -eta~,
        // [2,2] = -alpha, [2,3] = alpha, [3,1] = -theta nu, [3,2] = [3,4] = -theta,
        // [4,4] = -alpha, [4,5] = alpha, [5,4] = alpha~, [5,5] = -alpha~.
        let e = 1.0 / 32, a = 1.0 / 16
        XCTAssertEqual(try workedConstants().mixing.matrix, [
            [-e, e, 0, 0, 0, 0],
            [e, -e, 0, 0, 0, 0],
            [0, 0, -a, a, 0, 0],
            [0, -2, -2, 0, -2, 0],
            [0, 0, 0, 0, -a, a],
            [0, 0, 0, 0, e, -e],
        ])
    }

    func testConstantsRejectInputsOutOfRange() {
        for bad in [0, -1, .nan, .infinity] {
            XCTAssertThrowsError(try DADAOConstants(strongConvexity: bad, smoothness: 10, chi1: 1, chi2: 1))
            XCTAssertThrowsError(try DADAOConstants(strongConvexity: 1, smoothness: bad, chi1: 1, chi2: 1))
            XCTAssertThrowsError(try DADAOConstants(strongConvexity: 1, smoothness: 10, chi1: bad, chi2: 1))
            XCTAssertThrowsError(try DADAOConstants(strongConvexity: 1, smoothness: 10, chi1: 1, chi2: bad))
        }
        XCTAssertThrowsError(try DADAOConstants(strongConvexity: 2, smoothness: 1, chi1: 1, chi2: 1)) { error in
            XCTAssertEqual(error as? GossipError, .strongConvexityAboveSmoothness(mu: 2, smoothness: 1))
        }
        XCTAssertNoThrow(try DADAOConstants(strongConvexity: 1, smoothness: 1, chi1: 1, chi2: 1))
    }

    // MARK: mixing

    /// The ODE as ALGORITHMS.md writes it, for one coordinate (x, x~, y, y~, z, z~).
    private func derivative(_ v: [Double], _ c: DADAOConstants) -> [Double] {
        [
            c.eta * (v[1] - v[0]),
            c.etaTilde * (v[0] - v[1]),
            c.alpha * (v[3] - v[2]),
            -c.theta * (c.nu * v[1] + v[2] + v[4]),
            c.alpha * (v[5] - v[4]),
            c.alphaTilde * (v[4] - v[5]),
        ]
    }

    /// Classical Runge-Kutta over [0, duration] in `steps` steps.
    private func integrate(_ start: [Double], over duration: Double, steps: Int, _ c: DADAOConstants) -> [Double] {
        let h = duration / Double(steps)
        func plus(_ v: [Double], _ w: [Double], _ factor: Double) -> [Double] { zip(v, w).map { $0 + factor * $1 } }
        var v = start
        for _ in 0..<steps {
            let k1 = derivative(v, c)
            let k2 = derivative(plus(v, k1, h / 2), c)
            let k3 = derivative(plus(v, k2, h / 2), c)
            let k4 = derivative(plus(v, k3, h), c)
            v = (0..<6).map { v[$0] + h / 6 * (k1[$0] + 2 * k2[$0] + 2 * k3[$0] + k4[$0]) }
        }
        return v
    }

    func testMixingEqualsAFineIntegrationOfTheODE() throws {
        for constants in [try cycleConstants(), try cycleConstants(smoothness: 1000)] {
            for duration in [0.01, 0.7, 5, 40] {
                var node = randomNode(constants, time: 1.5, key: 1)
                let before = vectors(node)
                node.mix(to: 1.5 + duration)
                XCTAssertEqual(node.time, 1.5 + duration)
                let after = vectors(node)
                for k in 0..<4 {
                    let expected = integrate(
                        before.map { $0[k] }, over: duration, steps: Int(duration / 1e-3) + 10, constants)
                    let scale = expected.map(abs).max()!
                    for (row, value) in expected.enumerated() {
                        XCTAssertEqual(after[row][k], value, accuracy: 1e-10 * scale,
                                       "row \(row), coordinate \(k), L \(constants.smoothness), t \(duration)")
                    }
                }
            }
        }
    }

    func testPropagatorIsTheIdentityAtZeroAndItsMatrixActsOnEveryCoordinate() throws {
        let constants = try cycleConstants()
        let identity = (0..<6).map { row in (0..<6).map { row == $0 ? 1.0 : 0 } }
        for (row, expected) in zip(constants.mixing.propagator(over: 0).matrix, identity) {
            for (got, want) in zip(row, expected) { XCTAssertEqual(got, want, accuracy: 1e-15) }
        }
        var node = randomNode(constants, key: 2)
        let before = vectors(node)
        node.mix(to: 2.5)
        let matrix = constants.mixing.propagator(over: 2.5).matrix
        for k in 0..<4 {
            for row in 0..<6 {
                let expected = (0..<6).reduce(0.0) { $0 + matrix[row][$1] * before[$1][k] }
                XCTAssertEqual(vectors(node)[row][k], expected, accuracy: 1e-13)
            }
        }
        var unmoved = node
        unmoved.mix(to: 2.5)
        XCTAssertEqual(unmoved, node, "mixing to the node's own time changes nothing")
    }

    func testMixingInTwoStepsEqualsMixingInOne() throws {
        let constants = try cycleConstants(smoothness: 100)
        for (first, second) in [(0.3, 1.1), (2, 30), (1e-6, 7)] {
            var direct = randomNode(constants, time: 4, key: 3)
            var twoSteps = direct
            direct.mix(to: 4 + second)
            twoSteps.mix(to: 4 + first)
            twoSteps.mix(to: 4 + second)
            for (got, want) in zip(vectors(twoSteps), vectors(direct)) {
                let scale = want.map(abs).max()!
                for (g, w) in zip(got, want) { XCTAssertEqual(g, w, accuracy: 1e-13 * max(scale, 1)) }
            }
        }
    }

    // MARK: events on a node

    func testGradientStepMixesThenJumps() throws {
        let constants = try cycleConstants()
        var node = randomNode(constants, time: 1, key: 4)
        var mixed = node
        mixed.mix(to: 3)
        var seen: [Double] = []
        node.gradientStep(at: 3) { x in
            seen = x
            return x.map { 2 * $0 + 1 }
        }
        XCTAssertEqual(seen, mixed.x, "the gradient is taken at the mixed x")
        XCTAssertEqual(node.time, 3)
        for k in 0..<4 {
            let g = (2 * mixed.x[k] + 1) - constants.nu * mixed.x[k] - mixed.yTilde[k]
            XCTAssertEqual(node.x[k], mixed.x[k] - constants.gamma * g, accuracy: 1e-15)
            XCTAssertEqual(node.xTilde[k], mixed.xTilde[k] - constants.gammaTilde * g, accuracy: 1e-15)
            XCTAssertEqual(node.yTilde[k], mixed.yTilde[k] + (constants.delta + constants.deltaTilde) * g,
                           accuracy: 1e-14)
        }
        XCTAssertEqual([node.y, node.z, node.zTilde], [mixed.y, mixed.z, mixed.zTilde])
    }

    /// Both halves of a communication event on two nodes, as a runtime does it.
    private func communicate(_ nodes: inout [DADAONodeState], _ edge: Graph.Edge, at time: Double) {
        let toJ = nodes[edge.i].message(at: time)
        let toI = nodes[edge.j].message(at: time)
        nodes[edge.i].communicate(partnerMessage: toI)
        nodes[edge.j].communicate(partnerMessage: toJ)
    }

    func testCommunicationHalvesAreTheRuleOnTheEdge() throws {
        let constants = try cycleConstants()
        var nodes = [randomNode(constants, time: 0.5, key: 5), randomNode(constants, time: 1.25, key: 6)]
        let mixed = nodes.map { node -> DADAONodeState in
            var copy = node
            copy.mix(to: 2)
            return copy
        }
        communicate(&nodes, Graph.Edge(0, 1), at: 2)
        let (i, j) = (mixed[0], mixed[1])
        let (beta, betaTilde) = (constants.beta, constants.betaTilde)
        for k in 0..<4 {
            let m = (i.y[k] + i.z[k]) - (j.y[k] + j.z[k])
            XCTAssertEqual(nodes[0].z[k], i.z[k] - beta * m)
            XCTAssertEqual(nodes[1].z[k], j.z[k] + beta * m)
            XCTAssertEqual(nodes[0].zTilde[k], i.zTilde[k] - betaTilde * m)
            XCTAssertEqual(nodes[1].zTilde[k], j.zTilde[k] + betaTilde * m)
            XCTAssertEqual(nodes[0].z[k] + nodes[1].z[k], i.z[k] + j.z[k], accuracy: 1e-14)
            XCTAssertEqual(nodes[0].zTilde[k] + nodes[1].zTilde[k], i.zTilde[k] + j.zTilde[k], accuracy: 1e-13)
        }
        XCTAssertEqual(nodes.map(\.time), [2, 2])
        XCTAssertEqual(nodes.map { [$0.x, $0.xTilde, $0.y, $0.yTilde] }, mixed.map { [$0.x, $0.xTilde, $0.y, $0.yTilde] })
    }

    // MARK: end to end

    /// f_i(x) = (1/2) sum_k h_ik (x_k - c_ik)^2 with h_ik in [mu, L], h_00 = mu and
    /// h_11 = L: mu-strongly convex and L-smooth; sum_i f_i is least at
    /// x*_k = sum_i h_ik c_ik / sum_i h_ik.
    private struct Quadratics {
        let curvatures: [[Double]]
        let centers: [[Double]]

        init(nodes: Int, size: Int, mu: Double, smoothness: Double) {
            var stream = RandomStream(seed: 8, purpose: .synthetic)
            var curvatures = (0..<nodes).map { _ in (0..<size).map { _ in mu + (smoothness - mu) * stream.uniform() } }
            curvatures[0][0] = mu
            curvatures[1][1] = smoothness
            self.curvatures = curvatures
            centers = (0..<nodes).map { _ in (0..<size).map { _ in stream.normal() } }
        }

        func gradient(_ node: Int, _ x: [Double]) -> [Double] {
            x.indices.map { curvatures[node][$0] * (x[$0] - centers[node][$0]) }
        }

        var minimizer: [Double] {
            centers[0].indices.map { k in
                let weights = curvatures.map { $0[k] }
                return zip(weights, centers).map { $0 * $1[k] }.reduce(0, +) / weights.reduce(0, +)
            }
        }

        /// f_i as an `Objective`: (1/2) sum_k c_ik (x_k - center_ik)^2.
        struct NodeObjective: Objective {
            let curvature: [Double]
            let center: [Double]
            var parameterCount: Int { center.count }
            var rowCount: Int { 1 }
            func value(at x: [Double]) -> Double {
                x.indices.map { curvature[$0] * (x[$0] - center[$0]) * (x[$0] - center[$0]) / 2 }.reduce(0, +)
            }
            func valueAndGradient(at x: [Double]) -> (value: Double, gradient: [Double]) {
                (value(at: x), x.indices.map { curvature[$0] * (x[$0] - center[$0]) })
            }
            func hessian(at x: [Double]) -> [Double] { [] }
            func accuracy(at x: [Double]) -> Double? { nil }
            func regularityConstants() -> RegularityConstants {
                RegularityConstants(strongConvexity: curvature.min()!, smoothness: curvature.max()!)
            }
            init(curvature: [Double], center: [Double]) {
                (self.curvature, self.center) = (curvature, center)
            }
            init(pooling parts: [NodeObjective]) { self = parts[0] }
        }

        func objective(_ node: Int) -> NodeObjective {
            NodeObjective(curvature: curvatures[node], center: centers[node])
        }

        /// (1/n) sum_i ||x_i - x*||^2.
        func error(_ nodes: [DADAONodeState]) -> Double {
            let target = minimizer
            return nodes.map { node in zip(node.x, target).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) }
                .reduce(0, +) / Double(nodes.count)
        }
    }

    func testDADAOReachesTheMinimizerOnACycle() throws {
        // The 6-cycle: L_norm = L / 6 has lambda_min+ = (2 - 2 cos(pi / 3)) / 6 = 1/6, so
        // chi1 = 6; each edge's effective resistance is 5/6, so chi2 = (1/2) 6 (5/6) = 5/2.
        let graph = try Graph(nodes: 6, edges: (0..<6).map { ($0, ($0 + 1) % 6) })
        let constants = try DADAOConstants(strongConvexity: 1, smoothness: 4, chi1: 6, chi2: 2.5)
        let problem = Quadratics(nodes: 6, size: 3, mu: 1, smoothness: 4)
        var stream = RandomStream(seed: 8, purpose: .initialization)
        var nodes = (0..<6).map { _ in DADAONodeState(x: randomVector(3, &stream), constants: constants) }
        let start = problem.error(nodes)
        var events = try GossipEvents(graph: graph, seed: 21, constants: constants)
        var communications = 0
        while events.nextTime < 200 {
            let event = events.next()!
            switch event.kind {
            case .local:
                nodes[event.first].gradientStep(at: event.time) { problem.gradient(event.first, $0) }
            case .exchange:
                communicate(&nodes, Graph.Edge(event.first, event.second), at: event.time)
                communications += 1
            case .combine, .send:
                XCTFail("DADAO has no \(event.kind) events")
            }
        }
        XCTAssertEqual(Double(communications), 200 * constants.lambdaMix, accuracy: 4 * (200 * constants.lambdaMix).squareRoot())
        XCTAssertLessThan(problem.error(nodes), 1e-5 * start)
    }

    func testAlgorithmParametersAreMuLAndTheGraphsChiAndTheNodeModelIsXMixedToTheTime() throws {
        // The 6-cycle: chi1 = 6 and chi2 = 5/2 (see above).
        let graph = try Graph.ring(6)
        let parameters = try DADAO().parameters(graph: graph, constants: RegularityConstants(strongConvexity: 1, smoothness: 4))
        XCTAssertEqual(parameters.names, ["strong_convexity", "smoothness", "chi1", "chi2"])
        XCTAssertEqual(parameters.values[0...1], [1, 4])
        XCTAssertEqual(parameters.values[2], 6, accuracy: 1e-12)
        XCTAssertEqual(parameters.values[3], 2.5, accuracy: 1e-12)
        XCTAssertThrowsError(try DADAO().parameters(graph: graph, constants: nil)) { error in
            XCTAssertEqual(error as? GossipError, .needsObjective(algorithm: "dadao"))
        }
        XCTAssertThrowsError(try DADAO().parameters(graph: try Graph(nodes: 4, edges: [(0, 1), (2, 3)]),
                                                    constants: RegularityConstants(strongConvexity: 1, smoothness: 4)))
        XCTAssertThrowsError(try DADAO.node(0, graph: graph, parameters: parameters,
                                            learner: .network { start, _ in start }, initial: [1]))

        let problem = Quadratics(nodes: 6, size: 3, mu: 1, smoothness: 4)
        let constants = try DADAO.constants(parameters)
        var state = DADAONodeState(x: [1, -2, 0.5], constants: constants)
        var node = try DADAO.node(2, graph: graph, parameters: parameters, learner: .objective(problem.objective(2)),
                                  initial: [1, -2, 0.5])
        node.local(at: 0.3, event: 0)
        state.gradientStep(at: 0.3) { problem.gradient(2, $0) }
        let sent = node.message(at: 0.7, to: 3)
        XCTAssertEqual(sent, state.message(at: 0.7))
        node.receive([0.1, 0.2, 0.3], from: 3, at: 0.7)
        state.communicate(partnerMessage: [0.1, 0.2, 0.3])
        var later = state
        later.mix(to: 1.5)
        XCTAssertEqual(node.model(at: 1.5), later.x)
        XCTAssertEqual(node.model(at: 0.7), state.x)
    }
}
