import FedSimCore
@testable import FedSimRuntime
import FedSimWire
import Foundation
import XCTest

/// The worker pool against endpoints of an in-memory network that the test speaks for.
final class WorkerPoolTests: XCTestCase {
    private var logs: [String] = []

    private func pool(_ network: InMemoryNetwork, workers: Int, clients: Int) -> WorkerPool {
        var options = CoordinatorOptions(workers: workers)
        options.handshakeTimeout = 5
        options.silenceTimeout = 0.5
        options.log = { [weak self] in self?.logs.append($0) }
        let data = blobData(clients: clients)
        return WorkerPool(transport: network, options: options, scenarioName: "blobs", clientCount: clients) { index, hosted, _ in
            Assign(workerIndex: index, seed: 1, model: ModelSpec.softmaxRegression(inputDim: 4, classes: 3),
                   clients: hosted.map { ClientShard(clientID: $0, data: data.clients[$0]) })
        }
    }

    /// A pool on `network` whose one awaited worker, `name`, has joined (and, when `placed`,
    /// received its clients); the messages it was sent so far are read.
    private func joined(_ network: InMemoryNetwork, _ name: String, clients: Int, placed: Bool = false) throws
        -> (WorkerPool, InMemoryWorkerEndpoint) {
        let pool = pool(network, workers: 1, clients: clients)
        let worker = network.connectWorker()
        try worker.send(.hello(Hello(workerName: name)))
        try pool.awaitWorkers()
        if placed {
            // The worker's Ready may come before the Assign it answers: the pool reads it once it waits.
            try worker.send(.ready(clients: clients))
            try pool.placeClients()
        }
        _ = try inbox(worker)
        return (pool, worker)
    }

    /// Every message waiting at `endpoint`.
    private func inbox(_ endpoint: InMemoryWorkerEndpoint) throws -> [Message] {
        var messages: [Message] = []
        while let message = try endpoint.receive(timeoutMilliseconds: 50) { messages.append(message) }
        return messages
    }

    private func hostedClients(_ messages: [Message]) -> [[Int]] {
        messages.compactMap { message in
            if case let .assign(assign) = message { return assign.clients.map(\.clientID) }
            return nil
        }
    }

    func testWorkersJoinAndClientsArePlacedRoundRobin() throws {
        let network = InMemoryNetwork()
        let pool = pool(network, workers: 2, clients: 5)
        let (a, b) = (network.connectWorker(), network.connectWorker())
        try a.send(.task(TrainingTask(clientID: 0, modelVersion: 0, jobNumber: 1,
                                      training: LocalTraining(work: .epochs(1), batchSize: 1, learningRate: 1))))
        try a.send(.hello(Hello(workerName: "a")))
        try b.send(.hello(Hello(workerName: "b", scenario: "blobs")))
        try pool.awaitWorkers()
        try a.send(.ready(clients: 3))
        try b.send(.ready(clients: 2))
        try pool.placeClients()
        let (toA, toB) = (try inbox(a), try inbox(b))
        XCTAssertEqual(hostedClients(toA), [[0, 2, 4]])
        XCTAssertEqual(hostedClients(toB), [[1, 3]])
        XCTAssertFalse(toA.contains { if case .refused = $0 { return true }; return false },
                       "a message before Hello is ignored, not answered")
        XCTAssert(logs.contains { $0.hasPrefix("ignored Task from") && $0.hasSuffix("which never said Hello") }, "\(logs)")
        XCTAssertEqual(pool.count, 2)
        XCTAssertEqual(pool.hostName(of: 3), "b")
        XCTAssert(pool.isHost(b.peer, of: 3))
        XCTAssertFalse(pool.isHost(a.peer, of: 3))
    }

    func testAWorkerOfAnotherScenarioIsRefusedAndTheWaitGoesOn() throws {
        let network = InMemoryNetwork()
        let pool = pool(network, workers: 1, clients: 2)
        let (stranger, member) = (network.connectWorker(), network.connectWorker())
        try stranger.send(.hello(Hello(workerName: "s", scenario: "other")))
        try member.send(.hello(Hello(workerName: "m")))
        try pool.awaitWorkers()
        XCTAssertEqual(pool.count, 1)
        guard case let .refused(reason)? = try inbox(stranger).first else { return XCTFail("the stranger was not refused") }
        XCTAssertEqual(reason, "this coordinator runs scenario 'blobs', the worker was started for 'other'")
    }

    func testAMessageLargerThanAWorkerAcceptsIsNotSentAndTheRunSaysWhy() throws {
        let network = InMemoryNetwork()
        let pool = pool(network, workers: 2, clients: 4)
        let (small, roomy) = (network.connectWorker(), network.connectWorker())
        try small.send(.hello(Hello(workerName: "small", maxMessageBytes: 100)))
        try roomy.send(.hello(Hello(workerName: "roomy", maxMessageBytes: 1 << 20)))
        try pool.awaitWorkers()
        XCTAssertThrowsError(try pool.placeClients()) { error in
            guard case let RunError.tooLargeForWorker(message, worker, bytes, limit) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual([message, worker], ["Assign", "small"])
            XCTAssertGreaterThan(bytes, 100)
            XCTAssertEqual(limit, 100)
            XCTAssertEqual("\(error)", "the Assign for small is \(bytes) bytes, more than the 100 bytes it accepts; start it "
                           + "with a larger --max-message-mb, or start more workers")
        }
        XCTAssertEqual(try inbox(small).map(\.kind), ["Heartbeat"], "only its welcome")
    }

    func testEachModelVersionGoesToAWorkerOnceBeforeItsTasks() throws {
        let (pool, worker) = try joined(InMemoryNetwork(), "w", clients: 3, placed: true)
        var encoded = 0
        func model(_ version: Int) -> () -> EncodedMessage {
            { encoded += 1; return EncodedMessage(.model(ModelBroadcast(version: UInt64(version), parameters: [1]))) }
        }
        let training = LocalTraining(work: .epochs(1), batchSize: 1, learningRate: 1)
        for client in 0..<3 {
            try pool.send(TrainingTask(clientID: client, modelVersion: 0, jobNumber: 1, training: training), version: 0,
                          model: model(0))
        }
        try pool.send(TrainingTask(clientID: 0, modelVersion: 1, jobNumber: 2, training: training), version: 1, model: model(1))
        XCTAssertEqual(try inbox(worker).map(\.kind), ["Model", "Task", "Task", "Task", "Model", "Task"])
        XCTAssertEqual(encoded, 2)
    }

    func testALateWorkerTakesOverIdleClientsOnly() throws {
        let network = InMemoryNetwork()
        let (pool, _) = try joined(network, "first", clients: 6, placed: true)
        let late = network.connectWorker()
        try late.send(.hello(Hello(workerName: "late")))
        // The late worker's share is 6 / 2 = 3 clients. Clients 4 and 5 have tasks running
        // on the first worker, so they stay there and 3, 2, 1 move.
        XCTAssertThrowsError(try pool.nextUpdate(busy: [4, 5]) { "an update" }) { error in
            XCTAssertEqual("\(error)", "no message for 0 s; still waiting for an update")
        }
        XCTAssertEqual(hostedClients(try inbox(late)), [[1, 2, 3]])
        XCTAssertEqual((0..<6).map { pool.hostName(of: $0) }, ["first", "late", "late", "late", "first", "first"])
        XCTAssert(logs.contains("late took over 3 clients and now hosts 3"), "\(logs)")
    }

    func testUpdatesPassHeartbeatsAreTakenAnythingElseIsRefusedAndARefusalFailsTheRun() throws {
        let (pool, worker) = try joined(InMemoryNetwork(), "w", clients: 1)
        let update = ClientUpdate(clientID: 0, modelVersion: 0, jobNumber: 1, delta: [1], sampleCount: 1, trainLoss: 0,
                                  steps: 1, wallComputeSeconds: 0)
        try worker.send(.heartbeat(sequence: 1))
        try worker.send(.stop(reason: "a worker does not stop its coordinator"))
        try worker.send(.update(update))
        XCTAssertEqual(try pool.nextUpdate(busy: []) { "an update" }.update, update)
        let answers = try inbox(worker)
        XCTAssertEqual(answers.count, 1, "only the Stop is answered: \(answers)")
        guard case let .refused(reason)? = answers.first else { return XCTFail("the Stop was not refused") }
        XCTAssertEqual(reason, "unexpected Stop while jobs run")
        try worker.send(.refused(reason: "bad task"))
        XCTAssertThrowsError(try pool.nextUpdate(busy: []) { "an update" }) { error in
            XCTAssertEqual("\(error)", "w refused a message: bad task")
        }
    }

    func testAStrangerThatNeverSaidHelloIsIgnored() throws {
        let network = InMemoryNetwork()
        let (pool, worker) = try joined(network, "w", clients: 1)
        let stranger = network.connectWorker()
        let update = ClientUpdate(clientID: 0, modelVersion: 0, jobNumber: 1, delta: [1], sampleCount: 1, trainLoss: 0,
                                  steps: 1, wallComputeSeconds: 0)
        var forged = update
        forged.delta = [-1000]
        try stranger.send(.refused(reason: "stop this run"))
        try stranger.send(.update(forged))
        try worker.send(.update(update))
        XCTAssertEqual(try pool.nextUpdate(busy: []) { "an update" }.update, update, "neither the Refused nor the forged update counted")
        XCTAssert(try inbox(stranger).isEmpty, "a stranger is not answered")
        XCTAssertEqual(logs.filter { $0.hasSuffix("which never said Hello") }.count, 2, "\(logs)")
    }

    func testStopReachesJoinedWorkersAndThoseWhoseHelloIsStillQueued() throws {
        let network = InMemoryNetwork()
        let (pool, member) = try joined(network, "m", clients: 2)
        let latecomer = network.connectWorker()
        try latecomer.send(.hello(Hello(workerName: "l")))
        pool.stopAll(reason: "run complete")
        for endpoint in [member, latecomer] {
            guard case let .stop(reason)? = try inbox(endpoint).last else { return XCTFail("no Stop") }
            XCTAssertEqual(reason, "run complete")
        }
    }

    func testTooFewWorkersWithinTheHandshakeTimeoutFailsNamingTheCount() {
        let network = InMemoryNetwork()
        var options = CoordinatorOptions(workers: 2)
        options.handshakeTimeout = 0.3
        let pool = WorkerPool(transport: network, options: options, scenarioName: "blobs", clientCount: 2) { index, _, _ in
            Assign(workerIndex: index, seed: 1, model: ModelSpec.softmaxRegression(inputDim: 4, classes: 3), clients: [])
        }
        XCTAssertThrowsError(try pool.awaitWorkers()) { error in
            XCTAssertEqual("\(error)", "only 0 of 2 workers connected within 0 s")
        }
    }
}
