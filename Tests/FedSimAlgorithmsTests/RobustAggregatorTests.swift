import FedSimAlgorithms
import FedSimCore
import XCTest

/// Asserts that two vectors agree coordinate by coordinate within `accuracy`.
func assertClose(_ actual: [Float], _ expected: [Float], accuracy: Float = 1e-5,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "lengths differ: \(actual) vs \(expected)", file: file, line: line)
    for (a, e) in zip(actual, expected) {
        XCTAssertEqual(a, e, accuracy: accuracy * max(1, abs(e)), "\(actual) vs \(expected)", file: file, line: line)
    }
}

/// Worked examples: for each rule and pre-aggregator, a small input with the result
/// derived by hand in the comments.
final class RobustAggregatorTests: XCTestCase {
    /// The 3 x 3 example of ByzFL's documentation, used to cross-check its published outputs.
    let byzflExample: [[Float]] = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    /// Four points on a line: 0, 1, 3, 10.
    let line: [[Float]] = [[0], [1], [3], [10]]

    func testAverage() throws {
        // ((1 + 3 + 8) / 3, (2 + 6 - 2) / 3) = (4, 2).
        var rule = Average()
        XCTAssertEqual(try rule.aggregate([[1, 2], [3, 6], [8, -2]]).aggregate, [4, 2])
    }

    func testMedianOddAndEvenCounts() throws {
        var rule = CoordinateWiseMedian()
        // Column 0 sorted: 1, 3, 5 -> 3. Column 1 sorted: -2, 4, 10 -> 4.
        XCTAssertEqual(try rule.aggregate([[1, 10], [5, -2], [3, 4]]).aggregate, [3, 4])
        // Sorted 1, 2, 4, 9: the mean of the middle two, (2 + 4) / 2 = 3.
        XCTAssertEqual(try rule.aggregate([[1], [9], [4], [2]]).aggregate, [3])
    }

    func testTrimmedMean() throws {
        // f = 1. Column 0 sorted: -20, 1, 2, 3, 10 -> (1 + 2 + 3) / 3 = 2.
        // Column 1 sorted: -50, 0, 1, 2, 100 -> (0 + 1 + 2) / 3 = 1.
        var rule = TrimmedMean(f: 1)
        let result = try rule.aggregate([[1, 0], [2, 100], [3, -50], [10, 1], [-20, 2]])
        XCTAssertEqual(result.aggregate, [2, 1])
        XCTAssertEqual(result.report.trimmedPerCoordinate, 2)
        XCTAssertEqual(try rule.aggregate(byzflExample).aggregate, [4, 5, 6])
    }

    func testGeometricMedianSmoothedWeiszfeld() throws {
        // Inputs 0, 0, 3 with nu = 0.1, from z = 0:
        // 1: b = (0.1, 0.1, 3): z = (3/3) / (10 + 10 + 1/3) = 3/61.
        // 2: |z| < 0.1, so b = (0.1, 0.1, 180/61): z = 3 (61/180) / (20 + 61/180) = 183/3661.
        // 3: b = (0.1, 0.1, 10800/3661): z = 3 (3661/10800) / (20 + 3661/10800) = 10983/219661.
        var rule = GeometricMedian()
        let result = try rule.aggregate([[0], [0], [3]])
        assertClose(result.aggregate, [Float(10983.0 / 219661.0)], accuracy: 1e-6)
        XCTAssertEqual(result.report.iterations, 3)
        // ByzFL's documented output for its example.
        assertClose(try rule.aggregate(byzflExample).aggregate, [3.78788764, 4.78788764, 5.78788764])
    }

    func testGeometricMedianToleranceStopsEarly() throws {
        // Iterations 2 and 3 above move z by 183/3661 - 3/61 ~ 8.1e-4 and ~1.3e-5, so a
        // tolerance of 1e-4 stops after iteration 3, and 1e-2 after iteration 2.
        var loose = GeometricMedian(iterations: 50, tolerance: 1e-2)
        let early = try loose.aggregate([[0], [0], [3]])
        XCTAssertEqual(early.report.iterations, 2)
        assertClose(early.aggregate, [Float(183.0 / 3661.0)], accuracy: 1e-6)
        var tight = GeometricMedian(iterations: 50, tolerance: 1e-4)
        XCTAssertEqual(try tight.aggregate([[0], [0], [3]]).report.iterations, 3)
    }

    func testKrumBothNeighbourCounts() throws {
        // n = 4, f = 1. Squared distances from 0, 1, 3, 10:
        //   0: 1, 9, 100   1: 1, 4, 81   3: 9, 4, 49   10: 100, 81, 49.
        // n - f - 1 = 2 nearest: scores 10, 5, 13, 130 -> input 1 (the point 1).
        var krum = Krum(f: 1)
        let result = try krum.aggregate(line)
        XCTAssertEqual(result.aggregate, [1])
        XCTAssertEqual(result.report.selected, [1])
        // n - f - 2 = 1 nearest: scores 1, 1, 4, 49 -> a tie, the lower index 0 wins.
        var original = Krum(f: 1, neighbours: .nMinusFMinus2)
        XCTAssertEqual(try original.aggregate(line).report.selected, [0])
        // ByzFL's documented output: [1, 2, 3] (rows 0 and 2 tie, row 0 wins).
        XCTAssertEqual(try krum.aggregate(byzflExample).aggregate, [1, 2, 3])
    }

    func testMultiKrum() throws {
        // Scores as in the Krum example: 10, 5, 13, 130; m = n - f = 3 lowest: inputs
        // 1, 0, 2 -> (1 + 0 + 3) / 3 = 4/3.
        var rule = MultiKrum(f: 1)
        let result = try rule.aggregate(line)
        assertClose(result.aggregate, [4.0 / 3])
        XCTAssertEqual(result.report.selected, [1, 0, 2])
        // m = 2: inputs 1 and 0 -> 0.5.
        var two = MultiKrum(f: 1, m: 2)
        XCTAssertEqual(try two.aggregate(line).aggregate, [0.5])
        assertClose(try rule.aggregate(byzflExample).aggregate, [2.5, 3.5, 4.5])
    }

    func testCenteredClippingCarriesItsOutputToTheNextRound() throws {
        // tau = 1, first round from v = 0: (3, 4) has norm 5 and is scaled by 1/5 to
        // (0.6, 0.8); (0, 0.5) and (0, -0.5) are within tau. v = (0.6 / 3, 0.8 / 3).
        var rule = CenteredClipping(tau: 1)
        let first = try rule.aggregate([[3, 4], [0, 0.5], [0, -0.5]])
        assertClose(first.aggregate, [0.2, 0.8 / 3])
        XCTAssertEqual(first.report.clipped, 1)
        // Second round from v = (0.2, 0.8/3): the one input v + (0, 3) is 3 away, scaled
        // by 1/3: v + (0, 1). Started from 0 instead, it would be clipped to norm 1.
        let second = try rule.aggregate([[0.2, 0.8 / 3 + 3]])
        assertClose(second.aggregate, [0.2, 0.8 / 3 + 1])
        XCTAssertEqual(rule.center, second.aggregate)
    }

    func testCenteredClippingIterations() throws {
        // tau = 1, L = 2, one input at 4: v = 0 -> 1 -> 2.
        var rule = CenteredClipping(tau: 1, iterations: 2)
        XCTAssertEqual(try rule.aggregate([[4]]).aggregate, [2])
        // ByzFL's documented output with its defaults (tau = 100, nothing clipped).
        var defaults = CenteredClipping()
        XCTAssertEqual(try defaults.aggregate(byzflExample).aggregate, [4, 5, 6])
    }

    func testMDA() throws {
        // f = 1, subsets of 3 of {0, 1, 3, 10}: diameters {0,1,3}: 3, {0,1,10}: 10,
        // {0,3,10}: 10, {1,3,10}: 9 -> {0, 1, 3}, mean 4/3.
        var rule = MDA(f: 1)
        let result = try rule.aggregate(line)
        assertClose(result.aggregate, [4.0 / 3])
        XCTAssertEqual(result.report.selected, [0, 1, 2])
        // f = 2, pairs: {0, 1} has the smallest diameter, 1 -> mean 0.5.
        var two = MDA(f: 2)
        XCTAssertEqual(try two.aggregate(line).aggregate, [0.5])
        // ByzFL's documented output: rows {0, 1} and {1, 2} tie; the first wins.
        assertClose(try rule.aggregate(byzflExample).aggregate, [2.5, 3.5, 4.5])
    }

    func testMeamed() throws {
        // f = 1, values 1, 2, 3, 10: median 2.5, distances 1.5, 0.5, 0.5, 7.5: the three
        // closest are 2, 3, 1 -> mean 2.
        var rule = Meamed(f: 1)
        XCTAssertEqual(try rule.aggregate([[1], [2], [3], [10]]).aggregate, [2])
        // Values 0, 2, 4: median 2, then 0 and 4 tie at distance 2; the lower is kept:
        // (2 + 0) / 2 = 1.
        XCTAssertEqual(try rule.aggregate([[4], [0], [2]]).aggregate, [1])
        assertClose(try rule.aggregate(byzflExample).aggregate, [2.5, 3.5, 4.5])
    }

    func testFlagAggregatorOnCollinearInputs() throws {
        // (1, 2), (2, 4), (-3, -6) normalize to u, u, -u with u = (1, 2)/sqrt(5). Every
        // weighted column is a multiple of u, so the first step gives Y = u and E = 0,
        // which stops the iteration. Output: u u^T (u + u - u) = u.
        let inputs: [[Float]] = [[1, 2], [2, 4], [-3, -6]]
        let u: [Float] = [1 / Float(5).squareRoot(), 2 / Float(5).squareRoot()]
        var rule = FlagAggregator()
        let result = try rule.aggregate(inputs)
        assertClose(result.aggregate, u)
        XCTAssertEqual(result.report.iterations, 1)
        // The pairwise terms are multiples of u too (0 and +-2u): same output.
        var pairwise = FlagAggregator(lambda: 1)
        assertClose(try pairwise.aggregate(inputs).aggregate, u)
    }

    func testFlagAggregatorOnEqualInputsReturnsTheirDirectionTimesNOverR() throws {
        // Three copies of g = (0, 3, 4): x_i = g/5, Y = g/5, output (1/1) * 3 * g/5.
        var rule = FlagAggregator()
        assertClose(try rule.aggregate([[0, 3, 4], [0, 3, 4], [0, 3, 4]]).aggregate, [0, 1.8, 2.4])
    }

    func testNearestNeighborMixing() throws {
        // f = 1: each point takes the mean of its 3 nearest, itself included.
        //   0 -> {0, 1, 3}: 4/3   1 -> {1, 0, 3}: 4/3   3 -> {3, 1, 0}: 4/3   10 -> {10, 3, 1}: 14/3.
        var stream = RandomStream(seed: 0, purpose: .aggregation)
        let mixed = try NearestNeighborMixing(f: 1).apply(line, stream: &stream)
        assertClose(mixed.flatMap { $0 }, [4.0 / 3, 4.0 / 3, 4.0 / 3, 14.0 / 3])
    }

    func testBucketingAveragesEveryInputOnceInBucketsOfS() throws {
        // Values 1, 10, 100, 1000, 10000 in buckets of 2: two pairs and a single. Twice a
        // pair's mean spells its members in decimal digits, so the buckets must
        // partition the inputs: the digit sums add up to 11111.
        let inputs: [[Float]] = [[1], [10], [100], [1000], [10000]]
        var stream = RandomStream(seed: 3, purpose: .aggregation, counter: 1)
        let buckets = try Bucketing(bucketSize: 2).apply(inputs, stream: &stream).map { $0[0] }
        XCTAssertEqual(buckets.count, 3)
        let members = buckets[0] * 2 + buckets[1] * 2 + buckets[2]
        XCTAssertEqual(members, 11111)
        XCTAssert(inputs.map { $0[0] }.contains(buckets[2]), "the last bucket holds one input: \(buckets)")
        // Same stream, same buckets; the order depends on the stream.
        var again = RandomStream(seed: 3, purpose: .aggregation, counter: 1)
        XCTAssertEqual(try Bucketing(bucketSize: 2).apply(inputs, stream: &again).map { $0[0] }, buckets)
        let orders = Set((0..<10).map { round -> [Float] in
            var other = RandomStream(seed: 3, purpose: .aggregation, counter: round)
            return try! Bucketing(bucketSize: 1).apply(inputs, stream: &other).map { $0[0] }
        })
        XCTAssertGreaterThan(orders.count, 1)
    }

    func testStaticClipping() throws {
        // c = 2: (3, 4) has norm 5 -> (3, 4) * 2/5 = (1.2, 1.6); (1, 0) is kept.
        var stream = RandomStream(seed: 0, purpose: .aggregation)
        let result = try StaticClipping().apply(RobustInputs([[3, 4], [1, 0]]), stream: &stream)
        assertClose(result.outputs.rows.flatMap { $0 }, [1.2, 1.6, 1, 0])
        XCTAssertEqual(result.report.clipped, 1)
    }

    func testAdaptiveRobustClipping() throws {
        // n = 3, f = 1: k = floor(2 * 1 * 2 / 3) = 1. Norms 5, 1, 10: the largest, (6, 8),
        // is clipped to the largest other norm, 5: (3, 4).
        var stream = RandomStream(seed: 0, purpose: .aggregation)
        let result = try AdaptiveRobustClipping(f: 1).apply(RobustInputs([[3, 4], [0, 1], [6, 8]]), stream: &stream)
        assertClose(result.outputs.rows.flatMap { $0 }, [3, 4, 0, 1, 3, 4])
        XCTAssertEqual(result.report.clipped, 1)
        // n = 10, f = 3: k = floor(2 * 3 * 7 / 10) = 4; norms 1...10 clip 7, 8, 9, 10 to 6.
        let norms = try AdaptiveRobustClipping(f: 3).apply((1...10).map { [Float($0)] }, stream: &stream)
        XCTAssertEqual(norms.map { $0[0] }, [1, 2, 3, 4, 5, 6, 6, 6, 6, 6])
        // f = 0: k = 0, nothing changes.
        XCTAssertEqual(try AdaptiveRobustClipping().apply([[5], [1]], stream: &stream), [[5], [1]])
    }

    func testComposedAggregatorFromADescription() throws {
        // {rule: trimmed_mean, f: 1, pre: [nnm]}: NNM (inheriting f = 1) gives 4/3, 4/3,
        // 4/3, 14/3 (see above); the trimmed mean drops one value at each end: 4/3.
        var aggregator = try RobustAggregator(
            RobustAggregatorDescription(rule: "trimmed_mean", parameters: ["f": 1], pre: [PreAggregatorDescription("nnm")]))
        XCTAssertEqual(aggregator.name, "nnm -> trimmed_mean")
        var stream = RandomStream(seed: 0, purpose: .aggregation)
        let result = try aggregator.aggregate(line, stream: &stream)
        assertClose(result.aggregate, [4.0 / 3])
        XCTAssertEqual(result.reports.map(\.step), ["nnm", "trimmed_mean"])
        XCTAssertEqual(result.reports.map(\.inputs), [4, 4])
        XCTAssertEqual(result.reports[1].description, "trimmed_mean: 4 inputs, trimmed 2 per coordinate")
    }

    func testEveryNameBuildsItsRule() throws {
        for name in RobustAggregator.ruleNames {
            let aggregator = try RobustAggregator(RobustAggregatorDescription(rule: name, parameters: ["f": 1]))
            XCTAssertEqual(aggregator.rule.name, name)
        }
        for name in RobustAggregator.preAggregatorNames {
            let aggregator = try RobustAggregator(
                RobustAggregatorDescription(rule: "average", pre: [PreAggregatorDescription(name)]))
            XCTAssertEqual(aggregator.preAggregators.map(\.name), [name])
        }
    }

    func testDescriptionParametersReachTheRules() throws {
        let krum = try RobustAggregator(RobustAggregatorDescription(rule: "krum", parameters: ["f": 1, "original": 1]))
        XCTAssertEqual((krum.rule as? Krum)?.neighbours, .nMinusFMinus2)
        let flag = try RobustAggregator(
            RobustAggregatorDescription(rule: "flag", parameters: ["rank": 2, "lambda": 0.5, "iterations": 7]))
        let rule = try XCTUnwrap(flag.rule as? FlagAggregator)
        XCTAssertEqual([Double(rule.rank), rule.lambda, Double(rule.iterations)], [2, 0.5, 7])
        let pre = try RobustAggregator(RobustAggregatorDescription(
            rule: "median", parameters: ["f": 2],
            pre: [PreAggregatorDescription("arc", parameters: ["f": 1]), PreAggregatorDescription("bucketing", parameters: ["s": 3]),
                  PreAggregatorDescription("static_clipping", parameters: ["c": 0.5])]))
        XCTAssertEqual((pre.preAggregators[0] as? AdaptiveRobustClipping)?.f, 1)
        XCTAssertEqual((pre.preAggregators[1] as? Bucketing)?.bucketSize, 3)
        XCTAssertEqual((pre.preAggregators[2] as? StaticClipping)?.threshold, 0.5)
    }

    func testDescriptionErrorsNameTheProblem() {
        func error(_ description: RobustAggregatorDescription) -> String {
            do {
                _ = try RobustAggregator(description)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(error(RobustAggregatorDescription(rule: "krumm")),
                       "unknown robust aggregation rule \"krumm\"; known: " + RobustAggregator.ruleNames.joined(separator: ", "))
        XCTAssertEqual(error(RobustAggregatorDescription(rule: "krum", parameters: ["tau": 1])),
                       "krum does not take the parameter \"tau\"; it takes: f, original")
        XCTAssertEqual(error(RobustAggregatorDescription(rule: "trimmed_mean", parameters: ["f": 1.5])),
                       "trimmed_mean: f must be a whole number, got 1.5")
        XCTAssertEqual(error(RobustAggregatorDescription(rule: "krum", parameters: ["original": 2])),
                       "krum: original must be 0 or 1, got 2")
        XCTAssert(error(RobustAggregatorDescription(rule: "average", pre: [PreAggregatorDescription("nn")]))
            .hasPrefix("unknown pre-aggregator \"nn\""))
        XCTAssertEqual(error(RobustAggregatorDescription(rule: "average", pre: [PreAggregatorDescription("bucketing", parameters: ["f": 1])])),
                       "bucketing does not take the parameter \"f\"; it takes: s")
    }
}
