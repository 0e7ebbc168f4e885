import FedSimAlgorithms
import FedSimCore
@testable import FedSimRuntime
import Foundation
import XCTest

/// What a FedAvg run records: the global model on every client's training rows
/// (`evaluation.global_train_every`), stragglers' partial work, empty rounds, draws.
final class GlobalTrainingMetricsTests: XCTestCase {
    /// `scenario` run on `workers` in-memory workers into a fresh folder: the run, its
    /// coordinator, its summary and its metrics records.
    private func recordedRun(_ scenario: Scenario, _ data: FederatedDataset, workers: Int) throws
        -> (run: InMemoryRun, coordinator: Coordinator, summary: RunSummary, records: [[String: Any]]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-records-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = InMemoryRun()
        run.startWorkers(workers)
        let coordinator = try run.coordinator(scenario, data, workers: workers, folder: RunFolder(path: folder, scenario: scenario))
        let summary = try coordinator.run()
        let records = try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        return (run, coordinator, summary, records)
    }

    func testTheGlobalTrainingLossIsTheModelsLossOverAllClientsRows() throws {
        var data = blobData(clients: 5)
        data.clients[2] = data.clients[2].subset(Array(0..<7))
        var scenario = blobScenario(clients: 5, perRound: 2, rounds: 5)
        scenario.evaluation = EvaluationSettings(every: 1, globalTrainEvery: 2)
        XCTAssert(scenario.asksClientLosses)
        var records: [[[String: Any]]] = []
        var finals: [[Float]] = []
        for workers in [1, 2] {
            let recorded = try recordedRun(scenario, data, workers: workers)
            finals.append(recorded.coordinator.globalParameters)
            records.append(recorded.records)
        }
        XCTAssertEqual(records[0].map { $0["global_train_loss"] as? Double }, records[1].map { $0["global_train_loss"] as? Double })
        // Steps 2 and 4, and the last, 5.
        XCTAssertEqual(records[0].map { $0["global_train_loss"] != nil }, [false, true, false, true, true])

        // The last step's values, computed directly: every row of every client counts once.
        let model = try Sequential(scenario.modelSpec(for: data))
        let pooled = Dataset(features: data.clients.flatMap(\.features), labels: data.clients.flatMap(\.labels),
                             featureCount: 4, classCount: 3)
        let expected = model.evaluate(parameters: finals[0], on: pooled)
        XCTAssertEqual(try XCTUnwrap(records[0].last?["global_train_loss"] as? Double), expected.meanLoss, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(records[0].last?["global_train_accuracy"] as? Double), expected.accuracy, accuracy: 1e-12)
        XCTAssertNil(records[0].first?["global_train_accuracy"])
    }

    func testStragglersPartialWorkShowsInTheRecordsAndDoesNotDependOnTheWorkers() throws {
        let data = blobData(clients: 6)
        var scenario = blobScenario(clients: 6, perRound: 4, rounds: 3)
        scenario.server.strategy = FedAvg(clientsPerRound: 4, stragglers: 0.5, stragglerWork: .partial)
        let records = try [1, 3].map { try recordedRun(scenario, data, workers: $0).records }
        // 2 epochs of ceil(24 / 8) = 3 steps: 6 for a full update, 3 (one epoch, 1 + floor(u)) for a straggler.
        for record in records[0] {
            let steps = try XCTUnwrap(record["local_steps"] as? [Int])
            XCTAssertEqual(steps.sorted(), [3, 3, 6, 6], "\(record)")
            XCTAssertEqual((record["client_ids"] as? [Int])?.count, 4)
        }
        XCTAssertEqual(records[0].map { $0["local_steps"] as? [Int] }, records[1].map { $0["local_steps"] as? [Int] })
        XCTAssertEqual(records[0].map { $0["train_loss"] as? Double }, records[1].map { $0["train_loss"] as? Double })
    }

    func testTheFieldLoadsAndWritesBack() throws {
        let yaml = """
            name: t
            data: {source: synthetic, features: 4, classes: 3, max_samples_per_client: 60}
            partition: {clients: 4}
            model: {kind: softmax}
            training: {learning_rate: 0.1}
            server: {rounds: 2, clients_per_round: 2}
            evaluation: {every: 2, global_train_every: 3}

            """
        let scenario = try ScenarioLoader.parse(yaml, file: "t.yaml", baseDirectory: "/")
        XCTAssertEqual(scenario.evaluation, EvaluationSettings(every: 2, globalTrainEvery: 3))
        XCTAssertEqual(try ScenarioLoader.parse(scenario.resolvedYAML, file: "r.yaml", baseDirectory: "/"), scenario)
        XCTAssertThrowsError(try ScenarioLoader.parse(yaml.replacingOccurrences(of: "global_train_every: 3",
                                                                                with: "global_train_every: 0"),
                                                      file: "t.yaml", baseDirectory: "/"))
    }

    func testARoundNoUpdateCameBackInIsRecordedEmptyAndCounts() throws {
        let data = blobData(clients: 6)
        var scenario = blobScenario(clients: 6, perRound: 2, rounds: 12)
        scenario.server.strategy = FedAvg(clientsPerRound: 2, deadline: 1.5)
        scenario.system.compute = .trace([1, 2, 5, 5, 5, 5])
        let (run, _, summary, records) = try recordedRun(scenario, data, workers: 2)
        XCTAssertEqual(summary.steps, 12)
        XCTAssertEqual(records.map { $0["round"] as? Int }, (1...12).map { $0 })
        let empty = records.filter { $0["empty"] as? Bool == true }
        XCTAssertFalse(empty.isEmpty)
        for record in records {
            let isEmpty = record["empty"] as? Bool == true
            XCTAssertEqual(record["clients"] as? Int, isEmpty ? 0 : 1)
            XCTAssertEqual(record["train_loss"] is NSNull, isEmpty)
            XCTAssertNotNil(record["test_accuracy"] as? Double, "evaluated every round, empty or not")
        }
        XCTAssertEqual(summary.clientUpdates, 12 - empty.count)
        XCTAssert(run.logs.contains { $0.contains("no update came back before the deadline; recorded as an empty round") },
                  "\(run.logs)")
    }

    func testProportionalSamplingRecordsEachClientsDrawsWhateverTheWorkers() throws {
        let data = blobData(clients: 6)
        var scenario = blobScenario(clients: 6, perRound: 4, rounds: 6)
        scenario.server.strategy = FedAvg(clientsPerRound: 4, weighting: .uniform, sampling: .proportional)
        let records = try [1, 3].map { try recordedRun(scenario, data, workers: $0).records }
        for key in ["client_ids", "client_draws", "train_loss", "test_loss"] {
            XCTAssertEqual(records[0].map { "\($0[key] ?? "-")" }, records[1].map { "\($0[key] ?? "-")" }, key)
        }
        for record in records[0] {
            let draws = try XCTUnwrap(record["client_draws"] as? [Int])
            XCTAssertEqual(draws.reduce(0, +), 4)
            XCTAssertEqual((record["client_ids"] as? [Int])?.count, draws.count)
            XCTAssertEqual(record["clients"] as? Int, draws.count)
        }
    }
}
