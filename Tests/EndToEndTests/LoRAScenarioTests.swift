import FedSimCore
import FedSimRuntime
import Foundation
import XCTest

/// The LoRA scenarios of scenarios/lora/ on Debian's Fashion-MNIST, through the real
/// executable and worker processes.
final class LoRAScenarioTests: FedSimProcessTestCase {
    private func requireFashionMNIST() throws {
        guard FileManager.default.fileExists(atPath: FashionMNISTScenarioTests.images) else {
            throw XCTSkip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist; scripts/install-deps does)")
        }
    }

    /// Runs `name` with `arguments`; returns the run folder.
    private func run(_ name: String, _ arguments: [String]) throws -> String {
        let folder = temporaryFolder()
        let result = try fedsim(["run", scenario(name), "--workers", "2", "--out", folder] + arguments)
        XCTAssertEqual(result.status, 0, result.error)
        return folder
    }

    private func summary(_ folder: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json"))) as? [String: Any])
    }

    func testTheShippedBaseIsThePretrainingRunsModel() throws {
        try requireFashionMNIST()
        let folder = try run("lora/pretrain.yaml", [])
        let shipped = try Data(contentsOf: URL(fileURLWithPath: scenario("lora/base.safetensors")))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/model.safetensors")), shipped,
                       "rebuild scenarios/lora/base.safetensors as scenarios/lora/pretrain.yaml says")
        XCTAssertGreaterThan(try XCTUnwrap(summary(folder)["final_test_accuracy"] as? Double), 0.8)
    }
}
