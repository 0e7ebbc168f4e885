import Foundation
import XCTest

/// `fedsim report` on decentralized run folders, through the real executable.
final class ReportCommandTests: FedSimProcessTestCase {
    /// DADAO reaches the relative distance 1e-4 exactly at its record of 5900
    /// communications; D-SGD stops at 5e-4.
    private let dadao = [
        #"{"time":0,"gradients":0,"communications":0,"bytes":0,"distance_to_optimum":2.5,"relative_distance_to_optimum":0.1,"consensus_distance":0,"train_loss":0.69,"test_loss":0.7,"test_accuracy":0.5,"worst_node_test_accuracy":0.5,"wall_seconds":0}"#,
        #"{"time":2,"gradients":600,"communications":5900,"bytes":5664000,"distance_to_optimum":0.0025,"relative_distance_to_optimum":0.0001,"consensus_distance":0.0031,"train_loss":0.41,"test_loss":0.43,"test_accuracy":0.87,"worst_node_test_accuracy":0.8,"wall_seconds":0.8}"#,
        #"{"time":4,"gradients":1200,"communications":11800,"bytes":11328000,"distance_to_optimum":0.00025,"relative_distance_to_optimum":0.00001,"consensus_distance":0.0002,"train_loss":0.4,"test_loss":0.42,"test_accuracy":0.88,"worst_node_test_accuracy":0.82,"wall_seconds":1.6}"#,
    ]
    private let dsgd = [
        #"{"time":0,"gradients":0,"communications":0,"bytes":0,"distance_to_optimum":2.5,"relative_distance_to_optimum":0.1,"consensus_distance":0,"train_loss":0.69,"test_loss":0.7,"test_accuracy":0.5,"worst_node_test_accuracy":0.5,"wall_seconds":0}"#,
        #"{"time":2,"gradients":600,"communications":2400,"bytes":2304000,"distance_to_optimum":0.05,"relative_distance_to_optimum":0.002,"consensus_distance":0.008,"train_loss":0.48,"test_loss":0.5,"test_accuracy":0.83,"worst_node_test_accuracy":0.7,"wall_seconds":0.5}"#,
        #"{"time":4,"gradients":1200,"communications":4800,"bytes":4608000,"distance_to_optimum":0.0125,"relative_distance_to_optimum":0.0005,"consensus_distance":0.005,"train_loss":0.46,"test_loss":0.48,"test_accuracy":0.84,"worst_node_test_accuracy":0.74,"wall_seconds":1}"#,
    ]

    private var root = ""

    override func setUp() {
        super.setUp()
        root = temporaryFolder()
    }

    /// `root/name/metrics.jsonl` holding `lines`, beside a completed run's summary; the folder's path.
    private func runFolder(_ name: String, _ lines: [String]) throws -> String {
        let folder = root + "/" + name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try (lines.joined(separator: "\n") + "\n").write(toFile: folder + "/metrics.jsonl", atomically: true, encoding: .utf8)
        try "{\"status\": \"completed\"}\n".write(toFile: folder + "/summary.json", atomically: true, encoding: .utf8)
        return folder
    }

    func testTheTableCountsCommunicationsAndGradientsToTheTargetAndThePagePlotsThem() throws {
        let folders = [try runFolder("dadao", dadao), try runFolder("dsgd", dsgd)]
        let page = root + "/report.html"
        let result = try fedsim(["report"] + folders + ["--html", page])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertEqual(result.output, """
            | run | virtual s | communications | gradients | final test loss | final accuracy | final relative distance \
            | final consensus distance | communications to target 0.0001 | gradients to target 0.0001 |
            |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
            | dadao | 4.0 | 11800 | 1200 | 0.4200 | 0.8800 | 1.00e-05 | 2.00e-04 | 5900 | 600 |
            | dsgd | 4.0 | 4800 | 1200 | 0.4800 | 0.8400 | 5.00e-04 | 5.00e-03 | not reached | not reached |
            wrote \(page)

            """)

        let html = try String(contentsOfFile: page, encoding: .utf8)
        XCTAssertEqual(html.components(separatedBy: "<svg xmlns=\"http://www.w3.org/2000/svg\"").count - 1, 2)
        XCTAssert(html.contains("<h2>relative distance to optimum against communications</h2>"), html)
        XCTAssert(html.contains("<h2>test accuracy against communications</h2>"), html)
        // Communications 0...11800 span x 80...624 and log10 of the distance -5...-1
        // spans y 240...16: DADAO's 1e-4 at 5900 communications is at (352, 184).
        XCTAssert(html.contains("points=\"80.0,16.0 352.0,184.0 624.0,240.0\""), html)

        let looser = try fedsim(["report"] + folders + ["--target", "0.002"])
        XCTAssertEqual(looser.status, 0, looser.error)
        XCTAssert(looser.output.contains("| communications to target 0.002 | gradients to target 0.002 |"), looser.output)
        XCTAssert(looser.output.contains("| 5.00e-03 | 2400 | 600 |\n"), looser.output)
    }

    func testMixedKindsBadTargetsAndBadRecordsAreRefused() throws {
        let dadaoFolder = try runFolder("dadao", dadao)
        let fedAvg = try runFolder("fedavg", [#"{"round":1,"time":1,"test_loss":0.5,"test_accuracy":0.8}"#])
        let broken = try runFolder("broken", [dadao[0], #"{"time":2,"communications":5900}"#])
        let cases: [(arguments: [String], message: String)] = [
            ([fedAvg, dadaoFolder],
             "cannot compare server runs (fedavg) with decentralized runs (dadao) in one table; report each kind on its own"),
            ([dadaoFolder, "--target", "0"], "--target must be a positive finite relative distance, got 0.0"),
            ([dadaoFolder, "--target=-1e-4"], "--target must be a positive finite relative distance, got -0.0001"),
            ([dadaoFolder, "--target", "inf"], "--target must be a positive finite relative distance, got inf"),
            ([dadaoFolder, "--target", "nan"], "--target must be a positive finite relative distance, got nan"),
            ([fedAvg, "--target", "1e-4"], "--target applies to decentralized runs; use --reference"),
            ([dadaoFolder, "--reference", fedAvg], "--reference applies to server runs; use --target"),
            ([broken], "\(broken)/metrics.jsonl:2: not a decentralized metrics record with numeric 'time', "
                + "'gradients' and 'communications'"),
        ]
        for bad in cases {
            let result = try fedsim(["report"] + bad.arguments)
            XCTAssertEqual(result.status, 1, "\(bad.arguments)")
            XCTAssertEqual(result.output, "", "\(bad.arguments)")
            XCTAssertEqual(result.error, "fedsim: error: \(bad.message)\n", "\(bad.arguments)")
        }
    }

    func testSeedsOfOneScenarioAreOneCurveOnThePageAndInTheCSV() throws {
        var folders: [String] = []
        for (name, seed, rounds) in [("rounds=2,seed=1", 1, 2), ("rounds=2,seed=2", 2, 2), ("rounds=3,seed=1", 1, 3)] {
            let folder = try runFolder(name, [
                #"{"round":1,"time":1,"test_loss":\#(0.9 - Double(seed) / 10),"test_accuracy":0.5}"#,
                #"{"round":2,"time":2,"test_loss":\#(0.7 - Double(seed) / 10),"test_accuracy":0.6}"#,
            ])
            try "name: quickstart\nseed: \(seed)\nserver:\n  rounds: \(rounds)\n"
                .write(toFile: folder + "/scenario.yaml", atomically: true, encoding: .utf8)
            folders.append(folder)
        }
        let page = root + "/report.html", csv = root + "/curves.csv"
        let result = try fedsim(["report"] + folders + ["--html", page, "--csv", csv, "--x", "steps"])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssert(result.output.hasSuffix("wrote \(page)\nwrote \(csv)\n"), result.output)
        XCTAssertEqual(result.output.split(separator: "\n").filter { $0.hasPrefix("| rounds=") }.count, 3, result.output)

        let html = try String(contentsOfFile: page, encoding: .utf8)
        XCTAssert(html.contains("<h2>test loss against aggregation steps</h2>"), html)
        XCTAssertEqual(html.components(separatedBy: "<polygon class=\"band\"").count - 1, 2, "a band per chart")
        XCTAssert(html.contains(">rounds=2 (seeds 1, 2)</text>") && html.contains(">rounds=3,seed=1</text>"), html)
        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.count, 9)
        XCTAssertEqual(rows[0], "chart,series,runs,steps,mean,std,min,max")
        XCTAssert(rows[1].hasPrefix("test_loss,\"rounds=2 (seeds 1, 2)\",2,1.0,0.75"), rows[1])
        XCTAssert(rows[3].hasPrefix("test_loss,\"rounds=3,seed=1\",1,1.0,0.8,,0.8,0.8"), rows[3])

        let cases: [(arguments: [String], message: String)] = [
            (folders + ["--x", "rounds"], "--x must be one of time, steps, communication, not 'rounds'"),
            ([try runFolder("dadao", dadao), "--x", "steps"],
             "--x steps applies to server runs: decentralized runs have no aggregation steps (use time or communication)"),
        ]
        for bad in cases {
            let refused = try fedsim(["report"] + bad.arguments)
            XCTAssertEqual(refused.status, 1, "\(bad.arguments)")
            XCTAssertEqual(refused.error, "fedsim: error: \(bad.message)\n", "\(bad.arguments)")
        }
    }
}
