@testable import FedSimCore
import XCTest

final class ObjectiveTests: XCTestCase {
    override func setUp() {
        BLAS.useSingleThread()
    }

    // MARK: Data

    /// Standard normal features and targets <x, (1, -2, 3, -4, ...)> plus `noise` times a
    /// standard normal.
    private func regressionData(rows: Int, features: Int, noise: Double, seed: UInt64) -> RegressionData {
        var stream = RandomStream(seed: seed, purpose: .synthetic)
        let x = (0..<(rows * features)).map { _ in Float(stream.normal()) }
        let coefficients = (0..<features).map { (j: Int) -> Double in
            let size = Double(j + 1)
            return j % 2 == 0 ? size : -size
        }
        let targets: [Double] = (0..<rows).map { row in
            var target = noise * stream.normal()
            for j in 0..<features { target += Double(x[row * features + j]) * coefficients[j] }
            return target
        }
        return RegressionData(features: x, targets: targets, featureCount: features)
    }

    /// Standard normal features; row r's class is the largest of x_r w_c + a standard normal
    /// over classes c, with random weights w_c, so the classes overlap.
    private func classificationData(rows: Int, features: Int, classes: Int, seed: UInt64) -> Dataset {
        var stream = RandomStream(seed: seed, purpose: .synthetic)
        let weights = (0..<(features * classes)).map { _ in stream.normal() }
        let x = (0..<(rows * features)).map { _ in Float(stream.normal()) }
        let labels = (0..<rows).map { row in
            let scores = (0..<classes).map { c in
                (0..<features).reduce(stream.normal()) { $0 + Double(x[row * features + $1]) * weights[$1 * classes + c] }
            }
            return Int32(scores.indices.max { scores[$0] < scores[$1] }!)
        }
        return Dataset(features: x, labels: labels, featureCount: features, classCount: classes)
    }

    private func randomVector(_ count: Int, scale: Double, _ stream: inout RandomStream) -> [Double] {
        (0..<count).map { _ in scale * stream.normal() }
    }

    /// One objective of each kind on `rows` random rows of 3 features (3 classes for softmax).
    private func objectivesOfEachKind(rows: Int, seed: UInt64) throws -> [(kind: String, objective: any Objective)] {
        [
            ("least squares", try LeastSquaresObjective(regressionData(rows: rows, features: 3, noise: 1, seed: seed))),
            ("logistic", try LogisticObjective(classificationData(rows: rows, features: 3, classes: 2, seed: seed),
                                               regularization: 0.1)),
            ("softmax", try SoftmaxObjective(classificationData(rows: rows, features: 3, classes: 3, seed: seed),
                                             regularization: 0.1)),
            ("ridge least squares", try LeastSquaresObjective(regressionData(rows: rows, features: 3, noise: 1, seed: seed),
                                                              regularization: 0.5, dataWeight: 1.7)),
        ]
    }

    private func difference(_ x: [Double], _ y: [Double]) -> [Double] {
        zip(x, y).map { $0 - $1 }
    }

    // MARK: Values, gradients and Hessians

    func testValuesMatchTheirDefinitions() throws {
        let regression = regressionData(rows: 5, features: 2, noise: 1, seed: 1)
        let binary = classificationData(rows: 5, features: 2, classes: 2, seed: 2)
        let multiclass = classificationData(rows: 5, features: 2, classes: 3, seed: 3)
        var stream = RandomStream(seed: 4, purpose: .synthetic)
        let theta = randomVector(9, scale: 1, &stream)
        let x = { (data: [Float], row: Int, j: Int) in Double(data[row * 2 + j]) }
        let ridge = 0.3 / 2 * theta[0..<2].reduce(0) { $0 + $1 * $1 }

        let squares = (0..<5).map { r in pow(x(regression.features, r, 0) * theta[0] + x(regression.features, r, 1) * theta[1]
            - regression.targets[r], 2) }
        let logistic = (0..<5).map { r in
            log(1 + exp(-Double(2 * binary.labels[r] - 1) * (x(binary.features, r, 0) * theta[0]
                + x(binary.features, r, 1) * theta[1])))
        }
        // Θ = [[W], [b]] row-major, 3 x 3: logit c = x_0 Θ[0, c] + x_1 Θ[1, c] + Θ[2, c].
        let crossEntropy = (0..<5).map { r in
            let logits = (0..<3).map { c in
                x(multiclass.features, r, 0) * theta[c] + x(multiclass.features, r, 1) * theta[3 + c] + theta[6 + c]
            }
            return log(logits.map(exp).reduce(0, +)) - logits[Int(multiclass.labels[r])]
        }

        let cases: [(any Objective, [Double], Double)] = [
            (try LeastSquaresObjective(regression), Array(theta[0..<2]), squares.reduce(0, +) / 5),
            (try LogisticObjective(binary, regularization: 0.3), Array(theta[0..<2]), logistic.reduce(0, +) / 5 + ridge),
            (try SoftmaxObjective(multiclass, regularization: 0.3), theta,
             crossEntropy.reduce(0, +) / 5 + 0.3 / 2 * theta.reduce(0) { $0 + $1 * $1 }),
        ]
        for (objective, parameters, expected) in cases {
            XCTAssertEqual(objective.value(at: parameters), expected, accuracy: 1e-13, "\(type(of: objective))")
            XCTAssertEqual(objective.valueAndGradient(at: parameters).value, expected, accuracy: 1e-13,
                           "\(type(of: objective))")
        }
    }

    func testGradientsAndHessiansMatchCentralDifferences() throws {
        var stream = RandomStream(seed: 5, purpose: .synthetic)
        for (kind, objective) in try objectivesOfEachKind(rows: 30, seed: 6) {
            let p = objective.parameterCount
            let theta = randomVector(p, scale: 0.5, &stream)
            let (_, gradient) = objective.valueAndGradient(at: theta)
            let hessian = objective.hessian(at: theta)
            let h = 1e-5
            for index in 0..<p {
                var plus = theta
                plus[index] += h
                var minus = theta
                minus[index] -= h
                let numeric = (objective.value(at: plus) - objective.value(at: minus)) / (2 * h)
                XCTAssertEqual(gradient[index], numeric, accuracy: 1e-7 * (1 + abs(numeric)), "\(kind) gradient \(index)")
                let column = difference(objective.valueAndGradient(at: plus).gradient,
                                        objective.valueAndGradient(at: minus).gradient).map { $0 / (2 * h) }
                for row in 0..<p {
                    XCTAssertEqual(hessian[row * p + index], column[row], accuracy: 1e-7 * (1 + abs(column[row])),
                                   "\(kind) Hessian (\(row), \(index))")
                    XCTAssertEqual(hessian[row * p + index], hessian[index * p + row], "\(kind) symmetry")
                }
            }
        }
    }

    func testLogisticObjectivesStayFiniteForHugeMargins() throws {
        // One feature x = 1 in two rows of classes 1 and 0, θ = 1000: margins +1000 and
        // -1000 lose log(1 + e^-1000) = 0 and 1000; f = 500 + (1e-6 / 2) 1e6 = 500.5,
        // f' = (0 + 1) / 2 + 1e-6 * 1000 and f'' = 0 + 1e-6 (both rows saturated).
        let binary = try LogisticObjective(Dataset(features: [1, 1], labels: [1, 0], featureCount: 1, classCount: 2),
                                           regularization: 1e-6)
        let (value, gradient) = binary.valueAndGradient(at: [1000])
        XCTAssertEqual(value, 500.5, accuracy: 1e-12)
        XCTAssertEqual(binary.value(at: [1000]), 500.5, accuracy: 1e-12)
        XCTAssertEqual(gradient[0], 0.501, accuracy: 1e-15)
        XCTAssertEqual(binary.hessian(at: [1000]), [1e-6])
        XCTAssertEqual(binary.value(at: [1e300]), 1e300 / 2 + 1e-6 / 2 * 1e300 * 1e300, accuracy: 1e287)

        // Softmax, one feature x = 1 of class 1, W = (1000, 0), b = 0: logits (1000, 0) lose
        // 1000; dCE/dW = dCE/db = x (p - y) = (1, -1); the cross-entropy's Hessian vanishes.
        let softmax = try SoftmaxObjective(Dataset(features: [1], labels: [1], featureCount: 1, classCount: 2),
                                           regularization: 1e-6)
        let theta: [Double] = [1000, 0, 0, 0]
        let (softmaxValue, softmaxGradient) = softmax.valueAndGradient(at: theta)
        XCTAssertEqual(softmaxValue, 1000 + 1e-6 / 2 * 1e6, accuracy: 1e-12)
        XCTAssertEqual(softmaxGradient, [1 + 1e-3, -1, 1, -1])
        XCTAssertEqual(softmax.hessian(at: theta), [1e-6, 0, 0, 0, 0, 1e-6, 0, 0, 0, 0, 1e-6, 0, 0, 0, 0, 1e-6])
    }

    // MARK: Constants

    func testAccuracyOnWorkedExamples() throws {
        // Logistic, rows 1, -1, 3, 0 with labels 1, 1, 0, 0 at θ = 2: margins 2, -2, 6, 0
        // predict 1, 0, 1, 0 (class 1 only for a positive margin): rows 0 and 3 are right.
        let logistic = try LogisticObjective(
            Dataset(features: [1, -1, 3, 0], labels: [1, 1, 0, 0], featureCount: 1, classCount: 2), regularization: 1)
        XCTAssertEqual(logistic.accuracy(at: [2]), 0.5)
        // Softmax, 3 classes, one feature: Θ = [[1, 0, -1], [0, 0.5, 0]] (W then b). Row x = 2
        // has logits 2, 0.5, -2 (class 0); x = -2 has -2, 0.5, 2 (class 2); x = 0 has
        // 0, 0.5, 0 (class 1); x = 0.5 has 0.5, 0.5, -0.5, a tie won by the first, class 0.
        let softmax = try SoftmaxObjective(
            Dataset(features: [2, -2, 0, 0.5], labels: [0, 1, 1, 0], featureCount: 1, classCount: 3), regularization: 1)
        XCTAssertEqual(softmax.accuracy(at: [1, 0, -1, 0, 0.5, 0]), 0.75)
        let squares = try LeastSquaresObjective(RegressionData(features: [1], targets: [1], featureCount: 1))
        XCTAssertNil(squares.accuracy(at: [0]))
    }

    func testConstantsOnWorkedExamples() throws {
        // Least squares, D = [[1, 1], [0, 1]]: D^T D = [[1, 1], [1, 2]] has eigenvalues
        // (3 -+ sqrt 5) / 2 and 2 / n = 1. D = [[2, 0], [0, 0], [0, 1]]: D^T D = diag(4, 1),
        // 2 / n = 2/3: mu = 2/3, L = 8/3.
        let root5 = 5.0.squareRoot()
        let first = try LeastSquaresObjective(RegressionData(features: [1, 1, 0, 1], targets: [3, -1], featureCount: 2))
            .regularityConstants()
        XCTAssertEqual(first.strongConvexity, (3 - root5) / 2, accuracy: 1e-15)
        XCTAssertEqual(first.smoothness, (3 + root5) / 2, accuracy: 1e-15)
        let second = try LeastSquaresObjective(RegressionData(features: [2, 0, 0, 0, 0, 1], targets: [0, 0, 0],
                                                              featureCount: 2)).regularityConstants()
        XCTAssertEqual(second.strongConvexity, 2.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(second.smoothness, 8.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(RegularityConstants(combining: [first, second]),
                       RegularityConstants(strongConvexity: first.strongConvexity, smoothness: second.smoothness))

        // Rows (1, 2) and (3, 0): mean ||x||^2 = (5 + 9) / 2 = 7 and mean ||(x, 1)||^2 = 8.
        let rows = Dataset(features: [1, 2, 3, 0], labels: [0, 1], featureCount: 2, classCount: 2)
        XCTAssertEqual(try LogisticObjective(rows, regularization: 1).regularityConstants(),
                       RegularityConstants(strongConvexity: 1, smoothness: 7.0 / 4))
        XCTAssertEqual(try LogisticObjective(rows, regularization: 2).regularityConstants(),
                       RegularityConstants(strongConvexity: 2, smoothness: 2))
        XCTAssertEqual(try SoftmaxObjective(rows, regularization: 0.5).regularityConstants(),
                       RegularityConstants(strongConvexity: 0.5, smoothness: 8.0 / 2 + 0.5))
    }

    func testStrongConvexityAndSmoothnessHoldOnRandomPairs() throws {
        var stream = RandomStream(seed: 7, purpose: .synthetic)
        for (kind, objective) in try objectivesOfEachKind(rows: 40, seed: 8) {
            let constants = try objective.regularityConstants()
            XCTAssertGreaterThan(constants.strongConvexity, 0, kind)
            for pair in 0..<60 {
                let scale = [0.1, 1, 10][pair % 3]
                let x = randomVector(objective.parameterCount, scale: scale, &stream)
                let y = randomVector(objective.parameterCount, scale: scale, &stream)
                let step = difference(y, x)
                let distance = BLAS.nrm2(step)
                let (fx, gx) = objective.valueAndGradient(at: x)
                let (fy, gy) = objective.valueAndGradient(at: y)
                let gap = fy - fx - BLAS.dot(gx, step) - constants.strongConvexity / 2 * distance * distance
                XCTAssertGreaterThanOrEqual(gap, -1e-12 * (abs(fx) + abs(fy)), "\(kind) strong convexity, pair \(pair)")
                XCTAssertLessThanOrEqual(BLAS.nrm2(difference(gy, gx)), constants.smoothness * distance * (1 + 1e-12),
                                         "\(kind) smoothness, pair \(pair)")
            }
        }
    }

    func testLeastSquaresAndSoftmaxConstantsAreAttained() throws {
        var stream = RandomStream(seed: 9, purpose: .synthetic)
        let objectives = try objectivesOfEachKind(rows: 40, seed: 10)
        // Least squares is quadratic with Hessian H: along H's extreme eigenvectors the
        // gradient changes by exactly L and the curvature is exactly mu.
        let squares = objectives[0].objective
        let constants = try squares.regularityConstants()
        let (_, vectors) = try LAPACK.symmetricEigen(squares.hessian(at: [0, 0, 0]), size: 3)
        let x = randomVector(3, scale: 1, &stream)
        let (fx, gx) = squares.valueAndGradient(at: x)
        let smallest = [vectors[0], vectors[3], vectors[6]]
        let largest = [vectors[2], vectors[5], vectors[8]]
        let alongLargest = zip(x, largest).map { $0 + 2 * $1 }
        XCTAssertEqual(BLAS.nrm2(difference(squares.valueAndGradient(at: alongLargest).gradient, gx)),
                       2 * constants.smoothness, accuracy: 1e-12 * constants.smoothness)
        let alongSmallest = zip(x, smallest).map { $0 + 2 * $1 }
        XCTAssertEqual(squares.value(at: alongSmallest) - fx - 2 * BLAS.dot(gx, smallest),
                       constants.strongConvexity / 2 * 4, accuracy: 1e-12 * fx)

        // Adding t to every parameter of softmax regression shifts every logit of a row by
        // the same t (sum_j x_j + 1), which leaves the cross-entropy unchanged: the
        // curvature along that direction is the regularization alone.
        let softmax = objectives[2].objective
        let theta = randomVector(softmax.parameterCount, scale: 1, &stream)
        let (value, gradient) = softmax.valueAndGradient(at: theta)
        let shift = [Double](repeating: 0.5, count: softmax.parameterCount)
        XCTAssertEqual(softmax.value(at: zip(theta, shift).map(+)) - value - BLAS.dot(gradient, shift),
                       try softmax.regularityConstants().strongConvexity / 2 * BLAS.dot(shift, shift), accuracy: 1e-12)
    }

    func testARidgeAddsItsStrengthToLeastSquares() throws {
        // (mu/2) ||θ||^2 adds mu θ to the gradient and mu I to the Hessian, so both
        // extreme eigenvalues move up by mu, exactly.
        let data = regressionData(rows: 30, features: 4, noise: 2, seed: 60)
        let plain = try LeastSquaresObjective(data, dataWeight: 0.8)
        let ridge = try LeastSquaresObjective(data, regularization: 0.25, dataWeight: 0.8)
        XCTAssertEqual(plain.regularization, 0)
        XCTAssertEqual(ridge.regularization, 0.25)
        var stream = RandomStream(seed: 61, purpose: .synthetic)
        let theta = randomVector(4, scale: 1, &stream)
        let squaredNorm = BLAS.dot(theta, theta)
        XCTAssertEqual(ridge.value(at: theta), plain.value(at: theta) + 0.125 * squaredNorm, accuracy: 1e-12)
        for (got, want) in zip(ridge.gradient(at: theta), zip(plain.gradient(at: theta), theta).map { $0 + 0.25 * $1 }) {
            XCTAssertEqual(got, want, accuracy: 1e-12)
        }
        let plainConstants = try plain.regularityConstants()
        let ridgeConstants = try ridge.regularityConstants()
        XCTAssertEqual(ridgeConstants.strongConvexity, plainConstants.strongConvexity + 0.25, accuracy: 1e-12)
        XCTAssertEqual(ridgeConstants.smoothness, plainConstants.smoothness + 0.25, accuracy: 1e-12)

        // x* solves ((2w/m) X^T X + mu I) θ = (2w/m) X^T y: one Newton step from 0, and
        // the ridge pulls it towards 0.
        let minimum = try ridge.minimize()
        XCTAssertLessThanOrEqual(minimum.gradientNorm, 1e-10)
        XCTAssertLessThanOrEqual(minimum.iterations, 2)
        XCTAssertLessThan(BLAS.nrm2(minimum.parameters), BLAS.nrm2(try plain.minimize().parameters))

        XCTAssertNoThrow(try LeastSquaresObjective(pooling: [ridge, ridge]))
        XCTAssertThrowsError(try LeastSquaresObjective(pooling: [ridge, plain])) { error in
            XCTAssertEqual("\(error)", "the objectives to pool disagree on the regularization: 0.25 and 0.0")
        }
        for bad in [-1, Double.infinity, .nan] {
            XCTAssertThrowsError(try LeastSquaresObjective(data, regularization: bad)) { error in
                XCTAssertEqual("\(error)", "the L2 regularization must be positive and finite, got \(bad)")
            }
        }
    }

    func testLeastSquaresOnRankDeficientFeaturesIsRefusedUnlessARidgeMakesItStronglyConvex() throws {
        // Two rows of three features, and four rows whose third feature is the sum of the
        // first two: X^T X is singular either way.
        let fewRows = RegressionData(features: [1, 2, 3, 4, 5, 6], targets: [1, 2], featureCount: 3)
        let collinear = RegressionData(features: [1, 0, 1, 0, 1, 1, 2, 3, 5, -1, 1, 0], targets: [1, 2, 3, 4],
                                       featureCount: 3)
        for (data, reason) in [(fewRows, "2 rows for 3 parameters"), (collinear, "features that span fewer than 3 dimensions")] {
            XCTAssertThrowsError(try LeastSquaresObjective(data).stronglyConvexConstants()) { error in
                guard case ObjectiveError.notStronglyConvex(_, _, let rows, let parameters) = error else {
                    return XCTFail("expected notStronglyConvex, got \(error)")
                }
                XCTAssertEqual([rows, parameters], [data.count, 3])
                XCTAssert("\(error)".hasPrefix("the objective is not strongly convex: its Hessian's smallest eigenvalue"),
                          "\(error)")
                XCTAssert("\(error)".hasSuffix("least squares without a ridge is strongly convex only when the features "
                                               + "have full column rank, and these rows do not (\(reason))"), "\(error)")
            }
            let ridge = try LeastSquaresObjective(data, regularization: 1e-3)
            XCTAssertEqual(try ridge.stronglyConvexConstants(), try ridge.regularityConstants())
            XCTAssertEqual(try ridge.stronglyConvexConstants().strongConvexity, 1e-3, accuracy: 1e-12)
        }
        let regular = try LeastSquaresObjective(regressionData(rows: 20, features: 3, noise: 1, seed: 62))
        XCTAssertEqual(try regular.stronglyConvexConstants(), try regular.regularityConstants())
    }

    // MARK: Minimizers

    func testLeastSquaresMinimizerSolvesTheNormalEquations() throws {
        let data = regressionData(rows: 2000, features: 10, noise: 10, seed: 11)
        let minimum = try LeastSquaresObjective(data).minimize()
        XCTAssertLessThanOrEqual(minimum.gradientNorm, 1e-10)
        XCTAssertEqual(minimum.iterations, 1)

        // The normal equations G θ = X^T y, solved through G's eigendecomposition.
        var gram = [Double](repeating: 0, count: 100)
        var moment = [Double](repeating: 0, count: 10)
        for row in 0..<2000 {
            let x = data.features[(row * 10)..<((row + 1) * 10)].map(Double.init)
            for j in 0..<10 {
                moment[j] += x[j] * data.targets[row]
                for k in 0..<10 { gram[j * 10 + k] += x[j] * x[k] }
            }
        }
        let (eigenvalues, vectors) = try LAPACK.symmetricEigen(gram, size: 10)
        var solution = [Double](repeating: 0, count: 10)
        for k in 0..<10 {
            let coefficient = (0..<10).reduce(0.0) { $0 + vectors[$1 * 10 + k] * moment[$1] } / eigenvalues[k]
            for j in 0..<10 { solution[j] += coefficient * vectors[j * 10 + k] }
        }
        for (got, want) in zip(minimum.parameters, solution) {
            XCTAssertEqual(got, want, accuracy: 1e-12 * (1 + abs(want)))
        }
        let residuals = (0..<2000).map { row in
            (0..<10).reduce(-data.targets[row]) { $0 + Double(data.features[row * 10 + $1]) * solution[$1] }
        }
        XCTAssertEqual(minimum.value, residuals.map { $0 * $0 }.reduce(0, +) / 2000, accuracy: 1e-12 * minimum.value)

        // Without noise the minimizer is the generating θ, (1, -2, 3, ...), and f(x*) = 0.
        let exact = try LeastSquaresObjective(regressionData(rows: 50, features: 4, noise: 0, seed: 12)).minimize()
        for (got, want) in zip(exact.parameters, [1.0, -2, 3, -4]) {
            XCTAssertEqual(got, want, accuracy: 1e-13)
        }
        XCTAssertEqual(exact.value, 0, accuracy: 1e-25)
    }

    func testPooledMinimizerIsStationaryForTheAverageOfTheNodes() throws {
        // Four nodes of unequal sizes: x* of the pooled objective makes
        // sum_i n_i ∇f_i(x*) / sum_i n_i vanish, and the pooled value is that average's.
        let sizes = [200, 500, 300, 1000]
        let binaryNodes = try sizes.enumerated().map { node, rows in
            try LogisticObjective(classificationData(rows: rows, features: 10, classes: 2, seed: 20 + UInt64(node)),
                                  regularization: 1)
        }
        let softmaxNodes = try sizes.enumerated().map { node, rows in
            try SoftmaxObjective(classificationData(rows: rows, features: 10, classes: 3, seed: 30 + UInt64(node)),
                                 regularization: 1e-2)
        }
        let squaresNodes = try sizes.enumerated().map { node, rows in
            try LeastSquaresObjective(regressionData(rows: rows, features: 10, noise: 10, seed: 40 + UInt64(node)))
        }
        let cases: [([any Objective], ObjectiveMinimum)] = [
            (binaryNodes, try LogisticObjective(pooling: binaryNodes).minimize()),
            (softmaxNodes, try SoftmaxObjective(pooling: softmaxNodes).minimize()),
            (squaresNodes, try LeastSquaresObjective(pooling: squaresNodes).minimize()),
        ]
        for (nodes, minimum) in cases {
            let kind = "\(type(of: nodes[0]))"
            XCTAssertLessThanOrEqual(minimum.gradientNorm, 1e-10, kind)
            XCTAssertLessThanOrEqual(minimum.iterations, 12, kind)
            var average = [Double](repeating: 0, count: minimum.parameters.count)
            var averageValue = 0.0
            for (node, rows) in zip(nodes, sizes) {
                let (value, gradient) = node.valueAndGradient(at: minimum.parameters)
                averageValue += Double(rows) / 2000 * value
                for index in average.indices { average[index] += Double(rows) / 2000 * gradient[index] }
            }
            XCTAssertLessThanOrEqual(BLAS.nrm2(average), 1e-10, kind)
            XCTAssertEqual(averageValue, minimum.value, accuracy: 1e-12 * abs(minimum.value), kind)
        }
    }

    func testNewtonConvergesOnSeparableDataWithWeakRegularization() throws {
        // Classes split by the sign of the first feature: without regularization the loss
        // keeps falling as θ grows; with mu = 1e-4 x* is large but finite.
        var stream = RandomStream(seed: 13, purpose: .synthetic)
        let features = (0..<400).map { _ in Float(stream.normal()) }
        let labels = (0..<200).map { Int32(features[2 * $0] > 0 ? 1 : 0) }
        let data = Dataset(features: features, labels: labels, featureCount: 2, classCount: 2)
        for objective in [try LogisticObjective(data, regularization: 1e-4) as any Objective,
                          try SoftmaxObjective(data, regularization: 1e-4)] {
            let minimum = try objective.minimize()
            XCTAssertLessThanOrEqual(minimum.gradientNorm, 1e-10)
            XCTAssertTrue(minimum.parameters.allSatisfy(\.isFinite))
            XCTAssertGreaterThan(BLAS.nrm2(minimum.parameters), 5, "\(type(of: objective)): x* should be large")
        }
    }

    func testNewtonReachesAToleranceBelowTheRoundingOfTheValue() throws {
        // Near x* a Newton step decreases f by less than f's rounding error: on these data
        // (found by trial) a line search demanding a strict decrease stalls with the
        // gradient's norm at 1.1e-10, above the tolerance.
        let data = classificationData(rows: 2000, features: 10, classes: 3, seed: 52)
        let minimum = try SoftmaxObjective(data, regularization: 1e-4).minimize()
        XCTAssertLessThanOrEqual(minimum.gradientNorm, 1e-10)
        XCTAssertLessThanOrEqual(minimum.iterations, 12)
    }

    // MARK: Errors

    func testNewtonFailsClearlyAtItsBound() throws {
        let objective = try LogisticObjective(classificationData(rows: 100, features: 3, classes: 2, seed: 14),
                                              regularization: 1e-3)
        XCTAssertThrowsError(try objective.minimize(maxIterations: 1)) { error in
            guard case ObjectiveError.notConverged(let iterations, let gradientNorm, let tolerance) = error else {
                return XCTFail("expected notConverged, got \(error)")
            }
            XCTAssertEqual(iterations, 1)
            XCTAssertGreaterThan(gradientNorm, 1e-10)
            XCTAssertEqual(tolerance, 1e-10)
            XCTAssertTrue("\(error)".hasPrefix("Newton's method did not converge: after 1 steps"), "\(error)")
        }
        // Two rows of three features: X^T X is singular, mu = 0 and there is no unique x*.
        let singular = try LeastSquaresObjective(RegressionData(features: [1, 2, 3, 4, 5, 6], targets: [1, 2],
                                                                featureCount: 3))
        XCTAssertEqual(try singular.regularityConstants().strongConvexity, 0, accuracy: 1e-14)
        XCTAssertThrowsError(try singular.minimize()) { error in
            guard case LinearAlgebraError.notPositiveDefinite = error else {
                return XCTFail("expected notPositiveDefinite, got \(error)")
            }
        }
    }

    func testInvalidObjectivesAreRefused() throws {
        let binary = classificationData(rows: 10, features: 2, classes: 2, seed: 15)
        let empty = Dataset(features: [], labels: [], featureCount: 2, classCount: 2)
        XCTAssertThrowsError(try LogisticObjective(classificationData(rows: 10, features: 2, classes: 3, seed: 16),
                                                   regularization: 1)) { error in
            XCTAssertEqual("\(error)", "binary logistic regression needs 2 classes, the data has 3")
        }
        for regularization in [0, -1, .infinity, .nan] {
            XCTAssertThrowsError(try LogisticObjective(binary, regularization: regularization)) { error in
                XCTAssertEqual("\(error)", "the L2 regularization must be positive and finite, got \(regularization)")
            }
            XCTAssertThrowsError(try SoftmaxObjective(binary, regularization: regularization))
        }
        XCTAssertThrowsError(try LogisticObjective(empty, regularization: 1)) { error in
            XCTAssertEqual(error as? ObjectiveError, .noRows)
        }
        XCTAssertThrowsError(try SoftmaxObjective(empty, regularization: 1))
        XCTAssertThrowsError(try LeastSquaresObjective(RegressionData(features: [], targets: [], featureCount: 2)))
        XCTAssertThrowsError(try LeastSquaresObjective(pooling: [])) { error in
            XCTAssertEqual(error as? ObjectiveError, .noRows)
        }

        let wider = classificationData(rows: 10, features: 3, classes: 2, seed: 17)
        XCTAssertThrowsError(try LogisticObjective(pooling: [LogisticObjective(binary, regularization: 1),
                                                             LogisticObjective(binary, regularization: 2)])) { error in
            XCTAssertEqual("\(error)", "the objectives to pool disagree on the regularization: 1.0 and 2.0")
        }
        XCTAssertThrowsError(try LogisticObjective(pooling: [LogisticObjective(binary, regularization: 1),
                                                             LogisticObjective(wider, regularization: 1)])) { error in
            XCTAssertEqual("\(error)", "the objectives to pool disagree on the feature count: 2 and 3")
        }
        let threeClasses = classificationData(rows: 10, features: 2, classes: 3, seed: 18)
        XCTAssertThrowsError(try SoftmaxObjective(pooling: [SoftmaxObjective(binary, regularization: 1),
                                                            SoftmaxObjective(threeClasses, regularization: 1)])) { error in
            XCTAssertEqual("\(error)", "the objectives to pool disagree on the class count: 2 and 3")
        }
    }
}
