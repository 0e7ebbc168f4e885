@testable import FedSimAlgorithms
import FedSimCore
import Foundation
import XCTest

/// FedAvg's stragglers: drawn each round (FedProx's drop percent) or past the deadline,
/// dropped or doing partial work.
final class StragglerTests: XCTestCase {
    private func steps(_ strategy: FedAvg, durations: [Double], rounds: Int) -> [AggregationStep] {
        var server = EventDrivenServer(
            strategy: strategy,
            scheduler: Scheduler(clock: FixedDurations(durations), sampleCounts: Array(repeating: 10, count: durations.count),
                                 seed: 5),
            stop: StopCondition(aggregations: rounds))
        return server.remainingSteps()
    }

    func testDrawnStragglersAreDroppedOrDoADrawnShareOfTheirWork() {
        let durations = Array(repeating: 1.0, count: 20)
        let plain = steps(FedAvg(clientsPerRound: 10), durations: durations, rounds: 6)
        let dropped = steps(FedAvg(clientsPerRound: 10, stragglers: 0.9), durations: durations, rounds: 6)
        let partial = steps(FedAvg(clientsPerRound: 10, stragglers: 0.5, stragglerWork: .partial),
                            durations: durations, rounds: 6)
        var everStraggled = Set<Int>()
        for (index, step) in dropped.enumerated() {
            // round(10 x 0.1) = 1 client trains, one of the round's sample.
            XCTAssertEqual(step.contributions.count, 1)
            XCTAssert(Set(plain[index].contributions.map(\.job.client)).isSuperset(of: step.contributions.map(\.job.client)))
        }
        for (index, step) in partial.enumerated() {
            XCTAssertEqual(step.contributions.map(\.job.client), plain[index].contributions.map(\.job.client),
                           "partial work keeps every chosen client")
            let stragglers = step.contributions.filter { $0.job.partialWork != nil }
            XCTAssertEqual(stragglers.count, 5)
            for contribution in stragglers {
                guard case let .drawn(u)? = contribution.job.partialWork else { return XCTFail("a drawn share") }
                XCTAssert((0..<1).contains(u))
                everStraggled.insert(contribution.job.client)
            }
        }
        XCTAssertGreaterThan(everStraggled.count, 5, "who straggles is drawn afresh every round")
        XCTAssertEqual(steps(FedAvg(clientsPerRound: 10, stragglers: 0.5, stragglerWork: .partial), durations: durations,
                             rounds: 6), partial, "the draws are the seed's")
    }

    func testAJobPastTheDeadlineDoesTheShareOfItsTimeThatFits() {
        // Client i takes i + 1 seconds; a 2.5 s deadline cuts clients 2..4 at 2.5 s.
        let durations: [Double] = [1, 2, 3, 4, 5]
        let strategy = FedAvg(clientsPerRound: 5, deadline: 2.5, stragglerWork: .partial)
        let first = steps(strategy, durations: durations, rounds: 1)[0]
        XCTAssertEqual(first.time, 2.5)
        XCTAssertEqual(first.contributions.map(\.job.client), [0, 1, 2, 3, 4])
        XCTAssertEqual(first.contributions.map(\.job.partialWork), [nil, nil, .share(2.5 / 3), .share(2.5 / 4), .share(0.5)])
        XCTAssertEqual(first.contributions.map(\.job.end), [1, 2, 2.5, 2.5, 2.5])
        let dropped = steps(FedAvg(clientsPerRound: 5, deadline: 2.5), durations: durations, rounds: 1)[0]
        XCTAssertEqual(dropped.contributions.map(\.job.client), [0, 1])
    }

    func testARoundNoUpdateCameBackInCountsAsAnEmptyRound() {
        // Clients 0 and 1 take 1 and 2 s, the others 5 s; each round samples 2 of the 6
        // with a 1.5 s deadline, so a round without client 0 ends empty.
        let durations: [Double] = [1, 2, 5, 5, 5, 5]
        let rounds = steps(FedAvg(clientsPerRound: 2, deadline: 1.5), durations: durations, rounds: 12)
        XCTAssertEqual(rounds.map(\.number), Array(1...12), "every round counts, empty or not")
        XCTAssertEqual(rounds.map(\.time), (1...12).map { 1.5 * Double($0) })
        let empty = rounds.filter(\.contributions.isEmpty)
        XCTAssertFalse(empty.isEmpty)
        XCTAssertLessThan(empty.count, 12)
        for step in rounds {
            XCTAssertEqual(step.contributions.map(\.job.client), step.contributions.isEmpty ? [] : [0])
        }
        // An empty round leaves the model at its version: only rounds with an update make one.
        var version = 0
        for step in rounds {
            if !step.contributions.isEmpty { version += 1 }
            XCTAssertEqual(step.version, version)
        }
    }

    func testPartialWorkBecomesEpochsOrSteps() {
        let epochs = LocalTraining(work: .epochs(20), batchSize: 10, learningRate: 0.01)
        XCTAssertEqual(epochs.partial(.drawn(u: 0), samples: 95).work, .epochs(1))
        XCTAssertEqual(epochs.partial(.drawn(u: 0.999), samples: 95).work, .epochs(19))
        XCTAssertEqual(epochs.partial(.drawn(u: 0.5), samples: 95).work, .epochs(10))  // 1 + floor(9.5)
        XCTAssertEqual(LocalTraining(work: .epochs(1), batchSize: 10, learningRate: 0.01)
                        .partial(.drawn(u: 0.7), samples: 95).work, .epochs(1))
        XCTAssertEqual(LocalTraining(work: .steps(7), batchSize: 10, learningRate: 0.01)
                        .partial(.drawn(u: 0.5), samples: 95).work, .steps(4))
        // 20 epochs of ceil(95 / 10) = 10 steps: 200 steps, of which a share of 0.25 is 50.
        XCTAssertEqual(epochs.partial(.share(0.25), samples: 95).work, .steps(50))
        XCTAssertEqual(epochs.partial(.share(0.001), samples: 95).work, .steps(1))
        XCTAssertEqual(epochs.partial(nil, samples: 95), epochs)
    }
}

final class ComputeRedrawTests: XCTestCase {
    func testEveryJobDrawsItsOwnComputeTimeFromTheClientsStream() throws {
        let fixed = try SystemModel(compute: .exponential(mean: 2), clients: 3, seed: 9)
        let redrawn = try SystemModel(compute: .exponential(mean: 2), clients: 3, seed: 9, redrawsCompute: true)
        // Counter 0 of the client's stream is its run-long tau_i; job n draws at counter n.
        for client in 0..<3 {
            XCTAssertEqual(fixed.computeTime(client: client, job: 5), fixed.computeTime(client: client))
            var stream = RandomStream(seed: 9, purpose: .speeds, client: client, counter: 4)
            XCTAssertEqual(redrawn.computeTime(client: client, job: 4), stream.exponential(rate: 0.5))
            XCTAssertEqual(redrawn.computeTime(client: client), 2, "the mean stands for tau_i")
        }
        let times = (1...4000).map { redrawn.computeTime(client: 1, job: $0) }
        XCTAssertEqual(Set(times).count, 4000)
        XCTAssertEqual(times.reduce(0, +) / 4000, 2, accuracy: 0.1)   // 3 standard errors: 3 x 2 / sqrt(4000)
        XCTAssertEqual(redrawn.job(client: 2, readyAt: 1, downloadBytes: 0, uploadBytes: 0, number: 7)?.end,
                       1 + redrawn.computeTime(client: 2, job: 7))
        XCTAssertThrowsError(try SystemModel(compute: .constant(seconds: 1), clients: 3, seed: 9, redrawsCompute: true)) {
            XCTAssertEqual($0 as? SystemModelError, .redrawNeedsRandomProfile)
        }
    }
}

/// `server.sampling: proportional`: draws with replacement by data size, each draw weighing 1/k.
final class ProportionalSamplingTests: XCTestCase {
    func testDrawsFollowTheWeights() {
        var stream = RandomStream(seed: 3, purpose: .sampling)
        let drawn = FedAvg.drawnWithReplacement(60_000, of: [4, 7, 9], weights: [1, 3, 6], stream: &stream)
        let shares = [4, 7, 9].map { client in Double(drawn.filter { $0 == client }.count) / 60_000 }
        for (share, expected) in zip(shares, [0.1, 0.3, 0.6]) { XCTAssertEqual(share, expected, accuracy: 0.01) }
        var again = RandomStream(seed: 3, purpose: .sampling)
        XCTAssertEqual(FedAvg.drawnWithReplacement(10, of: [1, 2], weights: [0, 0], stream: &again).count, 10,
                       "clients without rows are drawn with equal chances")
    }

    func testAClientDrawnTwiceTrainsOnceAndWeighsTwoDraws() {
        let samples = [10, 10, 10, 10, 200, 10]
        var server = EventDrivenServer(
            strategy: FedAvg(clientsPerRound: 5, weighting: .uniform, sampling: .proportional),
            scheduler: Scheduler(clock: FixedDurations(Array(repeating: 1, count: 6)), sampleCounts: samples, seed: 2),
            stop: StopCondition(aggregations: 20))
        let steps = server.remainingSteps()
        XCTAssertEqual(steps.count, 20)
        var repeated = 0
        for step in steps {
            let clients = step.contributions.map(\.job.client)
            XCTAssertEqual(Set(clients).count, clients.count, "one job per client")
            let draws = step.contributions.map { $0.job.draws ?? 0 }
            XCTAssertEqual(draws.reduce(0, +), 5, "k = 5 draws a round")
            for (contribution, count) in zip(step.contributions, draws) {
                XCTAssertEqual(contribution.weight, Double(count) / 5, accuracy: 1e-15)
            }
            repeated += draws.filter { $0 > 1 }.count
        }
        // Client 4 holds 200 of 250 rows: 4 of 5 draws on average, so it is drawn more than once in most rounds.
        XCTAssertGreaterThan(repeated, 10)
        XCTAssertEqual(steps.map { $0.contributions.contains { $0.job.client == 4 } }.filter { $0 }.count, 20)
    }
}
