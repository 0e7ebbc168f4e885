import FedSimCore
import FedSimRuntime
import Foundation
import XCTest

/// Decentralized run folders read back and compared, on hand-written metrics.jsonl files.
final class DecentralizedRunHistoryTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-decentralized-\(UUID())").path
        let root = root
        addTeardownBlock { try? FileManager.default.removeItem(atPath: root) }
    }

    /// `root/name/metrics.jsonl` holding `lines`, beside a completed run's summary; the folder's path.
    private func runFolder(_ name: String, _ lines: [String]) throws -> String {
        let path = root + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try (lines.joined(separator: "\n") + "\n").write(toFile: path + "/metrics.jsonl", atomically: true, encoding: .utf8)
        try "{\"status\": \"completed\"}\n".write(toFile: path + "/summary.json", atomically: true, encoding: .utf8)
        return path
    }

    /// One record as a decentralized run writes it, its keys in the run's order. `relative`
    /// nil leaves out both distances to the optimum (a network has no unique optimum) and
    /// `accuracy` nil both accuracies (least squares); ||x*||^2 is 25, an exchange 960 bytes.
    private func record(
        _ time: Double, gradients: Int, communications: Int, relative: Double?, consensus: Double,
        testLoss: Double, accuracy: Double?
    ) -> String {
        var fields = [#""time":\#(time)"#, #""gradients":\#(gradients)"#, #""communications":\#(communications)"#,
                      #""bytes":\#(communications * 960)"#]
        if let relative {
            fields += [#""distance_to_optimum":\#(relative * 25)"#, #""relative_distance_to_optimum":\#(relative)"#]
        }
        fields += [#""consensus_distance":\#(consensus)"#, #""train_loss":\#(testLoss - 0.02)"#, #""test_loss":\#(testLoss)"#]
        if let accuracy {
            fields += [#""test_accuracy":\#(accuracy)"#, #""worst_node_test_accuracy":\#(accuracy - 0.07)"#]
        }
        return "{" + (fields + [#""wall_seconds":\#(time * 0.4)"#]).joined(separator: ",") + "}"
    }

    /// The folder read as a decentralized run; throws if it reads as a server run.
    private func decentralized(_ folder: String) throws -> DecentralizedRunHistory {
        guard case let .decentralized(history) = try RunFolderHistory(folder: folder) else {
            return try XCTUnwrap(nil, "\(folder) read as a server run")
        }
        return history
    }

    /// Reaches the relative distance 1e-4 exactly on its third record, at 5900 communications.
    private func dadao() throws -> String {
        try runFolder("dadao", [
            record(0, gradients: 0, communications: 0, relative: 0.1, consensus: 0, testLoss: 0.7, accuracy: 0.5),
            record(1, gradients: 300, communications: 2950, relative: 0.001, consensus: 0.01, testLoss: 0.46, accuracy: 0.85),
            record(2, gradients: 600, communications: 5900, relative: 0.0001, consensus: 0.0031, testLoss: 0.43, accuracy: 0.87),
            record(3, gradients: 900, communications: 8850, relative: 0.00001, consensus: 0.0004, testLoss: 0.42, accuracy: 0.88),
        ])
    }

    /// Never goes below 5e-4.
    private func dsgd() throws -> String {
        try runFolder("dsgd", [
            record(0, gradients: 0, communications: 0, relative: 0.1, consensus: 0, testLoss: 0.7, accuracy: 0.5),
            record(1, gradients: 300, communications: 1200, relative: 0.01, consensus: 0.02, testLoss: 0.55, accuracy: 0.8),
            record(2, gradients: 600, communications: 2400, relative: 0.002, consensus: 0.008, testLoss: 0.5, accuracy: 0.83),
            record(3, gradients: 900, communications: 3600, relative: 0.0005, consensus: 0.005, testLoss: 0.48, accuracy: 0.84),
        ])
    }

    /// A network: no distance to an optimum.
    private func mlp() throws -> String {
        try runFolder("mlp", [
            record(0, gradients: 0, communications: 0, relative: nil, consensus: 0, testLoss: 2.3, accuracy: 0.1),
            record(1, gradients: 300, communications: 2950, relative: nil, consensus: 0.05, testLoss: 0.9, accuracy: 0.7),
            record(2, gradients: 600, communications: 5900, relative: nil, consensus: 0.02, testLoss: 0.6, accuracy: 0.8),
        ])
    }

    /// Least squares: no accuracy; goes below 1e-4 only at its last record.
    private func ridge() throws -> String {
        try runFolder("ridge", [
            record(0, gradients: 0, communications: 0, relative: 1, consensus: 0, testLoss: 4, accuracy: nil),
            record(1, gradients: 100, communications: 1000, relative: 0.01, consensus: 0.3, testLoss: 1.2, accuracy: nil),
            record(2, gradients: 200, communications: 2000, relative: 0.00005, consensus: 0.002, testLoss: 1.01, accuracy: nil),
        ])
    }

    func testReadsEveryRecordAndFindsTheFirstAtOrBelowATarget() throws {
        let history = try decentralized(try dadao())
        XCTAssertEqual(history.name, "dadao")
        XCTAssertEqual(history.records.map(\.communications), [0, 2950, 5900, 8850])
        let third = history.records[2]
        XCTAssertEqual(third.time, 2)
        XCTAssertEqual(third.gradients, 600)
        XCTAssertEqual(third.relativeDistanceToOptimum, 0.0001)
        XCTAssertEqual(third.consensusDistance, 0.0031)
        XCTAssertEqual(third.testLoss, 0.43)
        XCTAssertEqual(third.testAccuracy, 0.87)
        XCTAssertEqual(history.final.time, 3)
        // 1e-4 is met with equality on the third record, 1e-3 already on the second.
        XCTAssertEqual(history.firstRecord(relativeDistanceAtMost: 1e-4)?.communications, 5900)
        XCTAssertEqual(history.firstRecord(relativeDistanceAtMost: 1e-4)?.gradients, 600)
        XCTAssertEqual(history.firstRecord(relativeDistanceAtMost: 0.001)?.communications, 2950)
        XCTAssertEqual(history.firstRecord(relativeDistanceAtMost: 0.5)?.communications, 0)
        XCTAssertNil(history.firstRecord(relativeDistanceAtMost: 1e-6))
        XCTAssertNil(try decentralized(try dsgd()).firstRecord(relativeDistanceAtMost: 1e-4))
    }

    func testAbsentMeasuresAreNilAndNullsAreNotFinite() throws {
        let network = try decentralized(try mlp())
        XCTAssertNil(network.final.relativeDistanceToOptimum)
        XCTAssertNil(network.firstRecord(relativeDistanceAtMost: 1e300))
        XCTAssertEqual(network.final.testAccuracy, 0.8)
        XCTAssertNil(try decentralized(try ridge()).final.testAccuracy)

        // The run writes a non-finite value as null (JSONObject's convention): it reads
        // back as NaN, which never meets a target.
        let diverged = try decentralized(try runFolder("diverged", [
            #"{"time":0,"gradients":0,"communications":0,"relative_distance_to_optimum":0.5,"test_loss":1}"#,
            #"{"time":1,"gradients":10,"communications":20,"relative_distance_to_optimum":null,"test_loss":null}"#,
        ]))
        XCTAssert(try XCTUnwrap(diverged.final.relativeDistanceToOptimum).isNaN)
        XCTAssert(try XCTUnwrap(diverged.final.testLoss).isNaN)
        XCTAssertNil(diverged.final.consensusDistance)
        XCTAssertNil(diverged.firstRecord(relativeDistanceAtMost: 0.1))
    }

    func testMalformedAndMixedRecordsAreNamedWithFileAndLine() throws {
        let first = record(0, gradients: 0, communications: 0, relative: 0.1, consensus: 0, testLoss: 0.7, accuracy: 0.5)
        let cases: [(lines: [String], message: String)] = [
            ([first, "not json"],
             "2: not a decentralized metrics record with numeric 'time', 'gradients' and 'communications'"),
            ([first, #"{"time":1,"communications":5}"#],
             "2: not a decentralized metrics record with numeric 'time', 'gradients' and 'communications'"),
            ([first, first, #"{"time":1,"gradients":2,"communications":5,"test_loss":"low"}"#],
             "3: 'test_loss' is neither a number nor null"),
            ([first, #"{"round":1,"time":1,"test_loss":1,"test_accuracy":0}"#],
             "2: a server run's record (it has no 'communications') among a decentralized run's records"),
            ([#"{"round":1,"time":1,"test_loss":1,"test_accuracy":0}"#, first],
             "2: a decentralized run's record (it has 'communications') among a server run's records"),
        ]
        for (index, bad) in cases.enumerated() {
            let folder = try runFolder("bad-\(index)", bad.lines)
            XCTAssertThrowsError(try RunFolderHistory(folder: folder)) { error in
                XCTAssertEqual("\(error)", "\(folder)/metrics.jsonl:\(bad.message)")
            }
        }
        let folder = try dadao()
        XCTAssertThrowsError(try RunHistory(folder: folder)) { error in
            XCTAssertEqual("\(error)", "'\(folder)' holds a decentralized run, not a server run")
        }
    }

    func testTokenWalksGetTheirVisitDistanceAndTheCovarianceTraceOfTheirVisits() throws {
        // Three walks over 3 nodes, 4 hops each: visit distributions (1/2, 1/4, 1/4),
        // (1/4, 1/2, 1/4), (1/4, 1/4, 1/2). Per node the mean is 1/3 and the sample
        // variance ((1/6)^2 + 2 (1/12)^2) / 2 = 1/48, so the trace is 3/48 = 0.0625.
        var folders: [String] = []
        for (index, visits) in [[2, 1, 1], [1, 2, 1], [1, 1, 2]].enumerated() {
            let line = #"{"time":4,"gradients":4,"communications":3,"bytes":72,"consensus_distance":0,"train_loss":0.5,"#
                + #""test_loss":0.6,"test_accuracy":0.8,"worst_node_test_accuracy":0.8,"hops":4,"visit_tv_distance":0.1667}"#
            let folder = try runFolder("walk-\(index)", [line])
            try ("node,samples,degree,test_accuracy,distance_to_optimum,visits\n"
                 + visits.enumerated().map { "\($0),5,2,0.8,,\($1)" }.joined(separator: "\n") + "\n")
                .write(toFile: folder + "/nodes.csv", atomically: true, encoding: .utf8)
            folders.append(folder)
        }
        let walks = try folders.map(decentralized)
        XCTAssertEqual(walks[0].visits, [2, 1, 1])
        XCTAssertEqual(walks[0].final.visitDistance, 0.1667)
        let report = DecentralizedRunComparison(runs: walks)
        XCTAssertEqual(report.rows[0].last, "visit TV distance")
        XCTAssertEqual(report.rows[1].last, "1.67e-01")
        XCTAssertEqual(report.notes, ["Visit distribution covariance trace across the 3 token walks (walk-0, walk-1, walk-2): 6.25e-02"])
        XCTAssertTrue(report.markdown.hasSuffix("\nVisit distribution covariance trace across the 3 token walks (walk-0, walk-1, walk-2): 6.25e-02\n"))
        XCTAssertEqual(DecentralizedRunComparison(runs: [walks[0]]).notes, [], "one walk has no spread")

        try "node,visits\n0,2\n1,x\n".write(toFile: folders[0] + "/nodes.csv", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try decentralized(folders[0])) { error in
            XCTAssertTrue("\(error)".hasSuffix("walk-0/nodes.csv:3: 'visits' is not a count of visits (a whole number >= 0)"),
                          "\(error)")
        }
    }

    func testTheTableCountsCommunicationsAndGradientsToTheTarget() throws {
        let runs = try [dadao(), dsgd(), mlp(), ridge()].map(decentralized)
        XCTAssertEqual(DecentralizedRunComparison(runs: runs).markdown, """
            | run | virtual s | communications | gradients | final test loss | final accuracy | final relative distance \
            | final consensus distance | communications to target 0.0001 | gradients to target 0.0001 |
            |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
            | dadao | 3.0 | 8850 | 900 | 0.4200 | 0.8800 | 1.00e-05 | 4.00e-04 | 5900 | 600 |
            | dsgd | 3.0 | 3600 | 900 | 0.4800 | 0.8400 | 5.00e-04 | 5.00e-03 | not reached | not reached |
            | mlp | 2.0 | 5900 | 600 | 0.6000 | 0.8000 | n/a | 2.00e-02 | n/a | n/a |
            | ridge | 2.0 | 2000 | 200 | 1.0100 | n/a | 5.00e-05 | 2.00e-03 | 2000 | 200 |

            """)
        let looser = DecentralizedRunComparison(runs: runs, target: 0.001).rows
        XCTAssertEqual(looser[0].suffix(2), ["communications to target 0.001", "gradients to target 0.001"])
        XCTAssertEqual(looser[1].suffix(2), ["2950", "300"])
        XCTAssertEqual(looser[2].suffix(2), ["3600", "900"])
        XCTAssertEqual(looser[3].suffix(2), ["n/a", "n/a"])
    }

    func testThePagePlotsTheDistanceOnALogScaleAndTheAccuracyAgainstCommunications() throws {
        let html = DecentralizedRunComparison(runs: try [dadao(), dsgd()].map(decentralized)).html
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 2)
        XCTAssert(html.contains("<h2>relative distance to optimum against communications</h2>"), html)
        XCTAssert(html.contains("<h2>test accuracy against communications</h2>"), html)
        // Communications 0...8850 span x 80...624 and log10 of the distance -5...-1 spans
        // y 240...16, so dadao's 1e-3 at 2950 is at (261.3, 128) and its 1e-4 at 5900 at
        // (442.7, 184).
        XCTAssert(html.contains("points=\"80.0,16.0 261.3,128.0 442.7,184.0 624.0,240.0\""), html)
        for power in ["1.00e-05", "1.00e-04", "1.00e-03", "1.00e-02", "1.00e-01"] {
            XCTAssert(html.contains(">\(power)</text>"), html)
        }
        XCTAssert(html.contains(">8000</text>") && html.contains(">communications</text>"), html)
        XCTAssert(html.contains(">relative distance to optimum (log scale)</text>"), html)
        XCTAssert(html.contains("<td>not reached</td>"), html)

        // Least squares without distances has nothing to plot.
        let bare = try runFolder("bare", [record(0, gradients: 0, communications: 0, relative: nil, consensus: 0,
                                                 testLoss: 1, accuracy: nil)])
        XCTAssert(DecentralizedRunComparison(runs: [try decentralized(bare)]).charts.isEmpty)
    }
}
