import FedSimAlgorithms
import XCTest

final class SystemModelTests: XCTestCase {
    func testJobWaitsForTheClientThenDownloadsComputesAndUploads() throws {
        let model = try SystemModel(
            compute: .constant(seconds: 3),
            link: LinkProfile(latency: 0.5, downloadBytesPerSecond: 1000, uploadBytesPerSecond: 500),
            availability: .trace([[0...1, 10...20]]), clients: 1, seed: 1)
        // Ready at 2 but offline until 10: download 0.5 + 2000/1000 = 2.5, compute 3,
        // upload 0.5 + 1000/500 = 2.5, so it ends at 10 + 8 = 18.
        XCTAssertEqual(
            model.job(client: 0, readyAt: 2, downloadBytes: 2000, uploadBytes: 1000), JobTiming(start: 10, end: 18))
        // Started while online at 0.5, the job finishes at 8.5 although the client goes
        // offline at 1.
        XCTAssertEqual(
            model.job(client: 0, readyAt: 0.5, downloadBytes: 2000, uploadBytes: 1000), JobTiming(start: 0.5, end: 8.5))
        XCTAssertNil(model.job(client: 0, readyAt: 20.5, downloadBytes: 2000, uploadBytes: 1000))
    }

    func testJobOfAnAlwaysOnlineClientWithFedFixSpeeds() throws {
        let model = try SystemModel(compute: .linear(heterogeneity: 80, slowest: 10), clients: 5, seed: 1)
        // tau_3 = 10 * (1 - 3 * 0.2) = 4
        let job = try XCTUnwrap(model.job(client: 3, readyAt: 7, downloadBytes: 100, uploadBytes: 100))
        XCTAssertEqual(job.start, 7)
        XCTAssertEqual(job.end, 11, accuracy: 1e-12)
    }

    // MARK: validation

    private func assertRejected(
        _ expected: SystemModelError, compute: ComputeProfile = .constant(seconds: 1), link: LinkProfile = LinkProfile(),
        availability: AvailabilityProfile = .always, clients: Int = 2, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(
            try SystemModel(compute: compute, link: link, availability: availability, clients: clients, seed: 0),
            file: file, line: line
        ) { error in
            XCTAssertEqual(error as? SystemModelError, expected, file: file, line: line)
        }
    }

    func testRejectsANonPositiveClientCount() {
        assertRejected(.clientCount(0), clients: 0)
        XCTAssertEqual(SystemModelError.clientCount(0).description, "the number of clients must be positive, got 0")
    }

    func testRejectsComputeParametersOutOfRange() {
        let positive = "finite and > 0"
        assertRejected(
            .outOfRange(parameter: "compute constant seconds", value: 0, allowed: positive), compute: .constant(seconds: 0))
        assertRejected(
            .outOfRange(parameter: "compute constant seconds", value: .infinity, allowed: positive),
            compute: .constant(seconds: .infinity))
        assertRejected(
            .outOfRange(parameter: "compute linear heterogeneity", value: 100, allowed: "in [0, 100)"),
            compute: .linear(heterogeneity: 100, slowest: 1))
        assertRejected(
            .outOfRange(parameter: "compute linear heterogeneity", value: -5, allowed: "in [0, 100)"),
            compute: .linear(heterogeneity: -5, slowest: 1))
        assertRejected(
            .outOfRange(parameter: "compute linear slowest", value: -1, allowed: positive),
            compute: .linear(heterogeneity: 50, slowest: -1))
        assertRejected(
            .outOfRange(parameter: "compute exponential mean", value: 0, allowed: positive),
            compute: .exponential(mean: 0))
        assertRejected(
            .outOfRange(parameter: "compute lognormal sigma", value: -0.1, allowed: "finite and >= 0"),
            compute: .lognormal(mu: 0, sigma: -0.1))
        assertRejected(
            .outOfRange(parameter: "compute lognormal mu", value: -.infinity, allowed: "finite"),
            compute: .lognormal(mu: -.infinity, sigma: 1))
        assertRejected(
            .outOfRange(parameter: "compute time drawn for client 0", value: .infinity, allowed: positive),
            compute: .lognormal(mu: 800, sigma: 0))
        assertRejected(.traceLength(profile: "compute", count: 3, clients: 2), compute: .trace([1, 2, 3]))
        assertRejected(
            .outOfRange(parameter: "compute trace value of client 1", value: -2, allowed: positive),
            compute: .trace([1, -2]))
    }

    func testRejectsNotANumberWithADescriptionNamingTheParameter() {
        XCTAssertThrowsError(try SystemModel(compute: .exponential(mean: .nan), clients: 1, seed: 0)) { error in
            XCTAssertEqual("\(error)", "compute exponential mean must be finite and > 0, got nan")
        }
    }

    func testRejectsLinkParametersOutOfRange() {
        assertRejected(
            .outOfRange(parameter: "link latency", value: -1, allowed: "finite and >= 0"), link: LinkProfile(latency: -1))
        assertRejected(
            .outOfRange(parameter: "link download bytes per second", value: 0, allowed: "finite and > 0"),
            link: LinkProfile(downloadBytesPerSecond: 0))
        assertRejected(
            .outOfRange(parameter: "link upload bytes per second", value: -5, allowed: "finite and > 0"),
            link: LinkProfile(uploadBytesPerSecond: -5))
        assertRejected(
            .outOfRange(parameter: "link bandwidth heterogeneity", value: -0.1, allowed: "finite and >= 0"),
            link: LinkProfile(bandwidthHeterogeneity: -0.1))
    }

    func testRejectsAvailabilityParametersOutOfRange() {
        assertRejected(
            .outOfRange(parameter: "availability probability p", value: 0, allowed: "in (0, 1]"),
            availability: .probability(p: 0, period: 1))
        assertRejected(
            .outOfRange(parameter: "availability probability p", value: 1.5, allowed: "in (0, 1]"),
            availability: .probability(p: 1.5, period: 1))
        assertRejected(
            .outOfRange(parameter: "availability probability period", value: 0, allowed: "finite and > 0"),
            availability: .probability(p: 0.5, period: 0))
        assertRejected(
            .outOfRange(parameter: "availability mean online seconds", value: 0, allowed: "finite and > 0"),
            availability: .onOff(meanOnline: 0, meanOffline: 1))
        assertRejected(
            .outOfRange(parameter: "availability mean offline seconds", value: -1, allowed: "finite and > 0"),
            availability: .onOff(meanOnline: 1, meanOffline: -1))
    }

    func testRejectsMalformedAvailabilityTraces() {
        assertRejected(.traceLength(profile: "availability", count: 1, clients: 2), availability: .trace([[0...1]]))
        assertRejected(
            .outOfRange(
                parameter: "availability trace of client 1: start of interval 0", value: -1, allowed: "finite and >= 0"),
            availability: .trace([[], [-1...1]]))
        assertRejected(.emptyInterval(client: 0, index: 1), availability: .trace([[0...1, 3...3], []]))
        assertRejected(.unsortedIntervals(client: 1, index: 1), availability: .trace([[], [5...6, 1...2]]))
        assertRejected(.overlappingIntervals(client: 0, index: 1), availability: .trace([[0...4, 3...6], []]))
        XCTAssertEqual(
            SystemModelError.overlappingIntervals(client: 0, index: 1).description,
            "availability trace of client 0: interval 1 starts before interval 0 ends; merge overlapping intervals")
        XCTAssertEqual(
            SystemModelError.traceLength(profile: "availability", count: 1, clients: 2).description,
            "the availability trace has 1 entries but there are 2 clients; give one per client")
    }
}
