import Foundation
import XCTest

/// FedProx's Figure 1 finding at 90% stragglers on Synthetic(1, 1)
/// (scenarios/fedprox/synthetic-1-1.yaml, the data fixed by its data_seed), averaged over
/// three seeds: FedProx with the stragglers' partial work (mu = 0) ends with a lower
/// global training loss than FedAvg, which drops them, and mu = 1 lower still. Nine runs
/// through `fedsim sweep`, about 20 s each with the release build.
final class FedProxScenarioTests: FedSimProcessTestCase {
    /// The mean over seeds 1 to 3 of the last `global_train_loss` of the runs of a sweep
    /// of the scenario over `arguments`, by the runs' folder prefix.
    private func finalTrainingLosses(_ arguments: [String], points: [String], executable: String) throws -> [String: Double] {
        let out = temporaryFolder()
        let result = try fedsim(["sweep", scenario("fedprox/synthetic-1-1.yaml")] + arguments
                                + ["--seeds", "1-3", "--workers", "2", "--out", out], executable: executable)
        XCTAssertEqual(result.status, 0, result.error)
        var means: [String: Double] = [:]
        for point in points {
            let losses = try (1...3).map { seed -> Double in
                let prefix = point.isEmpty ? "" : point + ","
                let lines = try String(contentsOfFile: "\(out)/\(prefix)seed=\(seed)/metrics.jsonl", encoding: .utf8)
                    .split(separator: "\n")
                let last = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(lines.last).utf8)) as? [String: Any])
                return try XCTUnwrap(last["global_train_loss"] as? Double)
            }
            means[point] = losses.reduce(0, +) / 3
        }
        return means
    }

    func testPartialWorkBeatsDroppingStragglersAndTheProximalTermHelpsFurther() throws {
        let executable = try releaseFedsim()
        let partial = try finalTrainingLosses(["--grid", "training.proximal_mu=0,1"],
                                              points: ["training.proximal_mu=0", "training.proximal_mu=1"],
                                              executable: executable)
        let dropped = try finalTrainingLosses(["--set", "server.straggler_work=drop"], points: [""], executable: executable)
        let fedAvg = try XCTUnwrap(dropped[""])
        let muZero = try XCTUnwrap(partial["training.proximal_mu=0"])
        let muOne = try XCTUnwrap(partial["training.proximal_mu=1"])
        XCTAssertLessThan(muZero, fedAvg, "FedAvg \(fedAvg), FedProx mu = 0 \(muZero)")
        XCTAssertLessThan(muOne, muZero, "FedProx mu = 0 \(muZero), mu = 1 \(muOne)")
    }
}
