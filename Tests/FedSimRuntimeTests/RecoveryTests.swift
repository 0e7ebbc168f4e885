import FedSimAlgorithms
import FedSimCore
@testable import FedSimRuntime
import FedSimWire
import Foundation
import XCTest

/// A run that loses a worker, or is stopped and resumed from its checkpoint, ends with
/// the records of an undisturbed run.
final class RecoveryTests: XCTestCase {
    private struct Died: Error {}

    /// A worker's transport that dies (closing its connection, as a killed process's
    /// closes) when it receives its `tasks`-th task, before training it.
    private final class DyingEndpoint: WorkerTransport {
        private let endpoint: InMemoryWorkerEndpoint
        private let network: InMemoryNetwork
        private var tasksLeft: Int

        init(_ network: InMemoryNetwork, diesAtTask tasks: Int) {
            self.network = network
            endpoint = network.connectWorker()
            tasksLeft = tasks
        }

        func send(_ message: Message) throws { try endpoint.send(message) }

        func receive(timeoutMilliseconds: Int) throws -> Message? {
            let message = try endpoint.receive(timeoutMilliseconds: timeoutMilliseconds)
            if case .task = message {
                tasksLeft -= 1
                if tasksLeft == 0 {
                    network.disconnect(endpoint.peer)
                    throw Died()
                }
            }
            return message
        }

        var peerPort: Int { 0 }
        var maxMessageBytes: Int { endpoint.maxMessageBytes }
        func limitCoordinatorMessages(toBytes limit: Int) { endpoint.limitCoordinatorMessages(toBytes: limit) }
        func connectPeers(_ endpoints: [String], keys: [CurveKey], selfIndex: Int) throws {}
        func sendToPeer(_ message: EncodedMessage, worker index: Int) throws {}
        func receiveFromAnyone(timeoutMilliseconds: Int) throws -> WorkerInbound? { nil }
    }

    private func startWorker(_ transport: WorkerTransport, name: String) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        Thread {
            _ = try? Worker(transport: transport, name: name, connectTimeout: 5,
                            heartbeat: Heartbeat(interval: 0.05, timeout: 1), log: { _ in }).run()
            done.signal()
        }.start()
        return done
    }

    /// FedBuff on clients of unequal speeds: jobs run across steps, and updates are stale.
    private func asyncScenario() -> Scenario {
        var scenario = blobScenario(clients: 12, perRound: 4, rounds: 40)
        scenario.server = ServerSettings(strategy: FedBuff(bufferSize: 3, concurrency: 6), rounds: 40)
        scenario.system = SystemSettings(compute: .exponential(mean: 1))
        return scenario
    }

    private func metrics(_ folder: String) throws -> [String] {
        try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .map { withoutWallFields(String($0)) }
    }

    private func options(workers: Int, logs: NSMutableArray? = nil) -> CoordinatorOptions {
        var options = CoordinatorOptions(workers: workers)
        options.heartbeat = Heartbeat(interval: 0.05, timeout: 1)
        options.log = { logs?.add($0) }
        return options
    }

    /// The records of the scenario run undisturbed on two workers.
    private func undisturbed(_ scenario: Scenario, _ data: FederatedDataset) throws -> [String] {
        let network = InMemoryNetwork()
        let done = (0..<2).map { startWorker(network.connectWorker(), name: "w\($0)") }
        let path = temporaryFolder("recovery")
        _ = try Coordinator(scenario: scenario, data: data, transport: network,
                            folder: RunFolder(path: path, scenario: scenario), options: options(workers: 2)).run()
        for worker in done { XCTAssertEqual(worker.wait(timeout: .now() + 10), .success) }
        return try metrics(path)
    }

    func testALostWorkersUnfinishedJobsAreSentAgainAndTheRecordsDoNotChange() throws {
        let scenario = asyncScenario()
        let data = blobData(clients: 12)
        let reference = try undisturbed(scenario, data)

        let network = InMemoryNetwork()
        let survivors = (0..<2).map { startWorker(network.connectWorker(), name: "w\($0)") }
        _ = startWorker(DyingEndpoint(network, diesAtTask: 5), name: "dies")
        let path = temporaryFolder("recovery")
        let logs = NSMutableArray()
        let summary = try Coordinator(scenario: scenario, data: data, transport: network,
                                      folder: RunFolder(path: path, scenario: scenario),
                                      options: options(workers: 3, logs: logs)).run()
        XCTAssertEqual(try metrics(path), reference)
        XCTAssertEqual(summary.workers, 2)
        let lines = logs.compactMap { $0 as? String }
        XCTAssert(lines.contains { $0.hasPrefix("lost dies: its connection closed; its 4 clients move to the live workers") },
                  "\(lines)")
        XCTAssert(lines.contains { $0.hasPrefix("sending ") && $0.hasSuffix(" unfinished jobs again") }, "\(lines)")
        for worker in survivors { XCTAssertEqual(worker.wait(timeout: .now() + 10), .success) }
    }

    func testLosingEveryWorkerWaitsForANewOneAndTheRecordsDoNotChange() throws {
        let scenario = asyncScenario()
        let data = blobData(clients: 12)
        let reference = try undisturbed(scenario, data)

        let network = InMemoryNetwork()
        _ = startWorker(DyingEndpoint(network, diesAtTask: 8), name: "dies")
        let path = temporaryFolder("recovery")
        var late: DispatchSemaphore?
        let logs = NSMutableArray()
        var options = options(workers: 1, logs: logs)
        options.healthCheck = {
            // The replacement a supervisor would start once the only worker is gone.
            if late == nil, logs.contains(where: { ($0 as? String)?.hasPrefix("no live worker left") == true }) {
                late = self.startWorker(network.connectWorker(), name: "replacement")
            }
        }
        _ = try Coordinator(scenario: scenario, data: data, transport: network,
                            folder: RunFolder(path: path, scenario: scenario), options: options).run()
        XCTAssertEqual(try metrics(path), reference)
        XCTAssertEqual(late?.wait(timeout: .now() + 10), .success)
    }

    func testAnInterruptedRunResumesFromItsCheckpointToTheSameRecordsAndModel() throws {
        let scenario = asyncScenario()
        let data = blobData(clients: 12)
        let reference = try undisturbed(scenario, data)

        // Stopped while waiting for a step's updates (the health check runs only while the
        // run waits): the checkpoint puts the step back before the schedule's next action.
        let path = temporaryFolder("recovery")
        let first = InMemoryNetwork()
        let firstWorkers = (0..<2).map { startWorker(first.connectWorker(), name: "w\($0)") }
        var stopping = false
        var interrupted = options(workers: 2)
        interrupted.heartbeat = Heartbeat(interval: 0.000_001, timeout: 1)
        interrupted.checkpointEvery = .steps(5)
        interrupted.progress = { if $0.step == 16 { stopping = true } }
        interrupted.healthCheck = { if stopping { throw RunError.interrupted(signal: SIGINT) } }
        XCTAssertThrowsError(try Coordinator(scenario: scenario, data: data, transport: first,
                                             folder: RunFolder(path: path, scenario: scenario), options: interrupted).run()) {
            XCTAssertEqual($0 as? RunError, .interrupted(signal: SIGINT))
        }
        for worker in firstWorkers { XCTAssertEqual(worker.wait(timeout: .now() + 10), .success) }
        XCTAssertEqual(RunFolder.status(in: path), .interrupted)
        let checkpoint = try XCTUnwrap(RunCheckpoint.read(from: path))
        XCTAssertGreaterThanOrEqual(checkpoint.steps, 16)
        XCTAssertLessThan(checkpoint.steps, 40)
        XCTAssertEqual(try metrics(path), Array(reference.prefix(checkpoint.steps)))

        let second = InMemoryNetwork()
        let secondWorkers = (0..<3).map { startWorker(second.connectWorker(), name: "v\($0)") }
        let summary = try Coordinator(scenario: scenario, data: data, transport: second,
                                      folder: RunFolder(resuming: path, from: checkpoint), options: options(workers: 3),
                                      resuming: checkpoint).run()
        for worker in secondWorkers { XCTAssertEqual(worker.wait(timeout: .now() + 10), .success) }
        XCTAssertEqual(try metrics(path), reference)
        // The resumed run writes its own event file, from the step after the checkpoint.
        let eventFiles = try TensorBoardEventReader.eventFiles(in: path)
        XCTAssertEqual(eventFiles.count, 2)
        XCTAssertEqual(eventFiles.first?.dropFirst().first?.step, 1)
        XCTAssertEqual(eventFiles.last?.dropFirst().map(\.step), (checkpoint.steps + 1...40).map(Int64.init))
        XCTAssertEqual(summary.steps, 40)
        XCTAssertEqual(RunFolder.status(in: path), .completed)
        XCTAssertFalse(RunCheckpoint.exists(in: path))
    }

    func testACheckpointIsWrittenEveryNSteps() throws {
        let scenario = blobScenario(clients: 6, perRound: 3, rounds: 12)
        let data = blobData(clients: 6)
        let network = InMemoryNetwork()
        let worker = startWorker(network.connectWorker(), name: "w")
        let path = temporaryFolder("recovery")
        var options = options(workers: 1)
        options.checkpointEvery = .steps(5)
        var seen: [Int] = []
        options.progress = { _ in seen.append((try? RunCheckpoint.read(from: path))??.steps ?? 0) }
        _ = try Coordinator(scenario: scenario, data: data, transport: network,
                            folder: RunFolder(path: path, scenario: scenario), options: options).run()
        XCTAssertEqual(worker.wait(timeout: .now() + 10), .success)
        // Read as each step is recorded, before that step's checkpoint.
        XCTAssertEqual(seen, [0, 0, 0, 0, 0, 5, 5, 5, 5, 5, 10, 10])
    }

    func testCheckpointIntervalsReadStepsOrSeconds() {
        XCTAssertEqual(CheckpointInterval("10"), .steps(10))
        XCTAssertEqual(CheckpointInterval("2.5s"), .seconds(2.5))
        for bad in ["0", "-3", "s", "0s", "ten", "1.5", "infs"] { XCTAssertNil(CheckpointInterval(bad), bad) }
        XCTAssertTrue(CheckpointInterval.steps(5).isDue(step: 10, lastStep: 5, elapsed: 0))
        XCTAssertFalse(CheckpointInterval.steps(5).isDue(step: 9, lastStep: 5, elapsed: 100))
        XCTAssertTrue(CheckpointInterval.seconds(30).isDue(step: 1, lastStep: 0, elapsed: 31))
    }
}
