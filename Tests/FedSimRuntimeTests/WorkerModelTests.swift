import FedSimCore
@testable import FedSimRuntime
import FedSimWire
import Foundation
import XCTest

/// The model a worker trains is the coordinator's: the frozen values travel once in the
/// Assign, and the scenario's factory names the layers.
final class WorkerModelTests: XCTestCase {
    override func setUp() {
        BLAS.useSingleThread()
    }

    /// Plays the coordinator's side of one task for a worker on its own thread: Assign,
    /// Model, Task, then Stop once the update is back.
    private func trainOneTask(
        spec: ModelSpec, seed: UInt64, frozen: [Float], start: [Float], client: ClientShard, training: LocalTraining,
        jobNumber: Int
    ) throws -> ClientUpdate {
        let network = InMemoryNetwork()
        let endpoint = network.connectWorker()
        Thread { _ = try? Worker(transport: endpoint, name: "w", log: { _ in }).run() }.start()
        let hello = try network.receive(timeoutMilliseconds: 10_000)
        guard case .message(.hello, let peer)? = hello else {
            return try XCTUnwrap(nil, "the worker did not say Hello: \(String(describing: hello))")
        }
        defer { try? network.send(.stop(reason: "test over"), to: peer) }
        try network.send(.assign(Assign(workerIndex: 0, seed: seed, model: spec, clients: [client],
                                        frozenParameters: frozen)), to: peer)
        guard case .message(.ready(clients: 1), _)? = try network.receive(timeoutMilliseconds: 10_000) else {
            return try XCTUnwrap(nil, "the worker did not say Ready")
        }
        try network.send(.model(ModelBroadcast(version: 1, parameters: start)), to: peer)
        try network.send(.task(TrainingTask(clientID: client.clientID, modelVersion: 1, jobNumber: jobNumber, training: training)),
                         to: peer)
        let reply = try network.receive(timeoutMilliseconds: 10_000)
        guard case .message(.update(let update), _)? = reply else {
            return try XCTUnwrap(nil, "the worker sent no update: \(String(describing: reply))")
        }
        return update
    }

    func testAWorkerTrainsWithTheFrozenValuesOfItsAssign() throws {
        let spec = ModelSpec(inputDim: 4, layers: [
            .dense(Dense(inputs: 4, outputs: 8, initialization: .heNormal, trainable: false)),
            .relu(ReLU(width: 8)),
            .dense(Dense(inputs: 8, outputs: 3, initialization: .heNormal)),
        ])
        let seed: UInt64 = 21
        let (seeded, start) = try Sequential.initialized(spec, seed: seed)
        XCTAssertEqual(start.count, (8 + 1) * 3, "only the trainable layer travels in model broadcasts")
        // Frozen values the seed does not give, as a base model file gives them.
        let base = try Sequential(spec, frozenParameters: seeded.frozenParameters.map { -0.5 * $0 + 0.01 })
        let client = ClientShard(clientID: 5, data: blobData(clients: 1).clients[0])
        let training = LocalTraining(work: .epochs(2), batchSize: 8, learningRate: 0.1)
        let update = try trainOneTask(spec: spec, seed: seed, frozen: base.frozenParameters, start: start, client: client,
                                      training: training, jobNumber: 3)

        func delta(_ model: Sequential) -> [UInt32] {
            var stream = RandomStream(seed: seed, purpose: .batches, client: 5, counter: 3)
            return LocalTrainer(model: model).train(from: start, data: client.rows!, settings: training, rng: &stream)
                .delta.map(\.bitPattern)
        }
        XCTAssertEqual(update.delta.map(\.bitPattern), delta(base))
        XCTAssertNotEqual(update.delta.map(\.bitPattern), delta(seeded), "the seed's frozen values give another update")
    }

    func testTheScenarioNamesTheLayersOfItsModel() {
        let data = blobData(clients: 2)
        var scenario = blobScenario(clients: 2, perRound: 2, rounds: 1)
        XCTAssertEqual(scenario.modelSpec(for: data), .softmaxRegression(inputDim: 4, classes: 3))
        scenario.model = ModelSettings(kind: .mlp, hidden: [6, 5])
        XCTAssertEqual(scenario.modelSpec(for: data), .multilayerPerceptron(inputDim: 4, hidden: [6, 5], classes: 3))
    }
}
