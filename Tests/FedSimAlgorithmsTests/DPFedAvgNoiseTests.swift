@testable import FedSimAlgorithms
import FedSimCore
import XCTest

final class DPFedAvgNoiseTests: XCTestCase {
    private func norm(_ vector: [Float]) -> Double {
        vector.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    func testClipScalesLongUpdatesToCAndLeavesShortOnes() throws {
        let noise = try DPFedAvgNoise(clipNorm: 1, noiseMultiplier: 1)
        var long: [Float] = [3, 4]
        XCTAssertEqual(noise.clip(&long), 5, accuracy: 1e-12)
        XCTAssertEqual(long[0], 0.6, accuracy: 1e-7)
        XCTAssertEqual(long[1], 0.8, accuracy: 1e-7)
        var short: [Float] = [0.3, -0.4]
        XCTAssertEqual(noise.clip(&short), 0.5, accuracy: 1e-7)
        XCTAssertEqual(short, [0.3, -0.4])
    }

    /// The noisy sum minus the clipped sum is the noise; over many rounds its mean is 0
    /// and its standard deviation sigma * C.
    func testNoisySumAddsGaussianNoiseWithDeviationSigmaC() throws {
        let noise = try DPFedAvgNoise(clipNorm: 0.5, noiseMultiplier: 1.7)
        let updates: [[Float]] = [[3, 0, 4, 0], [0.1, 0.1, -0.1, 0], [0, -10, 0, 0]]
        // Clipped: [0.3, 0, 0.4, 0], unchanged, [0, -0.5, 0, 0].
        let clippedSum: [Double] = [0.4, -0.4, 0.3, 0]
        var samples: [Double] = []
        for round in 0..<20_000 {
            var rng = RandomStream(seed: 9, purpose: .noise, counter: round)
            let sum = noise.noisySum(updates, rng: &rng)
            for (value, clipped) in zip(sum, clippedSum) { samples.append(Double(value) - clipped) }
        }
        let deviation = 1.7 * 0.5
        let mean = samples.reduce(0, +) / Double(samples.count)
        let variance = samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(samples.count - 1)
        XCTAssertEqual(mean, 0, accuracy: 4 * deviation / Double(samples.count).squareRoot())
        XCTAssertEqual(variance.squareRoot(), deviation,
                       accuracy: 4 * deviation / (2 * Double(samples.count)).squareRoot())
    }

    func testNoisySumIsReproducibleAndLeavesInputsAlone() throws {
        let noise = try DPFedAvgNoise(clipNorm: 1, noiseMultiplier: 0.5)
        let updates: [[Float]] = [[2, 2], [0.5, -0.5]]
        var first = RandomStream(seed: 1, purpose: .noise, counter: 4)
        var second = RandomStream(seed: 1, purpose: .noise, counter: 4)
        XCTAssertEqual(noise.noisySum(updates, rng: &first), noise.noisySum(updates, rng: &second))
        XCTAssertEqual(updates, [[2, 2], [0.5, -0.5]])
    }

    func testRejectsBadParameters() {
        XCTAssertThrowsError(try DPFedAvgNoise(clipNorm: 0, noiseMultiplier: 1))
        XCTAssertThrowsError(try DPFedAvgNoise(clipNorm: 1, noiseMultiplier: 0)) {
            XCTAssertEqual($0 as? PrivacyError,
                           .outOfRange(parameter: "noise multiplier sigma", value: 0, allowed: "finite and > 0"))
        }
        XCTAssertThrowsError(try DPFedAvgNoise(clipNorm: .nan, noiseMultiplier: 1))
    }
}
