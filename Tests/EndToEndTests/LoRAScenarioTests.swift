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

    /// Final test accuracy of `scenarios/lora/fedsvd-dp.yaml` under `adapter`, for seeds 1 to 3.
    private func accuracies(_ adapter: String) throws -> [Double] {
        try (1...3).map { seed in
            let folder = try run("lora/fedsvd-dp.yaml", ["--set", "server.adapter=\(adapter)", "--seed", "\(seed)"])
            let summary = try summary(folder)
            XCTAssertLessThanOrEqual(try XCTUnwrap(summary["worst_client_epsilon"] as? Double), 6 + 1e-6)
            return try XCTUnwrap(summary["final_test_accuracy"] as? Double)
        }
    }

    func testUnderDPFedSVDFineTunesBetterThanFFALoRA() throws {
        // FedSVD's claim (Lee et al. 2025) in the authors' setting: six clients, three a
        // round, 100 rounds of 10 DP-SGD steps at learning rate 0.5, epsilon 6. The base
        // scores 0.02 on the turned images. Every rule fine-tunes it far above that, and
        // FedSVD's re-factorized A beats FFA-LoRA's fixed random one on average over
        // three seeds (it did so in every setting tried: see README). That it also beats
        // plain LoRA does not hold here: at this learning rate LoRA is ahead of both.
        try requireFashionMNIST()
        let mean = { (values: [Double]) in values.reduce(0, +) / Double(values.count) }
        let (lora, ffa, fedsvd) = (try accuracies("lora"), try accuracies("ffa_lora"), try accuracies("fedsvd"))
        for accuracy in lora + ffa + fedsvd { XCTAssertGreaterThan(accuracy, 0.6) }
        XCTAssertGreaterThan(mean(fedsvd), mean(ffa))
        XCTAssertGreaterThan(mean(lora), mean(fedsvd), "README reports LoRA ahead in this setting; update it if this changes")
    }
}
