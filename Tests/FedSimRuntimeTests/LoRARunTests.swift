import FedSimAlgorithms
import FedSimCore
@testable import FedSimRuntime
import FedSimWire
import Foundation
import XCTest

/// Federated runs of a LoRA model over the in-memory network.
final class LoRARunTests: XCTestCase {
    /// An MLP 4 -> 8 -> 3 on the blobs with rank-2 adapters on both dense layers.
    private func scenario(_ adapter: AdapterRule, rounds: Int = 4) -> Scenario {
        var scenario = blobScenario(clients: 8, perRound: 3, rounds: rounds)
        scenario.model = ModelSettings(kind: .mlp, hidden: [8], lora: LoRASettings(rank: 2, alpha: 4))
        scenario.server.adapter = adapter
        return scenario
    }

    /// The run's metrics lines, without their wall-clock fields.
    private func metrics(_ scenario: Scenario, workers: Int) throws -> [String] {
        try records(scenario, workers: workers).map(withoutWallFields)
    }

    private func records(_ scenario: Scenario, workers: Int) throws -> [String] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-lora-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = InMemoryRun()
        run.startWorkers(workers)
        _ = try run.coordinator(scenario, blobData(clients: 8), workers: workers,
                                folder: RunFolder(path: folder, scenario: scenario)).run()
        return try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map(String.init)
    }

    func testTheSpecWrapsTheDenseLayersAsTheAdapterRuleTrains() {
        let data = blobData(clients: 8)
        for adapter in AdapterRule.allCases {
            let spec = scenario(adapter).modelSpec(for: data)
            XCTAssertEqual(spec.layers.map(\.kindName), ["lora_dense", "relu", "lora_dense"])
            guard case .loraDense(let first) = spec.layers[0] else { return XCTFail("not an adapter") }
            XCTAssertEqual(first, LoRADense(inputs: 4, outputs: 8, rank: 2, alpha: 4, baseInitialization: .heNormal,
                                            trainsFactorA: adapter == .lora))
        }
        var onlyLast = scenario(.fedsvd)
        onlyLast.model.lora?.layers = [2]
        XCTAssertEqual(onlyLast.modelSpec(for: data).layers.map(\.kindName), ["dense", "relu", "lora_dense"])
    }

    func testAFedSVDRoundAveragesBThenRefactorizes() throws {
        let scenario = scenario(.fedsvd, rounds: 1)
        let data = blobData(clients: 8)
        let run = InMemoryRun()
        run.startWorkers(2)
        let coordinator = try run.coordinator(scenario, data, workers: 2)
        _ = try coordinator.run()

        // The same round by hand: clients train B with A frozen at its draw, the server
        // averages B by sample counts, then re-factorizes every adapter.
        let (model, start) = try Sequential.initialized(scenario.modelSpec(for: data), seed: scenario.seed)
        XCTAssert(start.allSatisfy { $0 == 0 }, "B starts at zero")
        var schedule = try scenario.makeServer(data: data, sizes: TransferSizes(parameterCount: start.count))
        var selected: [Int] = []
        while let action = schedule.next() {
            if case let .aggregate(step) = action { selected = step.contributions.map(\.job.client) }
        }
        let trainer = LocalTrainer(model: model)
        var average = [Double](repeating: 0, count: start.count)
        let total = Double(selected.reduce(0) { $0 + data.clients[$1].count })
        for client in selected {
            var stream = RandomStream(seed: scenario.seed, purpose: .batches, client: client, counter: 1)
            let result = trainer.train(from: start, data: data.clients[client], settings: scenario.training, rng: &stream)
            for index in average.indices {
                average[index] += Double(data.clients[client].count) / total * Double(result.delta[index])
            }
        }
        var expected = average.map { Float($0) }
        var factors = model.adapterFactors
        try FedSVD.refactorize(parameters: &expected, adapterFactors: &factors, adapters: model.adapters)
        XCTAssertEqual(selected.count, 3)
        for (actual, wanted) in zip(coordinator.globalParameters, expected) {
            XCTAssertEqual(actual, wanted, accuracy: 1e-4)
        }
    }

    func testMetricsDoNotDependOnTheNumberOfWorkers() throws {
        for adapter in AdapterRule.allCases {
            let one = try metrics(scenario(adapter), workers: 1)
            XCTAssertEqual(one.count, 4)
            XCTAssertEqual(try metrics(scenario(adapter), workers: 3), one, "\(adapter)")
        }
    }

    func testFineTuningFromAPlainBaseKeepsItsWeightsBitForBit() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-lora-base-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let data = blobData(clients: 8)
        var pretraining = blobScenario(clients: 8, perRound: 3, rounds: 3)
        pretraining.model = ModelSettings(kind: .mlp, hidden: [8])
        let first = InMemoryRun()
        first.startWorkers(2)
        _ = try first.coordinator(pretraining, data, workers: 2,
                                  folder: RunFolder(path: folder + "/base", scenario: pretraining)).run()
        let base = try ModelFile(path: folder + "/base/model.safetensors")
        let baseTensors = base.model.tensors(trainableParameters: base.trainableParameters)

        for adapter in AdapterRule.allCases {
            var fineTuning = scenario(adapter, rounds: 3)
            fineTuning.model.base = folder + "/base/model.safetensors"
            let start = try fineTuning.startingModel(for: data)
            XCTAssertEqual(start.model.evaluate(parameters: start.trainableParameters, on: data.test),
                           base.model.evaluate(parameters: base.trainableParameters, on: data.test),
                           "the adapters start at zero: the base's predictions")
            let run = InMemoryRun()
            run.startWorkers(2)
            _ = try run.coordinator(fineTuning, data, workers: 2,
                                    folder: RunFolder(path: folder + "/\(adapter)", scenario: fineTuning)).run()
            let tuned = try ModelFile(path: folder + "/\(adapter)/model.safetensors")
            let tensors = Dictionary(uniqueKeysWithValues: tuned.model.tensors(trainableParameters: tuned.trainableParameters)
                .map { ($0.name, $0) })
            for tensor in baseTensors {
                XCTAssertEqual(tensors[tensor.name]?.values.map(\.bitPattern), tensor.values.map(\.bitPattern),
                               "\(adapter): \(tensor.name)")
            }
            XCTAssertNotEqual(tensors["layers.0.lora_B"]?.values.allSatisfy { $0 == 0 }, true, "\(adapter): B trained")
            guard adapter == .fedsvd, let a = tensors["layers.2.lora_A"] else { continue }
            // After FedSVD's last refactorization, A's rows are orthonormal.
            let matrix = try Matrix(rows: 2, columns: 8, values: a.values)
            var gram = Matrix(rows: 2, columns: 2)
            try BLAS.gemm(matrix, matrix, transposeB: true, into: &gram)
            for (value, identity) in zip(gram.values, Matrix.identity(2).values) {
                XCTAssertEqual(value, identity, accuracy: 1e-5)
            }
        }
    }

    func testClientLevelDPClipsAndNoisesTheTrainedFactors() throws {
        // DP-FedAvg at the server clips and noises the trained factors (here B and the
        // refactorized run's Bs): the noise changes the run, the same way whatever the
        // number of workers.
        var scenario = scenario(.fedsvd, rounds: 3)
        scenario.server.strategy = FedAvg(clientsPerRound: 3, weighting: .uniform)
        scenario.privacy = PrivacySettings(mode: .client, clipNorm: 1e-3, noiseMultiplier: 1e-6)
        let quiet = try metrics(scenario, workers: 2)
        scenario.privacy?.noiseMultiplier = 1
        let noisy = try metrics(scenario, workers: 2)
        XCTAssertEqual(quiet.count, 3)
        XCTAssertNotEqual(quiet, noisy)
        XCTAssertEqual(try metrics(scenario, workers: 1), noisy, "the noise is the same with any number of workers")
    }

    func testOnlyTheTrainedFactorsGoUpAndFedSVDsAGoesDown() throws {
        // Per update, the upload is the trained factors as packed float32 plus a few bytes
        // of framing (field tags and length varints): LoRA sends A and B, FFA-LoRA and
        // FedSVD B alone.
        // Trainable: A 2x4 + B 8x2 and A 2x8 + B 3x2 for LoRA; the Bs alone otherwise.
        func perUpdate(_ adapter: AdapterRule) throws -> (up: Int, down: Int) {
            let line = try records(scenario(adapter, rounds: 1), workers: 1)[0]
            let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return (try XCTUnwrap(record["bytes_up"] as? Int) / 3, try XCTUnwrap(record["bytes_down"] as? Int) / 3)
        }
        let (lora, ffa, fedsvd) = (try perUpdate(.lora), try perUpdate(.ffaLora), try perUpdate(.fedsvd))
        XCTAssert((4 * (8 + 16)...(4 * (8 + 16) + 8)).contains(lora.up - ffa.up), "\(lora.up - ffa.up)")
        XCTAssertEqual(fedsvd.up, ffa.up)
        XCTAssertGreaterThanOrEqual(ffa.up, 4 * (16 + 6))
        XCTAssertLessThan(ffa.up, 4 * (16 + 6) + 32)
        // FedSVD's model carries the re-set A factors (2x4 and 2x8) with B.
        XCTAssert((4 * (8 + 16)...(4 * (8 + 16) + 8)).contains(fedsvd.down - ffa.down), "\(fedsvd.down - ffa.down)")
    }
}
