import FedSimCore
@testable import FedSimRuntime
import FedSimWire
import Foundation
import XCTest

/// Workers that join late, more workers than the coordinator waits for, workers
/// started for another scenario and a coordinator that never answers.
final class WorkerJoiningTests: XCTestCase {
    /// A worker on its own thread whose task count (or error) can be awaited.
    private final class WorkerThread {
        private let done = DispatchSemaphore(value: 0)
        private(set) var result: Result<Int, Error>?

        init(_ endpoint: InMemoryWorkerEndpoint, name: String, scenario: String = "") {
            Thread { [self] in
                result = Result { try Worker(transport: endpoint, name: name, scenario: scenario, log: { _ in }).run() }
                done.signal()
            }.start()
        }

        func wait() -> Result<Int, Error>? {
            _ = done.wait(timeout: .now() + 10)
            return result
        }
    }

    private func metrics(_ folder: String) throws -> [String] {
        try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .map { withoutWallFields(String($0)) }
    }

    /// Runs the blob scenario on one worker, calling `duringRound` from the coordinator's
    /// progress callback; returns the metrics and the coordinator's log.
    private func run(_ scenario: Scenario, _ data: FederatedDataset, network: InMemoryNetwork, waitFor workers: Int,
                     duringRound: @escaping (Int) -> Void = { _ in }) throws -> (metrics: [String], logs: [String]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-join-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var logs: [String] = []
        var options = CoordinatorOptions(workers: workers)
        options.log = { logs.append($0) }
        options.progress = { duringRound($0.step) }
        _ = try Coordinator(scenario: scenario, data: data, transport: network,
                            folder: RunFolder(path: folder, scenario: scenario), options: options).run()
        return (try metrics(folder), logs)
    }

    func testALateWorkerTakesOverClientsAndTheMetricsDoNotChange() throws {
        let data = blobData(clients: 10)
        let scenario = blobScenario(clients: 10, perRound: 4, rounds: 60)

        let alone = InMemoryNetwork()
        let only = WorkerThread(alone.connectWorker(), name: "only")
        let reference = try run(scenario, data, network: alone, waitFor: 1)
        XCTAssertEqual(try only.wait()?.get(), 4 * 60)

        let network = InMemoryNetwork()
        let first = WorkerThread(network.connectWorker(), name: "first")
        var late: WorkerThread?
        let joined = try run(scenario, data, network: network, waitFor: 1) { round in
            if round == 2, late == nil { late = WorkerThread(network.connectWorker(), name: "late") }
        }
        XCTAssertEqual(joined.metrics, reference.metrics)
        XCTAssert(joined.logs.contains { $0.hasPrefix("late took over 5 clients and now hosts 5") }, "\(joined.logs)")
        let lateTasks = try XCTUnwrap(late?.wait()).get()
        let firstTasks = try XCTUnwrap(first.wait()).get()
        XCTAssertGreaterThan(lateTasks, 0)
        XCTAssertEqual(lateTasks + firstTasks, 4 * 60)
    }

    func testMoreWorkersThanAwaitedAllGetClientsAndStop() throws {
        let data = blobData(clients: 9)
        // Enough rounds for the third worker's thread to say Hello however busy the machine.
        let scenario = blobScenario(clients: 9, perRound: 9, rounds: 30)
        let network = InMemoryNetwork()
        let threads = (0..<3).map { WorkerThread(network.connectWorker(), name: "w\($0)") }
        let outcome = try run(scenario, data, network: network, waitFor: 2)
        XCTAssertEqual(outcome.metrics.count, 30)
        let tasks = try threads.map { try XCTUnwrap($0.wait()).get() }
        XCTAssertEqual(tasks.reduce(0, +), 9 * 30)
        // Every round keeps all 9 clients busy, so the worker beyond the two awaited
        // takes over its third of the clients between rounds and trains from then on.
        XCTAssert(outcome.logs.contains { $0.hasSuffix("took over 3 clients and now hosts 3") }, "\(outcome.logs)")
        XCTAssertEqual(tasks.filter { $0 > 0 }.count, 3, "\(tasks)")
    }

    func testAWorkerForAnotherScenarioIsRefusedAndTheRunGoesOn() throws {
        let data = blobData(clients: 4)
        let scenario = blobScenario(clients: 4, perRound: 2, rounds: 3)
        let network = InMemoryNetwork()
        let stranger = WorkerThread(network.connectWorker(), name: "stranger", scenario: "digits-mlp")
        let named = WorkerThread(network.connectWorker(), name: "named", scenario: "blobs")
        let outcome = try run(scenario, data, network: network, waitFor: 1)
        XCTAssertEqual(outcome.metrics.count, 3)
        XCTAssertEqual(try named.wait()?.get(), 2 * 3)
        guard case let .failure(error) = stranger.wait() else { return XCTFail("the stranger was not refused") }
        XCTAssertEqual("\(error)", "stranger: the coordinator refused this worker: this coordinator runs scenario 'blobs', the worker was started for 'digits-mlp'")
        XCTAssert(outcome.logs.contains { $0.contains("refused a message from peer") && $0.contains("'digits-mlp'") },
                  "\(outcome.logs)")
    }

    func testAWorkerGivesUpOnASilentCoordinatorWithAClearMessage() {
        let network = InMemoryNetwork()
        let worker = Worker(transport: network.connectWorker(), name: "w", coordinator: "tcp://nowhere:5555",
                            connectTimeout: 0.6, log: { _ in })
        XCTAssertThrowsError(try worker.run()) { error in
            XCTAssertEqual("\(error)", "w: no answer from tcp://nowhere:5555 within 0 s; is the coordinator running and reachable from here?")
        }
    }

    /// Delivers a straggler's Hello just as the coordinator drains its queue at the end.
    private final class LastMinuteHello: CoordinatorTransport {
        let network: InMemoryNetwork
        let straggler: InMemoryWorkerEndpoint
        private var sent = false

        init(_ network: InMemoryNetwork) {
            self.network = network
            straggler = network.connectWorker()
        }

        func send(_ message: EncodedMessage, to peer: PeerID) throws {
            try network.send(message, to: peer)
        }

        func receive(timeoutMilliseconds: Int) throws -> Inbound? {
            if timeoutMilliseconds == 0, !sent {
                sent = true
                try straggler.send(.hello(Hello(workerName: "straggler")))
                Thread.sleep(forTimeInterval: 0.05)
            }
            return try network.receive(timeoutMilliseconds: timeoutMilliseconds)
        }

        var traffic: WireTraffic { network.traffic }

        func peerEndpoint(of peer: PeerID, port: Int) -> String { network.peerEndpoint(of: peer, port: port) }
    }

    func testAWorkerWhoseHelloArrivesAtTheEndIsToldToStop() throws {
        let network = InMemoryNetwork()
        let worker = WorkerThread(network.connectWorker(), name: "w")
        let transport = LastMinuteHello(network)
        _ = try Coordinator(scenario: blobScenario(clients: 2, perRound: 2, rounds: 2), data: blobData(clients: 2),
                            transport: transport, folder: nil, options: CoordinatorOptions(workers: 1)).run()
        XCTAssertEqual(try worker.wait()?.get(), 4)
        guard case let .stop(reason)? = try transport.straggler.receive(timeoutMilliseconds: 1000) else {
            return XCTFail("the straggler was not told to stop")
        }
        XCTAssertEqual(reason, "run complete")
    }
}
