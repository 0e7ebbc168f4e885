import FedSimAlgorithms
import Foundation
import XCTest

/// A schedule saved at any action and resumed from its decoded state goes on exactly as
/// the uninterrupted one.
final class ScheduleStateTests: XCTestCase {
    let f80 = FixedDurations([1, 0.8, 0.6, 0.4, 0.2, 0.9, 0.3])

    private func server(_ strategy: any ServerStrategy, _ stop: StopCondition) -> EventDrivenServer {
        EventDrivenServer(strategy: strategy, scheduler: Scheduler(clock: f80, sampleCounts: [5, 9, 2, 7, 7, 3, 1], seed: 8),
                          stop: stop)
    }

    private func actions(_ server: inout EventDrivenServer) -> [ScheduledAction] {
        var actions: [ScheduledAction] = []
        while let action = server.next() { actions.append(action) }
        return actions
    }

    func testEveryStrategyResumesFromItsSavedStateAtAnyAction() throws {
        let cases: [(any ServerStrategy, StopCondition)] = [
            (FedAvg(clientsPerRound: 3, deadline: 0.7, overSelection: 0.5), StopCondition(aggregations: 12)),
            (FedAsync(weighting: .weight, damping: .polynomial(a: 0.5), concurrency: 3), StopCondition(timeBudget: 6)),
            (FedBuff(bufferSize: 2, weighting: .weight, concurrency: 4), StopCondition(aggregations: 15)),
            (FedFix(period: 0.5), StopCondition(aggregations: 10, timeBudget: 4)),
        ]
        for (strategy, stop) in cases {
            let name = type(of: strategy).name
            var whole = server(strategy, stop)
            let expected = actions(&whole)
            XCTAssertGreaterThan(expected.count, 20, name)
            for cut in [0, 1, 7, expected.count / 2, expected.count - 1] {
                var original = server(strategy, stop)
                for _ in 0..<cut { _ = original.next() }
                let saved = try JSONEncoder().encode(original.state)
                let state = try JSONDecoder().decode(ScheduleState.self, from: saved)
                XCTAssertEqual(state, original.state, "\(name) at action \(cut)")
                var resumed = EventDrivenServer(resuming: state, clock: f80, sampleCounts: [5, 9, 2, 7, 7, 3, 1],
                                                seed: 8, stop: stop)
                XCTAssertEqual(actions(&resumed), Array(expected[cut...]), "\(name) resumed at action \(cut)")
            }
        }
    }

    func testLookingAheadLeavesTheScheduleAsItWas() {
        var server = server(FedFix(period: 0.5), StopCondition(aggregations: 3))
        var steps = 0
        while let action = server.next() {
            guard case .aggregate = action else { continue }
            steps += 1
            let before = server.state
            XCTAssertEqual(server.hasFurtherStep(), steps < 3)
            XCTAssertEqual(server.state, before)
        }
        XCTAssertEqual(steps, 3)
    }

    func testAStateOfAnUnknownAlgorithmIsRefusedNamingIt() throws {
        let saved = try JSONEncoder().encode(server(FedFix(period: 1), StopCondition(aggregations: 1)).state)
        let renamed = String(decoding: saved, as: UTF8.self).replacingOccurrences(of: "\"fedfix\"", with: "\"fedzip\"")
        XCTAssertThrowsError(try JSONDecoder().decode(ScheduleState.self, from: Data(renamed.utf8))) { error in
            XCTAssert("\(error)".contains("unknown server algorithm 'fedzip'"), "\(error)")
        }
    }
}
