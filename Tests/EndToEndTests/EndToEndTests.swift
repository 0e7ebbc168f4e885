import FedSimCore
import FedSimRuntime
import FedSimWire
import Foundation
import XCTest

/// Runs through real `fedsim` processes.
final class EndToEndTests: FedSimProcessTestCase {
    func testQuickstartReachesItsAccuracyAcrossWorkerProcesses() throws {
        let folder = temporaryFolder()
        let result = try fedsim(["run", scenario("quickstart.yaml"), "--workers", "2", "--out", folder])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssert(result.output.contains("final test accuracy"), result.output)

        let summary = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json"))) as? [String: Any])
        let accuracy = try XCTUnwrap(summary["final_test_accuracy"] as? Double)
        XCTAssertGreaterThanOrEqual(accuracy, 0.88)
        XCTAssertEqual(summary["rounds"] as? Int, 100)
        XCTAssertEqual(summary["client_updates"] as? Int, 1000)
        XCTAssertEqual(summary["workers"] as? Int, 2)
        for key in ["wall_seconds", "client_updates_per_second"] {
            XCTAssertGreaterThan(summary[key] as? Double ?? 0, 0, key)
        }

        let metrics = try deterministicMetrics(folder)
        XCTAssertEqual(metrics.count, 100)
        XCTAssertEqual(metrics.first?["round"] as? Int, 1)
        XCTAssertEqual(metrics.first?["clients"] as? Int, 10)
        // Each of the 10 clients downloads one encoded Model message: 650 float32
        // parameters (2,600 bytes) plus 15 bytes of envelope, version and tags.
        XCTAssertEqual(metrics.first?["bytes_down"] as? Int, 10 * (650 * 4 + 15))
        XCTAssertNotNil(metrics.last?["test_accuracy"])

        let clients = try String(contentsOfFile: folder + "/clients.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(clients.count, 101)
        XCTAssertEqual(clients.dropFirst().reduce(0) { $0 + Int($1.split(separator: ",")[2])! }, 1000)
        let resolved = try ScenarioLoader.load(path: folder + "/scenario.yaml")
        XCTAssertEqual(resolved, try ScenarioLoader.load(path: scenario("quickstart.yaml")))
    }

    func testMetricsAreIdenticalWithOneOrFourWorkers() throws {
        var runs: [[NSDictionary]] = []
        for workers in [1, 4] {
            let folder = temporaryFolder()
            let result = try fedsim(["run", scenario("quickstart.yaml"), "--workers", "\(workers)", "--out", folder])
            XCTAssertEqual(result.status, 0, result.error)
            runs.append(try deterministicMetrics(folder))
        }
        XCTAssertEqual(runs[0].count, 100)
        XCTAssertEqual(runs[0], runs[1])
    }

    func testLocalStepsRunsAreIdenticalWithOneOrThreeWorkers() throws {
        let steps = ["--set", "training.local_epochs=null", "--set", "training.local_steps=7", "--set", "server.rounds=20"]
        var runs: [[NSDictionary]] = []
        var clients: [String] = []
        for workers in [1, 3] {
            let folder = temporaryFolder()
            let result = try fedsim(["run", scenario("quickstart.yaml"), "--workers", "\(workers)", "--out", folder] + steps)
            XCTAssertEqual(result.status, 0, result.error)
            runs.append(try deterministicMetrics(folder))
            clients.append(try String(contentsOfFile: folder + "/clients.csv", encoding: .utf8))
            XCTAssertEqual(try ScenarioLoader.load(path: folder + "/scenario.yaml").training.work, .steps(7))
        }
        XCTAssertEqual(runs[0].count, 20)
        XCTAssertEqual(runs[0], runs[1])
        XCTAssertEqual(clients[0], clients[1])
        for row in clients[0].split(separator: "\n").dropFirst() {
            let fields = row.split(separator: ",")
            XCTAssertEqual(Int(fields[3]), 7 * Int(fields[2])!, "client \(fields[0]): local_steps = 7 x updates")
        }

        let both = try fedsim(["validate", scenario("quickstart.yaml"), "--set", "training.local_steps=7"])
        XCTAssertEqual(both.status, 1)
        XCTAssert(both.error.contains("error: training.local_steps: excludes local_epochs"), both.error)
    }

    func testValidateTakesASeedAsRunDoes() throws {
        // Synthetic clients draw their sample counts from the seed.
        let first = try fedsim(["validate", scenario("synthetic-1-1.yaml"), "--seed", "1"])
        let second = try fedsim(["validate", scenario("synthetic-1-1.yaml"), "--seed", "2"])
        XCTAssertEqual(first.status, 0, first.error)
        XCTAssertEqual(second.status, 0, second.error)
        XCTAssert(first.output.contains(": ok — "), first.output)
        XCTAssertNotEqual(first.output, second.output)

        // A data seed keeps the data whatever the seed.
        let fixed = try ["1", "2"].map { try fedsim(["validate", scenario("synthetic-1-1.yaml"), "--seed", $0, "--data-seed", "5"]) }
        XCTAssertEqual(fixed[0].status, 0, fixed[0].error)
        XCTAssertEqual(fixed[0].output, fixed[1].output)
        XCTAssertNotEqual(fixed[0].output, first.output)
    }

    func testAWorkerRetriesAnUnreachableCoordinatorVisiblyThenGivesUp() throws {
        // Nothing listens on port 9 of loopback: ZeroMQ keeps reconnecting in the background.
        let result = try fedsim(["worker", "--connect", "tcp://127.0.0.1:9", "--name", "lonely", "--connect-timeout", "6"])
        XCTAssertEqual(result.status, 1)
        XCTAssert(result.error.contains("lonely: no answer from tcp://127.0.0.1:9 yet after 5 s; retrying until 6 s"), result.error)
        XCTAssert(result.error.contains("lonely: no answer from tcp://127.0.0.1:9 within 6 s; is the coordinator running and reachable from here?"),
                  result.error)
    }

    func testAggregatePrintsTheRobustAggregateAndNamesBadRows() throws {
        let folder = temporaryFolder()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let vectors = folder + "/vectors.csv"
        try "1,10\n2,20\n3,30\n4,40\n1000,-1000\n".write(toFile: vectors, atomically: true, encoding: .utf8)
        // Per coordinate, f = 1 drops the smallest and largest: mean(2, 3, 4) = 3 and
        // mean(10, 20, 30) = 20.
        let trimmed = try fedsim(["aggregate", "--rule", "trimmed_mean", "--f", "1", vectors])
        XCTAssertEqual(trimmed.status, 0, trimmed.error)
        XCTAssertEqual(trimmed.output, "3.0,20.0\n")
        XCTAssert(trimmed.error.contains("trimmed 2 per coordinate"), trimmed.error)

        let ragged = folder + "/ragged.csv"
        try "1,2\n3\n".write(toFile: ragged, atomically: true, encoding: .utf8)
        let bad = try fedsim(["aggregate", "--rule", "median", ragged])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.error, "fedsim: error: \(ragged):2: expected 2 fields as on line 1, found 1\n")
    }

    func testMLPAndSyntheticScenariosLearn() throws {
        for (name, floor) in [("digits-mlp.yaml", 0.9), ("synthetic-1-1.yaml", 0.75)] {
            let folder = temporaryFolder()
            let loaded = try ScenarioLoader.load(path: scenario(name))
            let summary = try Simulation.runLocally(loaded, workers: 2, folder: folder, executable: Self.fedsim)
            XCTAssertGreaterThanOrEqual(summary.finalTestAccuracy, floor, name)
        }
    }

    func testValidateNamesFileLineAndField() throws {
        let folder = temporaryFolder()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let bad = folder + "/bad.yaml"
        let text = try String(contentsOfFile: scenario("quickstart.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "../data/digits.csv", with: Self.repository.path + "/data/missing.csv")
            .replacingOccurrences(of: "  batch_size: 16", with: "  batch_size: sixteen")
            .replacingOccurrences(of: "  clients_per_round: 10", with: "  clients_per_round: 10\n  rouns: 5")
        try text.write(toFile: bad, atomically: true, encoding: .utf8)

        for command in [["validate", bad], ["run", bad, "--out", folder + "/run"]] {
            let result = try fedsim(command)
            XCTAssertEqual(result.status, 1, command.joined(separator: " "))
            let lines = result.error.split(separator: "\n").map(String.init)
            XCTAssertEqual(lines.count, 3, result.error)
            XCTAssert(lines[0].hasPrefix("\(bad):8:9: error: data.path: missing data file"), lines[0])
            XCTAssert(lines[1].hasPrefix("\(bad):21:15: error: training.batch_size: must be an integer"), lines[1])
            XCTAssert(lines[2].hasPrefix("\(bad):28:3: error: server.rouns: unknown field 'rouns'; did you mean 'rounds'?"),
                      lines[2])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/run"))
    }

    func testValidateAcceptsTheShippedScenarios() throws {
        let result = try fedsim(["validate", scenario("quickstart.yaml"), scenario("digits-mlp.yaml"),
                                 scenario("synthetic-1-1.yaml")])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertEqual(result.output.split(separator: "\n").filter { $0.contains(": ok") }.count, 3, result.output)
    }

    func testCoordinatorAndWorkerProcessesOverTCPGiveTheSameMetricsAsRun() throws {
        let separate = temporaryFolder()
        let (coordinator, endpoint) = try startCoordinator(scenario("quickstart.yaml"), workers: 3, folder: separate)
        let workers = try (0..<3).map { try Running(["worker", "--connect", endpoint, "--name", "w\($0)"]) }
        let result = coordinator.finish()
        XCTAssertEqual(result.status, 0, result.error)
        for worker in workers { XCTAssertEqual(worker.finish().status, 0) }

        let embedded = temporaryFolder()
        XCTAssertEqual(try fedsim(["run", scenario("quickstart.yaml"), "--workers", "2", "--out", embedded]).status, 0)
        XCTAssertEqual(try deterministicMetrics(separate), try deterministicMetrics(embedded))
    }

    func testWorkerOfAnotherProtocolVersionIsRefusedOverZeroMQ() throws {
        let folder = temporaryFolder()
        let (coordinator, endpoint) = try startCoordinator(scenario("quickstart.yaml"), workers: 1, folder: folder)
        let stranger = try ZMQSocket(.dealer, context: ZMQContext())
        try stranger.setLinger(milliseconds: 0)
        try stranger.connect(endpoint)
        try stranger.send([EncodedMessage(.hello(Hello(workerName: "from-the-future")), protocolVersion: 99).bytes])
        let reply = try XCTUnwrap(stranger.receive(timeoutMilliseconds: 10_000))
        guard case let .refused(reason) = try WireCodec.decode(reply[0]) else { return XCTFail("no refusal") }
        XCTAssertEqual(reason, "\(WireError.versionMismatch(received: 99, expected: wireProtocolVersion))")

        let worker = try Running(["worker", "--connect", endpoint])
        let result = coordinator.finish()
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssert(result.error.contains("refused a message from peer"), result.error)
        XCTAssert(result.error.contains("received version 99, this build speaks version \(wireProtocolVersion)"), result.error)
        XCTAssertEqual(worker.finish().status, 0)
    }

    func testWorkerRefusesACoordinatorOfAnotherProtocolVersion() throws {
        let router = try ZMQSocket(.router, context: ZMQContext())
        try router.setLinger(milliseconds: 1000)
        try router.bind("tcp://127.0.0.1:*")
        let worker = try Running(["worker", "--connect", router.lastEndpoint])
        let hello = try XCTUnwrap(router.receive(timeoutMilliseconds: 10_000))
        guard case .hello = try WireCodec.decode(hello[1]) else { return XCTFail("expected Hello") }
        try router.send([hello[0], EncodedMessage(.stop(reason: "x"), protocolVersion: 99).bytes])
        let result = worker.finish()
        XCTAssertEqual(result.status, 1)
        XCTAssert(result.error.contains(
            "the coordinator cannot be used: protocol version mismatch: received version 99, this build speaks version \(wireProtocolVersion)"),
            result.error)
    }

    func testAWorkerThatDiesPastItsRestartsStopsTheRunWithItsName() throws {
        let folder = temporaryFolder()
        let long = folder + "-long.yaml"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: long) }
        let text = try String(contentsOfFile: scenario("quickstart.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "../data/digits.csv", with: Self.repository.path + "/data/digits.csv")
            .replacingOccurrences(of: "rounds: 100", with: "rounds: 10000000")
        try text.write(toFile: long, atomically: true, encoding: .utf8)
        let run = try Running(["run", long, "--workers", "2", "--max-restarts", "0", "--out", folder])
        var log = ""
        for _ in 0..<500 where !log.contains("2/2 joined") {
            Thread.sleep(forTimeInterval: 0.02)
            log = (try? String(contentsOfFile: folder + "/logs/coordinator.log", encoding: .utf8)) ?? ""
        }
        let line = try XCTUnwrap(log.split(separator: "\n").first { $0.contains("joined: worker-1") })
        let pid = try XCTUnwrap(Int32(line.split(separator: "pid ").last!.dropLast()))
        // Killed once training has begun (after the workers built their clients' rows).
        for _ in 0..<500 where ((try? String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8)) ?? "").isEmpty {
            Thread.sleep(forTimeInterval: 0.02)
        }
        kill(pid, SIGKILL)
        let result = run.finish()
        XCTAssertEqual(result.status, 1)
        XCTAssert(result.error.contains("worker-1 (pid \(pid)) was killed by signal 9"), result.error)
        let rounds = try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").count
        XCTAssertGreaterThan(rounds, 0)
    }
}
