import FedSimAlgorithms
import FedSimCore
import XCTest

/// Worked examples on theta = [1, -2] with the steps s1 = [0.5, -1] then s2 = [0.1, -0.05],
/// so g1 = -s1 = [-0.5, 1] and g2 = [-0.1, 0.05]; eta 0.1 and the default
/// beta1 0.9, beta2 0.99, tau 1e-3 (v0 = tau^2 = 1e-6).
final class ServerOptimizerTests: XCTestCase {
    private let start: [Float] = [1, -2]
    private let firstStep: [Float] = [0.5, -1]
    private let secondStep: [Float] = [0.1, -0.05]

    private func assertClose(_ got: [Float], _ want: [Double], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, file: file, line: line)
        for (value, expected) in zip(got, want) {
            XCTAssertEqual(Double(value), expected, accuracy: 1e-6, file: file, line: line)
        }
    }

    /// The steps are Float, so 0.1 and 0.05 carry errors of order 1e-9 into the state.
    private func assertClose(_ got: [Double], _ want: [Double], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, file: file, line: line)
        for (value, expected) in zip(got, want) {
            XCTAssertEqual(value, expected, accuracy: 1e-8, file: file, line: line)
        }
    }

    func testSGDTwoSteps() {
        // theta + 0.1 s1 = [1.05, -2.1]; + 0.1 s2 = [1.06, -2.105].
        var optimizer = ServerOptimizer(kind: .sgd, learningRate: 0.1)
        var theta = start
        optimizer.apply(step: firstStep, to: &theta)
        assertClose(theta, [1.05, -2.1])
        optimizer.apply(step: secondStep, to: &theta)
        assertClose(theta, [1.06, -2.105])
        XCTAssertTrue(optimizer.firstMoment.isEmpty && optimizer.secondMoment.isEmpty, "sgd keeps no state")
    }

    func testSGDWithUnitRateIsPlainAddition() {
        var stream = RandomStream(seed: 4, purpose: .aggregation)
        var theta = (0..<64).map { _ in Float(stream.normal()) * 100 }
        let step = (0..<64).map { _ in Float(stream.normal()) * 1e-3 }
        let sum = zip(theta, step).map { $0 + $1 }
        var optimizer = ServerOptimizer(kind: .sgd, learningRate: 1)
        optimizer.apply(step: step, to: &theta)
        XCTAssertEqual(theta, sum)
    }

    func testMomentumTwoSteps() {
        // m1 = g1 = [-0.5, 1]; theta1 = theta - 0.1 m1 = [1.05, -2.1].
        // m2 = 0.9 m1 + g2 = [-0.45 - 0.1, 0.9 + 0.05] = [-0.55, 0.95];
        // theta2 = theta1 - 0.1 m2 = [1.105, -2.195].
        var optimizer = ServerOptimizer(kind: .momentum, learningRate: 0.1)
        var theta = start
        optimizer.apply(step: firstStep, to: &theta)
        assertClose(theta, [1.05, -2.1])
        assertClose(optimizer.firstMoment, [-0.5, 1])
        optimizer.apply(step: secondStep, to: &theta)
        assertClose(theta, [1.105, -2.195])
        assertClose(optimizer.firstMoment, [-0.55, 0.95])
        XCTAssertTrue(optimizer.secondMoment.isEmpty, "momentum keeps no second moment")
    }

    func testAdamTwoSteps() {
        // Step 1: m1 = 0.1 g1 = [-0.05, 0.1]; v1 = 0.99e-6 + 0.01 g1^2 = [0.00250099, 0.01000099];
        // sqrt(v1) = [0.05000990, 0.10000495];
        // theta1 = theta - 0.1 m1 / (sqrt(v1) + 0.001) = [1 + 0.005 / 0.05100990, -2 - 0.01 / 0.10100495]
        //        = [1.09802019, -2.09900505].
        // Step 2: m2 = 0.9 m1 + 0.1 g2 = [-0.055, 0.095];
        // v2 = 0.99 v1 + 0.01 g2^2 = [0.0024759801 + 0.0001, 0.0099009801 + 0.000025]
        //    = [0.0025759801, 0.0099259801]; sqrt(v2) = [0.05075411, 0.09962921];
        // theta2 = theta1 - 0.1 m2 / (sqrt(v2) + 0.001) = [1.09802019 + 0.10627174, -2.09900505 - 0.09440599]
        //        = [1.20429193, -2.19341103].
        var optimizer = ServerOptimizer(kind: .adam, learningRate: 0.1)
        var theta = start
        optimizer.apply(step: firstStep, to: &theta)
        assertClose(theta, [1.09802019, -2.09900505])
        assertClose(optimizer.firstMoment, [-0.05, 0.1])
        assertClose(optimizer.secondMoment, [0.00250099, 0.01000099])
        optimizer.apply(step: secondStep, to: &theta)
        assertClose(theta, [1.20429193, -2.19341103])
        assertClose(optimizer.firstMoment, [-0.055, 0.095])
        assertClose(optimizer.secondMoment, [0.0025759801, 0.0099259801])
    }

    func testYogiTwoSteps() {
        // Step 1: v0 = 1e-6 < g1^2, so v1 = v0 + 0.01 g1^2 = [0.002501, 0.010001] (Adam also
        // decays v0 and gets 0.99e-6 + ...); m1 = [-0.05, 0.1] as Adam;
        // theta1 = [1 + 0.005 / 0.05100100, -2 - 0.01 / 0.10100500] = [1.09801999, -2.09900500].
        // Step 2: g2^2 = [0.01, 0.0025]. Coordinate 0: v1 < g^2, v2 = 0.002501 + 0.0001 = 0.002601.
        // Coordinate 1: v1 > g^2, v2 = 0.010001 - 0.000025 = 0.009976 (Adam: 0.0099259801).
        // m2 = [-0.055, 0.095]; sqrt(v2) = [0.051, 0.09987993];
        // theta2 = [1.09801999 + 0.0055 / 0.052, -2.09900500 - 0.0095 / 0.10087993]
        //        = [1.09801999 + 0.10576923, -2.09900500 - 0.09417136] = [1.20378923, -2.19317636].
        var optimizer = ServerOptimizer(kind: .yogi, learningRate: 0.1)
        var theta = start
        optimizer.apply(step: firstStep, to: &theta)
        assertClose(theta, [1.09801999, -2.09900500])
        assertClose(optimizer.secondMoment, [0.002501, 0.010001])
        optimizer.apply(step: secondStep, to: &theta)
        assertClose(theta, [1.20378923, -2.19317636])
        assertClose(optimizer.firstMoment, [-0.055, 0.095])
        assertClose(optimizer.secondMoment, [0.002601, 0.009976])
    }

    func testYogiShrinksVAdditivelyWhereAdamDecaysIt() {
        // The first step s = [1, 0.01] (g^2 = [1, 1e-4] > v0) leaves Yogi's v at
        // v0 + 0.01 g^2 = [0.010001, 0.000002] and Adam's at 0.99 v0 + 0.01 g^2.
        // The second, s = [0, -0.01], has g^2 = 0 < v in coordinate 0: Adam multiplies v by
        // 0.99, Yogi subtracts 0.01 g^2 = 0 and keeps it. In coordinate 1, g^2 = 1e-4 > v,
        // and both add 0.01 g^2 = 1e-6, Adam after decaying v.
        var adam = ServerOptimizer(kind: .adam, learningRate: 0.1)
        var yogi = ServerOptimizer(kind: .yogi, learningRate: 0.1)
        var adamTheta = start
        var yogiTheta = start
        for step: [Float] in [[1, 0.01], [0, -0.01]] {
            adam.apply(step: step, to: &adamTheta)
            yogi.apply(step: step, to: &yogiTheta)
        }
        assertClose(yogi.secondMoment, [0.010001, 0.000003])
        assertClose(adam.secondMoment, [0.99 * (0.99e-6 + 0.01), 0.99 * (0.99e-6 + 1e-6) + 1e-6])
        XCTAssertGreaterThan(yogi.secondMoment[0], adam.secondMoment[0])
        XCTAssertNotEqual(yogiTheta, adamTheta)
    }

    func testStateIsAllocatedAtFirstApplyWithVAtTauSquared() {
        // A zero step leaves Yogi's v where it started (it subtracts 0.01 * 0 * sign(v)).
        var optimizer = ServerOptimizer(kind: .yogi, learningRate: 0.01, tau: 0.5)
        XCTAssertTrue(optimizer.firstMoment.isEmpty && optimizer.secondMoment.isEmpty)
        var theta: [Float] = [1, 2, 3]
        optimizer.apply(step: [0, 0, 0], to: &theta)
        XCTAssertEqual(optimizer.firstMoment, [0, 0, 0])
        XCTAssertEqual(optimizer.secondMoment, [0.25, 0.25, 0.25])
        XCTAssertEqual(theta, [1, 2, 3])
    }

    func testEveryKindIsDeterministicAndAValue() {
        var stream = RandomStream(seed: 11, purpose: .aggregation)
        let steps = (0..<6).map { _ in (0..<40).map { _ in Float(stream.normal()) } }
        let initial = (0..<40).map { _ in Float(stream.normal()) }
        for kind in ServerOptimizerKind.allCases {
            func run(_ optimizer: inout ServerOptimizer, _ steps: ArraySlice<[Float]>, from theta: [Float]) -> [Float] {
                var theta = theta
                for step in steps { optimizer.apply(step: step, to: &theta) }
                return theta
            }
            var first = ServerOptimizer(kind: kind, learningRate: 0.05)
            var second = ServerOptimizer(kind: kind, learningRate: 0.05)
            let halfway = run(&first, steps[..<3], from: initial)
            var copy = first
            let end = run(&first, steps[3...], from: halfway)
            XCTAssertEqual(run(&second, steps[...], from: initial), end, "\(kind): same inputs, same bits")
            XCTAssertEqual(run(&copy, steps[3...], from: halfway), end, "\(kind): a copy carries its own state")
            XCTAssertNotEqual(end, initial, "\(kind) moved")
        }
    }
}
