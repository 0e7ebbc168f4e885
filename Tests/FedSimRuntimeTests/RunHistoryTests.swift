import FedSimRuntime
import Foundation
import XCTest

final class RunHistoryTests: XCTestCase {
    /// A completed run's folder whose metrics.jsonl holds `lines`.
    private func folder(_ lines: [String]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-history-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path + "/metrics.jsonl", atomically: true, encoding: .utf8)
        try "{\"status\": \"completed\"}\n".write(toFile: path + "/summary.json", atomically: true, encoding: .utf8)
        return path
    }

    func testARunThatDidNotCompleteIsMarkedInItsName() throws {
        let path = try folder([#"{"round":1,"time":1,"test_loss":1.0,"test_accuracy":0.5}"#])
        let name = URL(fileURLWithPath: path).lastPathComponent
        XCTAssertEqual(try RunHistory(folder: path).name, name)
        for status in ["interrupted", "failed"] {
            try "{\"status\": \"\(status)\", \"reason\": \"x\"}".write(toFile: path + "/summary.json", atomically: true,
                                                                           encoding: .utf8)
            XCTAssertEqual(try RunHistory(folder: path).name, "\(name) (\(status))")
        }
        try FileManager.default.removeItem(atPath: path + "/summary.json")
        XCTAssertEqual(try RunHistory(folder: path).name, "\(name) (unfinished)")
    }

    func testResamplesTheTestLossOnAVirtualTimeGrid() throws {
        let history = try RunHistory(folder: folder([
            #"{"round":1,"time":0.4,"test_loss":1.0,"test_accuracy":0.5}"#,
            #"{"round":2,"time":1.0,"train_loss":0.7}"#,
            #"{"round":3,"time":1.3,"test_loss":0.8,"test_accuracy":0.6}"#,
            #"{"round":4,"time":2.0,"test_loss":0.9,"test_accuracy":0.55}"#,
        ]))
        XCTAssertEqual(history.steps, 4)
        XCTAssertEqual(history.duration, 2)
        XCTAssertEqual(history.final.testAccuracy, 0.55)
        XCTAssertEqual(history.firstTime(testLossAtMost: 0.85), 1.3)
        XCTAssertNil(history.firstTime(testLossAtMost: 0.5))
        // At 0.5, 1.0, 1.5, 2.0 the last evaluations seen are 1.0, 1.0, 0.8, 0.9.
        XCTAssertEqual(history.testLoss(every: 0.5), [1.0, 1.0, 0.8, 0.9])
        XCTAssertEqual(history.testLoss(every: 0.25).first!, nil)
        // Changes 0, -0.2, +0.1: mean -1/30, deviations 1/30, -1/6, 2/15, so the
        // variance is (1/900 + 1/36 + 4/225) / 3 = 7/450.
        XCTAssertEqual(try XCTUnwrap(history.lossSpread(every: 0.5)), (7.0 / 450).squareRoot(), accuracy: 1e-12)
    }

    func testASteadyDescentSpreadsLessThanAnOscillation() throws {
        let steady = try RunHistory(folder: folder((1...8).map {
            #"{"round":\#($0),"time":\#($0),"test_loss":\#(1 - Double($0) * 0.1),"test_accuracy":0}"#
        }))
        let jumpy = try RunHistory(folder: folder((1...8).map {
            #"{"round":\#($0),"time":\#($0),"test_loss":\#(1 - Double($0) * 0.1 + ($0 % 2 == 0 ? 0.1 : 0)),"test_accuracy":0}"#
        }))
        XCTAssertEqual(try XCTUnwrap(steady.lossSpread(every: 1)), 0, accuracy: 1e-12)
        XCTAssertGreaterThan(try XCTUnwrap(jumpy.lossSpread(every: 1)), 0.09)
    }

    func testBadRecordsAreNamedWithFileAndLine() throws {
        let path = try folder([#"{"round":1,"time":1,"test_loss":1,"test_accuracy":0}"#, "not json"])
        XCTAssertThrowsError(try RunHistory(folder: path)) { error in
            XCTAssertEqual("\(error)", "\(path)/metrics.jsonl:2: not a metrics record with 'round' and 'time'")
        }
        XCTAssertThrowsError(try RunHistory(folder: try folder([#"{"round":1,"time":1}"#]))) { error in
            XCTAssert("\(error)".hasSuffix("no record has a test evaluation"), "\(error)")
        }
        XCTAssertThrowsError(try RunHistory(folder: "/nonexistent")) { error in
            XCTAssertEqual("\(error)", "cannot read '/nonexistent/metrics.jsonl': is '/nonexistent' a run folder?")
        }
    }

    func testAComparisonTimesRunsToTheReferenceLossAndPlotsThem() throws {
        let a = try RunHistory(folder: folder([
            #"{"round":1,"time":1,"clients":2,"bytes_up":300,"test_loss":1.0,"test_accuracy":0.5,"epsilon_max":0.5}"#,
            #"{"round":2,"time":2,"clients":3,"bytes_up":450,"test_loss":0.5,"test_accuracy":0.8,"epsilon_max":0.75}"#,
        ]))
        let b = try RunHistory(folder: folder([
            #"{"round":1,"time":1,"test_loss":0.8,"test_accuracy":0.6}"#,
            #"{"round":2,"time":2,"test_loss":0.6,"test_accuracy":0.7}"#,
        ]))
        let comparison = RunComparison(runs: [a, b], reference: a, grid: 1)
        let lines = comparison.markdown.split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        XCTAssert(lines[0].contains("time to loss 0.5000"), String(lines[0]))
        XCTAssert(lines[0].hasSuffix("| loss spread | bytes up / update | epsilon |"), String(lines[0]))
        XCTAssert(lines[2].hasSuffix("| 2 | 2.0 | 0.5000 | 0.8000 | 2.0 | - | 150 | 0.75 |"), String(lines[2]))
        XCTAssert(lines[3].hasSuffix("| 0.6000 | 0.7000 | not reached | - | - | - |"), String(lines[3]))

        // Loss chart: time 0...2 spans x 80...624, loss 0.5...1.0 spans y 240...16, so
        // run a's first evaluation (1 s, loss 1.0) is drawn at (352, 16).
        let html = comparison.html
        XCTAssertEqual(html.components(separatedBy: "<polyline").count - 1, 4)
        XCTAssert(html.contains("points=\"352.0,16.0 624.0,240.0\""), html)
        XCTAssert(html.contains("<td>not reached</td>"))
    }
}

extension RunHistoryTests {
    func testARunThatDivergedSetsNoTargetByDefault() throws {
        let nonFinite = try RunHistory(folder: folder([
            #"{"round":1,"time":1,"test_loss":0.9,"test_accuracy":0.5}"#,
            #"{"round":2,"time":2,"test_loss":null,"test_accuracy":0.1}"#,
        ]))
        let worse = try RunHistory(folder: folder([
            #"{"round":1,"time":1,"test_loss":0.7,"test_accuracy":0.5}"#,
            #"{"round":2,"time":2,"test_loss":2.4,"test_accuracy":0.2}"#,
        ]))
        let converged = try RunHistory(folder: folder([
            #"{"round":1,"time":1,"test_loss":0.8,"test_accuracy":0.6}"#,
            #"{"round":2,"time":2,"test_loss":0.6,"test_accuracy":0.7}"#,
        ]))
        XCTAssertEqual([nonFinite, worse, converged].map(\.diverged), [true, true, false])
        let comparison = RunComparison(runs: [nonFinite, worse, converged], grid: 1)
        XCTAssertEqual(comparison.targetLoss, 0.6, "the first run that did not diverge")
        let lines = comparison.markdown.split(separator: "\n")
        XCTAssert(lines[0].contains("time to loss 0.6000"), String(lines[0]))
        XCTAssert(lines[4].contains("| 0.6000 | 0.7000 | 2.0 |"), String(lines[4]))
        XCTAssertEqual(RunComparison(runs: [nonFinite, converged], reference: worse, grid: 1).targetLoss, 2.4,
                       "a reference given is taken as it is")

        let none = RunComparison(runs: [nonFinite, worse], grid: 1)
        XCTAssertNil(none.targetLoss)
        XCTAssert(none.markdown.contains("time to loss (every run diverged)"), none.markdown)
    }
}
