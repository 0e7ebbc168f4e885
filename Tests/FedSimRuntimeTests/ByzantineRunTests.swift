import FedSimAlgorithms
import FedSimCore
@testable import FedSimRuntime
import FedSimWire
import Foundation
import XCTest

/// Attacks, robust rules and hostile updates inside a coordinator's run.
final class ByzantineRunTests: XCTestCase {
    /// Runs `scenario` on two in-memory workers; returns the coordinator and its records.
    private func run(_ scenario: Scenario, _ data: FederatedDataset) throws -> (Coordinator, [[String: Any]]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-byz-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = InMemoryRun()
        run.startWorkers(2)
        let coordinator = try run.coordinator(scenario, data, workers: 2, folder: RunFolder(path: folder, scenario: scenario))
        _ = try coordinator.run()
        let records = try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        return (coordinator, records)
    }

    private func initialParameters(_ scenario: Scenario) throws -> [Float] {
        try Sequential.initialized(.softmaxRegression(inputDim: 4, classes: 3), seed: scenario.seed).trainableParameters
    }

    func testARunWhoseModelNeverMovesOrWhoseUpdatesAreAllRejectedSaysSo() throws {
        var scenario = blobScenario(clients: 2, perRound: 2, rounds: 2)
        scenario.attack = AttackSettings(kind: .signFlip, clients: [1])
        scenario.aggregator = RobustAggregatorDescription(rule: "average")
        let run = InMemoryRun()
        run.startWorkers(2)
        var options = CoordinatorOptions(workers: 2)
        var warnings: [String] = []
        options.log = { _ in }
        options.warn = { warnings.append($0) }
        let summary = try Coordinator(scenario: scenario, data: blobData(clients: 2), transport: run.network, folder: nil,
                                      options: options).run()
        XCTAssert(summary.modelUnchanged)
        XCTAssertFalse(summary.diverged)
        XCTAssertEqual(summary.json.description.contains("\"model_unchanged\":true"), true, summary.json.description)
        XCTAssertEqual(warnings, ["the run completed but its global model never moved from where it started: every step's "
                                  + "updates were rejected or cancelled out (summary.json: model_unchanged)"])

        let plain = try InMemoryRun().coordinatorSummary(blobScenario(clients: 2, perRound: 2, rounds: 2), blobData(clients: 2))
        XCTAssertFalse(plain.modelUnchanged)
        XCTAssertFalse(plain.json.description.contains("model_unchanged"))
    }

    func testASignFlipperCancelsItsHonestPeerUnderTheAverage() throws {
        // Two clients, both every round; client 1 sends -Delta_0, so the plain mean of
        // the two updates is 0 and the model never moves.
        var scenario = blobScenario(clients: 2, perRound: 2, rounds: 3)
        scenario.attack = AttackSettings(kind: .signFlip, clients: [1])
        scenario.aggregator = RobustAggregatorDescription(rule: "average")
        let (coordinator, records) = try run(scenario, blobData(clients: 2))
        XCTAssertEqual(coordinator.globalParameters, try initialParameters(scenario))
        XCTAssertEqual(records.map { $0["byzantine"] as? Int }, [1, 1, 1])
        XCTAssertEqual(records.map { $0["rejected"] as? Int }, [0, 0, 0])
        XCTAssertEqual(records.first?["robust"] as? String, "average: 2 inputs")
        // The aggregate (0) is as far from the honest mean as the honest update is long.
        XCTAssertGreaterThan(records.first?["honest_distance"] as? Double ?? 0, 0.01)
    }

    func testKrumKeepsAnHonestUpdateAndSaysWhich() throws {
        // Krum with f = 1 among 4 updates keeps one honest update and says which.
        var scenario = blobScenario(clients: 4, perRound: 4, rounds: 4)
        scenario.attack = AttackSettings(kind: .gaussian, clients: [2], mean: 0, standardDeviation: 100)
        scenario.aggregator = RobustAggregatorDescription(rule: "krum", parameters: ["f": 1])
        let (_, records) = try run(scenario, blobData(clients: 4))
        for record in records {
            let selected = try XCTUnwrap(record["selected_clients"] as? [Int])
            XCTAssertEqual(selected.count, 1)
            XCTAssertNotEqual(selected, [2], "Krum kept the Gaussian attacker")
        }
    }

    func testLabelFlippersTrainOnFlippedLabels() throws {
        let data = blobData(clients: 3)
        var flipped = data
        flipped.clients[1] = LabelFlip.flipped(data.clients[1])
        var attacked = blobScenario(clients: 3, perRound: 3, rounds: 3)
        attacked.attack = AttackSettings(kind: .labelFlip, clients: [1])
        let (viaAttack, records) = try run(attacked, data)
        let (viaData, _) = try run(blobScenario(clients: 3, perRound: 3, rounds: 3), flipped)
        XCTAssertEqual(viaAttack.globalParameters, viaData.globalParameters)
        XCTAssertEqual(records.map { $0["byzantine"] as? Int }, [1, 1, 1])
    }

    func testANonFiniteUpdateIsRejectedAndCounted() throws {
        // One client, hosted by a worker that answers every task with NaN: each step
        // rejects its only update, so the model stays where it started.
        let scenario = blobScenario(clients: 1, perRound: 1, rounds: 2)
        let data = blobData(clients: 1)
        let run = InMemoryRun()
        let liar = run.network.connectWorker()
        try liar.send(.hello(Hello(workerName: "nan")))
        Thread {
            while let message = try? liar.receive(timeoutMilliseconds: 3000) {
                if case let .assign(assign) = message { try? liar.send(.ready(clients: assign.clients.count)) }
                if case let .task(task) = message {
                    try? liar.send(.update(ClientUpdate(
                        clientID: task.clientID, modelVersion: task.modelVersion, jobNumber: task.jobNumber,
                        delta: [Float](repeating: .nan, count: 15), sampleCount: data.clients[0].count, trainLoss: .nan,
                        steps: 1, wallComputeSeconds: 0)))
                }
                if case .stop = message { return }
            }
        }.start()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-nan-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let coordinator = try run.coordinator(scenario, data, workers: 1, folder: RunFolder(path: folder, scenario: scenario))
        _ = try coordinator.run()
        XCTAssertEqual(coordinator.globalParameters, try initialParameters(scenario))
        let metrics = try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8)
        XCTAssertEqual(metrics.components(separatedBy: "\"rejected\":1").count - 1, 2, metrics)
        XCTAssert(run.logs.contains("step 2: rejected 1 updates holding NaN or infinity"), "\(run.logs)")
    }

    func testAnInfiniteAttackIsRejectedLikeAnyOtherUpdate() throws {
        // A Gaussian attacker with sigma 1e39, beyond Float: its vector is infinite, so
        // it is dropped and the step is the honest client's update alone.
        var scenario = blobScenario(clients: 2, perRound: 2, rounds: 2)
        scenario.attack = AttackSettings(kind: .gaussian, clients: [1], standardDeviation: 1e39)
        scenario.aggregator = RobustAggregatorDescription(rule: "average")
        let (coordinator, records) = try run(scenario, blobData(clients: 2))
        XCTAssertEqual(records.map { $0["rejected"] as? Int }, [1, 1])
        XCTAssertEqual(records.map { $0["robust"] as? String }, ["average: 1 inputs", "average: 1 inputs"])
        XCTAssert(coordinator.globalParameters.allSatisfy(\.isFinite))
    }

    func testADivergingModelIsReportedOnce() throws {
        // A server learning rate of 1e300, infinite as a Float, throws the model out of range.
        var scenario = blobScenario(clients: 2, perRound: 2, rounds: 3)
        scenario.server.learningRate = 1e300
        let run = InMemoryRun()
        run.startWorkers(1)
        var options = CoordinatorOptions(workers: 1)
        var warnings: [String] = []
        options.warn = { warnings.append($0) }
        _ = try Coordinator(scenario: scenario, data: blobData(clients: 2), transport: run.network, folder: nil,
                            options: options).run()
        XCTAssertEqual(warnings, ["the global model holds NaN or infinity from step 1 on: training diverged",
                                  "step 2: every update (2) held NaN or infinity and was rejected, so the model did not "
                                  + "move (said once; the log has later steps)"])
    }
}
