import FedSimAlgorithms
import FedSimCore
@testable import FedSimRuntime
import Foundation
import XCTest

/// Runs that start from a model file (`model.base`) and the model file every server run
/// writes (`model.safetensors`).
final class BaseModelTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        BLAS.useSingleThread()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-base-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `scenario` on `workers` in-memory workers, writing the run folder `name` in
    /// the test's directory, and returns the coordinator.
    @discardableResult
    private func run(_ scenario: Scenario, _ data: FederatedDataset, folder name: String, workers: Int = 2,
                     start: (model: Sequential, trainableParameters: [Float])? = nil) throws -> Coordinator {
        let run = InMemoryRun()
        run.startWorkers(workers)
        var options = CoordinatorOptions(workers: workers)
        options.log = { _ in }
        let coordinator = try Coordinator(scenario: scenario, data: data, transport: run.network,
                                          folder: RunFolder(path: directory + "/" + name, scenario: scenario),
                                          options: options, start: start)
        _ = try coordinator.run()
        return coordinator
    }

    /// Values that no seed gives: -1.5, -1.4, ... cycling over 3.
    private func distinctValues(_ count: Int) -> [Float] {
        (0..<count).map { Float($0 % 30) / 10 - 1.5 }
    }

    /// The global model after one FedAvg round in which every client of `data` trains
    /// from `start` with the frozen values of `model`, computed directly.
    private func oneRound(from start: [Float], model: Sequential, _ scenario: Scenario, _ data: FederatedDataset) -> [Double] {
        let trainer = LocalTrainer(model: model)
        var expected = start.map(Double.init)
        let total = Double(data.clients.reduce(0) { $0 + $1.count })
        for (client, shard) in data.clients.enumerated() {
            var stream = RandomStream(seed: scenario.seed, purpose: .batches, client: client, counter: 1)
            let result = trainer.train(from: start, data: shard, settings: scenario.training, rng: &stream)
            for index in expected.indices { expected[index] += Double(shard.count) / total * Double(result.delta[index]) }
        }
        return expected
    }

    private func assertClose(_ actual: [Float], _ expected: [Double], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (value, wanted) in zip(actual, expected) {
            XCTAssertEqual(Double(value), wanted, accuracy: 1e-5, file: file, line: line)
        }
    }

    func testARunWritesItsFinalGlobalModel() throws {
        let data = blobData(clients: 4)
        var scenario = blobScenario(clients: 4, perRound: 2, rounds: 3)
        scenario.model = ModelSettings(kind: .mlp, hidden: [5])
        let coordinator = try run(scenario, data, folder: "run")
        let written = try ModelFile(path: directory + "/run/model.safetensors")
        XCTAssertEqual(written.model.spec, scenario.modelSpec(for: data))
        XCTAssertEqual(written.trainableParameters.map(\.bitPattern), coordinator.globalParameters.map(\.bitPattern))
        XCTAssertNotEqual(written.trainableParameters,
                          try Sequential.initialized(scenario.modelSpec(for: data), seed: scenario.seed).trainableParameters,
                          "the model trained")
    }

    func testARunStartsFromTheValuesOfItsBaseModel() throws {
        let data = blobData(clients: 3)
        let spec = ModelSpec.softmaxRegression(inputDim: 4, classes: 3)
        let base = distinctValues(spec.trainableParameterCount)
        try ModelFile.write(try Sequential(spec), trainableParameters: base, to: directory + "/base.safetensors")
        var scenario = blobScenario(clients: 3, perRound: 3, rounds: 1)
        scenario.model.base = directory + "/base.safetensors"

        let (model, start) = try scenario.startingModel(for: data)
        XCTAssertEqual(start, base)
        let evaluation = model.evaluate(parameters: start, on: data.test)
        XCTAssertEqual(evaluation.meanLoss, try Sequential(spec).evaluate(parameters: base, on: data.test).meanLoss,
                       "the run's model at step 0 is the base model")

        let coordinator = try run(scenario, data, folder: "fine-tuned")
        assertClose(coordinator.globalParameters, oneRound(from: base, model: model, scenario, data))
        XCTAssertEqual(try ModelFile(path: directory + "/fine-tuned/model.safetensors").trainableParameters,
                       coordinator.globalParameters)
    }

    func testARunsModelFileIsTheBaseOfAnotherRun() throws {
        let data = blobData(clients: 4)
        var scenario = blobScenario(clients: 4, perRound: 2, rounds: 4)
        scenario.model = ModelSettings(kind: .mlp, hidden: [6])
        let first = try run(scenario, data, folder: "first")

        scenario.model.base = directory + "/first/model.safetensors"
        scenario.seed += 1
        XCTAssertEqual(try scenario.startingModel(for: data).trainableParameters.map(\.bitPattern),
                       first.globalParameters.map(\.bitPattern))
        let second = try run(scenario, data, folder: "second", workers: 1)
        XCTAssertNotEqual(second.globalParameters, first.globalParameters)
        XCTAssertEqual(try ModelFile(path: directory + "/second/model.safetensors").trainableParameters,
                       second.globalParameters)
        // The folder's scenario.yaml names the base, so it reruns the same.
        let rerun = try ScenarioLoader.load(path: directory + "/second/scenario.yaml")
        XCTAssertEqual(rerun.model.base, scenario.model.base)
    }

    func testTheFrozenValuesOfABaseModelReachTheWorkers() throws {
        let data = blobData(clients: 2)
        let spec = ModelSpec(inputDim: 4, layers: [
            .dense(Dense(inputs: 4, outputs: 6, initialization: .heNormal, trainable: false)),
            .relu(ReLU(width: 6)),
            .dense(Dense(inputs: 6, outputs: 3, initialization: .zeros)),
        ])
        let stored = try Sequential(spec, frozenParameters: distinctValues(spec.frozenParameterCount))
        try ModelFile.write(stored, trainableParameters: distinctValues(spec.trainableParameterCount).reversed(),
                            to: directory + "/frozen.safetensors")
        let start = try ModelFile(path: directory + "/frozen.safetensors").values(for: spec)
        XCTAssertEqual(start.model.frozenParameters, stored.frozenParameters)

        let scenario = blobScenario(clients: 2, perRound: 2, rounds: 1)
        let coordinator = try run(scenario, data, folder: "frozen", workers: 2, start: start)
        let expected = oneRound(from: start.trainableParameters, model: start.model, scenario, data)
        assertClose(coordinator.globalParameters, expected)
        let seeded = oneRound(from: start.trainableParameters, model: try Sequential.initialized(spec, seed: scenario.seed).model,
                              scenario, data)
        XCTAssertGreaterThan(zip(seeded, expected).map { abs($0 - $1) }.max() ?? 0, 1e-3,
                             "the seed's frozen values would have given another model")

        let written = try ModelFile(path: directory + "/frozen/model.safetensors")
        XCTAssertEqual(written.model.frozenParameters, stored.frozenParameters)
        XCTAssertEqual(written.trainableParameters, coordinator.globalParameters)
    }

    func testAnExpertModelRanksTheRowsOfOrderedLearningOnTheWorkers() throws {
        let data = blobData(clients: 3)
        var scenario = blobScenario(clients: 3, perRound: 3, rounds: 3)
        scenario.model = ModelSettings(kind: .mlp, hidden: [6])
        try run(scenario, data, folder: "expert")
        let (model, expert) = try ModelFile(path: directory + "/expert/model.safetensors").values(for: scenario.modelSpec(for: data))

        scenario.training.ordering = DataOrdering(order: .curriculum, pacing: Pacing(start: 0.3, fullAt: 0.5))
        scenario.server.rounds = 1
        let byGlobalModel = try run(scenario, data, folder: "global")
        scenario.expertModel = directory + "/expert/model.safetensors"
        XCTAssertEqual(try scenario.expertParameters(for: data), expert)
        let byExpert = try run(scenario, data, folder: "by-expert", workers: 2)
        XCTAssertEqual(try run(scenario, data, folder: "by-expert-1", workers: 1).globalParameters.map(\.bitPattern),
                       byExpert.globalParameters.map(\.bitPattern))

        // One round of every client, each ranking its rows by the expert's losses.
        let (start, trainer) = (try scenario.startingModel(for: data), LocalTrainer(model: model))
        var expected = start.trainableParameters.map(Double.init)
        let total = Double(data.clients.reduce(0) { $0 + $1.count })
        for (client, shard) in data.clients.enumerated() {
            var stream = RandomStream(seed: scenario.seed, purpose: .batches, client: client, counter: 1)
            let result = trainer.train(from: start.trainableParameters, data: shard, settings: scenario.training, rng: &stream,
                                       rowLosses: model.exampleLosses(parameters: expert, on: shard))
            for index in expected.indices { expected[index] += Double(shard.count) / total * Double(result.delta[index]) }
        }
        assertClose(byExpert.globalParameters, expected)
        XCTAssertNotEqual(byExpert.globalParameters, byGlobalModel.globalParameters)
    }

    func testAnExpertModelIsReadRelativeToTheScenarioAndChecked() throws {
        let spec = ModelSpec.multilayerPerceptron(inputDim: 4, hidden: [5], classes: 3)
        try ModelFile.write(try Sequential(spec), trainableParameters: distinctValues(spec.trainableParameterCount),
                            to: directory + "/e.safetensors")
        let ordered = "training:\n  learning_rate: 0.1\n  ordering: curriculum\n  expert_model: e.safetensors\n"
        let path = try scenarioFile(model: "  kind: mlp\n  hidden: [5]\n")
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "training:\n  learning_rate: 0.1\n",
                                                                                         with: ordered)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let scenario = try ScenarioLoader.load(path: path)
        XCTAssertEqual(scenario.expertModel, directory + "/e.safetensors")
        XCTAssertEqual(try ScenarioLoader.parse(scenario.resolvedYAML, file: "resolved.yaml", baseDirectory: "/"), scenario)

        try text.replacingOccurrences(of: "hidden: [5]", with: "hidden: [7]").write(toFile: path, atomically: true, encoding: .utf8)
        let other = issues(loading: path)
        XCTAssertEqual(other.map(\.field), ["training.expert_model"])
        XCTAssertTrue(other.first?.message.contains("holds another model than model.kind mlp with hidden [7]") == true, "\(other)")
        try text.replacingOccurrences(of: "e.safetensors", with: "none.safetensors").write(toFile: path, atomically: true,
                                                                                          encoding: .utf8)
        XCTAssertTrue(issues(loading: path).first?.message.contains("missing model file") == true)
    }

    // MARK: - Scenario files

    /// A scenario file in the test's directory over synthetic data of 4 features and 3
    /// classes, with `model` as its model section.
    private func scenarioFile(model: String, decentralized: Bool = false) throws -> String {
        let rest = decentralized
            ? "training:\n  learning_rate: 0.1\ndecentralized:\n  algorithm: dsgd\n  topology: {kind: ring, nodes: 4}\n  time_budget: 2\n"
            : "training:\n  learning_rate: 0.1\nserver:\n  rounds: 2\n  clients_per_round: 2\n"
        let text = "name: base\nseed: 3\ndata:\n  source: synthetic\n  features: 4\n  classes: 3\n"
            + "  max_samples_per_client: 60\npartition:\n  clients: 4\nmodel:\n" + model + rest
        let path = directory + "/scenario.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func issues(loading path: String) -> [ScenarioIssue] {
        do {
            _ = try ScenarioLoader.load(path: path)
            XCTFail("expected the scenario to be refused")
            return []
        } catch {
            return (error as? ScenarioError)?.issues ?? []
        }
    }

    func testModelBaseIsReadRelativeToTheScenarioAndWrittenBack() throws {
        let spec = ModelSpec.multilayerPerceptron(inputDim: 4, hidden: [5], classes: 3)
        try FileManager.default.createDirectory(atPath: directory + "/models", withIntermediateDirectories: true)
        try ModelFile.write(try Sequential(spec), trainableParameters: distinctValues(spec.trainableParameterCount),
                            to: directory + "/models/b.safetensors")
        let scenario = try ScenarioLoader.load(path: try scenarioFile(model: "  kind: mlp\n  hidden: [5]\n  base: models/b.safetensors\n"))
        XCTAssertEqual(scenario.model.base, directory + "/models/b.safetensors")
        XCTAssertTrue(scenario.resolvedYAML.contains("  base: \"\(directory)/models/b.safetensors\"\n"), scenario.resolvedYAML)
        XCTAssertEqual(try ScenarioLoader.parse(scenario.resolvedYAML, file: "resolved.yaml", baseDirectory: "/"), scenario)
        let data = try Simulation.prepareData(scenario)
        XCTAssertEqual(try scenario.startingModel(for: data).trainableParameters, distinctValues(spec.trainableParameterCount))
    }

    func testModelBaseProblemsAreReportedAtTheField() throws {
        let path = try scenarioFile(model: "  kind: softmax\n  base: absent.safetensors\n")
        let missing = issues(loading: path)
        XCTAssertEqual(missing.map(\.field), ["model.base"])
        XCTAssertEqual(missing.first.map { [$0.line, $0.column] }, [12, 9])
        XCTAssertTrue(missing.first?.message.contains("missing model file '\(directory)/absent.safetensors'") == true,
                      "\(missing)")

        try [UInt8](repeating: 0, count: 5).withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: directory + "/absent.safetensors")) }
        let damaged = issues(loading: path)
        XCTAssertEqual(damaged.map(\.field), ["model.base"])
        XCTAssertTrue(damaged.first?.message.contains("absent.safetensors: the file is 5 bytes long") == true, "\(damaged)")

        try ModelFile.write(try Sequential(.multilayerPerceptron(inputDim: 4, hidden: [7], classes: 3)),
                            trainableParameters: distinctValues(59), to: directory + "/mlp.safetensors")
        let other = issues(loading: try scenarioFile(model: "  kind: mlp\n  hidden: [5]\n  base: mlp.safetensors\n"))
        XCTAssertEqual(other.map(\.field), ["model.base"])
        XCTAssertTrue(other.first?.message.hasSuffix(
            "holds another model than model.kind mlp with hidden [5] makes: layers[0]: dense(inputs 4, outputs 7), expected "
            + "dense(inputs 4, outputs 5); layers[1]: relu(width 7), expected relu(width 5); layers[2]: dense(inputs 7, "
            + "outputs 3), expected dense(inputs 5, outputs 3)") == true, "\(other)")

        let gossip = issues(loading: try scenarioFile(model: "  kind: mlp\n  hidden: [7]\n  base: mlp.safetensors\n",
                                                     decentralized: true))
        XCTAssertEqual(gossip.map(\.field), ["model.base"])
        XCTAssertTrue(gossip.first?.message.contains("applies to server runs") == true, "\(gossip)")
    }

    func testABaseModelOfOtherDataIsRefusedWhenTheRunStarts() throws {
        try ModelFile.write(try Sequential(.softmaxRegression(inputDim: 5, classes: 3)), trainableParameters: distinctValues(18),
                            to: directory + "/wide.safetensors")
        let scenario = try ScenarioLoader.load(path: try scenarioFile(model: "  kind: softmax\n  base: wide.safetensors\n"))
        let data = try Simulation.prepareData(scenario)
        XCTAssertThrowsError(try scenario.startingModel(for: data)) {
            XCTAssertEqual("\($0)", "model.base: \(directory)/wide.safetensors: the file holds another model: input width 5, "
                           + "expected 4; layers[0]: dense(inputs 5, outputs 3), expected dense(inputs 4, outputs 3)")
        }
        XCTAssertThrowsError(try Coordinator(scenario: scenario, data: data, transport: InMemoryNetwork(), folder: nil,
                                             options: CoordinatorOptions(workers: 1))) {
            XCTAssertTrue($0 is RunError, "\($0)")
        }
    }
}
