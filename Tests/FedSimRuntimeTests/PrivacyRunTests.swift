import FedSimAlgorithms
import FedSimCore
@testable import FedSimRuntime
import FedSimWire
import Foundation
import XCTest

/// Private runs through the coordinator and in-memory workers: what each task trains
/// with, client-level clipping and noise, and the per-client accounting.
final class PrivacyRunTests: XCTestCase {
    private func startingParameters(_ seed: UInt64) throws -> [Float] {
        try Sequential.initialized(.softmaxRegression(inputDim: 4, classes: 3), seed: seed).trainableParameters
    }

    /// The clients FedAvg samples in round 1 of `scenario` (every job lasts one second).
    private func firstRound(_ scenario: Scenario, _ data: FederatedDataset) -> [Int] {
        var schedule = EventDrivenServer(
            strategy: scenario.server.strategy,
            scheduler: Scheduler(clock: FixedDurations(Array(repeating: 1, count: data.clients.count)),
                                 sampleCounts: data.clients.map(\.count), seed: scenario.seed),
            stop: StopCondition(aggregations: 1))
        return schedule.remainingSteps()[0].contributions.map(\.job.client)
    }

    func testEachTaskRunsDPSGDWithItsClientsSamplingRate() throws {
        var data = blobData(clients: 6)
        for client in 0..<6 { data.clients[client] = data.clients[client].subset(Array(0..<(4 + 4 * client))) }
        var scenario = blobScenario(clients: 6, perRound: 4, rounds: 1)
        scenario.privacy = PrivacySettings(clipNorm: 1, noiseMultiplier: 1.5)
        let run = InMemoryRun()
        run.startWorkers(2)
        let coordinator = try run.coordinator(scenario, data, workers: 2)
        _ = try coordinator.run()

        let start = try startingParameters(scenario.seed)
        let trainer = LocalTrainer(model: try Sequential(.softmaxRegression(inputDim: 4, classes: 3)))
        let selected = firstRound(scenario, data)
        let total = Double(selected.reduce(0) { $0 + data.clients[$1].count })
        var expected = start.map(Double.init)
        for client in selected {
            // q_i = min(1, batch 8 / n_i): 1 for the 4- and 8-example clients, 1/3 for 24.
            var training = scenario.training
            training.privacy = try DPSGDConfig(
                samplingRate: DPSGDConfig.samplingRate(batchSize: 8, samples: data.clients[client].count),
                clipNorm: 1, noiseMultiplier: 1.5)
            var stream = RandomStream(seed: scenario.seed, purpose: .batches, client: client, counter: 1)
            let result = trainer.train(from: start, data: data.clients[client], settings: training, rng: &stream)
            let weight = Double(data.clients[client].count) / total
            for index in expected.indices { expected[index] += weight * Double(result.delta[index]) }
        }
        for (actual, wanted) in zip(coordinator.globalParameters, expected) {
            XCTAssertEqual(Double(actual), wanted, accuracy: 1e-5)
        }
    }

    /// Runs `scenario`, whose privacy has a target epsilon, on `workers` in-memory workers
    /// into a fresh folder, and checks that the run ends as its plan said, with the worst
    /// client at the target: the calibrated sigma is the smallest meeting it.
    private func runMeetingItsTarget(_ scenario: Scenario, _ data: FederatedDataset, workers: Int,
                                     file: StaticString = #filePath, line: UInt = #line)
        throws -> (plan: PrivacyPlan, outcome: PrivacyOutcome, folder: String) {
        let target = try XCTUnwrap(scenario.privacy?.targetEpsilon, file: file, line: line)
        let plan = try PrivacyPlan(scenario: scenario, data: data)
        let folder = temporaryFolder("privacy")
        let run = InMemoryRun()
        run.startWorkers(workers)
        let summary = try run.coordinator(scenario, data, workers: workers,
                                          folder: RunFolder(path: folder, scenario: scenario)).run()
        let outcome = try XCTUnwrap(summary.privacy, file: file, line: line)
        XCTAssertEqual(outcome.noiseMultiplier, plan.noiseMultiplier, file: file, line: line)
        XCTAssertEqual(outcome.worstClient, plan.plannedWorstClient, file: file, line: line)
        XCTAssertEqual(outcome.worstClientEpsilon, plan.plannedWorstEpsilon, accuracy: 1e-12, file: file, line: line)
        XCTAssertLessThanOrEqual(outcome.worstClientEpsilon, target, file: file, line: line)
        XCTAssertGreaterThan(outcome.worstClientEpsilon, target - 0.001, "the calibrated sigma is the smallest meeting the target",
                             file: file, line: line)
        return (plan, outcome, folder)
    }

    func testEachClientComposesOnlyItsAggregatedTasksAndTheRunMeetsThePlan() throws {
        // 4 rounds of 2 among 12 clients: at least 4 never take part.
        var data = blobData(clients: 12)
        for client in 0..<6 { data.clients[client] = data.clients[client].subset(Array(0..<(3 + client))) }
        var scenario = blobScenario(clients: 12, perRound: 2, rounds: 4)
        scenario.privacy = PrivacySettings(clipNorm: 2, targetEpsilon: 2)
        let (plan, outcome, folder) = try runMeetingItsTarget(scenario, data, workers: 3)

        // clients.csv: each client's epsilon is that of its own updates' steps at its q.
        let rows = try String(contentsOfFile: folder + "/clients.csv", encoding: .utf8).split(separator: "\n")
        XCTAssert(rows[0].hasSuffix(",epsilon"), String(rows[0]))
        var idle = 0
        for row in rows.dropFirst() {
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            let client = try XCTUnwrap(Int(fields[0])), steps = try XCTUnwrap(Int(fields[3]))
            let epsilon = try XCTUnwrap(Double(fields[8]))
            guard steps > 0 else {
                idle += 1
                XCTAssertEqual(epsilon, 0, "client \(client) never took part")
                continue
            }
            var budget = try RenyiBudget()
            try budget.compose(samplingRate: min(1, 8 / Double(data.clients[client].count)),
                               noiseMultiplier: plan.noiseMultiplier, steps: steps)
            XCTAssertEqual(epsilon, try budget.spent(delta: 1e-5).epsilon, accuracy: 1e-9, "client \(client)")
        }
        XCTAssertGreaterThanOrEqual(idle, 4)

        // epsilon_max never falls and ends at the worst client's epsilon.
        let maxima = try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .map { line -> Double in
                let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return try XCTUnwrap(object["epsilon_max"] as? Double)
            }
        XCTAssertEqual(maxima.count, 4)
        XCTAssertEqual(maxima, maxima.sorted())
        XCTAssertEqual(try XCTUnwrap(maxima.last), outcome.worstClientEpsilon, accuracy: 1e-12)
    }

    func testLocalStepsComposeKStepsPerAggregatedTaskAndTheRunMeetsThePlan() throws {
        // K = 3 DP-SGD steps per task, whatever q_i (epochs would take round(1 / q_i),
        // 3 for the 24-example clients and 1 for the small ones).
        var data = blobData(clients: 8)
        for client in 0..<4 { data.clients[client] = data.clients[client].subset(Array(0..<(4 + 2 * client))) }
        var scenario = blobScenario(clients: 8, perRound: 3, rounds: 4)
        scenario.training.work = .steps(3)
        scenario.privacy = PrivacySettings(clipNorm: 1, targetEpsilon: 4)
        let (plan, _, folder) = try runMeetingItsTarget(scenario, data, workers: 2)

        let rows = try String(contentsOfFile: folder + "/clients.csv", encoding: .utf8).split(separator: "\n")
        var tookPart = 0
        for row in rows.dropFirst() {
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            let client = try XCTUnwrap(Int(fields[0])), updates = try XCTUnwrap(Int(fields[2]))
            XCTAssertEqual(Int(fields[3]), 3 * updates, "client \(client): K steps per aggregated task")
            guard updates > 0 else { continue }
            tookPart += 1
            var budget = try RenyiBudget()
            try budget.compose(samplingRate: min(1, 8 / Double(data.clients[client].count)),
                               noiseMultiplier: plan.noiseMultiplier, steps: 3 * updates)
            XCTAssertEqual(try XCTUnwrap(Double(fields[8])), try budget.spent(delta: 1e-5).epsilon, accuracy: 1e-9,
                           "client \(client)")
        }
        XCTAssertGreaterThanOrEqual(tookPart, 3)
    }

    func testClientLevelStepIsTheNoisyMeanOfClippedUpdates() throws {
        let data = blobData(clients: 6)
        var scenario = blobScenario(clients: 6, perRound: 3, rounds: 1)
        scenario.server.strategy = FedAvg(clientsPerRound: 3, weighting: .uniform)
        scenario.privacy = PrivacySettings(mode: .client, clipNorm: 0.05, noiseMultiplier: 0.8)
        let run = InMemoryRun()
        run.startWorkers(2)
        let coordinator = try run.coordinator(scenario, data, workers: 2)
        let summary = try coordinator.run()

        let start = try startingParameters(scenario.seed)
        let trainer = LocalTrainer(model: try Sequential(.softmaxRegression(inputDim: 4, classes: 3)))
        let clipping = try DPFedAvgNoise(clipNorm: 0.05, noiseMultiplier: 0.8)
        var sum = [Double](repeating: 0, count: start.count)
        for client in firstRound(scenario, data) {
            var stream = RandomStream(seed: scenario.seed, purpose: .batches, client: client, counter: 1)
            var delta = trainer.train(from: start, data: data.clients[client], settings: scenario.training,
                                      rng: &stream).delta
            XCTAssertGreaterThan(clipping.clip(&delta), 0.05, "the test needs every update clipped")
            for index in sum.indices { sum[index] += Double(delta[index]) / 3 }
        }
        var noise = [Float](repeating: 0, count: start.count)
        var stream = RandomStream(seed: scenario.seed, purpose: .noise, counter: 1)
        stream.addGaussianNoise(to: &noise, standardDeviation: Float(0.8 * 0.05 / 3))
        for index in start.indices {
            XCTAssertEqual(Double(coordinator.globalParameters[index]),
                           Double(start[index]) + sum[index] + Double(noise[index]), accuracy: 1e-6)
        }

        // One step at q = 3/6, the same epsilon for every client.
        var budget = try RenyiBudget()
        try budget.compose(samplingRate: 0.5, noiseMultiplier: 0.8, steps: 1)
        let outcome = try XCTUnwrap(summary.privacy)
        XCTAssertEqual(outcome.worstClientEpsilon, try budget.spent(delta: 1e-5).epsilon, accuracy: 1e-12)
        XCTAssertNil(outcome.worstClient)
    }

    func testAGivenSigmaThatMissesTheTargetIsRefused() {
        let data = blobData(clients: 4)
        var scenario = blobScenario(clients: 4, perRound: 4, rounds: 5)
        scenario.privacy = PrivacySettings(clipNorm: 1, noiseMultiplier: 0.5, targetEpsilon: 1)
        XCTAssertThrowsError(try PrivacyPlan(scenario: scenario, data: data)) { error in
            XCTAssert("\(error)".contains("privacy.noise_multiplier 0.5 leaves client 0 at epsilon"), "\(error)")
        }
    }

    func testNoiseBelowTheFloorIsWarnedAbout() throws {
        let data = blobData(clients: 4)
        var scenario = blobScenario(clients: 4, perRound: 4, rounds: 2)
        scenario.privacy = PrivacySettings(clipNorm: 1, noiseMultiplier: 0.3)
        var warnings: [String] = []
        var options = CoordinatorOptions(workers: 1)
        options.warn = { warnings.append($0) }
        _ = try Coordinator(scenario: scenario, data: data, transport: InMemoryNetwork(), folder: nil, options: options)
        // Every client runs 2 tasks of 2 epochs * round(24 / 8) = 6 steps: M = 12.
        XCTAssertEqual(warnings.count, 1)
        XCTAssert(warnings.first?.contains("for M = 12 updates") == true, warnings.first ?? "")
    }
}
