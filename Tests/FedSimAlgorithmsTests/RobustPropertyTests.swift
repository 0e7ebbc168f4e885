import FedSimAlgorithms
import FedSimCore
import XCTest

/// Properties every rule should have, and the errors bad inputs and parameters raise.
final class RobustPropertyTests: XCTestCase {
    /// `count` vectors of `dimension` standard normal coordinates.
    func gaussianVectors(_ count: Int, _ dimension: Int, seed: UInt64) -> [[Float]] {
        var stream = RandomStream(seed: seed, purpose: .attack)
        return (0..<count).map { _ in (0..<dimension).map { _ in Float(stream.normal()) } }
    }

    /// One instance of every rule, each with f = 2 where it takes f.
    var allRules: [any RobustRule] {
        [Average(), CoordinateWiseMedian(), TrimmedMean(f: 2), GeometricMedian(), Krum(f: 2), MultiKrum(f: 2),
         CenteredClipping(), MDA(f: 2), Meamed(f: 2), FlagAggregator(rank: 2, lambda: 0.5)]
    }

    func aggregate(_ rule: any RobustRule, _ vectors: [[Float]]) throws -> [Float] {
        var copy = rule
        var stream = RandomStream(seed: 11, purpose: .aggregation)
        return try copy.aggregate(vectors, stream: &stream).aggregate
    }

    func testEveryRuleIgnoresTheOrderOfItsInputs() throws {
        let vectors = gaussianVectors(7, 5, seed: 1)
        let order = [3, 6, 0, 5, 1, 4, 2]
        for rule in allRules {
            assertClose(try aggregate(rule, order.map { vectors[$0] }), try aggregate(rule, vectors), accuracy: 1e-4)
        }
        var stream = RandomStream(seed: 0, purpose: .aggregation)
        for pre: any PreAggregator in [NearestNeighborMixing(f: 2), StaticClipping(threshold: 1.5), AdaptiveRobustClipping(f: 2)] {
            let shuffled = try pre.apply(order.map { vectors[$0] }, stream: &stream)
            let original = try pre.apply(vectors, stream: &stream)
            for (position, index) in order.enumerated() {
                assertClose(shuffled[position], original[index], accuracy: 1e-5)
            }
        }
    }

    func testEveryRuleButTheFlagAggregatorReturnsACommonInput() throws {
        let common: [Float] = [0.5, -2, 3.25, 7]
        let vectors = Array(repeating: common, count: 7)
        for rule in allRules where !(rule is FlagAggregator) {
            assertClose(try aggregate(rule, vectors), common, accuracy: 1e-6)
        }
        // The Flag Aggregator returns (n / r) times the common direction instead: with
        // r = 2 and n = 7, 3.5 * common / ||common||.
        let norm = common.reduce(0) { $0 + $1 * $1 }.squareRoot()
        assertClose(try aggregate(FlagAggregator(rank: 2), vectors), common.map { 3.5 * $0 / norm }, accuracy: 1e-4)
    }

    func testEveryRuleMapsAllZeroInputsToZero() throws {
        // The Flag Aggregator normalizes inputs: zero vectors must stay zero, not NaN.
        let zeros = Array(repeating: [Float](repeating: 0, count: 3), count: 7)
        for rule in allRules {
            XCTAssertEqual(try aggregate(rule, zeros), [0, 0, 0], rule.name)
        }
    }

    func testRobustRulesStayBoundedWhenFInputsMoveToAMillion() throws {
        // 8 honest standard normal vectors and f = 2 at 1e6 in every coordinate.
        let honest = gaussianVectors(8, 10, seed: 2)
        let vectors = honest + Array(repeating: Array(repeating: 1e6, count: 10), count: 2)
        let largestHonest = honest.flatMap { $0 }.map { abs($0) }.max()!
        let bounded: [any RobustRule] = [
            CoordinateWiseMedian(), TrimmedMean(f: 2), GeometricMedian(), Krum(f: 2), MultiKrum(f: 2), MDA(f: 2), Meamed(f: 2),
        ]
        for rule in bounded {
            let result = try aggregate(rule, vectors)
            XCTAssertLessThanOrEqual(result.map { abs($0) }.max()!, largestHonest + 1, "\(rule.name): \(result)")
        }
        // The plain average is dragged to 2e5: the check above can fail.
        XCTAssertGreaterThan(try aggregate(Average(), vectors).map { abs($0) }.min()!, 1e5)
    }

    func testFlagAggregatorOutputLiesInTheSpanOfItsInputs() throws {
        let vectors = gaussianVectors(5, 30, seed: 3)
        for rule in [FlagAggregator(), FlagAggregator(rank: 2, lambda: 1), FlagAggregator(rank: 3, iterations: 10)] {
            let output = try aggregate(rule, vectors).map(Double.init)
            // Orthonormal basis of the span (Gram-Schmidt in Double), then the residual.
            var basis: [[Double]] = []
            for vector in vectors.map({ $0.map(Double.init) }) {
                var v = vector
                for b in basis {
                    let projection = zip(v, b).reduce(0) { $0 + $1.0 * $1.1 }
                    v = zip(v, b).map { $0 - projection * $1 }
                }
                let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                basis.append(v.map { $0 / norm })
            }
            var residual = output
            for b in basis {
                let projection = zip(residual, b).reduce(0) { $0 + $1.0 * $1.1 }
                residual = zip(residual, b).map { $0 - projection * $1 }
            }
            let outputNorm = output.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let residualNorm = residual.reduce(0) { $0 + $1 * $1 }.squareRoot()
            XCTAssertGreaterThan(outputNorm, 0.1)
            XCTAssertLessThan(residualNorm, 1e-4 * outputNorm, "rank \(rule.rank), lambda \(rule.lambda)")
        }
    }

    func testFlagAggregatorFollowsTheMajorityDirection() throws {
        // 8 inputs near e_0 and 2 near e_1 (d = 50, noise of norm about 0.01 * sqrt(50) =
        // 0.07): the rank-1 subspace is about e_0, and the output about
        // sum_i cos(x_i, e_0) e_0 = 8 / sqrt(1 + 0.005) e_0 ~ 7.98 e_0.
        let noise = gaussianVectors(10, 50, seed: 4)
        let vectors = (0..<10).map { i -> [Float] in
            var v = noise[i].map { 0.01 * $0 }
            v[i < 8 ? 0 : 1] += 1
            return v
        }
        let output = try aggregate(FlagAggregator(), vectors)
        XCTAssertEqual(output[0], 7.98, accuracy: 0.05)
        XCTAssertLessThan(abs(output[1]), 0.1)
    }

    func testFlagAggregatorIsDeterministicForAStream() throws {
        let vectors = gaussianVectors(6, 20, seed: 5)
        XCTAssertEqual(try aggregate(FlagAggregator(rank: 2), vectors), try aggregate(FlagAggregator(rank: 2), vectors))
    }

    // MARK: Bad inputs

    func error(_ body: () throws -> Any) -> RobustAggregationError? {
        do {
            _ = try body()
            XCTFail("no error thrown")
            return nil
        } catch let error as RobustAggregationError {
            return error
        } catch {
            XCTFail("unexpected error \(error)")
            return nil
        }
    }

    func testRaggedNonFiniteAndEmptyInputsAreRejectedWithRowAndColumn() {
        var rule = TrimmedMean(f: 1)
        XCTAssertEqual(error { try rule.aggregate([[1, 2], [3, 4], [5]]) },
                       .raggedInputs(rule: "trimmed_mean", row: 2, length: 1, expected: 2))
        XCTAssertEqual(error { try rule.aggregate([[1, 2], [3, .nan], [5, 6]]) }?.description,
                       "trimmed_mean: row 1, column 1 is nan; every coordinate must be finite")
        XCTAssertEqual(error { try rule.aggregate([[1, 2], [3, 4], [-.infinity, 6]]) },
                       .nonFinite(rule: "trimmed_mean", row: 2, column: 0, value: -.infinity))
        XCTAssertEqual(error { try rule.aggregate([]) }, .noInputs(rule: "trimmed_mean"))
        XCTAssertEqual(error { try rule.aggregate([[], []]) }, .noInputs(rule: "trimmed_mean"))
        var aggregator = RobustAggregator(rule: Krum(f: 1), preAggregators: [NearestNeighborMixing(f: 1)])
        var stream = RandomStream(seed: 0, purpose: .aggregation)
        XCTAssertEqual(error { try aggregator.aggregate([[1], [.nan]], stream: &stream) }?.description,
                       "nnm -> krum: row 1, column 0 is nan; every coordinate must be finite")
    }

    func testFTooLargeForNIsRejectedNamingTheRule() {
        let four: [[Float]] = [[1], [2], [3], [4]]
        XCTAssertEqual(error { try self.aggregate(TrimmedMean(f: 2), four) },
                       .tooManyFaulty(rule: "trimmed_mean", f: 2, inputs: 4, requirement: "the trimmed mean needs 2f < n"))
        XCTAssertEqual(error { try self.aggregate(Krum(f: 3), four) }?.description,
                       "krum: f = 3 is too large for 4 inputs; Krum scores n - f - 1 neighbours and needs at least one (f <= n - 2)")
        XCTAssertNotNil(error { try self.aggregate(Krum(f: 2, neighbours: .nMinusFMinus2), four) })
        XCTAssertNotNil(error { try self.aggregate(MultiKrum(f: 3), four) })
        XCTAssertNotNil(error { try self.aggregate(MDA(f: 4), four) })
        XCTAssertNotNil(error { try self.aggregate(Meamed(f: 4), four) })
        XCTAssertEqual(error { try self.aggregate(TrimmedMean(f: -1), four) },
                       .invalidParameter(rule: "trimmed_mean", parameter: "f", message: "must be >= 0, got -1"))
        var stream = RandomStream(seed: 0, purpose: .aggregation)
        XCTAssertNotNil(error { try NearestNeighborMixing(f: 4).apply(four, stream: &stream) })
        XCTAssertNotNil(error { try AdaptiveRobustClipping(f: 4).apply(four, stream: &stream) })
        // Bucketing leaves 2 inputs, too few for the trimmed mean's f = 1: the error says so.
        var bucketed = RobustAggregator(rule: TrimmedMean(f: 1), preAggregators: [Bucketing(bucketSize: 2)])
        XCTAssertEqual(error { try bucketed.aggregate(four, stream: &stream) },
                       .tooManyFaulty(rule: "trimmed_mean", f: 1, inputs: 2, requirement: "the trimmed mean needs 2f < n"))
    }

    func testInvalidParametersAreRejected() {
        let three: [[Float]] = [[1, 0], [0, 1], [1, 1]]
        XCTAssertNotNil(error { try self.aggregate(GeometricMedian(nu: 0), three) })
        XCTAssertNotNil(error { try self.aggregate(GeometricMedian(iterations: 0), three) })
        XCTAssertNotNil(error { try self.aggregate(GeometricMedian(tolerance: -1), three) })
        XCTAssertNotNil(error { try self.aggregate(CenteredClipping(tau: 0), three) })
        XCTAssertNotNil(error { try self.aggregate(CenteredClipping(iterations: 0), three) })
        XCTAssertEqual(error { try self.aggregate(FlagAggregator(rank: 3), three) },
                       .invalidParameter(rule: "flag", parameter: "rank", message: "must lie in 1...min(n, d) = 1...2, got 3"))
        XCTAssertNotNil(error { try self.aggregate(FlagAggregator(lambda: -1), three) })
        XCTAssertNotNil(error { try self.aggregate(MultiKrum(f: 0, m: 4), three) })
        var stream = RandomStream(seed: 0, purpose: .aggregation)
        XCTAssertNotNil(error { try Bucketing(bucketSize: 0).apply(three, stream: &stream) })
        XCTAssertNotNil(error { try StaticClipping(threshold: -1).apply(three, stream: &stream) })
    }

    func testCenteredClippingRejectsInputsOfAnotherLength() throws {
        var rule = CenteredClipping()
        _ = try rule.aggregate([[1, 2]])
        XCTAssertEqual(error { try rule.aggregate([[1, 2, 3]]) }?.description,
                       "centered_clipping: state holds the previous round's output with 2 coordinates, but the inputs have 3")
    }

    func testMDARefusesTooManySubsets() {
        // C(40, 10) ~ 8.5e8 subsets.
        let vectors = gaussianVectors(40, 2, seed: 6)
        guard case .tooManySubsets(let rule, let subsets, _)? = error({ try self.aggregate(MDA(f: 10), vectors) }) else {
            return XCTFail("expected tooManySubsets")
        }
        XCTAssertEqual(rule, "mda")
        XCTAssertEqual(subsets, 847_660_528, accuracy: 1)
    }

    func testInputsWhoseSquaredNormsOverflowAreRejected() {
        let huge: [[Float]] = [[1e30, 1e30], [0, 1], [1, 0]]
        XCTAssertEqual(error { try self.aggregate(Krum(f: 1), huge) },
                       .overflow(rule: "krum", message: "inner products of the inputs overflow Float; the inputs are too large"))
    }
}
