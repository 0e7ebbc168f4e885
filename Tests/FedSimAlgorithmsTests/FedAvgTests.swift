import FedSimAlgorithms
import FedSimCore
import XCTest

final class FedAvgTests: XCTestCase {
    func testWeightedSumWorkedExample() {
        let sum = Aggregation.weightedSum([[1, 2, 3], [4, 5, 6], [-1, 0, 1]], weights: [0.5, 0.25, 0.25])
        XCTAssertEqual(sum, [0.5 + 1 - 0.25, 1 + 1.25, 1.5 + 1.5 + 0.25])
    }

    func testNormalizedWeights() {
        XCTAssertEqual(Aggregation.normalizedWeights([10, 30, 60]), [0.1, 0.3, 0.6])
        XCTAssertEqual(Aggregation.normalizedWeights([0, 0]), [0.5, 0.5])
    }

    func testApplyIsTheSampleWeightedAverageScaledByTheServerRate() {
        let results = [
            ClientResult(clientID: 7, delta: [2, -2], sampleCount: 30),
            ClientResult(clientID: 3, delta: [1, 1], sampleCount: 10),
        ]
        var parameters: [Float] = [1, 1]
        FedAvg(clientsPerRound: 2).apply(results, to: &parameters)
        // p = (0.25 for client 3, 0.75 for client 7): step = (0.25 + 1.5, 0.25 - 1.5)
        XCTAssertEqual(parameters, [2.75, -0.25])

        var damped: [Float] = [1, 1]
        FedAvg(clientsPerRound: 2, serverLearningRate: 0.5, weighting: .uniform).apply(results, to: &damped)
        // uniform: step = (1.5, -0.5), halved
        XCTAssertEqual(damped, [1.75, 0.75])
    }

    func testApplyDoesNotDependOnArrivalOrder() {
        var stream = RandomStream(seed: 1, purpose: .aggregation)
        let results = (0..<12).map { client in
            ClientResult(clientID: client, delta: (0..<50).map { _ in Float(stream.normal()) * 1e3 },
                         sampleCount: 1 + stream.integer(below: 100))
        }
        let strategy = FedAvg(clientsPerRound: 12)
        var inOrder = [Float](repeating: 0.1, count: 50)
        strategy.apply(results, to: &inOrder)
        for _ in 0..<5 {
            var shuffled = results
            stream.shuffle(&shuffled)
            var parameters = [Float](repeating: 0.1, count: 50)
            strategy.apply(shuffled, to: &parameters)
            XCTAssertEqual(parameters, inOrder)
        }
    }

    func testClientSelectionIsDeterministicDistinctAndVariesByRound() {
        let strategy = FedAvg(clientsPerRound: 10)
        let first = strategy.selectClients(round: 1, clientCount: 100, seed: 4)
        XCTAssertEqual(first, strategy.selectClients(round: 1, clientCount: 100, seed: 4))
        XCTAssertEqual(Set(first).count, 10)
        XCTAssertEqual(first, first.sorted())
        XCTAssertNotEqual(first, strategy.selectClients(round: 2, clientCount: 100, seed: 4))
        XCTAssertNotEqual(first, strategy.selectClients(round: 1, clientCount: 100, seed: 5))
        XCTAssertEqual(strategy.selectClients(round: 1, clientCount: 6, seed: 4), Array(0..<6))
    }

    func testEveryClientIsSampledAtTheExpectedRate() {
        let strategy = FedAvg(clientsPerRound: 10)
        var counts = [Int](repeating: 0, count: 100)
        for round in 1...2000 {
            for client in strategy.selectClients(round: round, clientCount: 100, seed: 8) { counts[client] += 1 }
        }
        // Each client is picked with probability 0.1 per round: 200 +- 4 standard deviations (~54).
        XCTAssert(counts.allSatisfy { abs($0 - 200) < 54 }, "\(counts)")
    }
}
