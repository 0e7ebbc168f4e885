import FedSimAlgorithms
import FedSimCore
@testable import FedSimRuntime
import FedSimWire
import Foundation
import XCTest

/// The ZeroMQ transports against hostile peers: raw ZMTP, oversized messages, strangers
/// without keys.
final class ZeroMQTransportTests: XCTestCase {
    private func port(of endpoint: String) throws -> Int {
        try XCTUnwrap(endpoint.split(separator: ":").last.flatMap { Int($0) }, endpoint)
    }

    /// The next message at `coordinator` with its sender, waiting up to 5 s.
    private func inbound(_ coordinator: ZeroMQCoordinatorTransport) throws -> (kind: String, peer: PeerID) {
        switch try XCTUnwrap(coordinator.receive(timeoutMilliseconds: 5_000), "nothing arrived") {
        case let .message(message, from: peer): return ("\(message.kind)", peer)
        case let .rejected(_, from: peer): return ("rejected", peer)
        }
    }

    func testAPeerAnnouncingTheNextGeneratedRoutingIDDoesNotBreakTheCoordinator() throws {
        let coordinator = try ZeroMQCoordinatorTransport(bind: "tcp://127.0.0.1:*", maxMessageBytes: 1 << 20)
        let port = try port(of: coordinator.endpoint)

        // An anonymous peer learns the counter libzmq's ROUTER draws routing ids from...
        let anonymous = try RawZMTPPeer(port: port, identity: [])
        try anonymous.send([WireCodec.encode(.heartbeat(sequence: 1))])
        let generated = try inbound(coordinator).peer.bytes
        XCTAssertEqual(generated.count, 5)
        XCTAssertEqual(generated.first, 0)
        let counter = generated.dropFirst().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        // ...and another announces the id it would generate next, then speaks under it.
        let next = counter &+ 1
        let announced = [0] + withUnsafeBytes(of: next.bigEndian) { Array($0) }
        let attacker = try RawZMTPPeer(port: port, identity: announced)
        try attacker.send([WireCodec.encode(.heartbeat(sequence: 2))])
        XCTAssertEqual(try inbound(coordinator).peer.bytes, announced)

        // A real worker joins after it: the coordinator hears it and answers it.
        let worker = try ZeroMQWorkerTransport(connect: coordinator.endpoint)
        try worker.send(.hello(Hello(workerName: "honest")))
        let hello = try inbound(coordinator)
        XCTAssertEqual(hello.kind, "Hello")
        XCTAssertNotEqual(hello.peer.bytes, announced)
        try coordinator.send(.heartbeat(sequence: 7), to: hello.peer)
        XCTAssertEqual(try worker.receive(timeoutMilliseconds: 5_000), .heartbeat(sequence: 7))
        try attacker.send([WireCodec.encode(.heartbeat(sequence: 3))])
        XCTAssertEqual(try inbound(coordinator).peer.bytes, announced)
    }

    /// A worker on its own thread over `transport`, whose task count (or error) can be awaited.
    private final class WorkerThread {
        private let done = DispatchSemaphore(value: 0)
        private(set) var result: Result<Int, Error>?

        init(_ transport: ZeroMQWorkerTransport, name: String) {
            Thread { [self] in
                result = Result { try Worker(transport: transport, name: name, log: { _ in }).run() }
                done.signal()
            }.start()
        }

        func wait() throws -> Int {
            _ = done.wait(timeout: .now() + 30)
            return try XCTUnwrap(result, "the worker is still running").get()
        }
    }

    /// The next message but a Heartbeat a fake coordinator `router` receives: its sender
    /// and message.
    private func next(_ router: ZMQSocket) throws -> (peer: [UInt8], message: Message) {
        while true {
            let frames = try XCTUnwrap(router.receive(timeoutMilliseconds: 10_000), "the worker said nothing")
            let message = try WireCodec.decode(frames[1])
            if case .heartbeat = message { continue }
            return (frames[0], message)
        }
    }

    func testAWorkerRefusesMessagesLargerThanItsModelNeedsYetTakesLargeAssignsAndKeepsWorking() throws {
        let router = try ZMQSocket(.router, context: ZMQContext())
        try router.setLinger(milliseconds: 0)
        try router.bind("tcp://127.0.0.1:*")
        let transport = try ZeroMQWorkerTransport(connect: router.lastEndpoint, maxMessageBytes: 4 << 20)
        let worker = WorkerThread(transport, name: "bounded")
        let (peer, hello) = try next(router)
        XCTAssertEqual(hello, .hello(Hello(workerName: "bounded", processID: Int(getpid()), peerPort: transport.peerPort,
                                           maxMessageBytes: 4 << 20)))

        // 15 trainable values: the worker expects messages of at most 60 bytes + 1 MiB but Assigns.
        let data = blobData(clients: 2)
        let model = ModelSpec.softmaxRegression(inputDim: 4, classes: 3)
        let send = { (message: Message) in try router.send([peer, WireCodec.encode(message)]) }
        try send(.assign(Assign(workerIndex: 0, seed: 1, model: model,
                                clients: [ClientShard(clientID: 0, data: data.clients[0])])))
        XCTAssertEqual(try next(router).message, .ready(clients: 1))
        let oversized = WireCodec.encode(.model(ModelBroadcast(version: 0, parameters: [Float](repeating: 1, count: 600_000))))
        try router.send([peer, oversized])
        guard case let .refused(reason) = try next(router).message else { return XCTFail("the Model was not refused") }
        XCTAssertEqual(reason, "message too large: \(oversized.count) bytes, at most \(60 + (1 << 20)) expected here")

        // An Assign carries client data: one of 1.5 MB is taken.
        let rows = 100_000
        let large = Dataset(features: [Float](repeating: 0.5, count: rows * 4), labels: [Int32](repeating: 1, count: rows),
                            featureCount: 4, classCount: 3)
        try send(.assign(Assign(workerIndex: 0, seed: 1, model: model,
                                clients: [ClientShard(clientID: 0, data: data.clients[0]), ClientShard(clientID: 1, data: large)])))
        XCTAssertEqual(try next(router).message, .ready(clients: 2))
        let training = LocalTraining(work: .epochs(1), batchSize: 8, learningRate: 0.1)
        try send(.model(ModelBroadcast(version: 0, parameters: [Float](repeating: 0, count: 15))))
        try send(.task(TrainingTask(clientID: 0, modelVersion: 0, jobNumber: 1, training: training)))
        guard case let .update(update) = try next(router).message else { return XCTFail("no update") }
        XCTAssertEqual(update.clientID, 0)
        XCTAssertEqual(update.delta.count, 15)
        try send(.stop(reason: "done"))
        XCTAssertEqual(try worker.wait(), 1)
    }

    func testAMessageBeyondAWorkersBoundEndsItsConnectionAndTheWorkerSaysWhy() throws {
        let router = try ZMQSocket(.router, context: ZMQContext())
        try router.setLinger(milliseconds: 0)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint
        let transport = try ZeroMQWorkerTransport(connect: endpoint, maxMessageBytes: 1 << 20)
        let worker = WorkerThread(transport, name: "bounded")
        let (peer, _) = try next(router)
        // libzmq drops the message with the connection, and does not reconnect.
        try router.send([peer, [UInt8](repeating: 1, count: 2 << 20)])
        XCTAssertThrowsError(try worker.wait()) { error in
            XCTAssertEqual("\(error)", "cannot connect to \(endpoint): libzmq closed the connection for a protocol error, "
                           + "such as a message larger than this side accepts, and does not reconnect")
        }
    }

    /// Log lines written from several threads.
    private final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []

        func append(_ line: String) { lock.withLock { lines.append(line) } }

        var all: [String] { lock.withLock { lines } }
    }

    /// A decentralized run over the ZeroMQ transports on loopback, in this process; its
    /// workers take messages of at most 256 KiB.
    private final class GossipRun {
        let coordinator: ZeroMQCoordinatorTransport
        let workers: [ZeroMQWorkerTransport]
        let logs = Lines()

        init(workers count: Int, keys: KeyFolder?) throws {
            let logs = logs
            coordinator = try ZeroMQCoordinatorTransport(bind: "tcp://127.0.0.1:*", maxMessageBytes: 64 << 20,
                                                         keys: try keys?.coordinatorKeys(), log: logs.append)
            workers = try (0..<count).map { [coordinator] index in
                try ZeroMQWorkerTransport(connect: coordinator.endpoint,
                                          keys: try keys?.workerKeys(name: KeyFolder.workerName(index)),
                                          maxMessageBytes: 256 << 10) { logs.append("w\(index): \($0)") }
            }
        }

        /// The run's records with their wall times zeroed.
        func records(_ scenario: Scenario, data: FederatedDataset) throws -> [GossipRecord] {
            let threads = workers.enumerated().map { WorkerThread($1, name: "w\($0)") }
            var options = CoordinatorOptions(workers: workers.count)
            options.silenceTimeout = 10
            options.log = logs.append
            var records: [GossipRecord] = []
            options.gossipProgress = { records.append($0) }
            _ = try GossipCoordinator(scenario: scenario, data: data, transport: coordinator, folder: nil,
                                      options: options).run()
            for thread in threads { XCTAssertGreaterThan(try thread.wait(), 0) }
            return records.map { record in
                var record = record
                record.wallSeconds = 0
                return record
            }
        }
    }

    private func gossipScenario() -> (Scenario, FederatedDataset) {
        var scenario = blobScenario(clients: 6, perRound: 1, rounds: 1)
        scenario.model = ModelSettings(kind: .softmax, l2: 0.1)
        scenario.decentralized = DecentralizedSettings(algorithm: DADAO(), topology: .ring(nodes: 6), timeBudget: 12,
                                                       evaluationInterval: 3)
        return (scenario, blobData(clients: 6))
    }

    func testAnOversizedMessageToAWorkersPeerSocketLeavesTheRunIntact() throws {
        let (scenario, data) = gossipScenario()
        let reference = try GossipRun(workers: 2, keys: nil).records(scenario, data: data)
        let run = try GossipRun(workers: 2, keys: nil)
        // 1 MiB at each worker's peer socket, which takes at most 256 KiB: libzmq drops it
        // with the stranger's connection, before the worker reads anything.
        let strangers = try run.workers.map { worker in
            let stranger = try ZMQSocket(.dealer, context: ZMQContext())
            try stranger.setLinger(milliseconds: 0)
            try stranger.connect("tcp://127.0.0.1:\(worker.peerPort)")
            try stranger.send([UInt8](repeating: 7, count: 1 << 20))
            return stranger
        }
        Thread.sleep(forTimeInterval: 0.3)
        let attacked = try run.records(scenario, data: data)
        XCTAssertEqual(attacked, reference)
        XCTAssertEqual(attacked.map(\.time), [0, 3, 6, 9, 12])
        strangers.forEach { $0.close() }
    }

    func testAuthenticatedWorkersGossipOverCURVEAndStrangersCannotReachTheirPeerSockets() throws {
        let (scenario, data) = gossipScenario()
        let reference = try GossipRun(workers: 2, keys: nil).records(scenario, data: data)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-keys-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let keys = KeyFolder(path: folder)
        try KeyFolder.generate(at: folder, workers: 2)
        let run = try GossipRun(workers: 2, keys: keys)

        // Garbage that would end the worker's run if it got through, from a peer without
        // keys and from one that knows worker 0's public key but holds no admitted key.
        let intruder = try CurveKeyPair.generate()
        let target = try keys.workerKeys(name: KeyFolder.workerName(0)).keys.publicKey
        let strangers = try [nil, intruder].map { keys in
            let stranger = try ZMQSocket(.dealer, context: ZMQContext())
            try stranger.setLinger(milliseconds: 0)
            if let keys { try stranger.setCurveClient(keys, server: target) }
            try stranger.connect("tcp://127.0.0.1:\(run.workers[0].peerPort)")
            try stranger.send([1, 2, 3])
            return stranger
        }
        XCTAssertEqual(try run.records(scenario, data: data), reference)
        XCTAssert(run.logs.all.contains("w0: refused a connection from 127.0.0.1: CURVE key \(intruder.publicKey) is not authorized"),
                  "\(run.logs.all)")
        strangers.forEach { $0.close() }
    }
}
