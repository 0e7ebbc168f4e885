import FedSimAlgorithms
import FedSimCore
import Foundation
import XCTest

final class FedAvgTests: XCTestCase {
    func testWeightedSumWorkedExample() {
        let sum = Aggregation.weightedSum([[1, 2, 3], [4, 5, 6], [-1, 0, 1]], weights: [0.5, 0.25, 0.25])
        XCTAssertEqual(sum, [0.5 + 1 - 0.25, 1 + 1.25, 1.5 + 1.5 + 0.25])
    }

    /// Summed a block of coordinates at a time, the result is still, bit for bit, the
    /// vector-by-vector sum in Double, whatever the length against the block.
    func testWeightedSumEqualsTheSumVectorAfterVectorBitForBit() {
        var stream = RandomStream(seed: 11, purpose: .synthetic)
        for dimension in [1, 4095, 4096, 4097, 10_001] {
            let vectors = (0..<7).map { _ in (0..<dimension).map { _ in Float(stream.normal()) * 1e3 } }
            let weights = (0..<7).map { _ in stream.uniform() }
            var expected = [Double](repeating: 0, count: dimension)
            for (vector, weight) in zip(vectors, weights) {
                for index in 0..<dimension { expected[index] += weight * Double(vector[index]) }
            }
            XCTAssertEqual(Aggregation.weightedSum(vectors, weights: weights).map(\.bitPattern),
                           expected.map { Float($0).bitPattern }, "dimension \(dimension)")
        }
    }

    /// Taken one vector at a time, the sum is `weightedSum`'s, bit for bit.
    func testARunningSumIsTheWeightedSumBitForBit() throws {
        var stream = RandomStream(seed: 12, purpose: .synthetic)
        for dimension in [1, 4097] {
            let vectors = (0..<5).map { _ in (0..<dimension).map { _ in Float(stream.normal()) * 1e3 } }
            let weights = (0..<5).map { _ in stream.uniform() }
            var running = Aggregation.RunningSum(dimension: dimension)
            XCTAssertEqual(running.result, [Float](repeating: 0, count: dimension))
            for (vector, weight) in zip(vectors, weights) { running.add(vector, weight: weight) }
            XCTAssertEqual(running.count, 5)
            XCTAssertEqual(running.result.map(\.bitPattern),
                           Aggregation.weightedSum(vectors, weights: weights).map(\.bitPattern), "dimension \(dimension)")
            let saved = try JSONDecoder().decode(Aggregation.RunningSum.self, from: JSONEncoder().encode(running))
            XCTAssertEqual(saved, running)
        }
    }

    func testNormalizedWeights() {
        XCTAssertEqual(Aggregation.normalizedWeights([10, 30, 60]), [0.1, 0.3, 0.6])
        XCTAssertEqual(Aggregation.normalizedWeights([0, 0]), [0.5, 0.5])
    }

    /// The clients of each of `rounds` FedAvg rounds, with their weights.
    private func rounds(_ strategy: FedAvg, clients: Int, rounds: Int, seed: UInt64, samples: [Int]? = nil)
        -> [[Contribution]] {
        var server = EventDrivenServer(
            strategy: strategy,
            scheduler: Scheduler(clock: FixedDurations(Array(repeating: 1, count: clients)),
                                 sampleCounts: samples ?? Array(repeating: 1, count: clients), seed: seed),
            stop: StopCondition(aggregations: rounds))
        return server.remainingSteps().map(\.contributions)
    }

    func testRoundsSampleDistinctClientsInIdOrderDeterministically() {
        let first = rounds(FedAvg(clientsPerRound: 10), clients: 100, rounds: 3, seed: 4)
        XCTAssertEqual(first.map { $0.count }, [10, 10, 10])
        for step in first {
            let clients = step.map(\.job.client)
            XCTAssertEqual(clients, clients.sorted())
            XCTAssertEqual(Set(clients).count, 10)
        }
        XCTAssertEqual(first.map { $0.map(\.job.client) },
                       rounds(FedAvg(clientsPerRound: 10), clients: 100, rounds: 3, seed: 4).map { $0.map(\.job.client) })
        XCTAssertNotEqual(first[0].map(\.job.client), first[1].map(\.job.client))
        XCTAssertNotEqual(first[0].map(\.job.client),
                          rounds(FedAvg(clientsPerRound: 10), clients: 100, rounds: 1, seed: 5)[0].map(\.job.client))
    }

    func testWeightsAreSampleSharesRenormalizedOverTheRound() {
        let step = rounds(FedAvg(clientsPerRound: 3), clients: 3, rounds: 1, seed: 1, samples: [10, 30, 60])[0]
        XCTAssertEqual(step.map(\.weight), [0.1, 0.3, 0.6])
        let uniform = rounds(FedAvg(clientsPerRound: 3, weighting: .uniform), clients: 3, rounds: 1, seed: 1,
                             samples: [10, 30, 60])[0]
        XCTAssertEqual(uniform.map(\.weight), [1.0 / 3, 1.0 / 3, 1.0 / 3])
    }

    func testEveryClientIsSampledAtTheExpectedRate() {
        var counts = [Int](repeating: 0, count: 100)
        for step in rounds(FedAvg(clientsPerRound: 10), clients: 100, rounds: 2000, seed: 8) {
            for contribution in step { counts[contribution.job.client] += 1 }
        }
        // Each client is picked with probability 0.1 per round: 200 +- 4 standard deviations (~54).
        XCTAssert(counts.allSatisfy { abs($0 - 200) < 54 }, "\(counts)")
    }
}
