import FedSimAlgorithms
import FedSimCore
@testable import FedSimRuntime
import Foundation
import XCTest

final class RunStateTests: XCTestCase {
    /// The states of a run of `scenario` with `workers` worker threads after each of its steps.
    ///
    /// Which updates have arrived when a step is taken depends on the workers' timing
    /// (the coordinator reads updates until the one it waits for): with one worker they
    /// arrive in the order the tasks were sent, so the states are the same every time.
    private func statesAfterEachStep(_ scenario: Scenario, _ data: FederatedDataset, workers: Int = 2) throws
        -> [RunState] {
        let run = InMemoryRun()
        run.startWorkers(workers)
        var coordinator: Coordinator?
        var states: [RunState] = []
        var options = CoordinatorOptions(workers: workers)
        options.progress = { _ in states.append(coordinator!.state) }
        coordinator = try Coordinator(scenario: scenario, data: data, transport: run.network, folder: nil, options: options)
        _ = try coordinator!.run()
        return states
    }

    func testAMidRunStateRoundTripsLosslessly() throws {
        // Asynchronous steps with jobs of older versions in flight, DP-SGD accounting,
        // centered clipping's center and FedAdam's moments: every part of the state is busy.
        var scenario = blobScenario(clients: 8, perRound: 4, rounds: 12)
        scenario.server.strategy = FedAsync(concurrency: 5)
        scenario.server.optimizer = .adam
        scenario.server.learningRate = 0.05
        scenario.system.compute = .linear(heterogeneity: 80, slowest: 1)
        scenario.aggregator = RobustAggregatorDescription(rule: "centered_clipping", parameters: ["tau": 1])
        scenario.privacy = PrivacySettings(clipNorm: 1, noiseMultiplier: 1.2)
        let states = try statesAfterEachStep(scenario, blobData(clients: 8), workers: 1)
        XCTAssertEqual(states.count, 12)
        let state = states[6]
        XCTAssertGreaterThan(state.jobs.runningCount, 0)
        XCTAssertGreaterThan(state.models.kept.count, 1, "versions that running jobs train from are kept")
        XCTAssertEqual(state.models.current, 7)
        XCTAssertEqual(Set(state.pipeline.keys), ["robust_combination", "server_optimizer"])
        XCTAssertGreaterThan(try XCTUnwrap(state.privacy).epsilonMax, 0)
        XCTAssertEqual(state.recorder.totals.reduce(0) { $0 + $1.updates }, 7)
        XCTAssertEqual(state.schedule.progress.aggregations, 7)

        let json = try state.json()
        let decoded = try RunState(json: json)
        XCTAssertEqual(decoded, state)
        XCTAssertEqual(try decoded.json(), json, "the same state encodes to the same bytes")
        XCTAssertNotEqual(decoded, states[7])
    }

    func testEveryStateOfAFedAvgRunRoundTrips() throws {
        var scenario = blobScenario(clients: 6, perRound: 3, rounds: 4)
        scenario.attack = AttackSettings(kind: .signFlip, clients: [1])
        scenario.aggregator = RobustAggregatorDescription(rule: "trimmed_mean", parameters: ["f": 1])
        for state in try statesAfterEachStep(scenario, blobData(clients: 6)) {
            XCTAssertEqual(try RunState(json: state.json()), state)
            XCTAssertEqual(state.models.kept, [state.models.current], "a synchronous round leaves no job running")
        }
    }

    func testAStateThatIsNotARunsIsRefused() {
        XCTAssertThrowsError(try RunState(json: Data("{\"models\": 3}".utf8)))
    }
}
