import Foundation
import XCTest

/// Every run listed in Tests/Golden/runs.txt gives byte for byte the metrics.jsonl
/// (without its machine-dependent `wall_` fields) and clients.csv (nodes.csv for a
/// decentralized run) kept beside the list.
/// The files were written by scripts/make-golden; a change that alters any result fails
/// here, whatever the number of worker processes (runs use 1, 2 and 3 in turn).
final class GoldenMetricsTests: FedSimProcessTestCase {
    struct GoldenRun {
        let name: String
        let arguments: [String]
    }

    static let golden = repository.appendingPathComponent("Tests/Golden")

    /// The runs of runs.txt: a name, a scenario relative to the repository, overrides.
    static func runs() throws -> [GoldenRun] {
        let list = try String(contentsOf: golden.appendingPathComponent("runs.txt"), encoding: .utf8)
        return list.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let words = line.split(separator: " ").map(String.init)
            return GoldenRun(name: words[0], arguments: [repository.appendingPathComponent(words[1]).path]
                                 + words.dropFirst(2))
        }
    }

    /// metrics.jsonl without its `wall_` fields, as scripts/make-golden writes it.
    static func withoutWallFields(_ metrics: String) throws -> String {
        let wall = try NSRegularExpression(pattern: #","wall_[a-z_]+":[^,}]*"#)
        return wall.stringByReplacingMatches(in: metrics, range: NSRange(metrics.startIndex..., in: metrics),
                                             withTemplate: "")
    }

    func testEveryGoldenRunGivesItsMetricsByteForByte() throws {
        let runs = try Self.runs()
        XCTAssertGreaterThanOrEqual(runs.count, 16, "runs.txt lists every shipped scenario")
        for (index, run) in runs.enumerated() {
            let folder = temporaryFolder()
            let workers = 1 + index % 3
            let result = try fedsim(["run"] + run.arguments + ["--workers", "\(workers)", "--out", folder])
            XCTAssertEqual(result.status, 0, "\(run.name): \(result.error)")
            guard result.status == 0 else { continue }
            let table = FileManager.default.fileExists(atPath: folder + "/nodes.csv") ? "nodes" : "clients"
            for (file, expectedFile) in [("metrics.jsonl", "\(run.name).jsonl"), ("\(table).csv", "\(run.name).\(table).csv")] {
                var produced = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
                if file == "metrics.jsonl" { produced = try Self.withoutWallFields(produced) }
                let expected = try String(contentsOf: Self.golden.appendingPathComponent(expectedFile), encoding: .utf8)
                guard produced != expected else { continue }
                let pairs = Array(zip(produced.split(separator: "\n"), expected.split(separator: "\n")))
                let line = pairs.firstIndex { $0 != $1 }.map { $0 + 1 }
                XCTFail("\(run.name) (\(workers) workers): \(file) differs from Tests/Golden/\(expectedFile)"
                        + (line.map { " from line \($0)" } ?? " in length"))
            }
        }
    }
}
