import FedSimAlgorithms
import FedSimCore
import XCTest

final class SystemLinkTests: XCTestCase {
    func testTransferTimeIsLatencyPlusBytesOverBandwidth() throws {
        let link = LinkProfile(latency: 0.05, downloadBytesPerSecond: 1_000_000, uploadBytesPerSecond: 250_000)
        let model = try SystemModel(compute: .constant(seconds: 1), link: link, clients: 2, seed: 1)
        // 0.05 + 2e6 / 1e6 = 2.05; 0.05 + 1e6 / 2.5e5 = 4.05
        XCTAssertEqual(model.downloadTime(client: 1, bytes: 2_000_000), 2.05, accuracy: 1e-12)
        XCTAssertEqual(model.uploadTime(client: 1, bytes: 1_000_000), 4.05, accuracy: 1e-12)
        XCTAssertEqual(model.downloadTime(client: 0, bytes: 0), 0.05)
    }

    func testInfiniteBandwidthCostsOnlyTheLatency() throws {
        let model = try SystemModel(
            compute: .constant(seconds: 1), link: LinkProfile(latency: 0.2), clients: 1, seed: 1)
        XCTAssertEqual(model.downloadTime(client: 0, bytes: 1 << 40), 0.2)
        XCTAssertEqual(model.uploadTime(client: 0, bytes: 1 << 40), 0.2)
        let ideal = try SystemModel(compute: .constant(seconds: 1), clients: 1, seed: 1)
        XCTAssertEqual(ideal.downloadTime(client: 0, bytes: 1000), 0)
    }

    func testBandwidthHeterogeneityIsALognormalMultiplierSharedByBothDirections() throws {
        let clients = 5000
        let link = LinkProfile(
            latency: 1, downloadBytesPerSecond: 1000, uploadBytesPerSecond: 100, bandwidthHeterogeneity: 0.5)
        let model = try SystemModel(compute: .constant(seconds: 1), link: link, clients: clients, seed: 5)
        // transfer - latency = bytes / (bandwidth * m_i), so m_i = (bytes / bandwidth) / (transfer - latency).
        let multipliers = (0..<clients).map { 1 / (model.downloadTime(client: $0, bytes: 1000) - 1) }
        for client in 0..<clients {
            let upload = model.uploadTime(client: client, bytes: 100) - 1
            XCTAssertEqual(1 / upload, multipliers[client], accuracy: 1e-9 * multipliers[client])
        }
        let logs = multipliers.map { log($0) }
        let mean = logs.reduce(0, +) / Double(clients)
        let variance = logs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(clients - 1)
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(variance.squareRoot(), 0.5, accuracy: 0.03)

        let again = try SystemModel(compute: .constant(seconds: 1), link: link, clients: 10, seed: 5)
        XCTAssertEqual(again.downloadTime(client: 7, bytes: 1000), model.downloadTime(client: 7, bytes: 1000))
    }

    func testNoHeterogeneityMeansNominalBandwidthForEveryClient() throws {
        let link = LinkProfile(downloadBytesPerSecond: 400)
        let model = try SystemModel(compute: .constant(seconds: 1), link: link, clients: 50, seed: 2)
        XCTAssertTrue((0..<50).allSatisfy { model.downloadTime(client: $0, bytes: 100) == 0.25 })
    }
}
