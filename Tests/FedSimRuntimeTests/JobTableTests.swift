import FedSimAlgorithms
@testable import FedSimRuntime
import Foundation
import XCTest

final class JobTableTests: XCTestCase {
    private func job(_ client: Int, _ number: Int, version: Int = 0) -> Job {
        Job(client: client, number: number, version: version, ready: 0, start: 0, end: 1)
    }

    private func result(_ value: Float) -> ClientResult {
        ClientResult(delta: [value], sampleCount: 3, trainLoss: 0.5, steps: 2)
    }

    func testAReceivedUpdateWaitsForItsStepAndIsTakenOnce() {
        var table = JobTable()
        let first = job(4, 1)
        table.dispatched(first)
        XCTAssertEqual(table.runningClients, [4])
        XCTAssertNil(table.take(first), "nothing before the update arrives")
        XCTAssertNil(table.problem(withUpdateOf: .init(first), modelVersion: 0))
        table.receive(result(1), of: .init(first))
        XCTAssertEqual(table.runningClients, [])
        XCTAssertEqual(table.take(first), result(1))
        XCTAssertNil(table.take(first), "taken once")
    }

    func testUpdatesThatFitNoRunningJobAreNamed() {
        var table = JobTable()
        table.dispatched(job(1, 2, version: 3))
        XCTAssertEqual(table.problem(withUpdateOf: .init(client: 1, number: 1), modelVersion: 3),
                       "no job 1 of this client is in flight")
        XCTAssertEqual(table.problem(withUpdateOf: .init(client: 1, number: 2), modelVersion: 2),
                       "model version 2, the job started from 3")
        table.receive(result(1), of: .init(client: 1, number: 2))
        XCTAssertEqual(table.problem(withUpdateOf: .init(client: 1, number: 2), modelVersion: 3),
                       "no job 2 of this client is in flight", "a second update of the same job")
    }

    func testADroppedJobsUpdateIsThrownAwayWhetherItCameBeforeOrAfter() {
        var table = JobTable()
        let early = job(0, 1), late = job(1, 1)
        table.dispatched(early)
        table.dispatched(late)
        table.receive(result(1), of: .init(early))
        table.drop(early)
        table.drop(late)
        XCTAssertEqual(table.runningClients, [1], "a dropped job's task is still on its worker")
        XCTAssertEqual(table.runningCount, 1)
        table.receive(result(2), of: .init(late))
        XCTAssertNil(table.take(early))
        XCTAssertNil(table.take(late))
        XCTAssertEqual(table.runningCount, 0)
        XCTAssertEqual(table, JobTable())
    }

    func testAJobGivesUpItsModelVersionWhenItStopsRunning() {
        var table = JobTable()
        table.dispatched(job(0, 1, version: 2))
        table.dispatched(job(1, 1, version: 3))
        XCTAssertEqual(table.receive(result(1), of: .init(client: 0, number: 1)), 2, "received: no longer running")
        XCTAssertNil(table.drop(job(0, 1, version: 2)), "dropped after it arrived: it had stopped running already")
        XCTAssertEqual(table.drop(job(1, 1, version: 3)), 3, "dropped while running")
        XCTAssertNil(table.drop(job(1, 1, version: 3)), "dropped twice")
        XCTAssertNil(table.receive(result(2), of: .init(client: 1, number: 1)), "a dropped job's late update")
        XCTAssertEqual(table, JobTable())
    }

    func testTheSameTableEncodesToTheSameBytesWhateverTheOrderOfDispatch() throws {
        var forward = JobTable(), backward = JobTable()
        let jobs = (0..<20).map { job($0 % 7, $0 / 7 + 1, version: $0) }
        for job in jobs { forward.dispatched(job) }
        for job in jobs.reversed() { backward.dispatched(job) }
        forward.receive(result(3), of: .init(jobs[5]))
        backward.receive(result(3), of: .init(jobs[5]))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        XCTAssertEqual(try encoder.encode(forward), try encoder.encode(backward))
        XCTAssertEqual(try JSONDecoder().decode(JobTable.self, from: encoder.encode(forward)), forward)
    }
}
