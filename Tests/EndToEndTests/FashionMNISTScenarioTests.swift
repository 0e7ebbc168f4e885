import FedSimCore
import FedSimRuntime
import Foundation
import XCTest

/// scenarios/fashion-mnist-mlp.yaml on the 60,000 images of Debian's dataset-fashion-mnist
/// package, cut to its first 10 rounds: the whole 200 take about 5 s with a release build
/// and 40 s with the debug build tests run.
final class FashionMNISTScenarioTests: FedSimProcessTestCase {
    static let images = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"

    /// Runs the scenario's first 10 rounds with two workers and `overrides`; returns the
    /// run folder and its final test accuracy.
    private func run(_ overrides: [String]) throws -> (folder: String, accuracy: Double) {
        let folder = temporaryFolder()
        let result = try fedsim(["run", scenario("fashion-mnist-mlp.yaml"), "--set", "server.rounds=10"]
                                + overrides.flatMap { ["--set", $0] } + ["--workers", "2", "--out", folder])
        XCTAssertEqual(result.status, 0, result.error)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json"))) as? [String: Any])
        return (folder, try XCTUnwrap(summary["final_test_accuracy"] as? Double))
    }

    func testPlainAndRotatedFashionMNISTLearn() throws {
        guard FileManager.default.fileExists(atPath: Self.images) else {
            throw XCTSkip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist; scripts/install-deps does)")
        }
        let plain = try run([])
        XCTAssertGreaterThanOrEqual(plain.accuracy, 0.75)

        let rotated = try run(["data.transform={kind: rotate, degrees: 90}"])
        XCTAssertGreaterThanOrEqual(rotated.accuracy, 0.75)
        XCTAssertNotEqual(try deterministicMetrics(rotated.folder), try deterministicMetrics(plain.folder))
        let resolved = try ScenarioLoader.load(path: rotated.folder + "/scenario.yaml")
        XCTAssertEqual(resolved.data.transform, .rotate(quarterTurns: 1))
        XCTAssertEqual(resolved.data.source, .idx(images: Self.images, labels: Self.images.replacingOccurrences(
            of: "train-images-idx3", with: "train-labels-idx1")))
    }

    /// The FedAvg paper's CNN under FedAvg on the IID split (scenarios/fashion-mnist/cnn-iid.yaml)
    /// cut to 20 rounds of 10 clients, evaluated once at the end: about 4 minutes with the
    /// release build on two cores. The README's table has 0.860 at round 20.
    func testFedAvgCNNReachesEightyFivePercentOnIIDFashionMNIST() throws {
        guard FileManager.default.fileExists(atPath: Self.images) else {
            throw XCTSkip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist; scripts/install-deps does)")
        }
        let executable = try releaseFedsim()
        let folder = temporaryFolder()
        let result = try fedsim(["run", scenario("fashion-mnist/cnn-iid.yaml"), "--set", "server.rounds=20",
                                 "--set", "evaluation.every=20", "--workers", "2", "--out", folder],
                                executable: executable)
        XCTAssertEqual(result.status, 0, result.error)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json"))) as? [String: Any])
        XCTAssertEqual(summary["rounds"] as? Int, 20)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(summary["final_test_accuracy"] as? Double), 0.85)
    }
}
