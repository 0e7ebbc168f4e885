@testable import FedSimRuntime
import Foundation
import XCTest

/// `fedsim sweep`'s parts: statistics, seeds, the grid, folder names, the summary files.
final class SweepTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-sweep-\(UUID())").path
        let root = root
        addTeardownBlock { try? FileManager.default.removeItem(atPath: root) }
    }

    func testMeanStandardDeviationAndConfidenceIntervalOfFiveRuns() throws {
        // Deviations from the mean 0.8: 0, 0.02, -0.02, 0.01, -0.01, so the sample variance
        // is 0.001 / 4 and std = 0.0158114; with t(0.975, 4) = 2.776445 the half-width is
        // 2.776445 * 0.0158114 / sqrt(5) = 0.0196324.
        let statistics = try XCTUnwrap(SampleStatistics([0.80, 0.82, 0.78, 0.81, 0.79]))
        XCTAssertEqual(statistics.count, 5)
        XCTAssertEqual(statistics.mean, 0.8, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(statistics.standardDeviation), 0.00025.squareRoot(), accuracy: 1e-12)
        let interval = try XCTUnwrap(statistics.confidenceInterval)
        XCTAssertEqual(interval.lowerBound, 0.8 - 0.0196324, accuracy: 1e-7)
        XCTAssertEqual(interval.upperBound, 0.8 + 0.0196324, accuracy: 1e-7)

        let one = try XCTUnwrap(SampleStatistics([0.7]))
        XCTAssertEqual(one.mean, 0.7)
        XCTAssertNil(one.standardDeviation)
        XCTAssertNil(one.confidenceInterval)
        XCTAssertNil(SampleStatistics([]))
    }

    func testStudentTQuantilesMatchTheTableAndTheExpansionBeyondIt() {
        // Exact values (scipy.stats.t.ppf(0.975, df)).
        let exact: [(df: Int, t: Double)] = [(1, 12.706205), (2, 4.302653), (4, 2.776445), (9, 2.262157), (30, 2.042272),
                                             (31, 2.039513), (40, 2.021075), (100, 1.983972), (1000, 1.962339)]
        for (df, t) in exact {
            XCTAssertEqual(SampleStatistics.studentT975(degreesOfFreedom: df), t, accuracy: 1e-6, "df \(df)")
        }
    }

    func testSeedsAreListsAndRanges() throws {
        XCTAssertEqual(try SweepSeeds.parse("1-5"), [1, 2, 3, 4, 5])
        XCTAssertEqual(try SweepSeeds.parse("1,3,7"), [1, 3, 7])
        XCTAssertEqual(try SweepSeeds.parse("7, 0-2"), [7, 0, 1, 2])
        XCTAssertEqual(try SweepSeeds.parse("4-4"), [4])
        let bad: [(text: String, reason: String)] = [
            ("", "'' is neither a seed (a whole number from 0) nor a range low-high"),
            ("1,,2", "'' is neither a seed (a whole number from 0) nor a range low-high"),
            ("5-1", "the range '5-1' runs backwards"),
            ("-3", "'-3' is neither a seed (a whole number from 0) nor a range low-high"),
            ("1-2-3", "'1-2-3' is neither a seed (a whole number from 0) nor a range low-high"),
            ("a-b", "'a-b' is neither a seed (a whole number from 0) nor a range low-high"),
            ("1-3,2", "the seed 2 is given twice"),
            ("1-100000", "more than 10000 seeds"),
        ]
        for (text, reason) in bad {
            XCTAssertThrowsError(try SweepSeeds.parse(text), text) { error in
                XCTAssertEqual("\(error)", "--seeds '\(text)': \(reason)")
            }
        }
    }

    func testGridValuesSplitAtCommasOutsideBracketsAndQuotes() throws {
        let rates = try SweepAxis(parsing: "server.learning_rate=0.1, 0.05")
        XCTAssertEqual(rates.field, "server.learning_rate")
        XCTAssertEqual(rates.values, ["0.1", "0.05"])
        XCTAssertEqual(try SweepAxis(parsing: "aggregator.pre=[nnm],[bucketing, nnm],{name: 'a,b'}").values,
                       ["[nnm]", "[bucketing, nnm]", "{name: 'a,b'}"])
        XCTAssertEqual(try SweepAxis(parsing: "name=\"x,y\",z").values, ["\"x,y\"", "z"])
        let bad: [(text: String, reason: String)] = [
            ("server.rounds", "expected field.path=value,value,..."),
            ("=1,2", "expected field.path=value,value,..."),
            ("server.rounds=", "a value is empty"),
            ("server.rounds=2,,3", "a value is empty"),
            ("server.rounds=2,3,2", "the value '2' is given twice"),
        ]
        for (text, reason) in bad {
            XCTAssertThrowsError(try SweepAxis(parsing: text), text) { error in
                XCTAssertEqual("\(error)", "--grid '\(text)': \(reason)")
            }
        }
    }

    func testRunsAreTheProductNamedByTheirSettings() throws {
        let plan = try SweepPlan(scenario: "s.yaml", overrides: [],
                                 axes: [try SweepAxis(parsing: "server.learning_rate=0.1,0.05"),
                                        try SweepAxis(parsing: "aggregator.pre=[nnm],null")],
                                 seeds: [3, 1])
        XCTAssertEqual(plan.runs.map(\.name), [
            "server.learning_rate=0.1,aggregator.pre=%5Bnnm%5D,seed=3",
            "server.learning_rate=0.1,aggregator.pre=%5Bnnm%5D,seed=1",
            "server.learning_rate=0.1,aggregator.pre=null,seed=3",
            "server.learning_rate=0.1,aggregator.pre=null,seed=1",
            "server.learning_rate=0.05,aggregator.pre=%5Bnnm%5D,seed=3",
            "server.learning_rate=0.05,aggregator.pre=%5Bnnm%5D,seed=1",
            "server.learning_rate=0.05,aggregator.pre=null,seed=3",
            "server.learning_rate=0.05,aggregator.pre=null,seed=1",
        ])
        XCTAssertEqual(plan.runs[0].point, "server.learning_rate=0.1, aggregator.pre=[nnm]")
        // A value with a slash, a space, a percent sign or a non-ASCII letter stays one
        // path component, and distinct values keep distinct names.
        XCTAssertEqual(SweepRun(settings: ["data.path=a/b c%é"], seed: 0).name, "data.path=a%2Fb%20c%25%C3%A9,seed=0")
        XCTAssertEqual(try SweepPlan(scenario: "s.yaml", overrides: [], axes: [], seeds: [2]).runs.map(\.name), ["seed=2"])
    }

    func testARepeatedFieldTheSeedInTheGridAndBadFieldsAreRefusedBeforeAnyRun() throws {
        let rounds = try SweepAxis(parsing: "server.rounds=2,3")
        XCTAssertThrowsError(try SweepPlan(scenario: "s.yaml", overrides: [], axes: [rounds, rounds], seeds: [1])) { error in
            XCTAssertEqual("\(error)", "--grid sets 'server.rounds' twice; give all its values in one --grid")
        }
        XCTAssertThrowsError(try SweepPlan(scenario: "s.yaml", overrides: [], axes: [try SweepAxis(parsing: "seed=1,2")],
                                           seeds: [1])) { error in
            XCTAssertEqual("\(error)", "--grid cannot set the seed; list seeds with --seeds")
        }

        let quickstart = ScenarioLoaderTests.scenarios.appendingPathComponent("quickstart.yaml").path
        let plan = try SweepPlan(scenario: quickstart, overrides: ["server.rounds=2"],
                                 axes: [try SweepAxis(parsing: "server.clients_per_rond=5,10"),
                                        try SweepAxis(parsing: "training.learning_rate=0.1,-1")],
                                 seeds: [1, 2])
        // Each problem once, though two runs have each typo and two the negative rate.
        XCTAssertThrowsError(try plan.validate()) { error in
            let lines = "\(error)".split(separator: "\n").map(String.init)
            XCTAssertEqual(lines.count, 3, "\(error)")
            for value in [5, 10] {
                XCTAssert(lines.contains { line in
                    line.hasPrefix("--grid:1:1: error: server.clients_per_rond: unknown field 'clients_per_rond'; "
                                   + "did you mean 'clients_per_round'?")
                        && line.hasSuffix("(from --grid server.clients_per_rond=\(value))")
                }, "\(error)")
            }
            XCTAssert(lines.contains { $0.hasPrefix("--grid:1:1: error: training.learning_rate: ")
                          && $0.hasSuffix("(from --grid training.learning_rate=-1)") }, "\(error)")
        }
        let valid = try SweepPlan(scenario: quickstart, overrides: ["server.rounds=2"],
                                  axes: [try SweepAxis(parsing: "server.clients_per_round=5,10")], seeds: [7])
        XCTAssertNoThrow(try valid.validate())
        let scenario = try valid.scenario(of: valid.runs[1])
        XCTAssertEqual(scenario.seed, 7)
        XCTAssert(scenario.resolvedYAML.contains("clients_per_round: 10"), scenario.resolvedYAML)
        XCTAssert(scenario.resolvedYAML.contains("rounds: 2"), scenario.resolvedYAML)
    }

    /// A completed server run in the sweep folder: test losses `losses` at times 1, 2, ...,
    /// the accuracy 1 - loss.
    private func completedRun(_ run: SweepRun, losses: [Double], status: String = "completed") throws {
        let folder = run.folder(in: root)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let lines = losses.enumerated().map { index, loss in
            #"{"round":\#(index + 1),"time":\#(index + 1),"test_loss":\#(loss),"test_accuracy":\#(1 - loss)}"#
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: folder + "/metrics.jsonl", atomically: true, encoding: .utf8)
        try "{\"status\": \"\(status)\"}\n".write(toFile: folder + "/summary.json", atomically: true, encoding: .utf8)
    }

    func testTheSummaryHasARowPerRunAndStatisticsPerGridPoint() throws {
        let plan = try SweepPlan(scenario: "quickstart.yaml", overrides: [],
                                 axes: [try SweepAxis(parsing: "server.learning_rate=0.1,[1, 2]")], seeds: [1, 2, 3])
        let runs = plan.runs
        // The first run's final loss, 0.5, is the target: runs 1 and 2 of the first point
        // reach it at 3 and 2 s, run 3 never does.
        try completedRun(runs[0], losses: [0.9, 0.7, 0.5])
        try completedRun(runs[1], losses: [0.8, 0.5, 0.4])
        try completedRun(runs[2], losses: [0.9, 0.8, 0.6])
        try completedRun(runs[3], losses: [0.9, 0.45], status: "failed")
        try completedRun(runs[4], losses: [0.6, 0.3])
        try FileManager.default.createDirectory(atPath: runs[5].folder(in: root), withIntermediateDirectories: true)
        try "".write(toFile: runs[5].folder(in: root) + "/metrics.jsonl", atomically: true, encoding: .utf8)

        let results = try SweepResults(plan: plan, folder: root, targetLoss: nil)
        XCTAssertEqual(results.targetLoss, 0.5)
        XCTAssertEqual(results.csv, """
            run,server.learning_rate,seed,status,final_test_accuracy,final_test_loss,time_to_target
            "server.learning_rate=0.1,seed=1",0.1,1,completed,0.5,0.5,3.0
            "server.learning_rate=0.1,seed=2",0.1,2,completed,0.6,0.4,2.0
            "server.learning_rate=0.1,seed=3",0.1,3,completed,0.4,0.6,
            "server.learning_rate=%5B1%2C%202%5D,seed=1","[1, 2]",1,failed,0.55,0.45,2.0
            "server.learning_rate=%5B1%2C%202%5D,seed=2","[1, 2]",2,completed,0.7,0.3,2.0
            "server.learning_rate=%5B1%2C%202%5D,seed=3","[1, 2]",3,unfinished,,,

            """)

        // First point: accuracies 0.5, 0.6, 0.4 (mean 0.5, std 0.1, half-width
        // 4.302653 * 0.1 / sqrt(3) = 0.2484); times 3 and 2 (mean 2.5, std 0.7071,
        // half-width 12.706205 * 0.7071 / sqrt(2) = 6.3531).
        let markdown = results.markdown
        XCTAssert(markdown.contains("6 runs (server.learning_rate = 0.1, [1, 2]; seeds 1, 2, 3): 4 completed."), markdown)
        XCTAssert(markdown.contains("first reaches 0.5000 (the final test loss of the first completed run that did not diverge, "
                                    + "server.learning_rate=0.1,seed=1)."), markdown)
        XCTAssert(markdown.contains("""
            ## server.learning_rate=0.1

            | measure | runs | mean | std | 95% CI |
            |---|---:|---:|---:|---:|
            | final test accuracy | 3 | 0.5000 | 0.1000 | 0.2516 to 0.7484 |
            | final test loss | 3 | 0.5000 | 0.1000 | 0.2516 to 0.7484 |
            | time to target (virtual s) | 2 of 3 | 2.50 | 0.71 | -3.85 to 8.85 |
            """), markdown)
        XCTAssert(markdown.contains("""
            ## server.learning_rate=[1, 2]

            | measure | runs | mean | std | 95% CI |
            |---|---:|---:|---:|---:|
            | final test accuracy | 1 | 0.7000 | - | - |
            | final test loss | 1 | 0.3000 | - | - |
            | time to target (virtual s) | 1 of 1 | 2.00 | - | - |
            """), markdown)

        let given = try SweepResults(plan: plan, folder: root, targetLoss: 0.4)
        XCTAssertEqual(given.rows.map(\.timeToTarget), [nil, 3, nil, nil, 2, nil])
        XCTAssert(given.markdown.contains("first reaches 0.4000 (given by --target-loss)."), given.markdown)
    }
}
