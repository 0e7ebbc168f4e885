import Foundation
import XCTest

/// `fedsim run` ended from outside: it ends within seconds, and its worker processes
/// never outlive it.
final class InterruptTests: FedSimProcessTestCase {
    /// The process ids of the `fedsim worker` children of process `parent`, from /proc.
    private func workers(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let name = stat.range(of: ") ", options: .backwards),
                  let parentField = stat[name.upperBound...].split(separator: " ").dropFirst().first,
                  Int32(parentField) == parent,
                  let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return command.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.contains("worker")
        }
    }

    private func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let name = stat.range(of: ") ", options: .backwards) else { return false }
        return !stat[name.upperBound...].hasPrefix("Z")
    }

    /// Starts a long `fedsim run` with two workers, waits until both workers run, sends
    /// `signal` to the run and returns how long the run and its workers took to
    /// disappear (nil if some were still there after 5 s).
    private func secondsForWorkersToGo(after signal: Int32) throws -> Double? {
        let run = Process()
        run.executableURL = URL(fileURLWithPath: Self.fedsim)
        run.arguments = ["run", scenario("digits-mlp.yaml"), "--set", "server.rounds=100000", "--workers", "2",
                         "--out", temporaryFolder()]
        run.standardOutput = FileHandle.nullDevice
        run.standardError = FileHandle.nullDevice
        try run.run()
        let parent = run.processIdentifier
        let started = Date(timeIntervalSinceNow: 30)
        while workers(of: parent).count < 2, Date() < started { usleep(50_000) }
        let spawned = workers(of: parent)
        XCTAssertEqual(spawned.count, 2, "the run's workers never started")
        let sent = Date()
        kill(parent, signal)
        while Date().timeIntervalSince(sent) < 5 {
            if !run.isRunning, !spawned.contains(where: isRunning) { return Date().timeIntervalSince(sent) }
            usleep(50_000)
        }
        if run.isRunning { kill(parent, SIGKILL) }
        for pid in spawned where isRunning(pid) { kill(pid, SIGKILL) }
        return nil
    }

    func testWorkersEndWithTheRunHoweverItEnds() throws {
        for signal in [SIGINT, SIGTERM, SIGKILL] {
            XCTAssertNotNil(try secondsForWorkersToGo(after: signal), "workers outlived a run ended by signal \(signal)")
        }
    }

    func testAWorkerWhoseParentIsGoneExitsAtOnce() throws {
        let result = try fedsim(["worker", "--connect", "tcp://127.0.0.1:9", "--parent-pid", "999999999"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssert(result.error.contains("the fedsim run that started this worker (pid 999999999) has ended"), result.error)
    }
}
