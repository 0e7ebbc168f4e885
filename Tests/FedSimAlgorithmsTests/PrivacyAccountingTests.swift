@testable import FedSimAlgorithms
import FedSimCore
import Foundation
import XCTest

/// The RDP accountant, conversion, calibration and the noise-floor warning against
/// ALGORITHMS.md section 3's reference values and independent computations.
final class PrivacyAccountingTests: XCTestCase {
    private func epsilon(q: Double, sigma: Double, steps: Int, delta: Double) throws -> PrivacySpent {
        var budget = try RenyiBudget()
        try budget.compose(samplingRate: q, noiseMultiplier: sigma, steps: steps)
        return try budget.spent(delta: delta)
    }

    func testDefaultOrdersAreOpacusList() {
        let orders = SubsampledGaussian.defaultOrders
        XCTAssertEqual(orders.count, 151)
        XCTAssertEqual(orders.first, 1.1)
        XCTAssertEqual(orders[98], 10.9)
        XCTAssertEqual(orders[99], 12)
        XCTAssertEqual(orders.last, 63)
    }

    func testReferenceValueSubsampled() throws {
        // ALGORITHMS.md: q = 0.01, sigma = 1.1, T = 10000, delta = 1e-5 -> eps 5.632 at order 4.7.
        let spent = try epsilon(q: 0.01, sigma: 1.1, steps: 10_000, delta: 1e-5)
        XCTAssertEqual(spent.epsilon, 5.632, accuracy: 1e-3 * 5.632)
        XCTAssertEqual(spent.order, 4.7, accuracy: 1e-12)
    }

    func testReferenceValueFullBatch() throws {
        // q = 1 is the plain Gaussian: RDP(alpha) = alpha / (2 sigma^2); 100 steps at sigma 5 give 2 alpha.
        let spent = try epsilon(q: 1, sigma: 5, steps: 100, delta: 1e-5)
        XCTAssertEqual(spent.epsilon, 10.7255, accuracy: 1e-3 * 10.7255)
        XCTAssertEqual(spent.order, 3.3, accuracy: 1e-12)
    }

    /// RDP = log(A_alpha) / (alpha - 1) with A_alpha = integral of mu0^(1-alpha) mu^alpha,
    /// mu0 = N(0, sigma^2), mu = (1-q) mu0 + q N(1, sigma^2), integrated numerically at 40
    /// digits (mpmath quad): independent of the binomial and erfc series.
    func testOneStepRDPMatchesNumericalIntegrationOfTheDefinition() throws {
        let cases: [(q: Double, sigma: Double, order: Double, rdp: Double)] = [
            (0.01, 1.1, 4.7, 0.000317788071821936),
            (0.01, 1.1, 4, 0.00026671831462705),
            (0.1, 0.8, 2.5, 0.0580875710837514),
            (0.5, 2.0, 10.9, 0.700127465461044),
            (0.2, 0.7, 1.5, 0.127766561974359),
        ]
        for item in cases {
            let rdp = try SubsampledGaussian.rdp(samplingRate: item.q, noiseMultiplier: item.sigma, orders: [item.order])
            XCTAssertEqual(rdp[0], item.rdp, accuracy: 1e-6 * item.rdp, "q \(item.q), sigma \(item.sigma), order \(item.order)")
        }
    }

    func testNoiseTooSmallForADoubleGivesNoPrivacy() throws {
        // sigma^2 underflows to 0: no noise at all, so infinite RDP and epsilon, never -inf.
        for q in [0.01, 1] {
            let rdp = try SubsampledGaussian.rdp(samplingRate: q, noiseMultiplier: 1e-200, orders: [1.1, 2, 63])
            XCTAssertEqual(rdp, [.infinity, .infinity, .infinity], "q \(q)")
            XCTAssertEqual(try epsilon(q: q, sigma: 1e-200, steps: 100, delta: 1e-5).epsilon, .infinity)
        }
        XCTAssert(try epsilon(q: 0.01, sigma: 1e-150, steps: 100, delta: 1e-5).epsilon > 1e6, "just above the underflow")
    }

    func testFractionalSeriesIsContinuousWithTheIntegerSum() throws {
        // Orders just beside an integer go through the erfc series, the integer itself
        // through the binomial sum; the curve is smooth, so they must nearly agree.
        let rdp = try SubsampledGaussian.rdp(samplingRate: 0.05, noiseMultiplier: 0.9, orders: [5 - 1e-7, 5, 5 + 1e-7])
        XCTAssertEqual(rdp[0], rdp[1], accuracy: 1e-6 * rdp[1])
        XCTAssertEqual(rdp[2], rdp[1], accuracy: 1e-6 * rdp[1])
    }

    func testStepsComposeAdditively() throws {
        var budget = try RenyiBudget()
        try budget.compose(samplingRate: 0.02, noiseMultiplier: 1.3, steps: 300)
        try budget.compose(samplingRate: 0.02, noiseMultiplier: 1.3, steps: 700)
        var once = try RenyiBudget()
        try once.compose(samplingRate: 0.02, noiseMultiplier: 1.3, steps: 1000)
        for (split, whole) in zip(budget.rdp, once.rdp) { XCTAssertEqual(split, whole, accuracy: 1e-12 * whole) }
        XCTAssertEqual(try budget.spent(delta: 1e-5).epsilon, try once.spent(delta: 1e-5).epsilon, accuracy: 1e-12)
    }

    func testEpsilonGrowsWithStepsAndFallsWithNoise() throws {
        let base = try epsilon(q: 0.01, sigma: 1.1, steps: 10_000, delta: 1e-5).epsilon
        XCTAssertGreaterThan(try epsilon(q: 0.01, sigma: 1.1, steps: 20_000, delta: 1e-5).epsilon, base)
        XCTAssertLessThan(try epsilon(q: 0.01, sigma: 1.5, steps: 10_000, delta: 1e-5).epsilon, base)
        XCTAssertLessThan(try epsilon(q: 0.005, sigma: 1.1, steps: 10_000, delta: 1e-5).epsilon, base)
        XCTAssertLessThan(try epsilon(q: 0.01, sigma: 1.1, steps: 10_000, delta: 1e-3).epsilon, base)
    }

    func testSmallSamplingRatesAndLargeNoiseStayFinite() throws {
        let tiny = try epsilon(q: 1e-6, sigma: 0.5, steps: 1000, delta: 1e-5)
        XCTAssertTrue(tiny.epsilon.isFinite)
        let quiet = try epsilon(q: 0.3, sigma: 50, steps: 10, delta: 1e-5)
        XCTAssertTrue(quiet.epsilon.isFinite && quiet.epsilon > 0)
        let loud = try epsilon(q: 0.9, sigma: 0.3, steps: 1000, delta: 1e-5)
        XCTAssertTrue(loud.epsilon.isFinite && loud.epsilon > 100)
    }

    func testBadParametersThrowClearErrors() {
        var budget = try! RenyiBudget()
        XCTAssertThrowsError(try budget.compose(samplingRate: 0, noiseMultiplier: 1, steps: 1)) {
            XCTAssertEqual("\($0)", "sampling rate q must be in (0, 1], got 0")
        }
        XCTAssertThrowsError(try budget.compose(samplingRate: 1.01, noiseMultiplier: 1, steps: 1))
        XCTAssertThrowsError(try budget.compose(samplingRate: 0.1, noiseMultiplier: 0, steps: 1)) {
            XCTAssertEqual("\($0)", "noise multiplier sigma must be finite and > 0, got 0")
        }
        XCTAssertThrowsError(try budget.compose(samplingRate: 0.1, noiseMultiplier: -2, steps: 1))
        XCTAssertThrowsError(try budget.compose(samplingRate: 0.1, noiseMultiplier: 1, steps: -1))
        XCTAssertThrowsError(try budget.spent(delta: 1)) {
            XCTAssertEqual("\($0)", "delta must be in (0, 1), got 1")
        }
        XCTAssertThrowsError(try budget.spent(delta: 0))
        XCTAssertThrowsError(try RenyiBudget(orders: [1, 2]))
        XCTAssertThrowsError(try RenyiBudget(orders: []))
    }

    // MARK: Per-client accounting

    func testAccountantTracksEachClientsOwnTasks() throws {
        var accountant = try PrivacyAccountant()
        XCTAssertNil(try accountant.worst(delta: 1e-5))
        // Client 3 takes part in two rounds with q = 0.01, client 1 in one round with q = 0.02.
        try accountant.record(client: 3, samplingRate: 0.01, noiseMultiplier: 1.1, steps: 4000)
        try accountant.record(client: 1, samplingRate: 0.02, noiseMultiplier: 1.1, steps: 100)
        try accountant.record(client: 3, samplingRate: 0.01, noiseMultiplier: 1.1, steps: 6000)
        XCTAssertEqual(accountant.clients, [1, 3])
        let client3 = try XCTUnwrap(try accountant.spent(client: 3, delta: 1e-5))
        let alone3 = try epsilon(q: 0.01, sigma: 1.1, steps: 10_000, delta: 1e-5)
        XCTAssertEqual(client3.epsilon, alone3.epsilon, accuracy: 1e-12 * alone3.epsilon)
        XCTAssertEqual(client3.order, alone3.order)
        XCTAssertEqual(try accountant.spent(client: 1, delta: 1e-5),
                       try epsilon(q: 0.02, sigma: 1.1, steps: 100, delta: 1e-5))
        XCTAssertNil(try accountant.spent(client: 2, delta: 1e-5))
        let worst = try XCTUnwrap(try accountant.worst(delta: 1e-5))
        XCTAssertEqual(worst.client, 3)
        XCTAssertEqual(worst.spent.epsilon, 5.632, accuracy: 1e-3 * 5.632)
        XCTAssertThrowsError(try accountant.record(client: 1, samplingRate: 2, noiseMultiplier: 1, steps: 1))
    }

    func testAccountantRecordsATrainingResult() throws {
        var accountant = try PrivacyAccountant()
        let privacy = try DPSGDConfig(samplingRate: 0.25, clipNorm: 1, noiseMultiplier: 2)
        let result = LocalTrainingResult(delta: [0], meanLoss: 0, steps: 8, samples: 40)
        try accountant.record(client: 0, privacy, result)
        try accountant.record(client: 0, privacy, result)
        XCTAssertEqual(try accountant.spent(client: 0, delta: 1e-6),
                       try epsilon(q: 0.25, sigma: 2, steps: 16, delta: 1e-6))
    }

    // MARK: Calibration

    func testCalibrationInvertsTheReferenceValue() throws {
        let sigma = try NoiseCalibration.noiseMultiplier(targetEpsilon: 5.632, delta: 1e-5, samplingRate: 0.01,
                                                         steps: 10_000)
        XCTAssertEqual(sigma, 1.1, accuracy: 1e-3 * 1.1)
        XCTAssertLessThanOrEqual(try epsilon(q: 0.01, sigma: sigma, steps: 10_000, delta: 1e-5).epsilon, 5.632)
        XCTAssertGreaterThan(try epsilon(q: 0.01, sigma: sigma * (1 - 1e-6), steps: 10_000, delta: 1e-5).epsilon, 5.632)
    }

    func testCalibrationFullBatchAndLargeNoise() throws {
        let sigma = try NoiseCalibration.noiseMultiplier(targetEpsilon: 10.7255, delta: 1e-5, samplingRate: 1, steps: 100)
        XCTAssertEqual(sigma, 5, accuracy: 1e-3 * 5)
        // A strict target needs a sigma far above the doubling's start.
        let strict = try NoiseCalibration.noiseMultiplier(targetEpsilon: 0.5, delta: 1e-5, samplingRate: 1, steps: 1000)
        XCTAssertGreaterThan(strict, 64)
        XCTAssertLessThanOrEqual(try epsilon(q: 1, sigma: strict, steps: 1000, delta: 1e-5).epsilon, 0.5)
    }

    func testUnreachableAndInvalidTargets() {
        // With the default orders epsilon never drops below 0.10287 at delta 1e-5 (order 63, RDP 0).
        XCTAssertThrowsError(try NoiseCalibration.noiseMultiplier(targetEpsilon: 0.1, delta: 1e-5, samplingRate: 0.01,
                                                                  steps: 10)) { error in
            guard case let .unreachableTarget(epsilon, delta, floor) = error as? PrivacyError else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(epsilon, 0.1)
            XCTAssertEqual(delta, 1e-5)
            XCTAssertEqual(floor, 0.10286725121127971, accuracy: 1e-9)
            XCTAssertTrue("\(error)".contains("unreachable"))
        }
        XCTAssertThrowsError(try NoiseCalibration.noiseMultiplier(targetEpsilon: 0, delta: 1e-5, samplingRate: 0.01, steps: 10))
        XCTAssertThrowsError(try NoiseCalibration.noiseMultiplier(targetEpsilon: 1, delta: 1.5, samplingRate: 0.01, steps: 10))
        XCTAssertThrowsError(try NoiseCalibration.noiseMultiplier(targetEpsilon: 1, delta: 1e-5, samplingRate: 0, steps: 10))
        XCTAssertThrowsError(try NoiseCalibration.noiseMultiplier(targetEpsilon: 1, delta: 1e-5, samplingRate: 0.1, steps: 0))
    }

    // MARK: Noise floor

    func testNoiseFloorWarning() throws {
        // M = 10000: 1 / sqrt(2 ln 10000) = 1 / sqrt(18.420681) = 0.232995.
        XCTAssertEqual(try XCTUnwrap(NoiseFloor.minimumNoiseMultiplier(updates: 10_000)), 0.232995, accuracy: 1e-6)
        XCTAssertNil(NoiseFloor.minimumNoiseMultiplier(updates: 1))
        XCTAssertNil(NoiseFloor.warning(noiseMultiplier: 0.25, updates: 10_000))
        let warning = try XCTUnwrap(NoiseFloor.warning(noiseMultiplier: 0.2, updates: 10_000))
        XCTAssertTrue(warning.contains("0.2330"), warning)
    }
}
