import FedSimAlgorithms
import FedSimCore
import Foundation
import XCTest

final class ClientSelectionTests: XCTestCase {
    /// FedAvg with power-of-choice over `clients` clients of one second each: the clients
    /// of each of `rounds` steps, reporting after each step the losses `loss(client, step)`.
    private func rounds(_ strategy: FedAvg, clients: Int, samples: [Int], rounds: Int,
                        clientLosses: (any ClientLosses)? = nil, loss: (Int, Int) -> Double = { _, _ in 0 }) -> [[Job]] {
        var server = EventDrivenServer(
            strategy: strategy,
            scheduler: Scheduler(clock: FixedDurations(Array(repeating: 1, count: clients)), sampleCounts: samples, seed: 4,
                                 clientLosses: clientLosses),
            stop: StopCondition(aggregations: rounds))
        var chosen: [[Job]] = []
        while let action = server.next() {
            guard case let .aggregate(step) = action else { continue }
            let jobs = step.contributions.map(\.job)
            chosen.append(jobs)
            server.report(losses: jobs.map { ($0.client, loss($0.client, step.number)) })
        }
        return chosen
    }

    func testPowerOfChoiceKeepsTheCandidatesWithTheHighestReportedLoss() {
        let strategy = FedAvg(clientsPerRound: 3, selection: .powerOfChoice(candidates: 6, losses: .reported))
        let samples = Array(repeating: 10, count: 12)
        // A client's loss is its id: once every candidate has reported, the highest ids win.
        let chosen = rounds(strategy, clients: 12, samples: samples, rounds: 30) { client, _ in Double(client) }
        var reported = Set<Int>()
        var stream = RandomStream(seed: 4, purpose: .sampling, counter: 0)
        for (index, clients) in chosen.enumerated() {
            // Replays the round's candidate draw; unreported candidates come first, in draw order.
            stream = RandomStream(seed: 4, purpose: .sampling, counter: index + 1)
            let candidates = ClientSelection.weightedSample(6, of: Array(0..<12), weights: samples.map(Double.init),
                                                            stream: &stream)
            let expected = candidates.enumerated().sorted { lhs, rhs in
                let (l, r) = (reported.contains(lhs.element) ? Double(lhs.element) : .infinity,
                              reported.contains(rhs.element) ? Double(rhs.element) : .infinity)
                return l != r ? l > r : lhs.offset < rhs.offset
            }.prefix(3).map(\.element)
            XCTAssertEqual(clients.map(\.client), expected.sorted(), "round \(index + 1)")
            XCTAssertEqual(clients.map(\.selectionLoss), clients.map { reported.contains($0.client) ? Double($0.client) : nil })
            reported.formUnion(clients.map(\.client))
        }
        XCTAssertEqual(reported.count, 12, "every client gets tried while some never reported")
    }

    func testUniformSelectionIsTodaysSampling() {
        let clock = FixedDurations(Array(repeating: 1, count: 20))
        func steps(_ strategy: FedAvg) -> [AggregationStep] {
            var server = EventDrivenServer(strategy: strategy, scheduler: Scheduler(
                clock: clock, sampleCounts: Array(repeating: 1, count: 20), seed: 9), stop: StopCondition(aggregations: 5))
            return server.remainingSteps()
        }
        XCTAssertEqual(steps(FedAvg(clientsPerRound: 4, selection: .uniform)), steps(FedAvg(clientsPerRound: 4)))
        XCTAssertEqual(FedAvg(clientsPerRound: 4).clientSelection, .uniform)
        XCTAssertFalse(ClientSelection.uniform.readsLosses)
        XCTAssertTrue(ClientSelection.powerOfChoice(candidates: 8, losses: .reported).usesReportedLosses)
        XCTAssertFalse(ClientSelection.powerOfChoice(candidates: 8, losses: .reported).usesClientLosses)
        XCTAssertTrue(ClientSelection.powerOfChoice(candidates: 8, losses: .globalModel).usesClientLosses)
        XCTAssertFalse(ClientSelection.curriculum(ClientCurriculum(order: .random, rounds: 5)).readsLosses)
    }

    func testWeightedSamplingDrawsDistinctItemsInProportionToTheirWeights() {
        var stream = RandomStream(seed: 1, purpose: .sampling)
        var firsts = [0, 0, 0]
        for _ in 0..<30_000 {
            let drawn = ClientSelection.weightedSample(2, of: [5, 6, 7], weights: [1, 2, 7], stream: &stream)
            XCTAssertEqual(Set(drawn).count, 2)
            firsts[drawn[0] - 5] += 1
        }
        // P(first) = 0.1, 0.2, 0.7; three standard deviations of 30,000 draws are below 0.008.
        for (count, probability) in zip(firsts, [0.1, 0.2, 0.7]) {
            XCTAssertEqual(Double(count) / 30_000, probability, accuracy: 0.008)
        }
        XCTAssertEqual(ClientSelection.weightedSample(2, of: [1, 2, 3], weights: [0, 5, 0], stream: &stream).first, 2,
                       "a weightless item comes only once the weighted ones are drawn")
        XCTAssertEqual(Set(ClientSelection.weightedSample(3, of: [1, 2, 3], weights: [0, 0, 0], stream: &stream)), [1, 2, 3])
    }

    /// Losses that are the client ids plus the model version, counting the versions asked.
    private final class VersionedLosses: ClientLosses, @unchecked Sendable {
        let clients: Int
        var asked: [Int] = []
        init(clients: Int) { self.clients = clients }
        func losses(atVersion version: Int) -> [Double] {
            asked.append(version)
            return (0..<clients).map { Double($0 + version) }
        }
    }

    func testPowerOfChoiceOnGlobalModelLossesAsksForTheCurrentVersion() {
        let losses = VersionedLosses(clients: 12)
        let chosen = rounds(FedAvg(clientsPerRound: 3, selection: .powerOfChoice(candidates: 12, losses: .globalModel)),
                            clients: 12, samples: Array(repeating: 10, count: 12), rounds: 4, clientLosses: losses)
        // Every client is a candidate, so the three highest ids win each round, with the
        // loss the version gives them.
        for (index, jobs) in chosen.enumerated() {
            XCTAssertEqual(jobs.map(\.client), [9, 10, 11])
            XCTAssertEqual(jobs.map(\.selectionLoss), [9, 10, 11].map { Double($0 + index) })
        }
        XCTAssertEqual(losses.asked, [0, 1, 2, 3])
    }

    func testAClientCurriculumHandsOutAPacedPoolOfTheEasiestClientsAndRescoresWhenItIsUsedUp() {
        let losses = VersionedLosses(clients: 20)
        // b = 0.3, a = 0.5 over T = 10 rounds * 2 = 20 updates: the first pool is the 6
        // easiest clients (lowest ids), handed out 2 a round; after 3 rounds (n = 6) the
        // pool is 6 + 14 * 6 / 10 = 14 clients.
        let curriculum = ClientCurriculum(order: .curriculum, start: 0.3, fullAt: 0.5, rounds: 10)
        let chosen = rounds(FedAvg(clientsPerRound: 2, selection: .curriculum(curriculum)), clients: 20,
                            samples: Array(repeating: 10, count: 20), rounds: 10, clientLosses: losses)
        XCTAssertEqual(Set(chosen.prefix(3).flatMap { $0.map(\.client) }), Set(0..<6))
        XCTAssertEqual(Set(chosen[3..<10].flatMap { $0.map(\.client) }), Set(0..<14))
        XCTAssertEqual(losses.asked, [0, 3])
        XCTAssertEqual(chosen[3].map(\.selectionLoss), chosen[3].map { Double($0.client + 3) })

        let anti = rounds(FedAvg(clientsPerRound: 2, selection: .curriculum(
            ClientCurriculum(order: .antiCurriculum, start: 0.3, fullAt: 0.5, rounds: 10))),
            clients: 20, samples: Array(repeating: 10, count: 20), rounds: 3, clientLosses: VersionedLosses(clients: 20))
        XCTAssertEqual(Set(anti.flatMap { $0.map(\.client) }), Set(14..<20))
    }
}
