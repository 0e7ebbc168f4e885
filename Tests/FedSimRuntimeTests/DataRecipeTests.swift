import FedSimAlgorithms
import FedSimCore
import FedSimWire
import Foundation
import XCTest

@testable import FedSimRuntime

/// Workers build their clients' rows from the scenario's data recipe and prove them by
/// content hash; the coordinator keeps the test set and per-client counts only.
final class DataRecipeTests: XCTestCase {
    private func scenario(_ file: String, overrides: [String] = []) throws -> Scenario {
        try ScenarioLoader.load(path: ScenarioLoaderTests.scenarios.appendingPathComponent(file).path, overrides: overrides)
    }

    /// Synthetic data generated client by client, with label groups, with pooled
    /// normalization (loaded whole), and a partitioned file.
    private func recipeScenarios() throws -> [Scenario] {
        [
            try scenario("synthetic-1-1.yaml"),
            try scenario("synthetic-1-1.yaml", overrides: ["data.label_groups=[[0, 1, 2], [3, 4, 5, 6, 7, 8, 9]]"]),
            try scenario("synthetic-1-1.yaml", overrides: ["data.normalize=standard", "partition.clients=12"]),
            try scenario("quickstart.yaml"),
        ]
    }

    func testTheCoordinatorKeepsTheTestSetCountsAndHashesOfTheFullData() throws {
        for scenario in try recipeScenarios() {
            let full = try Simulation.prepareData(scenario)
            let kept = try Simulation.prepareCoordinatorData(scenario, shipping: false)
            XCTAssertEqual(kept.test, full.test, scenario.name)
            XCTAssertEqual(kept.sampleCounts, full.sampleCounts, scenario.name)
            guard case let .recipe(recipe, hashes) = kept.delivery else { return XCTFail("expected a recipe") }
            XCTAssertEqual(recipe, scenario.dataRecipe)
            XCTAssertEqual(hashes, full.clients.map(\.contentHash), scenario.name)
            guard case let .shipped(rows) = try Simulation.prepareCoordinatorData(scenario, shipping: true).delivery else {
                return XCTFail("expected shipped rows")
            }
            XCTAssertEqual(rows, full.clients, scenario.name)
        }
    }

    func testARecipeBuildsExactlyTheRowsOfTheClientsAskedFor() throws {
        for scenario in try recipeScenarios() {
            let full = try Simulation.prepareData(scenario)
            let recipe = try ScenarioLoader.parseDataRecipe(scenario.dataRecipe, file: "recipe")
            let asked = [3, 0, 7]
            let built = try Simulation.prepareClients(asked, of: recipe)
            XCTAssertEqual(built.keys.sorted(), asked.sorted())
            for client in asked {
                XCTAssertEqual(built[client], full.clients[client], "\(scenario.name), client \(client)")
            }
        }
    }

    /// Sends a worker `assign` (then a model and `task`) over an in-memory network and
    /// returns its first answer other than Ready.
    private func answer(to assign: Assign, then task: TrainingTask? = nil, model: [Float] = []) throws -> Message? {
        let network = InMemoryNetwork()
        let endpoint = network.connectWorker()
        Thread { _ = try? Worker(transport: endpoint, name: "w", log: { _ in }).run() }.start()
        guard case .message(.hello, let peer)? = try network.receive(timeoutMilliseconds: 10_000) else {
            XCTFail("the worker did not say Hello")
            return nil
        }
        defer { try? network.send(.stop(reason: "test over"), to: peer) }
        try network.send(.assign(assign), to: peer)
        if let task {
            try network.send(.model(ModelBroadcast(version: task.modelVersion, parameters: model)), to: peer)
            try network.send(.task(task), to: peer)
        }
        while case .message(let message, _)? = try network.receive(timeoutMilliseconds: 20_000) {
            if case .ready = message { continue }
            return message
        }
        return nil
    }

    func testAWorkerTrainsOnTheRowsItBuiltAsOnShippedRows() throws {
        let scenario = try scenario("quickstart.yaml")
        let full = try Simulation.prepareData(scenario)
        let spec = scenario.modelSpec(for: full)
        let start = try scenario.startingModel(for: full).trainableParameters
        let task = TrainingTask(clientID: 4, modelVersion: 1, jobNumber: 2, training: scenario.training)
        var updates: [[UInt32]] = []
        for shipping in [false, true] {
            let data = try Simulation.prepareCoordinatorData(scenario, shipping: shipping)
            let assign = Assign(workerIndex: 0, seed: scenario.seed, model: spec,
                                clients: [1, 4].map { data.shard(of: $0, flipsLabels: false) }, dataRecipe: data.recipe)
            guard case let .update(update)? = try answer(to: assign, then: task, model: start) else {
                return XCTFail("no update with shipping \(shipping)")
            }
            XCTAssertEqual(update.sampleCount, full.clients[4].count)
            updates.append(update.delta.map(\.bitPattern))
        }
        XCTAssertEqual(updates[0], updates[1])
    }

    func testAWorkerRefusesRowsThatDifferNamingTheClientAndBothHashes() throws {
        let scenario = try scenario("quickstart.yaml")
        let data = try Simulation.prepareCoordinatorData(scenario, shipping: false)
        guard case let .recipe(recipe, hashes) = data.delivery else { return XCTFail("expected a recipe") }
        let wrong = ContentHash(high: 1, low: 2)
        let assign = Assign(workerIndex: 0, seed: scenario.seed, model: scenario.modelSpec(for: data), clients: [
            data.shard(of: 0, flipsLabels: false),
            ClientShard(clientID: 2, content: .described(samples: data.sampleCounts[2], hash: wrong)),
        ], dataRecipe: recipe)
        guard case let .refused(reason)? = try answer(to: assign) else { return XCTFail("expected a refusal") }
        XCTAssertTrue(reason.contains("client 2's rows differ from the coordinator's"), reason)
        XCTAssertTrue(reason.contains("\(hashes[2])") && reason.contains("\(wrong)"), reason)
    }

    func testAWorkerWithoutTheDataFileSaysWhichFileAndHowToShipTheRows() throws {
        let scenario = try scenario("quickstart.yaml")
        let data = try Simulation.prepareCoordinatorData(scenario, shipping: false)
        guard case let .csv(path, _) = scenario.data.source else { return XCTFail("expected a CSV scenario") }
        let elsewhere = scenario.dataRecipe.replacingOccurrences(of: path, with: "/nowhere/digits.csv")
        let assign = Assign(workerIndex: 0, seed: scenario.seed, model: scenario.modelSpec(for: data),
                            clients: [data.shard(of: 0, flipsLabels: false)], dataRecipe: elsewhere)
        guard case let .refused(reason)? = try answer(to: assign) else { return XCTFail("expected a refusal") }
        XCTAssertTrue(reason.contains("/nowhere/digits.csv"), reason)
        XCTAssertTrue(reason.contains("--ship-data"), reason)
    }

    func testAClientBeyondTheRecipeIsRefusedByNumber() throws {
        let scenario = try scenario("quickstart.yaml")
        let data = try Simulation.prepareCoordinatorData(scenario, shipping: false)
        let assign = Assign(workerIndex: 0, seed: scenario.seed, model: scenario.modelSpec(for: data), clients: [
            ClientShard(clientID: 5000, content: .described(samples: 3, hash: ContentHash(high: 0, low: 0))),
        ], dataRecipe: data.recipe)
        guard case let .refused(reason)? = try answer(to: assign) else { return XCTFail("expected a refusal") }
        XCTAssertEqual(reason, "Assign rejected: cannot build the clients' rows from the data recipe: client 5000 is "
                       + "beyond the recipe's \(scenario.partition.clients) clients (a coordinator started with "
                       + "--ship-data sends the rows instead)")
    }

    func testALabelFlipAttackerFlipsTheRowsItBuilt() throws {
        let scenario = try scenario("quickstart.yaml")
        let full = try Simulation.prepareData(scenario)
        let data = try Simulation.prepareCoordinatorData(scenario, shipping: false)
        let start = try scenario.startingModel(for: full).trainableParameters
        let task = TrainingTask(clientID: 3, modelVersion: 1, jobNumber: 1, training: scenario.training)
        var flipped = Assign(workerIndex: 0, seed: scenario.seed, model: scenario.modelSpec(for: data),
                             clients: [data.shard(of: 3, flipsLabels: true)], dataRecipe: data.recipe)
        guard case let .update(fromRecipe)? = try answer(to: flipped, then: task, model: start) else {
            return XCTFail("no update")
        }
        flipped.clients = [ClientShard(clientID: 3, data: LabelFlip.flipped(full.clients[3]))]
        flipped.dataRecipe = nil
        guard case let .update(fromShipped)? = try answer(to: flipped, then: task, model: start) else {
            return XCTFail("no update")
        }
        XCTAssertEqual(fromRecipe.delta.map(\.bitPattern), fromShipped.delta.map(\.bitPattern))
    }

    func testRunsGiveTheSameMetricsWhetherRowsAreShippedOrBuilt() throws {
        let scenario = try scenario("synthetic-1-1.yaml", overrides: ["server.rounds=4"])
        var metrics: [[String]] = []
        for shipping in [true, false] {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-recipe-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let run = InMemoryRun()
            run.startWorkers(2)
            var options = CoordinatorOptions(workers: 2)
            options.log = { run.log($0) }
            _ = try Coordinator(scenario: scenario, data: Simulation.prepareCoordinatorData(scenario, shipping: shipping),
                                transport: run.network, folder: RunFolder(path: folder, scenario: scenario),
                                options: options).run()
            metrics.append(try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8)
                .split(separator: "\n").map { withoutWallFields(String($0)) })
        }
        XCTAssertEqual(metrics[0].count, 4)
        XCTAssertEqual(metrics[0], metrics[1])
    }
}
