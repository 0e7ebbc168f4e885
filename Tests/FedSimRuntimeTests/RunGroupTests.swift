@testable import FedSimRuntime
import Foundation
import XCTest

/// `fedsim report`'s groups of seeds, their mean curves, the charts' axes and legend, and
/// the curves as CSV, on hand-written run folders.
final class RunGroupTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-groups-\(UUID())").path
        let root = root
        addTeardownBlock { try? FileManager.default.removeItem(atPath: root) }
    }

    /// `root/name` holding a server run: `points` as (time, test loss) evaluations at
    /// steps 1, 2, ... (accuracy loss / 2, 100 bytes up and 400 down a step), a summary
    /// saying `status` and, unless nil, `scenario.yaml` of `rounds` rounds and `seed`.
    @discardableResult
    private func run(_ name: String, _ points: [(time: Double, loss: Double)], seed: Int?, rounds: Int = 3,
                     status: String = "completed") throws -> String {
        let folder = root + "/" + name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let lines = points.enumerated().map { index, point in
            #"{"round":\#(index + 1),"time":\#(point.time),"clients":1,"test_loss":\#(point.loss),"#
                + #""test_accuracy":\#(point.loss / 2),"bytes_up":100,"bytes_down":400}"#
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: folder + "/metrics.jsonl", atomically: true, encoding: .utf8)
        try "{\"status\": \"\(status)\"}\n".write(toFile: folder + "/summary.json", atomically: true, encoding: .utf8)
        if let seed {
            try "name: quickstart\nseed: \(seed)\nserver:\n  rounds: \(rounds)\n"
                .write(toFile: folder + "/scenario.yaml", atomically: true, encoding: .utf8)
        }
        return folder
    }

    func testRunsThatDifferOnlyBySeedAreOneGroup() throws {
        let folders = [
            try run("server.rounds=3,seed=1", [(1, 0.5)], seed: 1),
            try run("lone", [(1, 0.5)], seed: nil),
            try run("server.rounds=3,seed=2", [(1, 0.5)], seed: 2),
            try run("server.rounds=4,seed=1", [(1, 0.5)], seed: 1, rounds: 4),
            try run("server.rounds=3,seed=3", [(1, 0.5)], seed: 3, status: "failed"),
            try run("walk-1", [(1, 0.5)], seed: 7, rounds: 5),
            try run("walk-2", [(1, 0.5)], seed: 8, rounds: 5),
        ]
        let names = folders.map { URL(fileURLWithPath: $0).lastPathComponent }
        XCTAssertEqual(RunGroup.bySeed(folders: folders, names: names), [
            RunGroup(name: "server.rounds=3 (seeds 1, 2)", members: [0, 2]),
            RunGroup(name: "lone", members: [1]),
            RunGroup(name: "server.rounds=4,seed=1", members: [3]),
            RunGroup(name: "server.rounds=3,seed=3", members: [4]),
            RunGroup(name: "walk-1 (seeds 7, 8)", members: [5, 6]),
        ])
    }

    func testAGroupsCurveIsTheMeanOnTheTimesItsRunsShare() throws {
        // Run a at 1, 2, 3; run b at 1.5, 2.5, 3.5: both have values from 1.5 to 3.
        let curve = GroupCurve(name: "g", series: [[(1, 10), (2, 20), (3, 30)], [(1.5, 1), (2.5, 3), (3.5, 5)]])
        XCTAssertEqual(curve.runs, 2)
        XCTAssertEqual(curve.points.map(\.x), [1.5, 2, 2.5, 3])
        XCTAssertEqual(curve.points.map(\.mean), [5.5, 10.5, 11.5, 16.5])
        XCTAssertEqual(curve.points.map(\.min), [1, 1, 3, 3])
        XCTAssertEqual(curve.points.map(\.max), [10, 20, 20, 30])
        XCTAssertEqual(try XCTUnwrap(curve.points[0].standardDeviation), 9 / 2.0.squareRoot(), accuracy: 1e-12)

        let lone = GroupCurve(name: "a", series: [[(0, 1), (1, .nan), (2, 3)]])
        XCTAssertEqual(lone.points.map(\.x), [0, 2], "a value that is not finite is left out")
        XCTAssertNil(lone.points[0].standardDeviation)
        XCTAssertEqual(GroupCurve(name: "e", series: [[(0, 1)], []]).points, [])
    }

    /// Seeds 1 and 2 of one scenario and a lone run, compared with their groups.
    private func groupedComparison(x: ChartAxis = .time, logarithmicY: Bool = false) throws -> RunComparison {
        let folders = [
            try run("server.rounds=3,seed=1", [(1, 0.8), (2, 0.6), (3, 0.4)], seed: 1),
            try run("server.rounds=3,seed=2", [(1, 0.6), (2, 0.4), (3, 0.2)], seed: 2),
            try run("other", [(2, 0.9), (4, 0.1)], seed: nil),
        ]
        let runs = try folders.map { try RunHistory(folder: $0) }
        return RunComparison(runs: runs, reference: runs[0], grid: 1,
                             groups: RunGroup.bySeed(folders: folders, names: runs.map(\.name)), x: x,
                             logarithmicY: logarithmicY)
    }

    func testTheCSVHasARowPerPointOfEveryCurve() throws {
        let comparison = try groupedComparison()
        XCTAssertEqual(comparison.rows.count, 4, "the table keeps a row per run")
        XCTAssertEqual(comparison.csv, """
            chart,series,runs,time,mean,std,min,max
            test_loss,"server.rounds=3 (seeds 1, 2)",2,1.0,0.7,0.14142135623730953,0.6,0.8
            test_loss,"server.rounds=3 (seeds 1, 2)",2,2.0,0.5,0.14142135623730948,0.4,0.6
            test_loss,"server.rounds=3 (seeds 1, 2)",2,3.0,0.30000000000000004,0.14142135623730953,0.2,0.4
            test_loss,other,1,2.0,0.9,,0.9,0.9
            test_loss,other,1,4.0,0.1,,0.1,0.1
            test_accuracy,"server.rounds=3 (seeds 1, 2)",2,1.0,0.35,0.07071067811865477,0.3,0.4
            test_accuracy,"server.rounds=3 (seeds 1, 2)",2,2.0,0.25,0.07071067811865474,0.2,0.3
            test_accuracy,"server.rounds=3 (seeds 1, 2)",2,3.0,0.15000000000000002,0.07071067811865477,0.1,0.2
            test_accuracy,other,1,2.0,0.45,,0.45,0.45
            test_accuracy,other,1,4.0,0.05,,0.05,0.05

            """)
        // Steps and bytes (500 a step) along x instead of time.
        let steps = try groupedComparison(x: .steps).csv.split(separator: "\n")
        XCTAssertEqual(steps[0], "chart,series,runs,steps,mean,std,min,max")
        XCTAssertEqual(steps[4], "test_loss,other,1,1.0,0.9,,0.9,0.9")
        let bytes = try groupedComparison(x: .communication).csv.split(separator: "\n")
        XCTAssertEqual(bytes[0], "chart,series,runs,communication,mean,std,min,max")
        XCTAssertEqual(bytes[5], "test_loss,other,1,1000.0,0.1,,0.1,0.1")
    }

    func testAChartHasTicksAxisLabelsABandAndALegend() throws {
        let chart = try XCTUnwrap(try groupedComparison().charts.first)
        let html = chart.html
        XCTAssert(html.hasPrefix("<h2>test loss against virtual time</h2>\n<svg"), html)
        // x from 0 to 4 s: ticks every 1 s; the loss from 0.1 to 0.9: every 0.2.
        for label in ["0", "1", "2", "3", "4"] {
            XCTAssert(html.contains("text-anchor=\"middle\">\(label)</text>"), "x tick \(label): \(html)")
        }
        for label in ["0.2", "0.4", "0.6", "0.8"] {
            XCTAssert(html.contains("dominant-baseline=\"middle\">\(label)</text>"), "y tick \(label): \(html)")
        }
        XCTAssert(html.contains(">virtual time (s)</text>"), html)
        XCTAssert(html.contains("transform=\"rotate(-90)\"") && html.contains(">test loss</text>"), html)
        // The group's band and mean line, the lone run's line alone.
        XCTAssertEqual(html.components(separatedBy: "<polygon class=\"band\"").count - 1, 1)
        XCTAssertEqual(html.components(separatedBy: "<polyline").count - 1, 2)
        // Time 0...4 spans x 80...624 and the loss 0.1...0.9 spans y 240...16: the group's
        // mean 0.7 at 1 s is at (216, 72), its band from 0.8 down to 0.6 there.
        XCTAssert(html.contains("points=\"216.0,72.0 352.0,128.0 488.0,184.0\""), html)
        XCTAssert(html.contains("points=\"216.0,44.0 352.0,100.0 488.0,156.0 488.0,212.0 352.0,156.0 216.0,100.0\""), html)
        XCTAssert(html.contains("<g class=\"legend\">"), html)
        XCTAssert(html.contains("fill=\"#1f77b4\"/><text x=\"96.0\" y=\"292.0\">server.rounds=3 (seeds 1, 2)</text>"), html)
        XCTAssert(html.contains("fill=\"#d62728\"/><text x=\"96.0\" y=\"308.0\">other</text>"), html)
        XCTAssert(html.contains("shaded: their minimum to maximum</text>"), html)
    }

    func testALogarithmicYAxisIsTickedAtPowersOfTen() throws {
        let html = try XCTUnwrap(try groupedComparison(logarithmicY: true).charts.first).html
        XCTAssert(html.contains(">test loss (log scale)</text>"), html)
        // The loss spans 0.1 to 0.9: the only power of ten in range is 1e-1, so the ticks
        // are round values instead.
        XCTAssert(html.contains(">2.00e-01</text>"), html)
        XCTAssert(html.contains(">8.00e-01</text>"), html)

        XCTAssertEqual(AxisTick.ticks(from: -5, to: 0, scale: .logarithmic).map(\.label),
                       ["1.00e-05", "1.00e-04", "1.00e-03", "1.00e-02", "1.00e-01", "1.00e+00"])
        XCTAssertEqual(AxisTick.ticks(from: -5, to: 1, scale: .logarithmic).map(\.label),
                       ["1.00e-05", "1.00e-03", "1.00e-01", "1.00e+01"])
        XCTAssertEqual(AxisTick.ticks(from: -12, to: 2, scale: .logarithmic).map(\.label),
                       ["1.00e-12", "1.00e-09", "1.00e-06", "1.00e-03", "1.00e+00"])
        XCTAssertEqual(AxisTick.ticks(from: 0, to: 11800, scale: .linear).map(\.label),
                       ["0", "2000", "4000", "6000", "8000", "10000"])
        XCTAssertEqual(AxisTick.ticks(from: -0.25, to: 0.25, scale: .linear).map(\.label),
                       ["-0.2", "-0.1", "0.0", "0.1", "0.2"])
    }
}
