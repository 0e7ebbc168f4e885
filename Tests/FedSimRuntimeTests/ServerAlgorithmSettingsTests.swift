import FedSimAlgorithms
import FedSimCore
@testable import FedSimRuntime
import Foundation
import XCTest

/// Each server algorithm reads its own `server:` fields and writes them back as it read them.
final class ServerAlgorithmSettingsTests: XCTestCase {
    private let data = ScenarioLoaderTests.repository.appendingPathComponent("data/digits.csv").path

    /// A scenario of 20 clients whose `server:` section is `server`.
    private func scenarioText(_ server: String) -> String {
        """
        name: settings
        data:
          source: csv
          path: \(data)
        partition:
          scheme: iid
          clients: 20
        model:
          kind: softmax
        training:
          learning_rate: 0.1
        server:
        \(server)
        """
    }

    private func parse(_ text: String) throws -> Scenario {
        try ScenarioLoader.parse(text, file: "settings.yaml", baseDirectory: "/")
    }

    /// The `server:` lines of the scenario's resolved YAML.
    private func serverLines(_ scenario: Scenario) -> [String] {
        let lines = scenario.resolvedYAML.split(separator: "\n").map(String.init)
        let start = lines.firstIndex(of: "server:")!
        return Array(lines[(start + 1)...].prefix { $0.hasPrefix("  ") })
    }

    /// Every algorithm's settings, as written in full, and the strategy they describe.
    private let written: [(server: [String], strategy: any ServerStrategy)] = [
        (["  algorithm: fedavg", "  rounds: 7", "  learning_rate: 0.5", "  clients_per_round: 6", "  weighting: uniform",
          "  over_selection: 0.25", "  deadline: 2.5", "  optimizer: sgd"],
         FedAvg(clientsPerRound: 6, weighting: .uniform, deadline: 2.5, overSelection: 0.25)),
        (["  algorithm: fedasync", "  time_budget: 30.0", "  learning_rate: 1.0", "  async_weighting: identical",
          "  concurrency: 4", "  staleness:", "    kind: hinge", "    a: 3.0", "    b: 2.0", "  optimizer: momentum",
          "  beta1: 0.8"],
         FedAsync(weighting: .identical, damping: .hinge(a: 3, b: 2), concurrency: 4)),
        (["  algorithm: fedbuff", "  rounds: 9", "  learning_rate: 1.0", "  async_weighting: weight", "  buffer_size: 5",
          "  optimizer: adam", "  beta1: 0.9", "  beta2: 0.99", "  tau: 0.001"],
         FedBuff(bufferSize: 5, weighting: .weight)),
        (["  algorithm: fedfix", "  time_budget: 12.0", "  learning_rate: 1.0", "  period: 0.4", "  optimizer: sgd"],
         FedFix(period: 0.4)),
    ]

    func testEveryAlgorithmsSettingsRoundTripThroughTheScenarioFile() throws {
        XCTAssertEqual(written.map { type(of: $0.strategy).name }, ServerStrategies.names, "one case per algorithm")
        for (server, strategy) in written {
            let scenario = try parse(scenarioText(server.joined(separator: "\n")))
            XCTAssert(scenario.server.strategy.isEqual(to: strategy), "\(scenario.server.strategy)")
            XCTAssertEqual(serverLines(scenario), server, "written back as read")
            XCTAssertEqual(try parse(scenario.resolvedYAML), scenario)
        }
    }

    func testDefaultsAreWrittenOut() throws {
        let scenario = try parse(scenarioText("  algorithm: fedasync\n  rounds: 3"))
        XCTAssertEqual(serverLines(scenario), [
            "  algorithm: fedasync", "  rounds: 3", "  learning_rate: 1.0", "  async_weighting: weight",
            "  staleness:", "    kind: constant", "  optimizer: sgd",
        ])
        XCTAssert(scenario.server.strategy.isEqual(to: FedAsync()))
    }

    func testEveryRegisteredAlgorithmIsFoundByNameAndRunsASchedule() throws {
        for type in ServerStrategies.all {
            XCTAssert(ServerStrategies.type(named: type.name) == type, type.name)
            XCTAssertFalse(type.fields.isEmpty, type.name)
            let required = ["fedavg": "\n  clients_per_round: 4", "fedbuff": "\n  buffer_size: 4", "fedfix": "\n  period: 0.5"]
            let scenario = try parse(scenarioText("  algorithm: \(type.name)\n  rounds: 2" + (required[type.name] ?? "")))
            XCTAssertEqual(scenario.server.algorithm, type.name)
            var server = EventDrivenServer(
                strategy: scenario.server.strategy,
                scheduler: Scheduler(clock: FixedDurations(Array(repeating: 1, count: 20)),
                                     sampleCounts: Array(repeating: 5, count: 20), seed: 1),
                stop: scenario.server.stop)
            XCTAssertEqual(server.remainingSteps().count, 2, type.name)
        }
        XCTAssertNil(ServerStrategies.type(named: "fedsgd"))
    }

    func testAFieldOfAnotherAlgorithmNamesTheAlgorithmsThatReadIt() throws {
        do {
            _ = try parse(scenarioText("  algorithm: fedfix\n  rounds: 2\n  period: 1\n  concurrency: 3\n  weighting: uniform"))
            XCTFail("accepted fields of other algorithms")
        } catch let error as ScenarioError {
            XCTAssertEqual(error.issues.map(\.field), ["server.concurrency", "server.weighting"])
            XCTAssertEqual(error.issues.map(\.message), ["applies to algorithms fedasync, fedbuff, not fedfix",
                                                         "applies to algorithm fedavg, not fedfix"])
        }
    }

    func testARobustRuleNeedsAnAlgorithmThatCombinesSeveralUpdates() throws {
        do {
            _ = try parse(scenarioText("  algorithm: fedasync\n  rounds: 2\naggregator:\n  rule: median"))
            XCTFail("accepted a robust rule under fedasync")
        } catch let error as ScenarioError {
            XCTAssertEqual(error.issues.map(\.message),
                           ["fedasync applies one update at a time; a robust rule needs several (use fedavg, fedbuff or fedfix)"])
        }
    }

    func testAnUnknownAlgorithmIsNamedWithTheRegisteredOnes() throws {
        do {
            _ = try parse(scenarioText("  algorithm: fedbuf\n  rounds: 2\n  buffer_size: 3"))
            XCTFail("accepted an unknown algorithm")
        } catch let error as ScenarioError {
            XCTAssertEqual(error.issues.first?.field, "server.algorithm")
            XCTAssertEqual(error.issues.first?.message,
                           "unknown value 'fedbuf'; expected one of fedavg, fedasync, fedbuff, fedfix; did you mean 'fedbuff'?")
        }
    }

    func testAMisspelledFieldIsMatchedAgainstEveryAlgorithmsFields() throws {
        do {
            _ = try parse(scenarioText("  rounds: 2\n  clients_per_round: 4\n  bufer_size: 3"))
            XCTFail("accepted a misspelled field")
        } catch let error as ScenarioError {
            XCTAssertEqual(error.issues.map(\.field), ["server.bufer_size"])
            XCTAssertEqual(error.issues.first?.message, "unknown field 'bufer_size'; did you mean 'buffer_size'? (fields here: "
                           + "adapter, algorithm, async_weighting, beta1, beta2, buffer_size, candidates, clients_per_round, "
                           + "concurrency, deadline, learning_rate, losses, optimizer, over_selection, pacing, period, rounds, "
                           + "sampling, selection, staleness, straggler_work, stragglers, svd_period, tau, time_budget, "
                           + "weighting)")
        }
    }
}

extension ServerAlgorithmSettingsTests {
    func testProportionalSamplingWeighsDrawsAndRefusesAnotherRuleOrWeighting() throws {
        let proportional = try parse(scenarioText("  rounds: 3\n  clients_per_round: 30\n  sampling: proportional"))
        XCTAssert(proportional.server.strategy.isEqual(to: FedAvg(clientsPerRound: 30, weighting: .uniform,
                                                                    sampling: .proportional)),
                  "more draws than clients, weighting uniform by default")
        XCTAssertEqual(try parse(proportional.resolvedYAML), proportional)
        for (extra, field) in [("weighting: samples", "weighting"), ("selection: power_of_choice", "selection"),
                               ("over_selection: 0.5", "over_selection")] {
            do {
                _ = try parse(scenarioText("  rounds: 3\n  clients_per_round: 5\n  sampling: proportional\n  \(extra)"))
                XCTFail("accepted \(extra)")
            } catch let error as ScenarioError {
                XCTAssertEqual(error.issues.map(\.field), ["server.\(field)"], "\(error)")
            }
        }
    }
}
