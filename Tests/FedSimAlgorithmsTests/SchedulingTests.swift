import FedSimAlgorithms
import XCTest

/// Schedules computed by hand for M = 5 clients with the FedFix paper's F-80 speeds,
/// tau = (1, 0.8, 0.6, 0.4, 0.2), and equal sample counts (p_i = 0.2).
final class SchedulingTests: XCTestCase {
    let f80 = FixedDurations([1, 0.8, 0.6, 0.4, 0.2])

    /// (time, [(client, starting version, weight)]) of every aggregation step, and the jobs dispatched and dropped.
    private func schedule<S: ServerStrategy>(_ strategy: S, _ stop: StopCondition, clock: JobClock? = nil)
        -> (steps: [(Double, [[Double]])], dispatched: [Job], dropped: [Job]) {
        var server = EventDrivenServer(strategy: strategy,
                                       scheduler: Scheduler(clock: clock ?? f80, sampleCounts: [10, 10, 10, 10, 10], seed: 3),
                                       stop: stop)
        var steps: [(Double, [[Double]])] = []
        var dispatched: [Job] = []
        var dropped: [Job] = []
        var version = 0
        while let action = server.next() {
            switch action {
            case let .dispatch(job):
                XCTAssertEqual(job.version, version, "a job starts on the model the caller holds")
                dispatched.append(job)
            case let .aggregate(step):
                version += 1
                XCTAssertEqual(step.version, version)
                steps.append((step.time, step.contributions.map { [Double($0.job.client), Double($0.job.version), $0.weight] }))
            case let .drop(job):
                dropped.append(job)
            }
        }
        return (steps, dispatched, dropped)
    }

    private func assertSteps(_ actual: [(Double, [[Double]])], _ expected: [(Double, [[Double]])],
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, "step count", file: file, line: line)
        for (index, (got, want)) in zip(actual, expected).enumerated() {
            XCTAssertEqual(got.0, want.0, accuracy: 1e-12, "time of step \(index + 1)", file: file, line: line)
            XCTAssertEqual(got.1.count, want.1.count, "members of step \(index + 1)", file: file, line: line)
            for (member, wanted) in zip(got.1, want.1) {
                XCTAssertEqual(member[0], wanted[0], "client in step \(index + 1)", file: file, line: line)
                XCTAssertEqual(member[1], wanted[1], "version of client \(wanted[0]) in step \(index + 1)", file: file, line: line)
                XCTAssertEqual(member[2], wanted[2], accuracy: 1e-12, "weight of client \(wanted[0]) in step \(index + 1)",
                               file: file, line: line)
            }
        }
    }

    func testFedFixHalfSecond() {
        // t=0.5: clients 3 (ended 0.4) and 4 (0.2), both on version 0, each spanned 1 step.
        //        They restart on version 1: 3 ends at 0.9, 4 at 0.7.
        // t=1.0: clients 0 (1.0, ending exactly at the step), 1 (0.8), 2 (0.6) on version 0, 2 steps each
        //        (ceil(tau/dt) = 2), and 3, 4 on version 1, 1 step each. All restart at 1.0 on version 2.
        // t=1.5: 4 (1.2) and 3 (1.4) on version 2.  t=2.0: as at t=1.0, versions 2 and 3.
        let result = schedule(FedFix(period: 0.5), StopCondition(aggregations: 4))
        assertSteps(result.steps, [
            (0.5, [[3, 0, 0.2], [4, 0, 0.2]]),
            (1.0, [[0, 0, 0.4], [1, 0, 0.4], [2, 0, 0.4], [3, 1, 0.2], [4, 1, 0.2]]),
            (1.5, [[3, 2, 0.2], [4, 2, 0.2]]),
            (2.0, [[0, 2, 0.4], [1, 2, 0.4], [2, 2, 0.4], [3, 3, 0.2], [4, 3, 0.2]]),
        ])
    }

    func testFedBuffOfTwoWithIdenticalWeights() {
        // 0.4: 4 (0.2) and 3 (0.4) on v0; they restart on v1: 4 ends 0.6, 3 ends 0.8.
        // 0.6: 2 (0.6, v0) and 4 (0.6, v1), ties in client order; restart on v2: 2 ends 1.2, 4 ends 0.8.
        // 0.8: 1 (v0) and 3 (v1); then 4 (v2) waits in the buffer. Restart on v3: 1 ends 1.6, 3 ends 1.2.
        // 1.0: 4 (v2) and 0 (v0); restart on v4: 4 ends 1.2, 0 ends 2.0.
        // 1.2: 2 (v2) and 3 (v3).
        let result = schedule(FedBuff(bufferSize: 2), StopCondition(aggregations: 5))
        assertSteps(result.steps, [
            (0.4, [[3, 0, 0.5], [4, 0, 0.5]]),
            (0.6, [[2, 0, 0.5], [4, 1, 0.5]]),
            (0.8, [[1, 0, 0.5], [3, 1, 0.5]]),
            (1.0, [[0, 0, 0.5], [4, 2, 0.5]]),
            (1.2, [[2, 2, 0.5], [3, 3, 0.5]]),
        ])
    }

    func testFedBuffWeightsCompensateParticipation() {
        // sum_j 1/tau_j = 1 + 1.25 + 5/3 + 2.5 + 5 = 11.41666...; q_i = min(1, 2 / (tau_i * 11.41666...)).
        // Client 3: q = 2 / (0.4 * 11.41666) = 0.43796, d = 0.2 / q = 0.456666...
        // Client 4: q = 2 / (0.2 * 11.41666) = 0.87591, d = 0.228333...
        let rate = 1 + 1.25 + 5.0 / 3 + 2.5 + 5
        let result = schedule(FedBuff(bufferSize: 2, weighting: .weight), StopCondition(aggregations: 1))
        assertSteps(result.steps, [(0.4, [[3, 0, 0.2 * 0.4 * rate / 2], [4, 0, 0.2 * 0.2 * rate / 2]])])
    }

    func testFedAsyncAggregatesEveryReturnWithItsWeightAndStaleness() {
        // d_i = (sum_j 1/tau_j) tau_i p_i; with polynomial damping (1 + staleness)^-0.5.
        // 0.2: 4 on v0 (staleness 0).  0.4: 3 on v0 (staleness 1), then 4 on v1 (staleness 1), client order.
        // 0.6: 2 on v0 (staleness 3), then 4 on v3 (staleness 1: the model is at v4 by then).
        let rate = 1 + 1.25 + 5.0 / 3 + 2.5 + 5
        let result = schedule(FedAsync(weighting: .weight, damping: .polynomial(a: 0.5)), StopCondition(aggregations: 5))
        assertSteps(result.steps, [
            (0.2, [[4, 0, rate * 0.2 * 0.2]]),
            (0.4, [[3, 0, rate * 0.4 * 0.2 / 2.0.squareRoot()]]),
            (0.4, [[4, 1, rate * 0.2 * 0.2 / 2.0.squareRoot()]]),
            (0.6, [[2, 0, rate * 0.6 * 0.2 / 4.0.squareRoot()]]),
            (0.6, [[4, 3, rate * 0.2 * 0.2 / 2.0.squareRoot()]]),
        ])
    }

    func testFedAvgWaitsForItsSlowestClient() {
        let result = schedule(FedAvg(clientsPerRound: 5), StopCondition(aggregations: 2))
        assertSteps(result.steps, [
            (1.0, (0..<5).map { [Double($0), 0, 0.2] }),
            (2.0, (0..<5).map { [Double($0), 1, 0.2] }),
        ])
    }

    func testFedAvgDeadlineDropsStragglers() {
        // Deadline 0.7 after each round's start: clients 2, 3, 4 make it, 0 and 1 are dropped.
        let result = schedule(FedAvg(clientsPerRound: 5, deadline: 0.7), StopCondition(aggregations: 2))
        assertSteps(result.steps, [
            (0.7, [[2, 0, 1.0 / 3], [3, 0, 1.0 / 3], [4, 0, 1.0 / 3]]),
            (1.4, [[2, 1, 1.0 / 3], [3, 1, 1.0 / 3], [4, 1, 1.0 / 3]]),
        ])
        XCTAssertEqual(result.dropped.map(\.client), [0, 1, 0, 1])
    }

    func testFedAvgOverSelectionKeepsTheFirstToReturn() {
        // 2 clients wanted, ceil(2 * 2.5) = 5 sampled: the two fastest return first.
        let result = schedule(FedAvg(clientsPerRound: 2, overSelection: 1.5), StopCondition(aggregations: 1))
        assertSteps(result.steps, [(0.4, [[3, 0, 0.5], [4, 0, 0.5]])])
        XCTAssertEqual(result.dropped.map(\.client).sorted(), [0, 1, 2])
    }

    func testTimeBudgetStopsBeforeLaterEvents() {
        let result = schedule(FedFix(period: 0.5), StopCondition(timeBudget: 1.2))
        XCTAssertEqual(result.steps.map(\.0), [0.5, 1.0])
    }

    func testJobsAfterTheLastAggregationAreNotDispatched() {
        let result = schedule(FedAvg(clientsPerRound: 5), StopCondition(aggregations: 2))
        XCTAssertEqual(result.dispatched.count, 10)
        XCTAssertEqual(result.dispatched.map(\.number), Array(repeating: 1, count: 5) + Array(repeating: 2, count: 5))
    }

    func testConcurrencyLimitKeepsThatManyClientsTraining() {
        var server = EventDrivenServer(strategy: FedAsync(concurrency: 2),
                                       scheduler: Scheduler(clock: f80, sampleCounts: Array(repeating: 1, count: 5), seed: 1),
                                       stop: StopCondition(aggregations: 30))
        var running = Set<Job>()
        var most = 0
        while let action = server.next() {
            switch action {
            case let .dispatch(job):
                running.insert(job)
                most = max(most, running.count)
            case let .aggregate(step):
                for contribution in step.contributions { running.remove(contribution.job) }
            case .drop:
                break
            }
        }
        XCTAssertEqual(most, 2)
    }

    func testStalenessDampingFunctions() {
        XCTAssertEqual(StalenessDamping.constant.factor(7), 1)
        XCTAssertEqual(StalenessDamping.polynomial(a: 1).factor(3), 0.25)
        XCTAssertEqual(StalenessDamping.hinge(a: 0.5, b: 2).factor(2), 1)
        XCTAssertEqual(StalenessDamping.hinge(a: 0.5, b: 2).factor(6), 1 / 3)
    }
}
