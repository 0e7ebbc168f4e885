import FedSimAlgorithms
import FedSimCore
import Foundation
import XCTest

final class SystemAvailabilityTests: XCTestCase {
    private func model(_ availability: AvailabilityProfile, clients: Int = 4, seed: UInt64 = 11) throws -> SystemModel {
        try SystemModel(compute: .constant(seconds: 1), availability: availability, clients: clients, seed: seed)
    }

    /// Times spread over [0, horizon) in a scrambled order.
    private func scatteredTimes(_ count: Int, horizon: Double, seed: UInt64 = 99) -> [Double] {
        var stream = RandomStream(seed: seed, purpose: .sampling)
        return (0..<count).map { _ in stream.uniform() * horizon }
    }

    /// nextOnline's contract: the answer is >= t, the client is online then, and it was
    /// offline at t and at every probe strictly between.
    private func assertNextOnlineIsTheEarliest(
        _ model: SystemModel, client: Int, from time: Double, probeStep: Double,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        guard let next = model.nextOnline(client: client, atOrAfter: time) else {
            return XCTFail("client \(client) never online after \(time)", file: file, line: line)
        }
        XCTAssertGreaterThanOrEqual(next, time, file: file, line: line)
        XCTAssertTrue(model.isOnline(client: client, at: next), file: file, line: line)
        guard next > time else { return }
        XCTAssertFalse(model.isOnline(client: client, at: time), file: file, line: line)
        XCTAssertFalse(model.isOnline(client: client, at: next.nextDown), file: file, line: line)
        var probe = time + probeStep
        while probe < next {
            XCTAssertFalse(model.isOnline(client: client, at: probe), "online at \(probe)", file: file, line: line)
            probe += probeStep
        }
    }

    func testAlwaysIsOnlineNow() throws {
        let model = try model(.always)
        XCTAssertTrue(model.isOnline(client: 3, at: 12.5))
        XCTAssertEqual(model.nextOnline(client: 3, atOrAfter: 12.5), 12.5)
    }

    // MARK: probability

    func testProbabilityOnlineFractionIsP() throws {
        let model = try model(.probability(p: 0.3, period: 10))
        let periods = 100_000
        let online = (0..<periods).filter { model.isOnline(client: 2, at: Double($0) * 10 + 5) }.count
        // Standard error sqrt(0.3 * 0.7 / 1e5) = 0.0014.
        XCTAssertEqual(Double(online) / Double(periods), 0.3, accuracy: 0.007)
    }

    func testProbabilityIsConstantWithinAPeriodAndDrawnPerPeriod() throws {
        let model = try model(.probability(p: 0.5, period: 10))
        for period in 0..<200 {
            let start = Double(period) * 10
            let state = model.isOnline(client: 1, at: start)
            XCTAssertEqual(model.isOnline(client: 1, at: start + 9.99), state)
            var stream = RandomStream(seed: 11, purpose: .availability, client: 1, counter: period)
            XCTAssertEqual(state, stream.uniform() < 0.5)
        }
    }

    func testProbabilityNextOnlineIsTheStartOfTheNextOnlinePeriod() throws {
        // A period of 0.1 is not exact in binary: period starts must still round-trip.
        let model = try model(.probability(p: 0.2, period: 0.1))
        for (index, time) in scatteredTimes(300, horizon: 1000).enumerated() {
            assertNextOnlineIsTheEarliest(model, client: index % 4, from: time, probeStep: 0.1)
        }
        for period in 0..<2000 {
            let start = Double(period) * 0.1
            if let next = model.nextOnline(client: 0, atOrAfter: start), next > start {
                XCTAssertTrue(model.isOnline(client: 0, at: next))
                XCTAssertFalse(model.isOnline(client: 0, at: next.nextDown))
            }
        }
    }

    func testProbabilityAnswersDoNotDependOnQueryOrder() throws {
        let times = scatteredTimes(500, horizon: 5000)
        let forward = try model(.probability(p: 0.1, period: 7))
        let backward = try model(.probability(p: 0.1, period: 7))
        let answers = times.map { forward.nextOnline(client: 3, atOrAfter: $0) }
        let reversed = times.reversed().map { backward.nextOnline(client: 3, atOrAfter: $0) }
        XCTAssertEqual(answers, Array(reversed.reversed()))
        let otherSeed = try model(.probability(p: 0.1, period: 7), seed: 12)
        XCTAssertNotEqual(answers, times.map { otherSeed.nextOnline(client: 3, atOrAfter: $0) })
    }

    func testProbabilityOneIsAlwaysOnline() throws {
        let model = try model(.probability(p: 1, period: 3))
        XCTAssertTrue(scatteredTimes(200, horizon: 1e6).allSatisfy { model.isOnline(client: 0, at: $0) })
    }

    func testProbabilityNextOnlineGivesUpAfterTheScanLimit() throws {
        // Online with probability 1e-12 per period: the next 1e6 periods are all offline
        // except with probability 1e-6, so the scan stops and reports nil.
        let model = try model(.probability(p: 1e-12, period: 1), clients: 1)
        XCTAssertNil(model.nextOnline(client: 0, atOrAfter: 0))
    }

    // MARK: on/off

    func testOnOffStartsOnlineAndIsOnlineMeanOnOverMeanOnPlusMeanOffOfTheTime() throws {
        let model = try model(.onOff(meanOnline: 30, meanOffline: 10), clients: 10)
        var online = 0
        var probes = 0
        for client in 0..<10 {
            XCTAssertTrue(model.isOnline(client: client, at: 0))
            for step in 0..<50_000 {
                probes += 1
                if model.isOnline(client: client, at: Double(step) * 2 + 0.5) { online += 1 }
            }
        }
        // 10 clients x 100000 s is 25000 on/off cycles.
        XCTAssertEqual(Double(online) / Double(probes), 0.75, accuracy: 0.015)
    }

    func testOnOffDoesNotDependOnQueryOrder() throws {
        let lateFirst = try model(.onOff(meanOnline: 20, meanOffline: 20))
        let earlyFirst = try model(.onOff(meanOnline: 20, meanOffline: 20))
        let late = lateFirst.nextOnline(client: 2, atOrAfter: 500)
        let early = lateFirst.nextOnline(client: 2, atOrAfter: 5)
        XCTAssertEqual(earlyFirst.nextOnline(client: 2, atOrAfter: 5), early)
        XCTAssertEqual(earlyFirst.nextOnline(client: 2, atOrAfter: 500), late)

        let times = scatteredTimes(400, horizon: 3000)
        let shuffled = try model(.onOff(meanOnline: 20, meanOffline: 20))
        let inOrder = try model(.onOff(meanOnline: 20, meanOffline: 20))
        let scrambledAnswers = times.map { shuffled.isOnline(client: 1, at: $0) }
        var inOrderAnswers = [Bool](repeating: false, count: times.count)
        for index in times.indices.sorted(by: { times[$0] < times[$1] }) {
            inOrderAnswers[index] = inOrder.isOnline(client: 1, at: times[index])
        }
        XCTAssertEqual(scrambledAnswers, inOrderAnswers)
    }

    func testOnOffGivesTheSameAnswersWhenQueriedFromManyThreads() throws {
        let times = scatteredTimes(800, horizon: 4000)
        let shared = try model(.onOff(meanOnline: 8, meanOffline: 12))
        let answers = UnsafeMutableBufferPointer<Double>.allocate(capacity: times.count)
        defer { answers.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 8) { lane in
            for index in stride(from: lane, to: times.count, by: 8) {
                answers[index] = shared.nextOnline(client: index % 4, atOrAfter: times[index])!
            }
        }
        let alone = try model(.onOff(meanOnline: 8, meanOffline: 12))
        XCTAssertEqual(Array(answers), times.indices.map { alone.nextOnline(client: $0 % 4, atOrAfter: times[$0])! })
    }

    func testOnOffNextOnlineIsTheEndOfTheOfflineStretch() throws {
        let model = try model(.onOff(meanOnline: 5, meanOffline: 15))
        for (index, time) in scatteredTimes(300, horizon: 2000).enumerated() {
            assertNextOnlineIsTheEarliest(model, client: index % 4, from: time, probeStep: 0.25)
        }
    }

    func testOnOffClientsAndSeedsDiffer() throws {
        let model = try model(.onOff(meanOnline: 10, meanOffline: 10))
        let other = try self.model(.onOff(meanOnline: 10, meanOffline: 10), seed: 12)
        let grid = (0..<500).map { Double($0) }
        let pattern = { (model: SystemModel, client: Int) in grid.map { model.isOnline(client: client, at: $0) } }
        XCTAssertNotEqual(pattern(model, 0), pattern(model, 1))
        XCTAssertNotEqual(pattern(model, 0), pattern(other, 0))
    }

    // MARK: trace

    func testTraceNextOnlineJumpsToTheNextIntervalAndEndsAfterTheLast() throws {
        let model = try model(.trace([[2...4, 6...8], [], [0...Double.infinity]]), clients: 3)
        XCTAssertFalse(model.isOnline(client: 0, at: 1))
        XCTAssertTrue(model.isOnline(client: 0, at: 2))
        XCTAssertTrue(model.isOnline(client: 0, at: 4))
        XCTAssertFalse(model.isOnline(client: 0, at: 5))
        XCTAssertEqual(model.nextOnline(client: 0, atOrAfter: 0), 2)
        XCTAssertEqual(model.nextOnline(client: 0, atOrAfter: 3), 3)
        XCTAssertEqual(model.nextOnline(client: 0, atOrAfter: 4), 4)
        XCTAssertEqual(model.nextOnline(client: 0, atOrAfter: 4.5), 6)
        XCTAssertEqual(model.nextOnline(client: 0, atOrAfter: 8), 8)
        XCTAssertNil(model.nextOnline(client: 0, atOrAfter: 8.01))
        XCTAssertFalse(model.isOnline(client: 0, at: 100))

        XCTAssertNil(model.nextOnline(client: 1, atOrAfter: 0))
        XCTAssertFalse(model.isOnline(client: 1, at: 0))
        XCTAssertEqual(model.nextOnline(client: 2, atOrAfter: 1e12), 1e12)
    }

    func testTouchingTraceIntervalsBehaveAsOne() throws {
        let model = try model(.trace([[0...5, 5...10]]), clients: 1)
        XCTAssertTrue(model.isOnline(client: 0, at: 5))
        XCTAssertEqual(model.nextOnline(client: 0, atOrAfter: 7), 7)
        XCTAssertNil(model.nextOnline(client: 0, atOrAfter: 10.5))
    }
}
