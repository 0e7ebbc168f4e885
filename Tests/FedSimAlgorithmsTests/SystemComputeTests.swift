import FedSimAlgorithms
import FedSimCore
import XCTest

final class SystemComputeTests: XCTestCase {
    private func jobSeconds(_ compute: ComputeProfile, clients: Int, seed: UInt64 = 7) throws -> [Double] {
        let model = try SystemModel(compute: compute, clients: clients, seed: seed)
        return (0..<clients).map { model.computeTime(client: $0) }
    }

    func testF80WithFiveClientsRunsFromOneDownToOneFifth() throws {
        let seconds = try jobSeconds(.linear(heterogeneity: 80, slowest: 1), clients: 5)
        for (value, expected) in zip(seconds, [1, 0.8, 0.6, 0.4, 0.2]) {
            XCTAssertEqual(value, expected, accuracy: 1e-12)
        }
    }

    func testF0GivesEveryClientTheSlowestTime() throws {
        XCTAssertEqual(try jobSeconds(.linear(heterogeneity: 0, slowest: 3), clients: 4), [3, 3, 3, 3])
    }

    func testLinearScalesWithTheSlowestTimeAndHandlesOneClient() throws {
        // F-50 with M = 3: tau = 10 * (1 - i * 0.25) = 10, 7.5, 5
        XCTAssertEqual(try jobSeconds(.linear(heterogeneity: 50, slowest: 10), clients: 3), [10, 7.5, 5])
        XCTAssertEqual(try jobSeconds(.linear(heterogeneity: 80, slowest: 2), clients: 1), [2])
    }

    func testConstantAndTrace() throws {
        XCTAssertEqual(try jobSeconds(.constant(seconds: 1.5), clients: 3), [1.5, 1.5, 1.5])
        XCTAssertEqual(try jobSeconds(.trace([4, 0.5, 2]), clients: 3), [4, 0.5, 2])
    }

    func testExponentialMeanOverManyClients() throws {
        let seconds = try jobSeconds(.exponential(mean: 2), clients: 20_000)
        // The sample mean's standard error is 2 / sqrt(20000) = 0.014.
        XCTAssertEqual(seconds.reduce(0, +) / 20_000, 2, accuracy: 0.06)
        XCTAssertTrue(seconds.allSatisfy { $0 > 0 })
    }

    func testLognormalMomentsOverManyClients() throws {
        let seconds = try jobSeconds(.lognormal(mu: 0.5, sigma: 0.4), clients: 20_000)
        let logs = seconds.map { log($0) }
        let logMean = logs.reduce(0, +) / 20_000
        let logVariance = logs.map { ($0 - logMean) * ($0 - logMean) }.reduce(0, +) / 19_999
        XCTAssertEqual(logMean, 0.5, accuracy: 0.015)
        XCTAssertEqual(logVariance.squareRoot(), 0.4, accuracy: 0.015)
        // E[tau] = exp(mu + sigma^2 / 2) = exp(0.58) = 1.786
        XCTAssertEqual(seconds.reduce(0, +) / 20_000, exp(0.58), accuracy: 0.03)
    }

    func testRandomSpeedsAreDeterministicAndIndependentOfTheClientCount() throws {
        for profile in [ComputeProfile.exponential(mean: 1), .lognormal(mu: 0, sigma: 1)] {
            let few = try jobSeconds(profile, clients: 10, seed: 3)
            let many = try jobSeconds(profile, clients: 1000, seed: 3)
            XCTAssertEqual(few, Array(many.prefix(10)))
            XCTAssertEqual(few, try jobSeconds(profile, clients: 10, seed: 3))
            XCTAssertNotEqual(few, try jobSeconds(profile, clients: 10, seed: 4))
            XCTAssertGreaterThan(Set(few).count, 1)
        }
    }

    func testComputeSpeedsDoNotShiftTheBandwidthMultipliers() throws {
        let link = LinkProfile(downloadBytesPerSecond: 100, bandwidthHeterogeneity: 0.5)
        let constant = try SystemModel(compute: .constant(seconds: 1), link: link, clients: 4, seed: 9)
        let random = try SystemModel(compute: .exponential(mean: 1), link: link, clients: 4, seed: 9)
        for client in 0..<4 {
            XCTAssertEqual(
                constant.downloadTime(client: client, bytes: 100), random.downloadTime(client: client, bytes: 100))
        }
    }
}
