import FedSimAlgorithms
import FedSimCore
import Foundation
import XCTest

final class GossipEventsTests: XCTestCase {
    /// 5 nodes, 7 edges, irregular degrees.
    private let graph = try! Graph(nodes: 5, edges: [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0), (0, 2), (1, 3)])

    private func events(seed: UInt64 = 3, gradientRate: Double = 5, communicationRate: Double = 3) throws -> GossipEvents {
        try GossipEvents(graph: graph, seed: seed, gradientRate: gradientRate, communicationRate: communicationRate)
    }

    /// Pearson's chi-square statistic of `counts` against equal expected counts.
    private func chiSquare(_ counts: [Int]) -> Double {
        let expected = Double(counts.reduce(0, +)) / Double(counts.count)
        return counts.map { (Double($0) - expected) * (Double($0) - expected) / expected }.reduce(0, +)
    }

    func testRatesAndUniformChoices() throws {
        var process = try events()
        let horizon = 2000.0
        var nodeCounts = [Int](repeating: 0, count: 5)
        var edgeCounts = [Graph.Edge: Int]()
        var (lastIndex, lastTime): (UInt64?, Double) = (nil, 0.0)
        while process.nextTime < horizon {
            let event = process.next()!
            XCTAssertEqual(event.index, lastIndex.map { $0 + 1 } ?? 0)
            XCTAssertGreaterThan(event.time, lastTime)
            (lastIndex, lastTime) = (event.index, event.time)
            switch event.kind {
            case .local: nodeCounts[event.first] += 1
            case .exchange: edgeCounts[Graph.Edge(event.first, event.second), default: 0] += 1
            case .combine, .send: XCTFail("a gossip process has no \(event.kind) events")
            }
        }
        // Poisson counts: means 5 * 2000 and 3 * 2000, standard deviations 100 and 77.5.
        let gradients = nodeCounts.reduce(0, +)
        let communications = edgeCounts.values.reduce(0, +)
        XCTAssertEqual(Double(gradients), 10_000, accuracy: 400)
        XCTAssertEqual(Double(communications), 6000, accuracy: 310)
        XCTAssertEqual(Int(lastIndex ?? 0) + 1, gradients + communications)
        // Chi-square critical values at p = 0.001: 18.5 with 4 degrees of freedom, 22.5 with 6.
        XCTAssertLessThan(chiSquare(nodeCounts), 18.5)
        XCTAssertEqual(Set(edgeCounts.keys), Set(graph.edges))
        XCTAssertLessThan(chiSquare(Array(edgeCounts.values)), 22.5)
    }

    func testGapsAreExponential() throws {
        var process = try events()
        let times = [0] + process.next(20_000).map(\.time)
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        // The merged process has rate 8: mean gap 1/8, and P(gap > 1/8) = e^-1.
        let mean = gaps.reduce(0, +) / Double(gaps.count)
        XCTAssertEqual(mean, 1.0 / 8, accuracy: 4 * (1.0 / 8) / Double(gaps.count).squareRoot())
        let beyondMean = Double(gaps.filter { $0 > 1.0 / 8 }.count) / Double(gaps.count)
        let p: Double = exp(-1)
        XCTAssertEqual(beyondMean, p, accuracy: 4 * (p * (1 - p) / Double(gaps.count)).squareRoot())
    }

    func testSameSeedSameEventsOtherSeedOtherEvents() throws {
        var first = try events(seed: 3)
        var second = try events(seed: 3)
        var other = try events(seed: 4)
        let reference = first.next(500)
        XCTAssertEqual(second.next(500), reference)
        XCTAssertNotEqual(other.next(500).map(\.kind), reference.map(\.kind))
    }

    func testBatchSizesDoNotMatter() throws {
        var oneByOne = try events()
        let reference = (0..<1000).map { _ in oneByOne.next()! }
        var batched = try events()
        var collected: [GossipEvent] = []
        for size in [1, 7, 100, 0, 392, 500] { collected += batched.next(size) }
        XCTAssertEqual(collected, reference)
        XCTAssertEqual(batched.position, oneByOne.position)
    }

    func testResumingFromASavedPositionContinuesTheSequence() throws {
        var original = try events()
        _ = original.next(1234)
        let saved = try JSONEncoder().encode(original.position)
        let position = try JSONDecoder().decode(GossipEvents.Position.self, from: saved)
        XCTAssertEqual(position.index, 1234)
        var resumed = try GossipEvents(graph: graph, seed: 3, gradientRate: 5, communicationRate: 3, position: position)
        XCTAssertEqual(resumed.nextTime, original.nextTime)
        XCTAssertEqual(resumed.next(1000), original.next(1000))
    }

    func testGradientEventsDoNotDependOnTheCommunicationRate() throws {
        func gradients(communicationRate: Double) throws -> [(Double, Int)] {
            var process = try events(communicationRate: communicationRate)
            return process.next(3000).filter { $0.kind == .local }.prefix(200).map { ($0.time, $0.first) }
        }
        let slow = try gradients(communicationRate: 0.5)
        let fast = try gradients(communicationRate: 9)
        XCTAssertEqual(slow.map(\.0), fast.map(\.0))
        XCTAssertEqual(slow.map(\.1), fast.map(\.1))
    }

    func testTheTwoProcessesAreIndependent() throws {
        var process = try events()
        var gradientTimes = [0.0], communicationTimes = [0.0]
        for event in process.next(40_000) {
            if event.kind == .local { gradientTimes.append(event.time) } else { communicationTimes.append(event.time) }
        }
        /// The first 10^4 gaps, less their mean.
        func centeredGaps(_ times: [Double]) -> [Double] {
            let gaps = zip(times.dropFirst(), times).map { $0 - $1 }.prefix(10_000)
            let mean = gaps.reduce(0, +) / Double(gaps.count)
            return gaps.map { $0 - mean }
        }
        func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { $0 * $1 }.reduce(0, +) }
        let (a, b) = (centeredGaps(gradientTimes), centeredGaps(communicationTimes))
        let correlation = dot(a, b) / (dot(a, a) * dot(b, b)).squareRoot()
        // The j-th gaps of the two processes are uncorrelated: standard error 1 / sqrt(10^4).
        XCTAssertEqual(correlation, 0, accuracy: 0.04)
    }

    func testDADAOEventsRunAtOnePerNodeAndLambdaMix() throws {
        let constants = try DADAOConstants(strongConvexity: 1, smoothness: 4, chi1: 8, chi2: 1)
        let process = try GossipEvents(graph: graph, seed: 3, constants: constants)
        XCTAssertEqual(process.gradientRate, 5)
        XCTAssertEqual(process.communicationRate, 4)
    }

    func testInvalidSettingsAreRefused() throws {
        for bad in [0, -1, .nan, .infinity] {
            XCTAssertThrowsError(try events(gradientRate: bad))
            XCTAssertThrowsError(try events(communicationRate: bad))
        }
        let lonely = try Graph(nodes: 3, edges: [])
        XCTAssertThrowsError(try GossipEvents(graph: lonely, seed: 1, gradientRate: 1, communicationRate: 1)) {
            XCTAssertEqual($0 as? GossipError, .noEdges)
        }
        let decoder = JSONDecoder()
        for json in [
            #"{"gradients": -1, "nextGradientTime": 1, "communications": 0, "nextCommunicationTime": 1}"#,
            #"{"gradients": 4294967296, "nextGradientTime": 1, "communications": 0, "nextCommunicationTime": 1}"#,
            #"{"gradients": 0, "nextGradientTime": -1, "communications": 0, "nextCommunicationTime": 1}"#,
        ] {
            let position = try decoder.decode(GossipEvents.Position.self, from: Data(json.utf8))
            XCTAssertThrowsError(try GossipEvents(
                graph: graph, seed: 1, gradientRate: 1, communicationRate: 1, position: position))
        }
    }
}
