import FedSimCore
@testable import FedSimRuntime
import Foundation
import XCTest

final class ScenarioLoaderTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let scenarios = repository.appendingPathComponent("scenarios")

    /// A valid scenario's text, with `replacing` substituted.
    private func text(_ replacements: [String: String] = [:]) -> String {
        var yaml = """
            name: test
            seed: 5
            data:
              source: csv
              path: ../data/digits.csv
              normalize: minmax
            partition:
              scheme: dirichlet
              clients: 20
              alpha: 0.5
            model:
              kind: softmax
            training:
              local_epochs: 1
              batch_size: 16
              learning_rate: 0.1
            server:
              rounds: 3
              clients_per_round: 5

            """
        for (old, new) in replacements {
            yaml = yaml.replacingOccurrences(of: old, with: new)
        }
        return yaml
    }

    private func parse(_ yaml: String) throws -> Scenario {
        try ScenarioLoader.parse(yaml, file: "test.yaml", baseDirectory: Self.scenarios.path)
    }

    private func issues(_ yaml: String) -> [ScenarioIssue] {
        do {
            _ = try parse(yaml)
            XCTFail("expected the scenario to be rejected")
            return []
        } catch let error as ScenarioError {
            return error.issues
        } catch {
            XCTFail("unexpected error \(error)")
            return []
        }
    }

    func testQuickstartLoadsWithItsValuesAndDefaults() throws {
        let scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("quickstart.yaml").path)
        XCTAssertEqual(scenario.name, "quickstart")
        XCTAssertEqual(scenario.data.source, .csv(path: Self.repository.appendingPathComponent("data/digits.csv").path,
                                                  labelColumn: -1))
        XCTAssertEqual(scenario.partition, PartitionSettings(scheme: .dirichlet, clients: 100, alpha: 0.5))
        XCTAssertEqual(scenario.model, ModelSettings(kind: .softmax))
        XCTAssertEqual(scenario.training, LocalTraining(epochs: 1, batchSize: 16, learningRate: 0.1))
        XCTAssertEqual(scenario.server, ServerSettings(rounds: 100, clientsPerRound: 10))
        XCTAssertEqual(scenario.evaluation.every, 1)
    }

    func testEveryShippedScenarioLoads() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.scenarios.path).filter { $0.hasSuffix(".yaml") }
        XCTAssertGreaterThanOrEqual(files.count, 3)
        for file in files {
            XCTAssertNoThrow(try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent(file).path), file)
        }
    }

    func testResolvedYAMLLoadsBackToTheSameScenario() throws {
        for file in ["quickstart.yaml", "digits-mlp.yaml", "synthetic-1-1.yaml"] {
            let scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent(file).path)
            let again = try ScenarioLoader.parse(scenario.resolvedYAML, file: "resolved.yaml", baseDirectory: "/")
            XCTAssertEqual(again, scenario, file)
        }
    }

    func testUnknownKeyIsNamedWithLineAndSuggestion() {
        let found = issues(text(["  batch_size: 16": "  batchsize: 16"]))
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(found.first?.line, 15)
        XCTAssertEqual(found.first?.column, 3)
        XCTAssertEqual(found.first?.field, "training.batchsize")
        XCTAssert(found.first?.description.hasPrefix("test.yaml:15:3: error: training.batchsize: unknown field 'batchsize'; did you mean 'batch_size'?") == true,
                  found.first?.description ?? "")
    }

    func testWrongTypeIsNamedWithLine() {
        let found = issues(text(["  rounds: 3": "  rounds: three"]))
        XCTAssertEqual(found.map(\.field), ["server.rounds"])
        XCTAssertEqual(found.first?.line, 18)
        XCTAssertEqual(found.first?.message, "must be an integer, got 'three'")
    }

    func testMissingDataFileNamesThePath() {
        let found = issues(text(["../data/digits.csv": "../data/nope.csv"]))
        XCTAssertEqual(found.map(\.field), ["data.path"])
        XCTAssertEqual(found.first?.line, 5)
        XCTAssert(found.first?.message.contains("missing data file '\(Self.repository.path)/data/nope.csv'") == true,
                  found.first?.message ?? "")
    }

    func testEveryProblemIsReportedAtOnce() {
        let found = issues(text([
            "  kind: softmax": "  kind: softmx",
            "  learning_rate: 0.1": "  learning_rate: -1",
            "  clients_per_round: 5": "  clients_per_round: 50",
        ]))
        XCTAssertEqual(found.map(\.field), ["model.kind", "training.learning_rate", "server.clients_per_round"])
        XCTAssert(found[0].message.contains("did you mean 'softmax'?"), found[0].message)
        XCTAssertEqual(found[2].message, "50 clients per round but only 20 clients (partition.clients)")
    }

    func testMissingSectionAndFieldAreNamed() {
        let found = issues(text(["model:\n  kind: softmax\n": ""]))
        XCTAssertEqual(found.map(\.field), ["model"])
        XCTAssertEqual(found.first?.message, "missing field 'model'")
    }

    func testInvalidYAMLReportsItsLine() {
        let found = issues("name: x\ndata: [unclosed\n")
        XCTAssertEqual(found.count, 1)
        XCTAssertGreaterThan(found.first?.line ?? 0, 1)
        XCTAssert(found.first?.message.hasPrefix("invalid YAML") == true)
    }

    func testMLPNeedsHiddenLayers() {
        let found = issues(text(["  kind: softmax": "  kind: mlp"]))
        XCTAssertEqual(found.map(\.field), ["model.hidden"])
    }

    func testSyntheticDataNeedsNaturalPartition() {
        let found = issues(text(["  source: csv\n  path: ../data/digits.csv\n": "  source: synthetic\n"]))
        XCTAssertEqual(found.map(\.field), ["partition.scheme"])
    }

    func testMissingScenarioFile() {
        XCTAssertThrowsError(try ScenarioLoader.load(path: "/nonexistent/x.yaml")) { error in
            XCTAssertEqual("\(error)", "/nonexistent/x.yaml:1:1: error: no such scenario file")
        }
    }
}
