@testable import FedSimAlgorithms
import FedSimCore
@testable import FedSimRuntime
import XCTest

/// The stages of an aggregation step on worked examples.
final class AggregationPipelineTests: XCTestCase {
    /// Step `number` of the given clients and weights, every job on version `number - 1`.
    private func step(_ number: Int, clients: [Int], weights: [Double]) -> AggregationStep {
        AggregationStep(number: number, time: Double(number), version: number, contributions: zip(clients, weights).map {
            Contribution(job: Job(client: $0, number: number, version: number - 1, ready: 0, start: 0, end: 1), weight: $1)
        })
    }

    private func results(_ deltas: [[Float]]) -> [ClientResult] {
        deltas.map { ClientResult(delta: $0, sampleCount: 10, trainLoss: 1, steps: 1) }
    }

    func testWithoutARuleTheStepIsTheWeightedSumAppliedWithTheServerRate() throws {
        var scenario = blobScenario(clients: 4, perRound: 2, rounds: 1)
        scenario.server.learningRate = 2
        var pipeline = try AggregationPipeline(scenario: scenario, privacy: nil)
        var model: [Float] = [1, 1]
        let facts = try pipeline.apply(step(1, clients: [0, 3], weights: [0.25, 0.75]),
                                       results: results([[1, 2], [3, 4]]), to: &model)
        // s = 0.25 (1, 2) + 0.75 (3, 4) = (2.5, 3.5); theta = (1, 1) + 2 s.
        XCTAssertEqual(model, [6, 8])
        XCTAssertEqual(facts, AggregationFacts())
    }

    func testAnUpdateHoldingNaNIsDroppedAndTheOthersKeepTheirWeights() throws {
        var pipeline = try AggregationPipeline(scenario: blobScenario(clients: 4, perRound: 2, rounds: 1), privacy: nil)
        var model: [Float] = [0, 0]
        let facts = try pipeline.apply(step(1, clients: [0, 1], weights: [0.5, 0.5]),
                                       results: results([[1, .nan], [2, 2]]), to: &model)
        XCTAssertEqual(facts.rejected, 1)
        XCTAssertEqual(model, [1, 1])
    }

    /// Summed as the updates arrive, a step moves the model as the whole step does, a
    /// rejected update and the server optimizer's moments included.
    func testAStepSummedAsItsUpdatesArriveMovesTheModelAsTheWholeStepDoes() throws {
        var scenario = blobScenario(clients: 4, perRound: 3, rounds: 1)
        scenario.server.optimizer = .adam
        var whole = try AggregationPipeline(scenario: scenario, privacy: nil)
        var streaming = try AggregationPipeline(scenario: scenario, privacy: nil)
        XCTAssertTrue(streaming.sumsUpdatesAsTheyArrive)
        var (wholeModel, streamedModel): ([Float], [Float]) = ([0.5, -1], [0.5, -1])
        for number in 1...3 {
            let step = step(number, clients: [2, 0, 1], weights: [0.2, 0.3, 0.5])
            let deltas = results([[0.1 * Float(number), 3], [1, number == 2 ? .infinity : 2], [-7, 1e-3]])
            var streamed = StreamedStep(step: number, dimension: 2)
            for (result, contribution) in zip(deltas, step.contributions) {
                streamed.add(result, weight: contribution.weight)
            }
            XCTAssertEqual(streamed.results.map(\.delta), [[], [], []])
            XCTAssertEqual(try streaming.apply(step, streamed: streamed, to: &streamedModel),
                           try whole.apply(step, results: deltas, to: &wholeModel))
            XCTAssertEqual(streamedModel.map(\.bitPattern), wholeModel.map(\.bitPattern), "step \(number)")
        }
        XCTAssertEqual(streaming.state, whole.state)
        scenario.aggregator = RobustAggregatorDescription(rule: "median", parameters: [:])
        XCTAssertFalse(try AggregationPipeline(scenario: scenario, privacy: nil).sumsUpdatesAsTheyArrive)
    }

    func testASignFlipperSendsMinusTheHonestMeanAndTheDistanceToItIsRecorded() throws {
        var scenario = blobScenario(clients: 3, perRound: 3, rounds: 1)
        scenario.attack = AttackSettings(kind: .signFlip, clients: [2])
        var pipeline = try AggregationPipeline(scenario: scenario, privacy: nil)
        XCTAssertEqual(pipeline.byzantineClients, [2])
        XCTAssertFalse(pipeline.flipsLabels)
        var model: [Float] = [0, 0]
        let third = 1.0 / 3
        let facts = try pipeline.apply(step(1, clients: [0, 1, 2], weights: [third, third, third]),
                                       results: results([[1, 0], [3, 0], [100, 100]]), to: &model)
        // Honest mean (2, 0); the attacker sends (-2, 0); s = (1 + 3 - 2) / 3.
        XCTAssertEqual(model[0], 2.0 / 3, accuracy: 1e-6)
        XCTAssertEqual(model[1], 0)
        XCTAssertEqual(facts.byzantine, 1)
        XCTAssertEqual(facts.rejected, 0)
        XCTAssertEqual(try XCTUnwrap(facts.honestDistance), 4.0 / 3, accuracy: 1e-6)
    }

    func testKrumSaysWhichClientItKept() throws {
        var scenario = blobScenario(clients: 9, perRound: 4, rounds: 1)
        scenario.aggregator = RobustAggregatorDescription(rule: "krum", parameters: ["f": 1])
        var pipeline = try AggregationPipeline(scenario: scenario, privacy: nil)
        var model: [Float] = [0, 0]
        let facts = try pipeline.apply(step(1, clients: [5, 6, 7, 8], weights: [0.25, 0.25, 0.25, 0.25]),
                                       results: results([[1, 1], [1.1, 1], [50, -50], [1, 1.05]]), to: &model)
        XCTAssertEqual(facts.robust, "krum: 4 inputs, selected [0]")
        XCTAssertEqual(facts.selectedClients, [5])
        XCTAssertEqual(model, [1, 1])
    }

    func testClientLevelPrivacyClipsWeighsOneOverKAndAddsTheStepsNoise() throws {
        var scenario = blobScenario(clients: 4, perRound: 2, rounds: 3)
        scenario.server.strategy = FedAvg(clientsPerRound: 2, weighting: .uniform)
        scenario.privacy = PrivacySettings(mode: .client, clipNorm: 1, noiseMultiplier: 0.5)
        let plan = try PrivacyPlan(scenario: scenario, data: blobData(clients: 4))
        var pipeline = try AggregationPipeline(scenario: scenario, privacy: plan)
        var model: [Float] = [0, 0]
        _ = try pipeline.apply(step(2, clients: [0, 1], weights: [0.9, 0.1]),
                               results: results([[3, 4], [0.3, 0.4]]), to: &model)
        // (3, 4) is clipped to (0.6, 0.8); each weighs 1/2; noise sigma C / k = 0.25 per coordinate.
        var expected = Aggregation.weightedSum([[0.6, 0.8], [0.3, 0.4]], weights: [0.5, 0.5])
        var noise = RandomStream(seed: scenario.seed, purpose: .noise, counter: 2)
        noise.addGaussianNoise(to: &expected, standardDeviation: 0.25)
        XCTAssertEqual(model[0], expected[0], accuracy: 1e-6)
        XCTAssertEqual(model[1], expected[1], accuracy: 1e-6)
        XCTAssertNotEqual(model, Aggregation.weightedSum([[0.6, 0.8], [0.3, 0.4]], weights: [0.5, 0.5]))
    }

    func testStatefulStagesGoOnFromASavedState() throws {
        var scenario = blobScenario(clients: 4, perRound: 3, rounds: 2)
        scenario.aggregator = RobustAggregatorDescription(rule: "centered_clipping", parameters: ["tau": 0.5])
        scenario.server.optimizer = .adam
        scenario.server.learningRate = 0.1
        var original = try AggregationPipeline(scenario: scenario, privacy: nil)
        var model: [Float] = [0.5, -0.5]
        let third = 1.0 / 3
        _ = try original.apply(step(1, clients: [0, 1, 2], weights: [third, third, third]),
                               results: results([[1, 0], [0, 1], [2, 2]]), to: &model)
        let saved = original.state
        XCTAssertEqual(Set(saved.keys), ["robust_combination", "server_optimizer"])
        XCTAssertEqual(Set(saved["server_optimizer"]?.keys ?? [:].keys), ["first_moment", "second_moment"])

        var resumed = try AggregationPipeline(scenario: scenario, privacy: nil)
        try resumed.restore(saved)
        var fresh = try AggregationPipeline(scenario: scenario, privacy: nil)
        let second = step(2, clients: [0, 1, 3], weights: [third, third, third])
        let secondResults = results([[0.2, 0.1], [-1, 3], [0.5, 0.5]])
        var (a, b, c) = (model, model, model)
        let originalFacts = try original.apply(second, results: secondResults, to: &a)
        let resumedFacts = try resumed.apply(second, results: secondResults, to: &b)
        _ = try fresh.apply(second, results: secondResults, to: &c)
        XCTAssertEqual(a, b)
        XCTAssertEqual(originalFacts, resumedFacts)
        XCTAssertEqual(original.state, resumed.state)
        XCTAssertNotEqual(a, c, "without the saved center and moments the step differs")
    }
}
