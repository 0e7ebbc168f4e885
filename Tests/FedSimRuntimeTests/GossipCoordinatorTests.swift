import FedSimAlgorithms
import FedSimCore
@testable import FedSimRuntime
import FedSimWire
import Foundation
import XCTest

/// Decentralized runs over the in-memory network: worker threads exchanging the nodes'
/// messages through it.
final class GossipCoordinatorTests: XCTestCase {
    /// Softmax regression on the blobs, one node per client on a ring.
    private func scenario(_ algorithm: any GossipAlgorithm, nodes: Int = 6, budget: Double = 12) -> Scenario {
        var scenario = blobScenario(clients: nodes, perRound: 1, rounds: 1)
        scenario.model = ModelSettings(kind: .softmax, l2: 0.1)
        scenario.decentralized = DecentralizedSettings(algorithm: algorithm, topology: .ring(nodes: nodes),
                                                       timeBudget: budget, evaluationInterval: 3)
        return scenario
    }

    private func records(_ scenario: Scenario, workers: Int, data: FederatedDataset? = nil) throws
        -> (GossipSummary, [GossipRecord]) {
        let run = InMemoryRun()
        run.startWorkers(workers)
        var options = CoordinatorOptions(workers: workers)
        options.silenceTimeout = 30
        options.log = { run.log($0) }
        var records: [GossipRecord] = []
        options.gossipProgress = { records.append($0) }
        let summary = try GossipCoordinator(scenario: scenario, data: data ?? blobData(clients: scenario.partition.clients),
                                            transport: run.network, folder: nil, options: options).run()
        return (summary, records)
    }

    /// A record with its wall time zeroed, to compare runs.
    private func timeless(_ record: GossipRecord) -> GossipRecord {
        var record = record
        record.wallSeconds = 0
        return record
    }

    func testRecordsAreTheSameWithOneTwoOrFourWorkers() throws {
        for algorithm in [DADAO() as any GossipAlgorithm, DSGD(variant: .gradientTracking)] {
            let (summary, one) = try records(scenario(algorithm), workers: 1)
            XCTAssertEqual(one.map(\.time), [0, 3, 6, 9, 12])
            XCTAssertLessThan(one.last!.distanceToOptimum!, one.first!.distanceToOptimum!, "\(algorithm)")
            XCTAssertEqual(summary.final.bytes, summary.final.communications * 2 * 8 * (algorithm is DSGD ? 30 : 15))
            for workers in [2, 4] {
                let (_, other) = try records(scenario(algorithm), workers: workers)
                XCTAssertEqual(other.map(timeless), one.map(timeless), "\(algorithm) with \(workers) workers")
            }
        }
    }

    func testMoNNAWithByzantineNodesAndATokenWalkGiveTheSameRecordsWithOneTwoOrFourWorkers() throws {
        var attacked = scenario(MoNNA(momentum: 0.5), nodes: 8)
        attacked.decentralized?.topology = .complete(nodes: 8)
        attacked.attack = AttackSettings(kind: .gaussian, clients: [2, 5], standardDeviation: 3)
        var walk = scenario(SASRRW(alpha: 5, linkLatency: 0.25), nodes: 8, budget: 30)
        walk.decentralized?.evaluationInterval = 10
        for scenario in [attacked, walk] {
            let (summary, one) = try records(scenario, workers: 1)
            for workers in [2, 4] {
                let (_, other) = try records(scenario, workers: workers)
                XCTAssertEqual(other.map(timeless), one.map(timeless), "\(scenario.decentralized!.algorithmName), \(workers) workers")
            }
            XCTAssertLessThan(one.last!.distanceToOptimum!, one.first!.distanceToOptimum!)
            if scenario.attack != nil {
                XCTAssertEqual(summary.final.byzantineNodes, 2)
                XCTAssertNil(summary.final.walk)
            } else {
                // Each hop takes 1 s of step and, when the token moves, 0.25 s of latency.
                let walk = try XCTUnwrap(summary.final.walk)
                XCTAssertEqual(Double(walk.hops) + 0.25 * Double(summary.final.communications), 30, accuracy: 1.25)
                XCTAssertEqual(summary.final.bytes, summary.final.communications * 8 * (summary.parameters + 1))
                XCTAssertEqual(summary.final.consensusDistance, 0)
            }
        }
    }

    func testDSGDNetworkNodesTakeTheirLocalStepsEachRound() throws {
        // An mlp's node trains as `training` says. Each node holds 24 rows, so batches of 8
        // make an epoch 3 steps: local_steps 3 is one epoch bit for bit, and 5 steps a
        // round count 5 gradients per node, whatever the number of workers.
        func network(_ work: LocalWork) -> Scenario {
            var scenario = scenario(DSGD())
            scenario.model = ModelSettings(kind: .mlp, hidden: [5])
            scenario.training.work = work
            return scenario
        }
        let (_, epoch) = try records(network(.epochs(1)), workers: 1)
        let (_, three) = try records(network(.steps(3)), workers: 2)
        XCTAssertEqual(three.map(timeless), epoch.map(timeless))
        let (_, five) = try records(network(.steps(5)), workers: 1)
        XCTAssertEqual(five.map(\.time), [0, 3, 6, 9, 12])
        XCTAssertEqual(five.map(\.gradients), five.map { 6 * 5 * Int($0.time) }, "6 nodes, 5 steps a round")
        XCTAssertNotEqual(five.last?.trainLoss, epoch.last?.trainLoss)
        let (_, fiveOnTwo) = try records(network(.steps(5)), workers: 2)
        XCTAssertEqual(fiveOnTwo.map(timeless), five.map(timeless))
    }

    /// A least-squares scenario over 8 nodes on a ring: the digits' labels as targets.
    private func leastSquares(_ algorithm: String, model: String) throws -> (Scenario, FederatedDataset) {
        let scenario = try ScenarioLoader.parse("""
            name: digits-regression
            seed: 3
            data:
              source: csv
              path: ../data/digits.csv
              normalize: standard
            partition:
              scheme: iid
              clients: 8
            model:
            \(model)
            decentralized:
              algorithm: \(algorithm)
              topology: {kind: ring, nodes: 8}
              time_budget: 40
              evaluation_interval: 10

            """, file: "digits-regression.yaml", baseDirectory: ScenarioLoaderTests.scenarios.path)
        return (scenario, try Simulation.prepareData(scenario))
    }

    func testLeastSquaresWithoutARidgeNeedsRowsOfFullRank() throws {
        // The digits' first pixel is blank in every image: X^T X is singular at every node
        // and over the pooled rows, so least squares has no unique minimizer without a ridge.
        for algorithm in ["dadao", "dsgd"] {
            let (scenario, data) = try leastSquares(algorithm, model: "  kind: least_squares")
            XCTAssertThrowsError(try GossipCoordinator(scenario: scenario, data: data, transport: InMemoryNetwork(),
                                                       folder: nil, options: CoordinatorOptions(workers: 1))) { error in
                let text = "\(error)"
                XCTAssert(text.hasPrefix(algorithm == "dadao" ? "node 0: " : "the pooled objective over every node's training rows: "), text)
                XCTAssert(text.hasSuffix("set model.l2 to add a ridge (mu/2) ||x||^2, which makes it strongly convex"), text)
            }
        }
        // A ridge makes it strongly convex, with mu its own weight along the blank pixel;
        // the nodes then near the pooled minimizer.
        let (scenario, data) = try leastSquares("dadao", model: "  kind: least_squares\n  l2: 1")
        XCTAssertEqual(data.test.targets?.count, data.test.count)
        let (summary, records) = try records(scenario, workers: 2, data: data)
        XCTAssertEqual(records.map(\.time), [0, 10, 20, 30, 40])
        let distances = records.compactMap(\.relativeDistanceToOptimum)
        XCTAssertEqual(distances.count, 5)
        XCTAssertEqual(distances, distances.sorted(by: >))
        XCTAssertLessThan(distances[4], 0.5 * distances[0])
        XCTAssertNil(summary.final.testAccuracy)
        XCTAssertEqual(try XCTUnwrap(summary.constants).strongConvexity, 1, accuracy: 1e-9)
    }

    func testStatesThatAnswerNoSnapshotFailTheRunNamingTheWorker() throws {
        let run = InMemoryRun()
        run.startWorkers(1)
        let rogue = run.network.connectWorker()
        try rogue.send(.hello(Hello(workerName: "rogue")))
        let coordinator = Thread {
            var options = CoordinatorOptions(workers: 2)
            options.log = { run.log($0) }
            do {
                _ = try GossipCoordinator(scenario: self.scenario(DADAO()), data: blobData(clients: 6),
                                          transport: run.network, folder: nil, options: options).run()
                run.log("finished")
            } catch {
                run.log("failed: \(error)")
            }
        }
        coordinator.start()
        var started = false
        while !started {
            switch try rogue.receive(timeoutMilliseconds: 5000) {
            case .assign?: try rogue.send(.ready(clients: 3))
            case .events?: started = true
            default: continue
            }
        }
        try rogue.send(.nodeStates(NodeStates(time: 99, nodes: [1, 3, 5], width: 15, values: Array(repeating: 0, count: 45))))
        let deadline = Date(timeIntervalSinceNow: 10)
        while Date() < deadline, !run.logs.contains(where: { $0.hasPrefix("failed") || $0 == "finished" }) {
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTAssert(run.logs.contains("failed: rogue sent NodeStates that answer no snapshot: no snapshot at time 99.0 is pending"),
                  "\(run.logs)")
    }

    func testAWorkerRefusesAnAssignItCannotHost() throws {
        let network = InMemoryNetwork()
        let endpoint = network.connectWorker()
        let worker = Thread {
            _ = try? Worker(transport: endpoint, name: "w", log: { _ in }).run()
        }
        worker.start()
        guard case let .message(.hello, peer)? = try network.receive(timeoutMilliseconds: 5000) else {
            return XCTFail("no Hello")
        }
        let assignment = DecentralizedAssignment(
            algorithm: "push_sum", settings: [], graph: try Graph.ring(3), hosts: [0, 0, 0], peers: ["inmemory://w"],
            objective: "logistic", regularization: 1, totalRows: 3)
        try network.send(.assign(Assign(workerIndex: 0, seed: 1, model: .softmaxRegression(inputDim: 4, classes: 3),
                                        clients: [], decentralized: assignment)), to: peer)
        var reason: String?
        while reason == nil, let inbound = try network.receive(timeoutMilliseconds: 5000) {
            if case let .message(.refused(text), _) = inbound { reason = text }
        }
        XCTAssertEqual(reason, "Assign rejected: unknown gossip algorithm 'push_sum'; this worker knows dadao, dsgd, monna, sa_srrw")
        try network.send(.stop(reason: "done"), to: peer)
    }
}
