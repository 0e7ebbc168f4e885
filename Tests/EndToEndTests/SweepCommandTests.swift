import FedSimRuntime
import Foundation
import XCTest

/// `fedsim sweep` through the real executable: a tiny sweep of the quickstart scenario.
final class SweepCommandTests: FedSimProcessTestCase {
    private let names = ["server.rounds=2,seed=1", "server.rounds=2,seed=2", "server.rounds=3,seed=1", "server.rounds=3,seed=2"]

    /// `fedsim sweep` of the quickstart scenario over 2 and 3 rounds and seeds 1 and 2,
    /// one worker a run, into `out`.
    private func sweep(_ out: String, _ options: [String] = []) throws -> (status: Int32, output: String, error: String) {
        try fedsim(["sweep", scenario("quickstart.yaml"), "--grid", "server.rounds=2,3", "--seeds", "1-2",
                    "--workers", "1", "--out", out] + options)
    }

    func testASweepRunsEachCombinationOnceResumesAndDoesNotDependOnItsParallelism() throws {
        let serial = temporaryFolder()
        let first = try sweep(serial)
        XCTAssertEqual(first.status, 0, first.error)
        XCTAssert(first.output.hasPrefix("running 4 of 4 runs, 1 at a time, into \(serial)\n"), first.output)
        for (index, name) in names.enumerated() {
            let folder = serial + "/" + name
            XCTAssertEqual(RunFolder.status(in: folder), .completed, name)
            XCTAssertEqual(try deterministicMetrics(folder).count, index < 2 ? 2 : 3, name)
            let scenario = try String(contentsOfFile: folder + "/scenario.yaml", encoding: .utf8)
            XCTAssert(scenario.contains("seed: \(index % 2 + 1)\n") && scenario.contains("  rounds: \(index < 2 ? 2 : 3)\n"),
                      scenario)
            XCTAssert(FileManager.default.fileExists(atPath: folder + ".log"), name)
        }
        let csv = try String(contentsOfFile: serial + "/sweep.csv", encoding: .utf8)
        let rows = csv.split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.count, 5, csv)
        XCTAssertEqual(rows[0], "run,server.rounds,seed,status,final_test_accuracy,final_test_loss,time_to_target")
        for (index, name) in names.enumerated() {
            XCTAssert(rows[index + 1].hasPrefix("\"\(name)\",\(index < 2 ? 2 : 3),\(index % 2 + 1),completed,"), rows[index + 1])
        }
        // The first run's final loss is the target: it reaches it at its last step, 2 s.
        XCTAssert(rows[1].hasSuffix(",2.0"), rows[1])
        let markdown = try String(contentsOfFile: serial + "/sweep.md", encoding: .utf8)
        XCTAssert(first.output.contains(markdown), first.output)
        XCTAssert(markdown.contains("## server.rounds=3\n\n| measure | runs | mean | std | 95% CI |"), markdown)

        // Again: every run has completed, so nothing runs and nothing changes.
        let before = try names.map { try Data(contentsOf: URL(fileURLWithPath: serial + "/" + $0 + "/metrics.jsonl")) }
        let again = try sweep(serial)
        XCTAssertEqual(again.status, 0, again.error)
        XCTAssert(again.output.hasPrefix("all 4 runs of the sweep have completed in \(serial); nothing to run\n"), again.output)
        XCTAssertEqual(try names.map { try Data(contentsOf: URL(fileURLWithPath: serial + "/" + $0 + "/metrics.jsonl")) }, before)
        XCTAssertEqual(try String(contentsOfFile: serial + "/sweep.csv", encoding: .utf8), csv)

        // A run that failed is run again, alone, in place of what it left.
        try "{\"status\": \"failed\", \"reason\": \"x\"}".write(toFile: serial + "/\(names[3])/summary.json", atomically: true,
                                                               encoding: .utf8)
        let retry = try sweep(serial)
        XCTAssertEqual(retry.status, 0, retry.error)
        XCTAssert(retry.output.hasPrefix("running 1 of 4 runs (3 completed before), 1 at a time, into \(serial)\n"
                                         + "[1/1] \(names[3]): completed in "), retry.output)
        XCTAssertEqual(try String(contentsOfFile: serial + "/sweep.csv", encoding: .utf8), csv)

        // Two runs at a time: the same metrics, the same table.
        let parallel = temporaryFolder()
        let two = try sweep(parallel, ["--parallel", "2"])
        XCTAssertEqual(two.status, 0, two.error)
        XCTAssert(two.output.hasPrefix("running 4 of 4 runs, 2 at a time, into \(parallel)\n"), two.output)
        for name in names {
            XCTAssertEqual(try deterministicMetrics(parallel + "/" + name), try deterministicMetrics(serial + "/" + name), name)
        }
        XCTAssertEqual(try String(contentsOfFile: parallel + "/sweep.csv", encoding: .utf8), csv)
    }

    func testBadGridsSeedsAndOptionsAreRefusedBeforeAnyRun() throws {
        let out = temporaryFolder()
        let quickstart = scenario("quickstart.yaml")
        let cases: [(arguments: [String], error: String)] = [
            (["--grid", "server.roundz=2,3", "--seeds", "1"],
             "--grid:1:1: error: server.roundz: unknown field 'roundz'; did you mean 'rounds'?"),
            (["--grid", "server.rounds=2,-1", "--seeds", "1"], "--grid:1:1: error: server.rounds: "),
            (["--grid", "server.rounds=", "--seeds", "1"], "fedsim: error: --grid 'server.rounds=': a value is empty\n"),
            (["--grid", "server.rounds=2", "--seeds", "3-1"], "fedsim: error: --seeds '3-1': the range '3-1' runs backwards\n"),
            (["--grid", "server.rounds=2", "--seeds", "1,x"],
             "fedsim: error: --seeds '1,x': 'x' is neither a seed (a whole number from 0) nor a range low-high\n"),
            (["--seeds", "1", "--parallel", "0"], "fedsim: error: --parallel must be at least 1\n"),
        ]
        for bad in cases {
            let result = try fedsim(["sweep", quickstart, "--out", out] + bad.arguments)
            XCTAssertEqual(result.status, 1, "\(bad.arguments)")
            XCTAssertEqual(result.output, "", "\(bad.arguments)")
            XCTAssert(result.error.hasPrefix(bad.error), "\(bad.arguments): \(result.error)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(bad.arguments)")
        }
        let typo = try fedsim(["sweep", quickstart, "--out", out, "--grid", "server.roundz=2,3", "--seeds", "1"])
        XCTAssert(typo.error.contains("(from --grid server.roundz=2)\n--grid:1:1: error: server.roundz: unknown field")
                  && typo.error.hasSuffix("(from --grid server.roundz=3)\n"), typo.error)
    }
}
