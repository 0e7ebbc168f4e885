import FedSimRuntime
import Foundation
import XCTest

/// The scenarios of `scenarios/privacy/` across real worker processes: the quickstart
/// task under sample-level DP-SGD at epsilon 1, 3 and 8, and `fedsim validate` on bad
/// privacy settings.
final class PrivacyScenarioTests: FedSimProcessTestCase {
    private func summary(_ folder: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testAccuracyGrowsWithEpsilonAndNoClientExceedsItsTarget() throws {
        let root = temporaryFolder()
        var accuracy: [String: Double] = [:]
        for name in ["nodp", "eps1", "eps3", "eps8"] {
            let folder = root + "/" + name
            let result = try fedsim(["run", scenario("privacy/quickstart-\(name).yaml"), "--out", folder])
            XCTAssertEqual(result.status, 0, "\(name): \(result.error)")
            XCTAssertFalse(result.error.contains("warning"), result.error)
            let values = try summary(folder)
            accuracy[name] = try XCTUnwrap(values["final_test_accuracy"] as? Double)
            guard name != "nodp" else {
                XCTAssertNil(values["worst_client_epsilon"])
                continue
            }
            let target = try XCTUnwrap(Double(name.dropFirst(3)))
            let worst = try XCTUnwrap(values["worst_client_epsilon"] as? Double)
            XCTAssertLessThanOrEqual(worst, target * (1 + 1e-9), name)
            XCTAssertGreaterThan(worst, target * 0.999, "\(name): the calibrated sigma is the smallest meeting the target")

            // The run folder's scenario records the calibrated sigma and runs as it is.
            let resolved = try ScenarioLoader.load(path: folder + "/scenario.yaml")
            // (Foundation's JSON reader may miss the last digit of a double.)
            XCTAssertEqual(try XCTUnwrap(resolved.privacy?.noiseMultiplier),
                           try XCTUnwrap(values["noise_multiplier"] as? Double), accuracy: 1e-12, name)
            XCTAssertEqual(resolved.privacy?.targetEpsilon, target, name)
        }
        let (none, one, three, eight) = (accuracy["nodp"]!, accuracy["eps1"]!, accuracy["eps3"]!, accuracy["eps8"]!)
        XCTAssertGreaterThan(three, one + 0.2, "\(accuracy)")
        XCTAssertGreaterThan(eight, three + 0.03, "\(accuracy)")
        XCTAssertGreaterThan(none, eight + 0.03, "\(accuracy)")
    }

    func testClientLevelDPMeetsItsTargetAndStillLearns() throws {
        let folder = temporaryFolder()
        let result = try fedsim(["run", scenario("privacy/quickstart-client-eps8.yaml"), "--out", folder])
        XCTAssertEqual(result.status, 0, result.error)
        let values = try summary(folder)
        XCTAssertEqual(values["privacy_mode"] as? String, "client")
        let worst = try XCTUnwrap(values["worst_client_epsilon"] as? Double)
        XCTAssertLessThanOrEqual(worst, 8 * (1 + 1e-9))
        XCTAssertGreaterThan(worst, 8 * 0.999)
        XCTAssertGreaterThan(try XCTUnwrap(values["final_test_accuracy"] as? Double), 0.9)
    }

    func testPrivateMetricsAreTheSameWithOneOrThreeWorkers() throws {
        var runs: [[NSDictionary]] = []
        var clients: [String] = []
        for workers in [1, 3] {
            let folder = temporaryFolder()
            let result = try fedsim(["run", scenario("privacy/quickstart-eps3.yaml"), "--workers", "\(workers)",
                                     "--out", folder])
            XCTAssertEqual(result.status, 0, result.error)
            runs.append(try deterministicMetrics(folder))
            clients.append(try String(contentsOfFile: folder + "/clients.csv", encoding: .utf8))
        }
        XCTAssertEqual(runs[0].count, 20)
        XCTAssertEqual(runs[0], runs[1])
        XCTAssertEqual(clients[0], clients[1])
        XCTAssertNotNil(runs[0].last?["epsilon_max"] as? Double)
        XCTAssert(clients[0].hasPrefix("client_id,") && clients[0].split(separator: "\n")[0].hasSuffix(",epsilon"))
    }

    func testValidatePrintsTheCalibrationAndNamesBadPrivacySettings() throws {
        let good = try fedsim(["validate", scenario("privacy/quickstart-eps3.yaml")])
        XCTAssertEqual(good.status, 0, good.error)
        XCTAssert(good.output.contains("privacy: sample-level DP-SGD, clip 0.5, noise multiplier 6.6778"), good.output)
        XCTAssert(good.output.contains("(calibrated for epsilon 3.0); worst client epsilon 3.0000"), good.output)

        let original = try String(contentsOfFile: scenario("privacy/quickstart-eps3.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "../../data/digits.csv", with: Self.repository.path + "/data/digits.csv")
        let lines = original.split(separator: "\n", omittingEmptySubsequences: false)
        let targetLine = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("  target_epsilon:") }) + 1
        let cases: [(String, String, Int, String)] = [
            ("  target_epsilon: 3", "  target_epsilon: 0.05", targetLine,
             "privacy.target_epsilon: target epsilon 0.05 is unreachable at delta 1e-05"),
            ("  target_epsilon: 3", "  noise_multiplier: 0", targetLine,
             "privacy.noise_multiplier: must be greater than 0.0"),
            ("  delta: 1e-5", "  delta: 1", targetLine + 1, "privacy.delta: must be in (0, 1), got 1.0"),
            ("  delta: 1e-5", "  delta: 1e-5\n  sampling_rate: 1.5", targetLine + 2,
             "privacy.sampling_rate: must be greater than 0.0 and at most 1.0, got 1.5"),
        ]
        for (index, (old, new, line, expected)) in cases.enumerated() {
            let file = temporaryFolder() + "-bad-\(index).yaml"
            try original.replacingOccurrences(of: old, with: new).write(toFile: file, atomically: true, encoding: .utf8)
            let result = try fedsim(["validate", file])
            XCTAssertEqual(result.status, 1, expected)
            XCTAssert(result.error.hasPrefix("\(file):\(line):") && result.error.contains("error: " + expected),
                      result.error)
        }
    }
}
