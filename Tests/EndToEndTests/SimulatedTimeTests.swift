import FedSimRuntime
import Foundation
import XCTest

/// Simulated time across real worker processes: client speeds, links and availability,
/// the asynchronous strategies, and the FedFix comparison of `scenarios/fedfix/`.
final class SimulatedTimeTests: FedSimProcessTestCase {
    /// The quickstart scenario with its `server:` section replaced and a `system:`
    /// section added, written to a temporary file.
    private func quickstart(server: String, system: String = "", name: String) throws -> String {
        let path = temporaryFolder() + "-\(name).yaml"
        var text = try String(contentsOfFile: scenario("quickstart.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "../data/digits.csv", with: Self.repository.path + "/data/digits.csv")
            .replacingOccurrences(of: "name: quickstart", with: "name: \(name)")
        let start = try XCTUnwrap(text.range(of: "server:\n"))
        let end = try XCTUnwrap(text.range(of: "evaluation:\n"))
        text.replaceSubrange(start.lowerBound..<end.lowerBound, with: server + system)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private static let f80 = "system:\n  compute:\n    profile: linear\n    heterogeneity: 80\n"

    func testAsynchronousStrategiesGiveTheSameMetricsWithOneOrThreeWorkers() throws {
        let servers = [
            "fedasync": "server:\n  algorithm: fedasync\n  rounds: 150\n  learning_rate: 0.1\n  staleness:\n    kind: hinge\n",
            "fedbuff": "server:\n  algorithm: fedbuff\n  rounds: 30\n  buffer_size: 5\n  concurrency: 20\n",
            "fedfix": "server:\n  algorithm: fedfix\n  time_budget: 6\n  period: 0.5\n",
        ]
        for (name, server) in servers.sorted(by: { $0.key < $1.key }) {
            let file = try quickstart(server: server, system: Self.f80, name: name)
            var runs: [[NSDictionary]] = []
            for workers in [1, 3] {
                let folder = temporaryFolder()
                let result = try fedsim(["run", file, "--workers", "\(workers)", "--out", folder])
                XCTAssertEqual(result.status, 0, "\(name): \(result.error)")
                runs.append(try deterministicMetrics(folder))
            }
            XCTAssertGreaterThan(runs[0].count, 5, name)
            XCTAssertEqual(runs[0], runs[1], name)
            // Under F-80 clients finish at different times, so steps see stale updates.
            XCTAssertGreaterThan(runs[0].compactMap { $0["staleness_max"] as? Int }.max() ?? 0, 0, name)
        }
    }

    func testLinkTimeFollowsTheRealModelSize() throws {
        // The quickstart model has 650 parameters; its encoded Model message is 2,615 bytes
        // (see EndToEndTests). At 2,615 bytes/s the download takes 1 s, computing 1 s and
        // the upload (infinite bandwidth, no latency) 0 s: every FedAvg round lasts 2 s.
        let file = try quickstart(
            server: "server:\n  rounds: 5\n  clients_per_round: 10\n",
            system: "system:\n  link:\n    download_bandwidth: 2615\n", name: "link")
        let folder = temporaryFolder()
        let result = try fedsim(["run", file, "--workers", "2", "--out", folder])
        XCTAssertEqual(result.status, 0, result.error)
        let times = try deterministicMetrics(folder).map { $0["time"] as? Double }
        XCTAssertEqual(times, [2, 4, 6, 8, 10])
    }

    func testClientsOfflineBetweenRoundsDelayThemAndStayDeterministic() throws {
        let file = try quickstart(
            server: "server:\n  algorithm: fedasync\n  rounds: 200\n  learning_rate: 0.1\n",
            system: "system:\n  availability:\n    profile: on_off\n    mean_online: 2\n    mean_offline: 3\n",
            name: "on-off")
        var runs: [[NSDictionary]] = []
        for workers in [1, 3] {
            let folder = temporaryFolder()
            let result = try fedsim(["run", file, "--workers", "\(workers)", "--out", folder])
            XCTAssertEqual(result.status, 0, result.error)
            runs.append(try deterministicMetrics(folder))
        }
        XCTAssertEqual(runs[0], runs[1])
        // Always online, all 100 clients return one-second jobs at t = 1 and again at
        // t = 2. Every client starts online, so the first 100 still return at t = 1, but
        // those offline then (about 3 in 5) restart only when they come back.
        let times = runs[0].compactMap { $0["time"] as? Double }
        XCTAssertEqual(times[99], 1)
        XCTAssertGreaterThan(times[199], 2)
    }

    /// Runs every scenario of `scenarios/fedfix/` and checks the qualitative findings of
    /// Fraboni et al. (2023) on it, with the measures `fedsim report` prints.
    func testFedFixComparisonReproducesThePapersFindings() throws {
        let names = ["fedavg", "async", "fedfix-0.2", "fedfix-0.5", "fedfix-0.8", "fedbuff-5"]
        let root = temporaryFolder()
        var runs: [String: RunHistory] = [:]
        for name in names {
            let loaded = try ScenarioLoader.load(path: scenario("fedfix/\(name).yaml"))
            XCTAssertEqual(loaded.server.timeBudget, 60, name)
            XCTAssertEqual(loaded.system.compute, .linear(heterogeneity: 80, slowest: 1), name)
            let folder = root + "/" + name
            _ = try Simulation.runLocally(loaded, workers: 2, folder: folder, executable: Self.fedsim)
            runs[name] = try RunHistory(folder: folder)
        }
        let fedAvg = try XCTUnwrap(runs["fedavg"]), async = try XCTUnwrap(runs["async"])
        let target = fedAvg.final.testLoss
        let fedAvgTime = try XCTUnwrap(fedAvg.firstTime(testLossAtMost: target))
        let asyncSpread = try XCTUnwrap(async.lossSpread(every: 0.5))
        for name in ["fedfix-0.2", "fedfix-0.5", "fedfix-0.8"] {
            let fedFix = try XCTUnwrap(runs[name])
            // FedFix reaches FedAvg's final test loss sooner in virtual time.
            let reached = try XCTUnwrap(fedFix.firstTime(testLossAtMost: target), "\(name) never reaches \(target)")
            XCTAssertLessThan(reached, fedAvgTime, name)
            // Asynchronous FedAvg's loss moves less steadily than FedFix's.
            XCTAssertGreaterThan(asyncSpread, try XCTUnwrap(fedFix.lossSpread(every: 0.5)), name)
        }

        let report = try fedsim(["report"] + names.map { root + "/" + $0 })
        XCTAssertEqual(report.status, 0, report.error)
        XCTAssertEqual(report.output.split(separator: "\n").count, 2 + names.count, report.output)
    }

    func testValidateRejectsBadTimingSettings() throws {
        let folder = temporaryFolder()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let trace = folder + "/speeds.csv"
        try "client_id,seconds\n0,1.5\n100,2\n".write(toFile: trace, atomically: true, encoding: .utf8)
        let cases: [(server: String, system: String, expected: String)] = [
            ("server:\n  algorithm: fedfix\n  time_budget: 5\n  period: 0\n", "",
             "error: server.period: must be greater than 0.0"),
            ("server:\n  algorithm: fedbuff\n  rounds: 5\n  buffer_size: 101\n", "",
             "error: server.buffer_size: FedBuff's buffer of 101 updates is larger than the 100 clients"),
            ("server:\n  rounds: 5\n", "system:\n  compute:\n    profile: trace\n    path: \(trace)\n",
             "error: system.compute.path: bad trace: \(trace):3: unknown client id 100; ids run from 0 to 99"),
        ]
        for (index, bad) in cases.enumerated() {
            let file = try quickstart(server: bad.server, system: bad.system, name: "bad-\(index)")
            let result = try fedsim(["validate", file])
            XCTAssertEqual(result.status, 1, bad.expected)
            XCTAssert(result.error.hasPrefix(file + ":") && result.error.contains(bad.expected), result.error)
        }
    }
}
