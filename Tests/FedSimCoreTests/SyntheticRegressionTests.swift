@testable import FedSimCore
import XCTest

final class SyntheticRegressionTests: XCTestCase {
    /// Mean and population standard deviation.
    private func moments(_ values: [Double]) -> (mean: Double, deviation: Double) {
        let mean = values.reduce(0, +) / Double(values.count)
        return (mean, (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot())
    }

    /// Every row of `data` (train and test) with its target.
    private func rows(_ client: SyntheticRegression.Client) -> [(x: [Double], y: Double)] {
        var rows: [(x: [Double], y: Double)] = []
        for data in [client.train, client.test] {
            let width = data.featureCount
            for row in 0..<data.count {
                let x = data.features[(row * width)..<((row + 1) * width)].map { Double($0) }
                rows.append((x, data.targets![row]))
            }
        }
        return rows
    }

    func testTargetsAreTheSlopeTimesTheLinearModelPlusNoise() throws {
        // y / c_k - <x, w_k> is the noise e ~ N(0, 10^2): over 5000 rows its mean is within
        // 4 standard errors (4 x 10 / sqrt 5000 = 0.57) of 0 and its standard deviation
        // within 4 x 10 / sqrt(2 x 5000) = 0.4 of 10.
        let generator = try SyntheticRegression(featureCount: 6, samplesPerClient: 5000, seed: 1)
        for index in 0..<3 {
            let client = generator.client(index)
            let residuals = rows(client).map { x, y in
                y / client.slope - zip(x, client.coefficients).reduce(0) { $0 + $1.0 * $1.1 }
            }
            let (mean, deviation) = moments(residuals)
            XCTAssertEqual(mean, 0, accuracy: 0.57, "client \(index)")
            XCTAssertEqual(deviation, 10, accuracy: 0.4, "client \(index)")
        }
        // Without noise the targets are exactly c_k <x, w_k>, up to rounding.
        let exact = try SyntheticRegression(featureCount: 6, samplesPerClient: 50, noise: 0, seed: 1).client(0)
        for (x, y) in rows(exact) {
            let model = exact.slope * zip(x, exact.coefficients).reduce(0) { $0 + $1.0 * $1.1 }
            XCTAssertEqual(y, model, accuracy: 1e-12 * max(1, abs(model)))
        }
    }

    func testFeaturesAreStandardNormal() throws {
        let client = try SyntheticRegression(featureCount: 4, samplesPerClient: 4000, seed: 2).client(0)
        for feature in 0..<4 {
            let (mean, deviation) = moments(rows(client).map { $0.x[feature] })
            // Standard errors 1 / sqrt 4000 = 0.016 for the mean and 1 / sqrt 8000 = 0.011 for the deviation.
            XCTAssertEqual(mean, 0, accuracy: 0.07, "feature \(feature)")
            XCTAssertEqual(deviation, 1, accuracy: 0.05, "feature \(feature)")
        }
    }

    func testCoefficientsAndSlopesDifferPerClientAsDrawn() throws {
        // 5 of 20 features informative: each client has exactly 5 coefficients in
        // [0, 100), on features chosen uniformly, so over 400 clients each feature is
        // chosen 100 times on average (binomial, standard deviation 8.7). Coefficients are
        // 100 U(0, 1), mean 50 and deviation 28.9; slopes U(0.01, 5), mean 2.505 and
        // deviation 1.44.
        let generator = try SyntheticRegression(featureCount: 20, samplesPerClient: 10, informativeCount: 5, seed: 3)
        let clients = (0..<400).map { generator.client($0) }
        var chosen = [Int](repeating: 0, count: 20)
        var coefficients: [Double] = []
        for client in clients {
            let informative = client.coefficients.indices.filter { client.coefficients[$0] != 0 }
            XCTAssertEqual(informative.count, 5)
            for feature in informative { chosen[feature] += 1 }
            coefficients += informative.map { client.coefficients[$0] }
            XCTAssert((0.01...5).contains(client.slope))
        }
        XCTAssert(chosen.allSatisfy { (65...135).contains($0) }, "\(chosen)")
        XCTAssert(coefficients.allSatisfy { (0..<100).contains($0) })
        let (coefficientMean, coefficientDeviation) = moments(coefficients)
        XCTAssertEqual(coefficientMean, 50, accuracy: 4 * 28.9 / 2000.0.squareRoot())
        XCTAssertEqual(coefficientDeviation, 100 / 12.0.squareRoot(), accuracy: 2)
        let (slopeMean, slopeDeviation) = moments(clients.map(\.slope))
        XCTAssertEqual(slopeMean, 2.505, accuracy: 4 * 1.44 / 20)
        XCTAssertEqual(slopeDeviation, 4.99 / 12.0.squareRoot(), accuracy: 0.15)
        XCTAssertEqual(Set(clients.map(\.slope)).count, 400)

        // Every feature informative by default; a range of one slope gives that slope.
        let all = try SyntheticRegression(featureCount: 8, samplesPerClient: 10, slopeRange: 2...2, seed: 3).client(7)
        XCTAssert(all.coefficients.allSatisfy { $0 > 0 })
        XCTAssertEqual(all.slope, 2)
    }

    func testSplitsAndDeterminism() throws {
        let generator = try SyntheticRegression(featureCount: 3, samplesPerClient: 25, seed: 4)
        let federated = try generator.generate(clients: 5)
        XCTAssertEqual(federated.clients.count, 5)
        XCTAssertTrue(federated.hasTargets)
        XCTAssertEqual(federated.featureCount, 3)
        XCTAssertEqual(federated.classCount, 1)
        var testTargets: [Double] = []
        for index in 0..<5 {
            let client = generator.client(index)
            // The first floor(0.9 x 25) = 22 rows train, the last 3 test.
            XCTAssertEqual(client.train.count, 22)
            XCTAssertEqual(client.test.count, 3)
            XCTAssertEqual(federated.clients[index], client.train)
            XCTAssert(client.train.labels.allSatisfy { $0 == 0 })
            testTargets += client.test.targets!
        }
        XCTAssertEqual(federated.test.targets, testTargets)
        XCTAssertEqual(federated.test.count, 15)

        // A client's data depend on the seed and its index only, not on the client count.
        XCTAssertEqual(try generator.generate(clients: 8).clients[3], federated.clients[3])
        XCTAssertEqual(try SyntheticRegression(featureCount: 3, samplesPerClient: 25, seed: 4).client(2), generator.client(2))
        XCTAssertNotEqual(try SyntheticRegression(featureCount: 3, samplesPerClient: 25, seed: 5).client(2).train,
                          generator.client(2).train)
        XCTAssertNotEqual(generator.client(1).train.features, generator.client(2).train.features)
    }

    func testInvalidSettingsAreRefused() {
        let cases: [(() throws -> SyntheticRegression, String)] = [
            ({ try SyntheticRegression(featureCount: 0, samplesPerClient: 10, seed: 0) },
             "synthetic regression data needs at least 1 feature and 2 samples a client (one to train on, one to test), got 0 and 10"),
            ({ try SyntheticRegression(featureCount: 3, samplesPerClient: 1, seed: 0) },
             "synthetic regression data needs at least 1 feature and 2 samples a client (one to train on, one to test), got 3 and 1"),
            ({ try SyntheticRegression(featureCount: 3, samplesPerClient: 10, informativeCount: 4, seed: 0) },
             "the informative features must number 1 to the 3 features, got 4"),
            ({ try SyntheticRegression(featureCount: 3, samplesPerClient: 10, noise: -1, seed: 0) },
             "the noise is a standard deviation and must be finite and >= 0, got -1.0"),
            ({ try SyntheticRegression(featureCount: 3, samplesPerClient: 10, slopeRange: 0...Double.infinity, seed: 0) },
             "the slope range must be finite, got 0.0...inf"),
        ]
        for (make, message) in cases {
            XCTAssertThrowsError(try make()) { XCTAssertEqual("\($0)", message) }
        }
        XCTAssertThrowsError(try SyntheticRegression(featureCount: 3, samplesPerClient: 10, seed: 0).generate(clients: 0))
    }

    func testRowsCarryTheirTargetsThroughSubsetsSplitsScalersAndPartitions() throws {
        let data = Dataset(features: [0, 1, 2, 3, 4, 5, 6, 7], targets: [10, 11, 12, 13], featureCount: 2)
        XCTAssertEqual(data.subset([3, 1]), Dataset(features: [6, 7, 2, 3], targets: [13, 11], featureCount: 2))
        // Each row's target is 10 + its first feature / 2: every derived set keeps that pairing.
        func paired(_ part: Dataset) -> Bool {
            (0..<part.count).allSatisfy { part.targets![$0] == 10 + Double(part.features[2 * $0]) / 2 }
        }
        let (train, test) = try data.split(testFraction: 0.5, seed: 1, stratified: true)
        XCTAssert(paired(train) && paired(test))
        XCTAssertEqual(train.count, 2)
        let parts = try FederatedDataset(partitioning: data, test: test, clients: 2, scheme: .iid, seed: 2)
        XCTAssert(parts.clients.allSatisfy(paired))
        XCTAssertEqual(parts.clients.map(\.count).reduce(0, +), 4)
        let scaled = try FeatureScaler(fittedTo: data, method: .standard).apply(to: data)
        XCTAssertEqual(scaled.targets, data.targets)
        XCTAssertEqual(try RegressionData(data), RegressionData(features: data.features, targets: [10, 11, 12, 13],
                                                                 featureCount: 2))
        XCTAssertThrowsError(try RegressionData(Dataset(features: [1], labels: [0], featureCount: 1, classCount: 2))) {
            XCTAssertEqual("\($0)", "least squares needs real targets, and these data have 2 classes and none")
        }
    }
}
