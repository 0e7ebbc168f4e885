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

    private func records(_ scenario: Scenario, workers: Int) throws -> (GossipSummary, [GossipRecord]) {
        let run = InMemoryRun()
        run.startWorkers(workers)
        var options = CoordinatorOptions(workers: workers)
        options.silenceTimeout = 30
        options.log = { run.log($0) }
        var records: [GossipRecord] = []
        options.gossipProgress = { records.append($0) }
        let summary = try GossipCoordinator(scenario: scenario, data: blobData(clients: scenario.partition.clients),
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
        var assigned = false
        while !assigned {
            if case .assign = try rogue.receive(timeoutMilliseconds: 5000) { assigned = true }
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
        XCTAssertEqual(reason, "Assign rejected: unknown gossip algorithm 'push_sum'; this worker knows dadao, dsgd")
        try network.send(.stop(reason: "done"), to: peer)
    }
}
