import Foundation
import XCTest

/// `fedsim bench`'s modes through the real executable, at sizes that take a second.
final class BenchCommandTests: FedSimProcessTestCase {
    func testUpdatePathReportsGigabytesPerSecondAgainstTheTarget() throws {
        let result = try fedsim(["bench", "update-path", "--parameters", "1000", "--messages", "50", "--repeats", "1"])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssert(result.output.hasPrefix("bench update-path: 50 updates of 1000 floats"), result.output)
        XCTAssertNotNil(result.output.range(of: #"update path GB/s: median [0-9]+\.[0-9]{2}"#, options: .regularExpression),
                        result.output)
        for stage in ["encode", "send + receive", "decode", "finiteness check", "accumulate"] {
            XCTAssert(result.output.contains("\n  \(stage) alone GB/s: median "), result.output)
        }
        XCTAssertNotNil(result.output.range(of: #"\n  target 1 GB/s: (met|not met) "#, options: .regularExpression),
                        result.output)
    }

    func testAggregatorsModeTimesEveryRule() throws {
        let result = try fedsim(["bench", "aggregators", "--inputs", "5", "--dimension", "20", "--f", "1", "--repeats", "1"])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssert(result.output.hasPrefix("bench aggregators: n = 5 inputs of d = 20, f = 1"), result.output)
        for rule in ["average", "median", "krum", "flag (r = 5, lambda = 1)", "nnm (pre-aggregation)"] {
            XCTAssert(result.output.contains("\n\(rule) "), result.output)
        }
    }

    /// A scenario file named right after `bench` is measured by the scenarios mode, options and all.
    func testScenariosModeIsTheDefault() throws {
        let result = try fedsim(["bench", scenario("quickstart.yaml"), "--workers", "1", "--repeats", "1"])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssert(result.output.hasPrefix("bench: quickstart (fedavg), 1 workers\n"), result.output)
        XCTAssert(result.output.contains("\n  local training GFLOP/s: median "), result.output)
        XCTAssert(result.output.contains("\nmedians, 1 workers:\n  quickstart  "), result.output)
        // The worker's peak memory comes from its own log, and a worker holds a few MB at least.
        XCTAssertNotNil(result.output.range(of: #"largest worker [1-9][0-9]*(\.[0-9])? MB \(the training rows of "#
                                            + #"the clients it hosts [0-9.]+ MB\)"#, options: .regularExpression),
                        result.output)
    }

    func testUpdatePathRefusesSizesItCannotSend() throws {
        let result = try fedsim(["bench", "update-path", "--messages", "2000000"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssert(result.error.contains("--messages 1 to 1,000,000"), result.error)
    }
}
