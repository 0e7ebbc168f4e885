import FedSimAlgorithms
import FedSimCore
import XCTest

/// Worked examples for every attack, and the line search of the "optimal" attacks.
final class AttackTests: XCTestCase {
    var stream = RandomStream(seed: 5, purpose: .attack)

    func testSignFlipAndInnerProductManipulation() throws {
        // Honest mean of (1, 2) and (3, 4): (2, 3).
        let honest: [[Float]] = [[1, 2], [3, 4]]
        XCTAssertEqual(try SignFlip().byzantineVector(honest: honest, byzantineCount: 2, stream: &stream), [-2, -3])
        // -tau * mean with tau = 2: (-4, -6).
        XCTAssertEqual(try InnerProductManipulation().byzantineVector(honest: honest, byzantineCount: 2, stream: &stream),
                       [-4, -6])
        XCTAssertEqual(try InnerProductManipulation(tau: 0.5).byzantineVectors(honest: honest, byzantineCount: 3, stream: &stream),
                       Array(repeating: [-1, -1.5], count: 3))
    }

    func testALittleIsEnoughUsesTheSampleStandardDeviation() throws {
        // 1, 3, 5: mean 3, std with n - 1 = sqrt((4 + 0 + 4) / 2) = 2; 3 + 1.5 * 2 = 6.
        // Second coordinate all 7: std 0, so 7.
        let honest: [[Float]] = [[1, 7], [3, 7], [5, 7]]
        XCTAssertEqual(try ALittleIsEnough().byzantineVector(honest: honest, byzantineCount: 1, stream: &stream), [6, 7])
        XCTAssertEqual(try ALittleIsEnough(tau: -1).byzantineVector(honest: honest, byzantineCount: 1, stream: &stream), [1, 7])
        XCTAssertThrowsError(try ALittleIsEnough().byzantineVector(honest: [[1, 2]], byzantineCount: 1, stream: &stream))
    }

    func testGaussianDrawsFromTheStream() throws {
        let honest = [[Float](repeating: 0, count: 20_000)]
        let attack = GaussianAttack(mean: 3, standardDeviation: 2)
        var first = RandomStream(seed: 1, purpose: .attack, counter: 4)
        var second = RandomStream(seed: 1, purpose: .attack, counter: 4)
        let vector = try attack.byzantineVector(honest: honest, byzantineCount: 1, stream: &first)
        XCTAssertEqual(vector, try attack.byzantineVector(honest: honest, byzantineCount: 1, stream: &second))
        // Sample mean within 4 standard errors (4 * 2 / sqrt(20000) ~ 0.057) of 3; sample
        // variance within 5% of 4.
        let mean = vector.reduce(0.0) { $0 + Double($1) } / Double(vector.count)
        let variance = vector.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(vector.count - 1)
        XCTAssertEqual(mean, 3, accuracy: 0.057)
        XCTAssertEqual(variance, 4, accuracy: 0.2)
        XCTAssertThrowsError(try GaussianAttack(standardDeviation: -1).byzantineVector(honest: honest, byzantineCount: 1, stream: &first))
    }

    func testMimicCopiesOneHonestClient() throws {
        let honest: [[Float]] = [[1, 2], [3, 4], [5, 6]]
        XCTAssertEqual(try Mimic().byzantineVector(honest: honest, byzantineCount: 2, stream: &stream), [1, 2])
        XCTAssertEqual(try Mimic(client: 2).byzantineVector(honest: honest, byzantineCount: 2, stream: &stream), [5, 6])
        XCTAssertThrowsError(try Mimic(client: 3).byzantineVector(honest: honest, byzantineCount: 2, stream: &stream)) {
            XCTAssertEqual("\($0)", "mimic: client must index one of the 3 honest updates, got 3")
        }
    }

    func testAttacksRejectNonFiniteHonestUpdatesNamingTheAttack() {
        XCTAssertThrowsError(try SignFlip().byzantineVector(honest: [[1, 2], [.infinity, 0]], byzantineCount: 1, stream: &stream)) {
            XCTAssertEqual($0 as? RobustAggregationError, .nonFinite(rule: "sign_flip", row: 1, column: 0, value: .infinity))
        }
    }

    func testLabelFlipMapsYToCMinus1MinusY() {
        XCTAssertEqual([0, 3, 9].map { LabelFlip.flipped(Int32($0), classCount: 10) }, [9, 6, 0])
        let dataset = Dataset(features: [1, 2, 3], labels: [0, 1, 2], featureCount: 1, classCount: 3)
        let flipped = LabelFlip.flipped(dataset)
        XCTAssertEqual(flipped.labels, [2, 1, 0])
        XCTAssertEqual(flipped.features, dataset.features)
    }

    func testLineSearchAgainstTheAverageKeepsDoubling() throws {
        // Against the plain average with n honest and f attackers at -tau * mean, the
        // aggregate's distance from the mean is |mean| f (1 + tau) / (n + f): it grows
        // with tau, so every expansion step improves: tau = 0, 1, 3, 7, ..., and after
        // 16 evaluations tau = 2^15 - 1 = 32767.
        let honest = try RobustInputs([[1, 2], [3, 2]])
        let attack = LineMaximizedAttack(.innerProductManipulation, against: RobustAggregator(rule: Average()))
        let result = try attack.search(honest: honest, byzantineCount: 2, stream: stream)
        XCTAssertEqual(result.factor, 32767)
        // mean (2, 2), |mean| = 2 sqrt(2); distance 2 sqrt(2) * 2 * 32768 / 4.
        XCTAssertEqual(result.distance, 2 * 2.0.squareRoot() * 2 * 32768 / 4, accuracy: 1e-2)
        XCTAssertEqual(result.vector, [-65534, -65534])
        // One evaluation: only the start.
        let single = LineMaximizedAttack(.aLittleIsEnough, against: RobustAggregator(rule: Average()), evaluations: 1, start: 0.5)
        XCTAssertEqual(try single.search(honest: honest, byzantineCount: 1, stream: stream).factor, 0.5)
    }

    func testLineSearchKeepsTheStartWhenNoFactorDoesBetter() throws {
        // Honest 0, 2, 4, 10 (mean 4) against the median of 5 with one attacker at
        // -4 tau: at tau = 0 the inputs 0, 0, 2, 4, 10 have median 2, and any tau > 0
        // puts the attacker below 0, leaving the median at 2. Distance 2 throughout, so
        // no try improves and tau stays 0.
        let honest = try RobustInputs([[0], [2], [4], [10]])
        let attack = LineMaximizedAttack(.innerProductManipulation, against: RobustAggregator(rule: CoordinateWiseMedian()))
        let result = try attack.search(honest: honest, byzantineCount: 1, stream: stream)
        XCTAssertEqual(result.factor, 0)
        XCTAssertEqual(result.distance, 2)
        XCTAssertEqual(result.vector, [-0.0])
    }

    func testLineSearchFindsAnInteriorMaximumAgainstTrimmedMean() throws {
        // Honest 0, 1, 2, 3, 4 (mean 2, std sqrt(2.5)) and two ALIE attackers at
        // a = 2 + tau sqrt(2.5), trimmed mean with f = 2 over 7 values: the middle three.
        // They are 2, a, a for 2 <= a <= 3 (mean (2 + 2a) / 3), then 2, 3, a up to a = 4
        // (mean (5 + a) / 3), then 2, 3, 4 (mean 3). The largest distance from the mean 2,
        // 3 - 2 = 1, is reached from a = 4 (tau = 2 / sqrt(2.5) ~ 1.265) on; the search
        // must find a factor at least that.
        let honest = try RobustInputs([[0], [1], [2], [3], [4]])
        let attack = LineMaximizedAttack(.aLittleIsEnough, against: RobustAggregator(rule: TrimmedMean(f: 2)))
        let result = try attack.search(honest: honest, byzantineCount: 2, stream: stream)
        XCTAssertEqual(result.distance, 1, accuracy: 1e-6)
        XCTAssertGreaterThanOrEqual(result.factor, 2 / 2.5.squareRoot() - 1e-6)
    }

    func testLineSearchLeavesAStatefulAggregatorUntouched() throws {
        let attack = LineMaximizedAttack(.aLittleIsEnough, against: RobustAggregator(rule: CenteredClipping(tau: 1)))
        _ = try attack.byzantineVector(honest: [[1], [2], [3]], byzantineCount: 1, stream: &stream)
        XCTAssertNil(try XCTUnwrap(attack.aggregator.rule as? CenteredClipping).center)
        XCTAssertEqual(attack.name, "optimal_alie")
        XCTAssertThrowsError(try LineMaximizedAttack(.aLittleIsEnough, against: RobustAggregator(rule: Average()), ratio: 1)
            .byzantineVector(honest: [[1], [2]], byzantineCount: 1, stream: &stream))
    }
}
