import Foundation
import XCTest

/// The findings of "When Do Curricula Work in Federated Learning?" (Vahidian et al., ICCV
/// 2023) that hold in the README's "Curricula and client selection", checked on the
/// shipped scenario scenarios/curricula/fmnist-dirichlet-0.05.yaml (Dirichlet(0.05) label
/// skew), averaged over three seeds: ordering each client's rows easiest first beats a
/// random ranking and hardest first, and the curriculum over clients with it beats plain
/// FedAvg. Fifteen runs through `fedsim sweep`, about 45 s each with the release build.
final class CurriculaScenarioTests: FedSimProcessTestCase {
    /// Mean final test accuracy over seeds 1 to 3 of each grid point of a sweep of the
    /// Dirichlet(0.05) scenario over `grid` (field, values); keyed by the point's folder prefix.
    private func sweep(_ grids: [(String, [String])], executable: String) throws -> [String: Double] {
        let out = temporaryFolder()
        let result = try fedsim(["sweep", scenario("curricula/fmnist-dirichlet-0.05.yaml")]
                                + grids.flatMap { ["--grid", $0.0 + "=" + $0.1.joined(separator: ",")] }
                                + ["--seeds", "1-3", "--workers", "2", "--out", out], executable: executable)
        XCTAssertEqual(result.status, 0, result.error)
        var points = [""]
        for (field, values) in grids {
            points = points.flatMap { prefix in values.map { prefix + (prefix.isEmpty ? "" : ",") + field + "=" + $0 } }
        }
        var accuracy: [String: Double] = [:]
        for point in points {
            let finals = try (1...3).map { seed in
                let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(
                    fileURLWithPath: "\(out)/\(point),seed=\(seed)/summary.json"))) as? [String: Any])
                return try XCTUnwrap(summary["final_test_accuracy"] as? Double)
            }
            accuracy[point] = finals.reduce(0, +) / 3
        }
        return accuracy
    }

    func testCurriculaBeatRandomOrderingsAndPlainFedAvgUnderStrongLabelSkew() throws {
        guard FileManager.default.fileExists(atPath: FashionMNISTScenarioTests.images) else {
            throw XCTSkip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist; scripts/install-deps does)")
        }
        let executable = try releaseFedsim()
        let orderings = try sweep([("training.ordering", ["shuffle", "curriculum", "anti_curriculum", "random"])],
                                  executable: executable)
        let curriculum = try XCTUnwrap(orderings["training.ordering=curriculum"])
        XCTAssertGreaterThan(curriculum, try XCTUnwrap(orderings["training.ordering=random"]), "\(orderings)")
        XCTAssertGreaterThan(curriculum, try XCTUnwrap(orderings["training.ordering=anti_curriculum"]), "\(orderings)")

        let both = try sweep([("server.selection", ["curriculum"]), ("training.ordering", ["curriculum"])],
                             executable: executable)
        XCTAssertGreaterThan(try XCTUnwrap(both["server.selection=curriculum,training.ordering=curriculum"]),
                             try XCTUnwrap(orderings["training.ordering=shuffle"]), "\(both) against \(orderings)")
    }
}
