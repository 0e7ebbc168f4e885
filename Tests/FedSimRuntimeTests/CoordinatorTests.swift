import FedSimAlgorithms
import FedSimCore
@testable import FedSimRuntime
import FedSimWire
import Foundation
import XCTest

/// Three Gaussian blobs in 4 dimensions, split among `clients` clients.
func blobData(clients: Int, perClient: Int = 24, seed: UInt64 = 11) -> FederatedDataset {
    let centers: [[Float]] = [[3, 0, 0, 1], [0, 3, 0, -1], [0, 0, 3, 0]]
    func draw(_ count: Int, stream: inout RandomStream) -> Dataset {
        var features: [Float] = []
        var labels: [Int32] = []
        for index in 0..<count {
            let label = index % 3
            features += centers[label].map { $0 + Float(stream.normal()) }
            labels.append(Int32(label))
        }
        return Dataset(features: features, labels: labels, featureCount: 4, classCount: 3)
    }
    var stream = RandomStream(seed: seed, purpose: .synthetic)
    let shards = (0..<clients).map { _ in draw(perClient, stream: &stream) }
    return FederatedDataset(clients: shards, test: draw(90, stream: &stream))
}

func blobScenario(clients: Int, perRound: Int, rounds: Int, seed: UInt64 = 9) -> Scenario {
    Scenario(
        name: "blobs", seed: seed,
        data: DataSettings(source: .synthetic(alpha: 0, beta: 0, features: 4, classes: 3, maxSamplesPerClient: 100)),
        partition: PartitionSettings(scheme: .natural, clients: clients),
        model: ModelSettings(kind: .softmax),
        training: LocalTraining(work: .epochs(2), batchSize: 8, learningRate: 0.1),
        server: ServerSettings(strategy: FedAvg(clientsPerRound: perRound), rounds: rounds),
        evaluation: EvaluationSettings(every: 1))
}

/// Runs a coordinator over an in-memory network with `workers` worker threads.
final class InMemoryRun {
    let network = InMemoryNetwork()
    private(set) var logs: [String] = []
    private let lock = NSLock()

    func log(_ line: String) {
        lock.lock()
        logs.append(line)
        lock.unlock()
    }

    func startWorkers(_ count: Int) {
        for index in 0..<count {
            let endpoint = network.connectWorker()
            Thread {
                _ = try? Worker(transport: endpoint, name: "w\(index)", log: { _ in }).run()
            }.start()
        }
    }

    /// The summary of `scenario` run on two in-memory workers.
    func coordinatorSummary(_ scenario: Scenario, _ data: FederatedDataset) throws -> RunSummary {
        startWorkers(2)
        return try coordinator(scenario, data, workers: 2).run()
    }

    func coordinator(_ scenario: Scenario, _ data: FederatedDataset, workers: Int, folder: RunFolder? = nil,
                     silenceTimeout: Double = 30) throws -> Coordinator {
        var options = CoordinatorOptions(workers: workers)
        options.silenceTimeout = silenceTimeout
        options.log = { [weak self] in self?.log($0) }
        return try Coordinator(scenario: scenario, data: data, transport: network, folder: folder, options: options)
    }
}

final class CoordinatorTests: XCTestCase {
    func testOneRoundIsTheSampleWeightedAverageOfLocalModels() throws {
        var data = blobData(clients: 6)
        data.clients[1] = data.clients[1].subset(Array(0..<10))
        data.clients[4] = data.clients[4].subset(Array(0..<17))
        let scenario = blobScenario(clients: 6, perRound: 4, rounds: 1)
        let run = InMemoryRun()
        run.startWorkers(2)
        let coordinator = try run.coordinator(scenario, data, workers: 2)
        _ = try coordinator.run()

        // The same round, computed directly.
        let (model, start) = try Sequential.initialized(scenario.modelSpec(for: data), seed: scenario.seed)
        var schedule = EventDrivenServer(
            strategy: FedAvg(clientsPerRound: 4),
            scheduler: Scheduler(clock: FixedDurations(Array(repeating: 1, count: 6)),
                                 sampleCounts: data.clients.map(\.count), seed: scenario.seed),
            stop: StopCondition(aggregations: 1))
        let selected = schedule.remainingSteps()[0].contributions.map(\.job.client)
        let trainer = LocalTrainer(model: model)
        var expected = start.map(Double.init)
        let total = Double(selected.reduce(0) { $0 + data.clients[$1].count })
        for client in selected {
            var stream = RandomStream(seed: scenario.seed, purpose: .batches, client: client, counter: 1)
            let result = trainer.train(from: start, data: data.clients[client], settings: scenario.training, rng: &stream)
            let weight = Double(data.clients[client].count) / total
            for index in expected.indices { expected[index] += weight * Double(result.delta[index]) }
        }
        XCTAssertEqual(selected.count, 4)
        for (actual, wanted) in zip(coordinator.globalParameters, expected) {
            XCTAssertEqual(Double(actual), wanted, accuracy: 1e-5)
        }
    }

    /// `scenario` run on `workers` in-memory workers into a fresh folder: its summary, its
    /// metrics lines without their wall fields, and the rows of its clients.csv.
    private func output(_ scenario: Scenario, _ data: FederatedDataset, workers: Int) throws
        -> (summary: RunSummary, metrics: [String], clients: [String]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-coord-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = InMemoryRun()
        run.startWorkers(workers)
        let summary = try run.coordinator(scenario, data, workers: workers,
                                          folder: RunFolder(path: folder, scenario: scenario)).run()
        let metrics = try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let clients = try String(contentsOfFile: folder + "/clients.csv", encoding: .utf8).split(separator: "\n")
        return (summary, metrics.map { withoutWallFields(String($0)) }, clients.map(String.init))
    }

    func testMetricsDoNotDependOnTheNumberOfWorkers() throws {
        let data = blobData(clients: 10)
        let scenario = blobScenario(clients: 10, perRound: 4, rounds: 5)
        var outputs: [[String]] = []
        for workers in [1, 3] {
            let (summary, metrics, _) = try output(scenario, data, workers: workers)
            XCTAssertEqual(summary.clientUpdates, 20)
            XCTAssertEqual(summary.workers, workers)
            outputs.append(metrics)
        }
        XCTAssertEqual(outputs[0].count, 5)
        XCTAssertEqual(outputs[0], outputs[1])
    }

    func testLocalStepsRunsTakeKStepsPerTaskWhateverTheNumberOfWorkers() throws {
        // Clients of 5 to 24 rows, batches of 8, K = 4: the small ones walk several
        // permutations, the large ones part of one; every update is 4 steps.
        var data = blobData(clients: 10)
        for client in 0..<5 { data.clients[client] = data.clients[client].subset(Array(0..<(5 + 4 * client))) }
        var scenario = blobScenario(clients: 10, perRound: 4, rounds: 5)
        scenario.training.work = .steps(4)
        var outputs: [[String]] = []
        for workers in [1, 3] {
            let (summary, metrics, clients) = try output(scenario, data, workers: workers)
            XCTAssertEqual(summary.clientUpdates, 20)
            for row in clients.dropFirst() {
                let fields = row.split(separator: ",")
                XCTAssertEqual(Int(fields[3]), 4 * Int(fields[2])!, "client \(fields[0]): local_steps = 4 x updates")
            }
            outputs.append(metrics + clients)
        }
        XCTAssertEqual(outputs[0], outputs[1])
    }

    /// The metrics lines of `scenario` run on one in-memory worker.
    private func records(_ scenario: Scenario, _ data: FederatedDataset) throws -> [[String: Any]] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-records-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = InMemoryRun()
        run.startWorkers(1)
        _ = try run.coordinator(scenario, data, workers: 1, folder: RunFolder(path: folder, scenario: scenario)).run()
        return try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func testEachRecordEvaluatesTheModelItsStepProduced() throws {
        let data = blobData(clients: 6)
        var scenario = blobScenario(clients: 6, perRound: 3, rounds: 5)
        scenario.evaluation.every = 2
        let full = try records(scenario, data)
        XCTAssertEqual(full.map { $0["test_loss"] != nil }, [false, true, false, true, true],
                       "every 2 steps and at the last")
        // A run stopped after k steps ends with the model of step k, evaluated in its last record.
        for steps in [2, 4, 5] {
            scenario.server.rounds = steps
            let prefix = try records(scenario, data)
            let last = try XCTUnwrap(prefix.last)
            XCTAssertEqual(last["round"] as? Int, steps)
            XCTAssertEqual(last["test_loss"] as? Double, full[steps - 1]["test_loss"] as? Double, "step \(steps)")
            XCTAssertEqual(last["test_accuracy"] as? Double, full[steps - 1]["test_accuracy"] as? Double, "step \(steps)")
        }
        let losses = full.compactMap { $0["test_loss"] as? Double }
        XCTAssertEqual(Set(losses).count, losses.count, "each evaluation is of another model")
    }

    func testTheScenariosServerOptimizerMovesTheModel() throws {
        let data = blobData(clients: 6)
        func oneRound(_ optimizer: ServerOptimizerKind) throws -> [Float] {
            var scenario = blobScenario(clients: 6, perRound: 3, rounds: 1)
            scenario.server.optimizer = optimizer
            let run = InMemoryRun()
            run.startWorkers(2)
            let coordinator = try run.coordinator(scenario, data, workers: 2)
            _ = try coordinator.run()
            return coordinator.globalParameters
        }
        let start = try Sequential.initialized(.softmaxRegression(inputDim: 4, classes: 3), seed: 9).trainableParameters
        // With eta_g = 1 plain SGD moves theta by exactly the aggregated step s.
        let viaSGD = try oneRound(.sgd)
        let step = zip(viaSGD, start).map { $0 - $1 }
        XCTAssertGreaterThan(step.map(abs).max() ?? 0, 0.01)
        // The same round under FedAdam: the same s through Adam's first step.
        var expected = start
        var adam = ServerOptimizer(kind: .adam, learningRate: 1)
        adam.apply(step: step, to: &expected)
        let viaAdam = try oneRound(.adam)
        for (actual, wanted) in zip(viaAdam, expected) {
            XCTAssertEqual(actual, wanted, accuracy: 1e-4)
        }
        XCTAssertNotEqual(viaAdam, viaSGD)
    }

    func testARunWhoseClientsNeverComeBackEndsEarlyWithAWarning() throws {
        var scenario = blobScenario(clients: 2, perRound: 2, rounds: 10)
        // Client 0 is online until 2.5 s, client 1 until 1.5 s; jobs take 1 s. Rounds at
        // 0 and 1 take both, the round at 2 only client 0, and at 3 nobody is left.
        scenario.system.availability = .trace([[0...2.5], [0...1.5]])
        let run = InMemoryRun()
        run.startWorkers(1)
        var options = CoordinatorOptions(workers: 1)
        var warnings: [String] = []
        options.warn = { warnings.append($0) }
        let summary = try Coordinator(scenario: scenario, data: blobData(clients: 2), transport: run.network,
                                      folder: nil, options: options).run()
        XCTAssertEqual(summary.steps, 3)
        XCTAssertEqual(summary.clientUpdates, 5)
        XCTAssertEqual(summary.virtualSeconds, 3)
        XCTAssertEqual(warnings, ["the run ended after 3 of 10 steps, at virtual time 3.0: no client is online again (system.availability)"])
    }

    func testTrainingReachesHighAccuracyOnSeparableBlobs() throws {
        let run = InMemoryRun()
        run.startWorkers(2)
        let summary = try run.coordinator(blobScenario(clients: 8, perRound: 4, rounds: 15), blobData(clients: 8),
                                          workers: 2).run()
        XCTAssertGreaterThan(summary.finalTestAccuracy, 0.95)
        XCTAssertEqual(summary.steps, 15)
        XCTAssertGreaterThan(summary.wireBytesSent, 0)
    }

    func testGarbageFromAPeerIsRefusedAStrangersUpdateIgnoredAndNothingChanges() throws {
        let data = blobData(clients: 6)
        let scenario = blobScenario(clients: 6, perRound: 3, rounds: 3)
        let clean = InMemoryRun()
        clean.startWorkers(2)
        let cleanCoordinator = try clean.coordinator(scenario, data, workers: 2)
        _ = try cleanCoordinator.run()

        let attacked = InMemoryRun()
        attacked.startWorkers(2)
        let coordinator = try attacked.coordinator(scenario, data, workers: 2)
        let rogue = attacked.network.connectWorker()
        rogue.sendBytes([0xFF, 0x13, 0x37, 0x00, 0x99])
        rogue.sendBytes(WireCodec.encode(.update(ClientUpdate(
            clientID: 0, modelVersion: 0, jobNumber: 1, delta: [1, 2, 3], sampleCount: 24, trainLoss: 0, steps: 1,
            wallComputeSeconds: 0))))
        _ = try coordinator.run()

        XCTAssertEqual(coordinator.globalParameters, cleanCoordinator.globalParameters)
        var replies: [Message] = []
        while let reply = try rogue.receive(timeoutMilliseconds: 100) { replies.append(reply) }
        XCTAssertEqual(replies.count, 1, "the garbage is refused; the stranger's update is not answered")
        XCTAssert(replies.allSatisfy { if case .refused = $0 { return true } else { return false } })
        XCTAssert(attacked.logs.contains { $0.contains("refused a message from peer") }, "\(attacked.logs)")
        XCTAssert(attacked.logs.contains { $0.hasPrefix("ignored Update from peer") }, "\(attacked.logs)")
    }

    func testAnotherProtocolVersionIsRefusedWithBothVersionsNamed() throws {
        let run = InMemoryRun()
        let stranger = run.network.connectWorker()
        stranger.sendBytes(WireCodec.encode(.hello(Hello(workerName: "old")), protocolVersion: 99))
        run.startWorkers(1)
        _ = try run.coordinator(blobScenario(clients: 2, perRound: 1, rounds: 1), blobData(clients: 2), workers: 1).run()

        guard case let .refused(reason) = try stranger.receive(timeoutMilliseconds: 1000) else {
            return XCTFail("the stranger got no refusal")
        }
        XCTAssert(reason.contains("99") && reason.contains("\(wireProtocolVersion)"), reason)
        XCTAssert(run.logs.contains { $0.contains("99") }, "\(run.logs)")
    }

    func testWorkerRefusesACoordinatorOfAnotherProtocolVersion() throws {
        let network = InMemoryNetwork()
        let endpoint = network.connectWorker()
        try network.send(EncodedMessage(.stop(reason: "x"), protocolVersion: 99), to: endpoint.peer)
        XCTAssertThrowsError(try Worker(transport: endpoint, name: "w", log: { _ in }).run()) { error in
            let text = "\(error)"
            XCTAssert(text.contains("99") && text.contains("\(wireProtocolVersion)"), text)
        }
    }

    func testWrongSizedUpdateIsRefusedAndTheRoundFailsNamingTheClient() throws {
        let data = blobData(clients: 1)
        let run = InMemoryRun()
        let liar = run.network.connectWorker()
        try liar.send(.hello(Hello(workerName: "liar")))
        let coordinator = try run.coordinator(blobScenario(clients: 1, perRound: 1, rounds: 1), data, workers: 1,
                                              silenceTimeout: 1)
        let answered = expectation(description: "liar answered its task")
        Thread {
            while let message = try? liar.receive(timeoutMilliseconds: 3000) {
                if case let .assign(assign) = message { try? liar.send(.ready(clients: assign.clients.count)) }
                if case let .task(task) = message {
                    try? liar.send(.update(ClientUpdate(
                        clientID: task.clientID, modelVersion: task.modelVersion, jobNumber: task.jobNumber, delta: [1, 2, 3],
                        sampleCount: data.clients[0].count, trainLoss: 0, steps: 1, wallComputeSeconds: 0)))
                    answered.fulfill()
                }
            }
        }.start()
        XCTAssertThrowsError(try coordinator.run()) { error in
            XCTAssert("\(error)".contains("still waiting for job 1 of client 0 on liar"), "\(error)")
        }
        wait(for: [answered], timeout: 5)
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssert(run.logs.contains { $0.contains("delta has 3 values, the model 15") }, "\(run.logs)")
    }
}

/// Passes messages through to an in-memory network, counting what is sent by kind.
final class CountingTransport: CoordinatorTransport {
    let network: InMemoryNetwork
    private(set) var sent: [String: Int] = [:]

    init(_ network: InMemoryNetwork) {
        self.network = network
    }

    func send(_ message: EncodedMessage, to peer: PeerID) throws {
        sent[message.kind, default: 0] += 1
        try network.send(message, to: peer)
    }

    func receive(timeoutMilliseconds: Int) throws -> Inbound? {
        try network.receive(timeoutMilliseconds: timeoutMilliseconds)
    }

    var traffic: WireTraffic { network.traffic }

    func peerEndpoint(of peer: PeerID, port: Int) -> String { network.peerEndpoint(of: peer, port: port) }
}

final class ModelBroadcastTests: XCTestCase {
    func testEachModelVersionGoesToEachWorkerOnceWhateverItsClientCount() throws {
        let run = InMemoryRun()
        run.startWorkers(2)
        let counting = CountingTransport(run.network)
        let rounds = 6
        let summary = try Coordinator(scenario: blobScenario(clients: 8, perRound: 8, rounds: rounds),
                                      data: blobData(clients: 8), transport: counting, folder: nil,
                                      options: CoordinatorOptions(workers: 2)).run()
        XCTAssertEqual(summary.clientUpdates, 8 * rounds)
        XCTAssertEqual(counting.sent["Task"], 8 * rounds)
        XCTAssertEqual(counting.sent["Model"], 2 * rounds)
        XCTAssertEqual(counting.sent["Assign"], 2)
        XCTAssertEqual(counting.sent["Stop"], 2)
    }
}

/// A metrics line without its `wall_` fields.
func withoutWallFields(_ line: String) -> String {
    line.split(separator: ",").filter { !$0.contains("\"wall_") }.joined(separator: ",")
}

