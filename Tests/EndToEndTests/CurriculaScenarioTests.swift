import Foundation
import XCTest

/// The finding of "When Do Curricula Work in Federated Learning?" (Vahidian et al., ICCV
/// 2023) that the README's "Curricula and client selection" reports, checked on the
/// shipped scenario: under Dirichlet(0.05) label skew, training each client's local
/// epochs easiest rows first beats a random ranking and hardest first in final test
/// accuracy, averaged over three seeds. Nine runs of scenarios/curricula/
/// fmnist-dirichlet-0.05.yaml through `fedsim sweep`, about 45 s each with the release build.
final class CurriculaScenarioTests: FedSimProcessTestCase {
    func testCurriculumBeatsRandomAndAntiCurriculumUnderStrongLabelSkew() throws {
        guard FileManager.default.fileExists(atPath: FashionMNISTScenarioTests.images) else {
            throw XCTSkip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist; scripts/install-deps does)")
        }
        let executable = try releaseFedsim()
        let out = temporaryFolder()
        let orderings = ["curriculum", "anti_curriculum", "random"]
        let sweep = try fedsim(["sweep", scenario("curricula/fmnist-dirichlet-0.05.yaml"),
                                "--grid", "training.ordering=" + orderings.joined(separator: ","), "--seeds", "1-3",
                                "--workers", "2", "--out", out], executable: executable)
        XCTAssertEqual(sweep.status, 0, sweep.error)
        var accuracy: [String: Double] = [:]
        for ordering in orderings {
            let finals = try (1...3).map { seed in
                let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(
                    fileURLWithPath: "\(out)/training.ordering=\(ordering),seed=\(seed)/summary.json"))) as? [String: Any])
                return try XCTUnwrap(summary["final_test_accuracy"] as? Double)
            }
            accuracy[ordering] = finals.reduce(0, +) / 3
        }
        XCTAssertGreaterThan(accuracy["curriculum"]!, accuracy["random"]!, "\(accuracy)")
        XCTAssertGreaterThan(accuracy["curriculum"]!, accuracy["anti_curriculum"]!, "\(accuracy)")
    }
}
