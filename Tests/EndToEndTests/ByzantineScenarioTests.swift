import FedSimRuntime
import Foundation
import XCTest

/// `scenarios/byzantine/base.yaml` under attacks, across worker processes.
final class ByzantineScenarioTests: FedSimProcessTestCase {
    private func accuracy(_ overrides: [String]) throws -> Double {
        let loaded = try ScenarioLoader.load(path: scenario("byzantine/base.yaml"), overrides: overrides)
        let summary = try Simulation.runLocally(loaded, workers: 2, folder: temporaryFolder(), executable: Self.fedsim)
        return summary.finalTestAccuracy
    }

    func testRobustRulesHoldWhereTheAverageBreaks() throws {
        let clean = try accuracy(["attack=null"])
        XCTAssertGreaterThan(clean, 0.9)
        // Under sign flip the median and the trimmed mean stay within 5 points of the
        // attack-free run.
        for rule in [["aggregator.rule=median"], ["aggregator.rule=trimmed_mean", "aggregator.f=2"]] {
            let attacked = try accuracy(["attack.kind=sign_flip"] + rule)
            XCTAssertGreaterThan(attacked, clean - 0.05, "\(rule)")
        }
        // A Gaussian attack costs the average more than 20 points; centered clipping
        // keeps within 5.
        XCTAssertLessThan(try accuracy(["attack.kind=gaussian"]), clean - 0.2)
        XCTAssertGreaterThan(try accuracy(["attack.kind=gaussian", "aggregator.rule=centered_clipping", "aggregator.tau=0.1"]),
                             clean - 0.05)
    }

    func testAttacksAndRandomizedRulesGiveTheSameMetricsWithOneOrThreeWorkers() throws {
        var runs: [[NSDictionary]] = []
        for workers in [1, 3] {
            let folder = temporaryFolder()
            let result = try fedsim([
                "run", scenario("byzantine/base.yaml"), "--workers", "\(workers)", "--out", folder,
                "--set", "attack.kind=gaussian", "--set", "aggregator.rule=trimmed_mean", "--set", "aggregator.f=2",
                "--set", "aggregator.pre=[{name: bucketing, s: 2}]", "--set", "server.rounds=30"])
            XCTAssertEqual(result.status, 0, result.error)
            runs.append(try deterministicMetrics(folder))
        }
        XCTAssertEqual(runs[0].count, 30)
        XCTAssertEqual(runs[0], runs[1])
        XCTAssert((runs[0].first?["robust"] as? String)?.hasPrefix("bucketing: 10 inputs, 5 outputs") == true,
                  "\(runs[0].first ?? [:])")
    }

    func testOverridesNameTheirProblem() throws {
        let typo = try fedsim(["validate", scenario("byzantine/base.yaml"), "--set", "attack.kind=sign_flp"])
        XCTAssertEqual(typo.status, 1)
        XCTAssert(typo.error.hasPrefix("--set:1:1: error: attack.kind: unknown value 'sign_flp'"), typo.error)
        XCTAssert(typo.error.hasSuffix("did you mean 'sign_flip'? (from --set attack.kind=sign_flp)\n"), typo.error)

        let result = try fedsim(["run", scenario("byzantine/base.yaml"), "--set", "aggregator.rule.x=1", "--out", temporaryFolder()])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.error, "--set:1:1: error: aggregator.rule.x: 'x' is inside a field that is not a mapping in 'aggregator.rule.x=1'\n")
    }
}
