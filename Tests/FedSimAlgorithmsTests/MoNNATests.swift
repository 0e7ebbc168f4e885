@testable import FedSimAlgorithms
import FedSimCore
import XCTest

final class MoNNATests: XCTestCase {
    private func complete(_ n: Int) -> Graph {
        try! Graph(nodes: n, edges: (0..<n).flatMap { i in (i + 1..<n).map { (i, $0) } })
    }

    private func robustness(_ byzantine: [Int]) -> GossipRobustness {
        GossipRobustness(byzantineNodes: byzantine)
    }

    private func parameters(_ algorithm: MoNNA, graph: Graph, byzantine: [Int]) throws -> GossipParameters {
        var parameters = try algorithm.parameters(graph: graph, constants: RegularityConstants(strongConvexity: 1, smoothness: 1))
        parameters.robustness = robustness(byzantine)
        return parameters
    }

    /// The events of one round on 16 nodes: up to its 16th combine.
    private func round(_ events: inout any IteratorProtocol<GossipEvent>) -> [GossipEvent] {
        var taken: [GossipEvent] = []
        while let event = events.next() {
            taken.append(event)
            if event.kind == .combine, taken.filter({ $0.kind == .combine }).count == 16 { break }
        }
        return taken
    }

    func testTheMeanOfTheNearestKeepsItsOwnVectorAndBreaksTiesByPosition() {
        let vectors: [[Double]] = [[0, 0], [1, 0], [0, 2], [10, 10], [-1, 0]]
        // Distances to [0, 0]: 0, 1, 4, 200, 1: the 3 nearest are 0, 1 and 4 (1 and 4 tie).
        XCTAssertEqual(MoNNANode.mean(of: vectors, nearest: 3, to: 0), [0, 0])
        XCTAssertEqual(MoNNANode.mean(of: vectors, nearest: 4, to: 0), [0, 0.5])
        XCTAssertEqual(MoNNANode.mean(of: vectors, nearest: 1, to: 3), [10, 10])
        // A tie with only room for one: the earlier vector (index 1, not 4).
        XCTAssertEqual(MoNNANode.mean(of: vectors, nearest: 2, to: 0), [0.5, 0])
    }

    func testARoundOnACompleteGraphIsSendsToTheByzantineThenPullsThenTheirAnswers() throws {
        // 16 nodes, 3 Byzantine, f = 3: each honest node pulls n - 2f - 1 = 9 honest peers
        // and hears the 3 Byzantine nodes, which first hear every honest node.
        let graph = complete(16)
        let byzantine = [3, 8, 10]
        let parameters = try parameters(MoNNA(), graph: graph, byzantine: byzantine)
        var events = MoNNA.events(graph: graph, seed: 1, parameters: parameters)
        let first = round(&events)
        let second = round(&events)
        for events in [first, second] {
            XCTAssertEqual(events.prefix(16).map(\.kind), Array(repeating: .local, count: 16))
            let sends = events.filter { $0.kind == .send }
            XCTAssertEqual(sends.count, 39 + 13 * 9 + 39)
            XCTAssertTrue(events.allSatisfy { $0.kind != .exchange })
            XCTAssertTrue(sends.prefix(39).allSatisfy { !byzantine.contains($0.first) && byzantine.contains($0.second) })
            XCTAssertTrue(sends.suffix(39).allSatisfy { byzantine.contains($0.first) && !byzantine.contains($0.second) })
            let pulls = sends.dropFirst(39).dropLast(39)
            for node in 0..<16 where !byzantine.contains(node) {
                let peers = pulls.filter { $0.second == node }.map(\.first)
                XCTAssertEqual(peers.count, 9, "node \(node)")
                XCTAssertEqual(Set(peers).count, 9)
                XCTAssertTrue(peers.allSatisfy { $0 != node && !byzantine.contains($0) })
            }
            let start = events[0].time - 0.25
            XCTAssertEqual(Set(events.map(\.time)), [start + 0.25, start + 0.5, start + 1])
        }
        // Each round draws its own peers; the draws are a function of the seed.
        let pulls = { (events: [GossipEvent]) in events.filter { $0.kind == .send }.map { [$0.first, $0.second] } }
        XCTAssertNotEqual(pulls(first), pulls(second))
        var again = MoNNA.events(graph: graph, seed: 1, parameters: parameters)
        XCTAssertEqual(round(&again), first)
    }

    func testOnASparseGraphANodePullsTheHonestNeighboursItHas() throws {
        // A ring of 8 with node 2 Byzantine and f = 1: n - 2f - 1 = 5 exceeds every degree,
        // so each honest node pulls all its honest neighbours and hears node 2 if adjacent.
        let ring = try Graph(nodes: 8, edges: (0..<8).map { ($0, ($0 + 1) % 8) })
        var events = MoNNA.events(graph: ring, seed: 3, parameters: try parameters(MoNNA(f: 1), graph: ring, byzantine: [2]))
        var sends: [GossipEvent] = []
        while let event = events.next(), event.time < 1 { if event.kind == .send { sends.append(event) } }
        let heard = { (node: Int) in Set(sends.filter { $0.second == node }.map(\.first)) }
        XCTAssertEqual(heard(1), [0, 2])
        XCTAssertEqual(heard(3), [2, 4])
        XCTAssertEqual(heard(5), [4, 6])
        XCTAssertEqual(heard(2), [1, 3])
        XCTAssertEqual(sends.prefix(2).map(\.second), [2, 2])
        XCTAssertEqual(sends.suffix(2).map(\.first), [2, 2])
    }

    func testSettingsResolveTheStepSizeAndBoundF() throws {
        let graph = complete(7)
        let constants = RegularityConstants(strongConvexity: 0.5, smoothness: 4)
        let parameters = try MoNNA(f: 3).parameters(graph: graph, constants: constants)
        XCTAssertEqual(parameters.names, ["momentum", "step_size", "f"])
        XCTAssertEqual(parameters.values, [0.99, 0.25, 3])
        XCTAssertEqual(try MoNNA().parameters(graph: graph, constants: nil).names, ["momentum"])
        XCTAssertThrowsError(try MoNNA(f: 4).parameters(graph: graph, constants: constants)) { error in
            XCTAssertTrue("\(error)".contains("at most (n - 1) / 2 = 3"), "\(error)")
        }
        XCTAssertThrowsError(try MoNNA(stepSize: 0.1).parameters(graph: graph, constants: nil)) { error in
            XCTAssertEqual(error as? GossipError, .needsObjective(algorithm: "MoNNA's step_size"))
        }
    }

    /// Honest quadratics around one point, Byzantine nodes sending ALIE vectors far out.
    private func attacked(_ algorithm: String, tau: Double) throws -> (models: [[Double]], optimum: [Double]) {
        let graph = complete(10)
        let byzantine = [0, 1]
        var stream = RandomStream(seed: 11, purpose: .initialization)
        let centers = (0..<10).map { _ in (0..<3).map { _ in 1 + 0.1 * stream.normal() } }
        let start = (0..<3).map { _ in stream.normal() }
        let honest = (2..<10).map { centers[$0] }
        let optimum = (0..<3).map { k in honest.map { $0[k] }.reduce(0, +) / 8 }
        var parameters: GossipParameters
        let type: any GossipAlgorithm.Type
        if algorithm == "monna" {
            parameters = try MoNNA(momentum: 0.5, stepSize: 0.5).parameters(
                graph: graph, constants: RegularityConstants(strongConvexity: 1, smoothness: 1))
            type = MoNNA.self
        } else {
            parameters = try DSGD(stepSize: 0.5).parameters(graph: graph, constants: RegularityConstants(strongConvexity: 1, smoothness: 1))
            type = DSGD.self
        }
        parameters.robustness = robustness(byzantine)
        var programs: [any NodeProgram] = try (0..<10).map { node in
            byzantine.contains(node)
                ? ByzantineNode(node: node, nodes: 10, attack: ALittleIsEnough(tau: tau), byzantineCount: 2, seed: 7,
                                initial: start)
                : try type.node(node, graph: graph, parameters: parameters, learner: .objective(Quadratic(center: centers[node])),
                                initial: start)
        }
        simulate(&programs, try type.events(graph: graph, seed: 5, parameters: parameters), until: 200)
        return ((2..<10).map { programs[$0].model(at: 200) }, optimum)
    }

    private func worstDistance(_ models: [[Double]], _ point: [Double]) -> Double {
        models.map { zip($0, point).map { abs($0 - $1) }.max()! }.max()!
    }

    func testMoNNAsHonestNodesIgnoreFarByzantineVectorsThatMoveDSGD() throws {
        // ALIE with tau = 50 from 2 of 10 nodes: D-SGD's honest nodes settle away from the
        // honest optimum, MoNNA's next to it (each keeps the 6 of its 8 vectors nearest its
        // own, which the attack's are not).
        let monna = try attacked("monna", tau: 50)
        let dsgd = try attacked("dsgd", tau: 50)
        XCTAssertLessThan(worstDistance(monna.models, monna.optimum), 0.05)
        XCTAssertGreaterThan(worstDistance(dsgd.models, dsgd.optimum), 0.5)
    }

    func testAByzantineNodeBuildsItsVectorFromTheRoundsHonestMessages() {
        var node = ByzantineNode(node: 4, nodes: 6, attack: ALittleIsEnough(tau: 1), byzantineCount: 1, seed: 2,
                                 initial: [9, 9])
        XCTAssertEqual(node.message(at: 0.5, to: 0), [9, 9], "nothing heard yet: its own model")
        node.receive([1, 2], from: 1, at: 0.5)
        XCTAssertEqual(node.message(at: 0.5, to: 0), [9, 9], "ALIE needs two honest vectors")
        node.receive([3, 6], from: 0, at: 0.5)
        // mean (2, 4) + sample standard deviation (sqrt 2, sqrt 8), rounded through Float.
        let vector = node.message(at: 0.5, to: 2)
        XCTAssertEqual(vector[0], 2 + 2.0.squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(vector[1], 4 + 8.0.squareRoot(), accuracy: 1e-6)
        node.combine(at: 1)
        XCTAssertEqual(node.message(at: 1.5, to: 0), [9, 9], "a new round starts from nothing heard")

        var gaussian = ByzantineNode(node: 4, nodes: 6, attack: GaussianAttack(mean: 0, standardDeviation: 1),
                                     byzantineCount: 1, seed: 2, initial: [0, 0, 0])
        gaussian.receive([1, 1, 1], from: 0, at: 0.5)
        let toZero = gaussian.message(at: 0.5, to: 0)
        XCTAssertNotEqual(toZero, gaussian.message(at: 0.5, to: 1), "each neighbour its own draw")
        XCTAssertEqual(toZero, gaussian.message(at: 0.5, to: 0), "a draw keyed by round and recipient")
        gaussian.combine(at: 1)
        gaussian.receive([1, 1, 1], from: 0, at: 1.5)
        XCTAssertNotEqual(gaussian.message(at: 1.5, to: 0), toZero)
    }

    func testDSGDRoutesByzantineEdgesAsSendsAroundTheHonestExchanges() throws {
        // Path 0-1-2-3 with node 2 Byzantine: 1 -> 2 and 3 -> 2 first, the honest edge 0-1,
        // then 2 -> 1 and 2 -> 3. Without Byzantine nodes, one exchange per edge as before.
        let path = try Graph.path(4)
        var attacked = DSGD.rounds(graph: path, robustness: robustness([2]))
        let round = (0..<13).map { _ in attacked.next()! }
        let middle = round[4..<9].map { [$0.kind == .send ? 1 : 0, $0.first, $0.second] }
        XCTAssertEqual(middle, [[1, 1, 2], [1, 3, 2], [0, 0, 1], [1, 2, 1], [1, 2, 3]])
        var plain = DSGD.rounds(graph: path)
        XCTAssertEqual((0..<11).map { _ in plain.next()!.kind }.filter { $0 == .exchange }.count, 3)
    }

    /// Node 1 of the path 0-1-2 after one round with `mixing`: its own h_1 = 0 (a step
    /// of 1e-300 from 0), h_0 = (3, 4) and h_2 = (0.3, 0.4) from its neighbours.
    private func combined(_ mixing: RobustMixing) throws -> [Double] {
        let path = try Graph.path(3)
        var parameters = try DSGD(stepSize: 1e-300).parameters(graph: path, constants: RegularityConstants(strongConvexity: 1, smoothness: 1))
        parameters.robustness = GossipRobustness(mixing: mixing)
        var node = try DSGD.node(1, graph: path, parameters: parameters, learner: .objective(Quadratic(center: [0, 0])),
                                 initial: [0, 0])
        node.local(at: 0.25, event: 0)
        node.receive([3, 4], from: 0, at: 0.5)
        node.receive([0.3, 0.4], from: 2, at: 0.5)
        node.combine(at: 1)
        return node.model(at: 1)
    }

    func testRobustMixingReplacesAveragingInDSGD() throws {
        // W = 1/3 at node 1. Clipped gossip with tau 1: h_0 - h_1 = (3, 4) clips to
        // (0.6, 0.8), h_2 - h_1 = (0.3, 0.4) passes, so x_1 = (0.9, 1.2) / 3.
        let clipped = try combined(.clippedGossip(tau: 1))
        XCTAssertEqual(clipped[0], 0.3, accuracy: 1e-15)
        XCTAssertEqual(clipped[1], 0.4, accuracy: 1e-15)
        // The coordinate-wise median of (0, 0), (3, 4), (0.3, 0.4), in Float.
        let median = try combined(try RobustMixing(rule: "median", settings: []))
        XCTAssertEqual(median[0], 0.3, accuracy: 1e-7)
        XCTAssertEqual(median[1], 0.4, accuracy: 1e-7)

        let path = try Graph.path(3)
        var robustTracking = try DSGD(stepSize: 0.1, variant: .gradientTracking).parameters(
            graph: path, constants: RegularityConstants(strongConvexity: 1, smoothness: 1))
        robustTracking.robustness = GossipRobustness(mixing: .clippedGossip(tau: 1))
        XCTAssertThrowsError(try DSGD.node(0, graph: path, parameters: robustTracking, learner: .objective(Quadratic(center: [0])),
                                           initial: [0])) { error in
            XCTAssertEqual(error as? GossipError, .robustTracking)
        }
    }

    func testRobustMixingReadsItsRuleAndRefusesBadOnes() throws {
        let trimmed = try RobustMixing(rule: "trimmed_mean", settings: [("f", 2)])
        XCTAssertEqual(trimmed, .rule(RobustAggregatorDescription(rule: "trimmed_mean", parameters: ["f": 2])))
        XCTAssertEqual(trimmed.named.rule, "trimmed_mean")
        XCTAssertEqual(trimmed.named.settings.map(\.0), ["f"])
        let clipped = try RobustMixing(rule: "clipped_gossip", settings: [("tau", 0.5)])
        XCTAssertEqual(clipped, .clippedGossip(tau: 0.5))
        XCTAssertEqual(try RobustMixing(rule: clipped.named.rule, settings: clipped.named.settings), clipped)
        XCTAssertThrowsError(try RobustMixing(rule: "clipped_gossip", settings: [("tau", 0)]))
        XCTAssertThrowsError(try RobustMixing(rule: "clipped_gossip", settings: [("f", 1)]))
        XCTAssertThrowsError(try RobustMixing(rule: "no_such_rule", settings: []))
    }
}

final class SASRRWTests: XCTestCase {
    private let barbell = try! Graph.barbell(cliqueSize: 4)

    private func distance(_ walk: inout SelfRepellentWalk, hops: Int) -> Double {
        var visits = [Int](repeating: 0, count: walk.graph.nodes)
        for _ in 0..<hops { visits[walk.step()] += 1 }
        return visits.reduce(0) { $0 + abs(Double($1) / Double(hops) - 1 / Double(visits.count)) } / 2
    }

    func testWithAEqualToOneTheHistogramIsTheVisitsAverageWithTheTarget() throws {
        // gamma_{n+1} = 1 / (n + 2): x_n = (mu + sum_k delta_{X_k}) / (n + 1) exactly.
        var walk = try SelfRepellentWalk(graph: barbell, alpha: 3, a: 1, seed: 4)
        var visits = [Double](repeating: 0, count: 8)
        for _ in 0..<500 { visits[walk.step()] += 1 }
        for node in 0..<8 {
            XCTAssertEqual(walk.histogram[node], (1.0 / 8 + visits[node]) / 501, accuracy: 1e-12)
        }
        XCTAssertEqual(walk.histogram.reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertEqual(walk.hops, 500)
    }

    func testTheWalkIsAFunctionOfItsSeedAndMovesAlongEdges() throws {
        var one = try SelfRepellentWalk(graph: barbell, alpha: 5, a: 0.8, seed: 9)
        var two = try SelfRepellentWalk(graph: barbell, alpha: 5, a: 0.8, seed: 9)
        var other = try SelfRepellentWalk(graph: barbell, alpha: 5, a: 0.8, seed: 10)
        var previous = one.position
        var path: [Int] = []
        for _ in 0..<300 {
            let next = one.step()
            XCTAssertEqual(two.step(), next)
            XCTAssertTrue(next == previous || barbell.neighbors[previous].contains(next), "\(previous) -> \(next)")
            path.append(next)
            previous = next
        }
        XCTAssertNotEqual((0..<300).map { _ in other.step() }, path)
        // A huge repulsion is computed in log space: no NaN, still a valid move.
        var strong = try SelfRepellentWalk(graph: barbell, alpha: 1e5, a: 0.8, seed: 1)
        for _ in 0..<100 { strong.step() }
        XCTAssertTrue(strong.histogram.allSatisfy { $0.isFinite && $0 > 0 })
        XCTAssertThrowsError(try SelfRepellentWalk(graph: barbell, alpha: 1, a: 0.5, seed: 1))
        XCTAssertThrowsError(try SelfRepellentWalk(graph: barbell, alpha: -1, a: 0.8, seed: 1))
    }

    func testRepulsionSamplesTheTargetMoreEvenlyThanTheMetropolisWalk() throws {
        // Two cliques of 8 joined by one edge, a bottleneck for the plain walk.
        let graph = try Graph.barbell(cliqueSize: 8)
        var plain = try SelfRepellentWalk(graph: graph, alpha: 0, a: 0.8, seed: 3)
        var repelled = try SelfRepellentWalk(graph: graph, alpha: 5, a: 0.8, seed: 3)
        let plainDistance = distance(&plain, hops: 5_000)
        let repelledDistance = distance(&repelled, hops: 5_000)
        XCTAssertLessThan(repelledDistance, plainDistance / 2, "plain \(plainDistance), repelled \(repelledDistance)")
    }

    func testEventsMoveTheTokenThenStepAtItsNewNode() throws {
        var parameters = try SASRRW(stepSize: 1, stepTime: 2, linkLatency: 0.5, linkBandwidth: 80).parameters(
            graph: barbell, constants: RegularityConstants(strongConvexity: 1, smoothness: 1))
        parameters.modelWidth = 9
        var events = try SASRRW.events(graph: barbell, seed: 6, parameters: parameters)
        var walk = try SelfRepellentWalk(graph: barbell, alpha: 5, a: 0.8, seed: 6)
        var time = 0.0
        var index: UInt64 = 0
        for _ in 0..<200 {
            let from = walk.position
            let to = walk.step()
            if to != from {
                // 0.5 s of latency and (9 + 1) values of 8 bytes at 80 bytes/s.
                time += 1.5
                XCTAssertEqual(events.next(), GossipEvent(index: index, time: time, kind: .send, first: from, second: to))
                index += 1
            }
            time += 2
            XCTAssertEqual(events.next(), GossipEvent(index: index, time: time, kind: .local, first: to))
            index += 1
        }
        XCTAssertEqual(try SASRRW.tokenStart(graph: barbell, parameters: parameters),
                       try SelfRepellentWalk(graph: barbell, alpha: 5, a: 0.8, seed: parameters.seed).position)
    }

    func testTheTokenCarriesTheModelAndItsStepCount() throws {
        // f(x) = (1/2) ||x - c||^2 with gamma = 1 and b = 1: the step at count n is 1 / (n + 2).
        var parameters = try SASRRW(a: 0.75, b: 1, stepSize: 1).parameters(
            graph: barbell, constants: RegularityConstants(strongConvexity: 1, smoothness: 1))
        parameters.seed = 2
        let start = try XCTUnwrap(SASRRW.tokenStart(graph: barbell, parameters: parameters))
        let other = (start + 1) % 8
        var holder = try SASRRW.node(start, graph: barbell, parameters: parameters,
                                     learner: .objective(Quadratic(center: [4])), initial: [0])
        var next = try SASRRW.node(other, graph: barbell, parameters: parameters,
                                   learner: .objective(Quadratic(center: [10])), initial: [7])
        holder.local(at: 1, event: 0)
        XCTAssertEqual(holder.model(at: 1), [2], "0 - (1/2)(0 - 4)")
        next.local(at: 1, event: 1)
        XCTAssertEqual(next.model(at: 1), [7], "no token, no step")
        let token = holder.message(at: 2, to: other)
        XCTAssertEqual(token, [2, 1])
        next.receive(token[...], from: start, at: 2)
        next.local(at: 3, event: 2)
        XCTAssertEqual(next.model(at: 3)[0], 2 - (2 - 10) / 3.0, accuracy: 1e-15)
        holder.local(at: 3, event: 3)
        XCTAssertEqual(holder.model(at: 3), [2], "the token left")
    }
}
