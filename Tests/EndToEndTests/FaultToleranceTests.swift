import Foundation
import XCTest

/// Runs that lose a worker or their coordinator, or are interrupted, end with the
/// metrics of an undisturbed run: every update is a pure function of (model version,
/// client, job number, seed), whoever trains it and whenever.
final class FaultToleranceTests: FedSimProcessTestCase {
    /// digits-mlp long enough to be disturbed mid-run (a few seconds).
    private let long = ["--set", "server.rounds=400", "--set", "evaluation.every=20"]
    /// Heartbeats that notice a lost peer within a second or two.
    private let quickHeartbeat = ["--heartbeat-interval", "0.2", "--heartbeat-timeout", "1.5"]

    /// The undisturbed run's folder, made once.
    private static var reference: String?

    private func referenceRun() throws -> String {
        if let reference = Self.reference { return reference }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedsim-reference-\(UUID())").path
        let result = try fedsim(["run", scenario("digits-mlp.yaml")] + long + ["--workers", "2", "--out", folder])
        XCTAssertEqual(result.status, 0, result.error)
        Self.reference = folder
        return folder
    }

    override class func tearDown() {
        if let reference { try? FileManager.default.removeItem(atPath: reference) }
        super.tearDown()
    }

    /// Waits until `folder/metrics.jsonl` has at least `lines` lines.
    private func waitForMetrics(_ folder: String, lines: Int, timeout: Double = 60) throws {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8)) ?? ""
            if text.split(separator: "\n").count >= lines { return }
            usleep(20_000)
        }
        throw TestFailure("\(folder)/metrics.jsonl never reached \(lines) lines")
    }

    /// The pid a coordinator log line "joined: NAME (pid N)" gives for worker `name`.
    private func pid(of name: String, inLog log: String) throws -> Int32 {
        let line = try XCTUnwrap(log.split(separator: "\n").last { $0.contains("joined: \(name) ") }, log)
        return try XCTUnwrap(Int32(line.split(separator: "pid ").last!.dropLast()))
    }

    private func summaryStatus(_ folder: String) throws -> String? {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json")))
        return (object as? [String: Any])?["status"] as? String
    }

    func testKillingAWorkerOfFedsimRunLeavesTheMetricsUnchanged() throws {
        try killAWorkerOfFedsimRun()
    }

    func testAWorkerReplacedUnderKeysUsesItsKeysAndLeavesTheMetricsUnchanged() throws {
        try killAWorkerOfFedsimRun(["--keys", try keys(workers: 3)])
    }

    /// A folder of CURVE keys for a coordinator and `workers` workers.
    private func keys(workers: Int) throws -> String {
        let folder = temporaryFolder()
        XCTAssertEqual(try fedsim(["keygen", folder, "--workers", "\(workers)"]).status, 0)
        return folder
    }

    /// Kills worker-1 of `fedsim run` (with `options`) mid-run; checks that it was
    /// replaced and the metrics are the undisturbed run's.
    private func killAWorkerOfFedsimRun(_ options: [String] = []) throws {
        let folder = temporaryFolder()
        let run = try Running(["run", scenario("digits-mlp.yaml")] + long + ["--workers", "3", "--out", folder] + options)
        try waitForMetrics(folder, lines: 40)
        let log = try String(contentsOfFile: folder + "/logs/coordinator.log", encoding: .utf8)
        kill(try pid(of: "worker-1", inLog: log), SIGKILL)
        let result = run.finish()
        XCTAssertEqual(result.status, 0, result.error)

        XCTAssertEqual(try deterministicMetrics(folder), try deterministicMetrics(try referenceRun()))
        let after = try String(contentsOfFile: folder + "/logs/coordinator.log", encoding: .utf8)
        XCTAssert(after.contains("lost worker-1"), after)
        XCTAssert(after.contains("worker-1 (pid"), after)
        XCTAssert(after.contains("starting a replacement (restart 1 of at most 3)"), after)
        XCTAssertFalse(after.contains("refused"), after)
        XCTAssertEqual(try summaryStatus(folder), "completed")
    }

    func testKillingOneOfThreeSeparateWorkersLeavesTheMetricsUnchanged() throws {
        let folder = temporaryFolder()
        let (coordinator, endpoint) = try startCoordinator(scenario("digits-mlp.yaml"), workers: 3, folder: folder,
                                                           options: long + quickHeartbeat)
        let workers = try (0..<3).map { try Running(["worker", "--connect", endpoint, "--name", "w\($0)"] + quickHeartbeat) }
        try waitForMetrics(folder, lines: 40)
        kill(workers[1].process.processIdentifier, SIGKILL)
        let result = coordinator.finish()
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssert(result.error.contains("lost w1: its connection closed"), result.error)
        for index in [0, 2] { XCTAssertEqual(workers[index].finish().status, 0) }
        XCTAssertEqual(try deterministicMetrics(folder), try deterministicMetrics(try referenceRun()))
    }

    func testAResumedCoordinatorEndsWithTheMetricsOfAnUninterruptedRunAndItsWorkersRejoin() throws {
        try resumeACoordinator()
    }

    func testAResumedCoordinatorWithKeysIsRejoinedByItsWorkersOverCURVE() throws {
        let keys = try keys(workers: 3)
        try resumeACoordinator(["--keys", keys]) { ["--keys", keys, "--key", "worker-\($0)"] }
    }

    /// Kills a coordinator (with `options`) of three separate workers (worker I with
    /// `workerOptions(I)`) mid-run, then resumes it on the same endpoint; checks that the
    /// workers rejoined and the metrics are the undisturbed run's.
    private func resumeACoordinator(_ options: [String] = [], workerOptions: (Int) -> [String] = { _ in [] }) throws {
        let folder = temporaryFolder()
        let options = long + quickHeartbeat + ["--checkpoint-every", "5"] + options
        let (first, endpoint) = try startCoordinator(scenario("digits-mlp.yaml"), workers: 3, folder: folder,
                                                     options: options)
        let workers = try (0..<3).map {
            try Running(["worker", "--connect", endpoint, "--name", "w\($0)"] + quickHeartbeat + workerOptions($0))
        }
        try waitForMetrics(folder, lines: 60)
        kill(first.process.processIdentifier, SIGKILL)
        _ = first.finish()
        XCTAssert(FileManager.default.fileExists(atPath: folder + "/checkpoint/state.json"))
        let cut = try deterministicMetrics(folder).count

        // The same endpoint: the workers that were running reconnect to it.
        let (second, _) = try startCoordinator(scenario("digits-mlp.yaml"), workers: 3, folder: folder, bind: endpoint,
                                               options: options + ["--resume"])
        let result = second.finish()
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssert(result.error.contains("resuming at step"), result.error)
        for worker in workers {
            let ended = worker.finish()
            XCTAssertEqual(ended.status, 0, ended.error)
            XCTAssert(ended.error.contains("rejoined"), ended.error)
        }
        let metrics = try deterministicMetrics(folder)
        XCTAssertGreaterThan(metrics.count, cut)
        XCTAssertEqual(metrics, try deterministicMetrics(try referenceRun()))
        XCTAssertEqual(try summaryStatus(folder), "completed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/checkpoint"), "a completed run keeps no checkpoint")
    }

    func testAnInterruptedRunSaysSoAndResumesToTheSameMetrics() throws {
        let folder = temporaryFolder()
        let run = try Running(["run", scenario("digits-mlp.yaml")] + long + ["--workers", "2", "--out", folder])
        try waitForMetrics(folder, lines: 40)
        kill(run.process.processIdentifier, SIGINT)
        let interrupted = run.finish()
        XCTAssertEqual(interrupted.status, 128 + SIGINT, interrupted.error)
        XCTAssert(interrupted.error.contains("continue it with: fedsim resume \(folder)"), interrupted.error)
        XCTAssertEqual(try summaryStatus(folder), "interrupted")

        let report = try fedsim(["report", folder])
        XCTAssertEqual(report.status, 0, report.error)
        XCTAssert(report.output.contains("(interrupted)"), report.output)

        let refused = try fedsim(["run", scenario("digits-mlp.yaml"), "--out", folder])
        XCTAssertEqual(refused.status, 1)
        XCTAssert(refused.error.contains("holds an earlier run (interrupted); pass --overwrite"), refused.error)

        let resumed = try fedsim(["resume", folder])
        XCTAssertEqual(resumed.status, 0, resumed.error)
        XCTAssertEqual(try deterministicMetrics(folder), try deterministicMetrics(try referenceRun()))
        XCTAssertEqual(try summaryStatus(folder), "completed")
        let again = try fedsim(["resume", folder])
        XCTAssertEqual(again.status, 1)
        XCTAssert(again.error.contains("its run has completed"), again.error)
    }

    func testTwoRunsCannotShareAFolderAndOverwriteReplacesAnEarlierRun() throws {
        let folder = temporaryFolder()
        let first = try Running(["run", scenario("digits-mlp.yaml")] + long + ["--workers", "1", "--out", folder])
        try waitForMetrics(folder, lines: 1)
        let second = try fedsim(["run", scenario("quickstart.yaml"), "--overwrite", "--out", folder])
        XCTAssertEqual(second.status, 1)
        XCTAssert(second.error.contains("is in use by another fedsim process (pid \(first.process.processIdentifier))"),
                  second.error)
        XCTAssertEqual(first.finish().status, 0)

        let replaced = try fedsim(["run", scenario("quickstart.yaml"), "--overwrite", "--out", folder])
        XCTAssertEqual(replaced.status, 0, replaced.error)
        let summary = try String(contentsOfFile: folder + "/summary.json", encoding: .utf8)
        XCTAssert(summary.contains("\"scenario\": \"quickstart\""), summary)
    }
}
