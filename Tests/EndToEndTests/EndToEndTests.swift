import FedSimCore
import FedSimRuntime
import Foundation
import XCTest

/// Runs through real `fedsim` processes: the executable built beside this test bundle.
final class EndToEndTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fedsim = URL(fileURLWithPath: LocalCluster.currentExecutable)
        .deletingLastPathComponent().appendingPathComponent("fedsim").path

    override func setUp() {
        BLAS.useSingleThread()
    }

    private func scenario(_ name: String) -> String {
        Self.repository.appendingPathComponent("scenarios/\(name)").path
    }

    private func temporaryFolder() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-e2e-\(UUID())").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Runs the fedsim executable; returns its exit status, standard output and standard error.
    private func fedsim(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.fedsim)
        process.arguments = arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self),
                String(decoding: errorData, as: UTF8.self))
    }

    /// metrics.jsonl as objects without their machine-dependent `wall_` fields.
    private func deterministicMetrics(_ folder: String) throws -> [NSDictionary] {
        let text = try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for key in object.keys where key.hasPrefix("wall_") { object.removeValue(forKey: key) }
            return object as NSDictionary
        }
    }

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
        XCTAssertEqual(metrics.first?["bytes_down"] as? Int, 10 * 650 * 4)
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

    func testMLPAndSyntheticScenariosLearn() throws {
        for (name, floor) in [("digits-mlp.yaml", 0.85), ("synthetic-1-1.yaml", 0.5)] {
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
            XCTAssert(lines[1].hasPrefix("\(bad):20:15: error: training.batch_size: must be an integer"), lines[1])
            XCTAssert(lines[2].hasPrefix("\(bad):27:3: error: server.rouns: unknown field 'rouns'; did you mean 'rounds'?"),
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
}
