@testable import FedSimCore
import XCTest

final class LEAFSyntheticTests: XCTestCase {
    /// Mean over clients of the share of a client's training rows in its most common class.
    private func dominantShare(_ federated: FederatedDataset) -> Double {
        federated.clients.map { client in
            Double(labelHistogram(client, Array(0..<client.count)).max()!) / Double(client.count)
        }.reduce(0, +) / Double(federated.clients.count)
    }

    func testShapesSizesAndDeterminism() throws {
        let generator = try LEAFSynthetic(variant: .heterogeneous(alpha: 1, beta: 1), seed: 42)
        let federated = try generator.generate(clients: 12)
        XCTAssertEqual(federated.clients.count, 12)
        XCTAssertEqual(federated.featureCount, 60)
        XCTAssertEqual(federated.classCount, 10)
        var testRows = 0
        for index in 0..<12 {
            let (train, test) = generator.client(index)
            let total = train.count + test.count
            XCTAssert((50...1000).contains(total), "client \(index) has \(total) samples")
            XCTAssertEqual(train.count, total * 9 / 10)
            XCTAssertEqual(federated.clients[index], train)
            XCTAssertEqual(Array(federated.test.labels[testRows..<(testRows + test.count)]), test.labels)
            testRows += test.count
            XCTAssert(train.labels.allSatisfy { (0..<10).contains($0) })
            XCTAssertEqual(train.featureCount, 60)
        }
        XCTAssertEqual(federated.test.count, testRows)
        let again = try generator.generate(clients: 12)
        XCTAssertEqual(again.clients, federated.clients)
        XCTAssertEqual(again.test, federated.test)
        let otherSeed = try LEAFSynthetic(variant: .heterogeneous(alpha: 1, beta: 1), seed: 43).client(0)
        XCTAssertNotEqual(otherSeed.train, federated.clients[0])
    }

    /// v_k ~ N(B_k, 1) per feature with B_k ~ N(0, beta^2), so the mean of a client's
    /// features is B_k plus noise of standard deviation 1/sqrt(60) (and a sample mean of
    /// rows spread by j^-0.6): over clients it spreads by sqrt(beta^2 + 1/60), 3.003 for
    /// beta = 3. Read as a variance, beta = 3 would give sqrt(3 + 1/60) = 1.74.
    func testBetaIsTheStandardDeviationOfTheClientsFeatureMeans() throws {
        let federated = try LEAFSynthetic(variant: .heterogeneous(alpha: 0, beta: 3), maxSamplesPerClient: 50, seed: 11)
            .generate(clients: 400)
        let means = federated.clients.map { client in client.features.reduce(0) { $0 + Double($1) } / Double(client.features.count) }
        let center = means.reduce(0, +) / Double(means.count)
        let spread = (means.map { ($0 - center) * ($0 - center) }.reduce(0, +) / Double(means.count - 1)).squareRoot()
        // 400 clients: the sample standard deviation is within 3.5% (one standard error) of 3.
        XCTAssertEqual(spread, 3.003, accuracy: 0.3)
    }

    func testFeatureVarianceFollowsSigma() throws {
        // With beta = 0 every feature mean is v_j ~ N(0, 1) per client, but the spread of a
        // client's samples around it is Sigma_jj = j^-1.2: 1 for j = 1, 60^-1.2 = 0.0074 for j = 60.
        let generator = try LEAFSynthetic(variant: .heterogeneous(alpha: 0, beta: 0),
                                          maxSamplesPerClient: 1000, seed: 7)
        var client = 0
        var train = generator.client(client).train
        while train.count < 400 {
            client += 1
            train = generator.client(client).train
        }
        for feature in [0, 59] {
            let column = stride(from: feature, to: train.features.count, by: 60).map { Double(train.features[$0]) }
            let mean = column.reduce(0, +) / Double(column.count)
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(column.count)
            XCTAssertEqual(variance, pow(Double(feature + 1), -1.2), accuracy: 0.2 * pow(Double(feature + 1), -1.2))
        }
    }

    func testBetaDrivesLabelSkewAlphaLeavesLabelsUnchanged() throws {
        let calm = try LEAFSynthetic(variant: .heterogeneous(alpha: 0, beta: 0), seed: 5).generate(clients: 30)
        let shifted = try LEAFSynthetic(variant: .heterogeneous(alpha: 0, beta: 10), seed: 5).generate(clients: 30)
        let iid = try LEAFSynthetic(variant: .iid, seed: 5).generate(clients: 30)
        // Measured for seed 5: 0.27 (IID), 0.79 (beta 0), 0.90 (beta 10).
        XCTAssertLessThan(dominantShare(iid), 0.4)
        XCTAssertGreaterThan(dominantShare(calm), 0.6)
        XCTAssertGreaterThan(dominantShare(shifted), dominantShare(calm) + 0.05)

        // Alpha adds u_k (sum x + 1) to every logit alike: same features, same labels.
        let alphaTen = try LEAFSynthetic(variant: .heterogeneous(alpha: 10, beta: 0), seed: 5).generate(clients: 30)
        XCTAssertEqual(alphaTen.clients.map(\.features), calm.clients.map(\.features))
        let agreeing = zip(alphaTen.test.labels, calm.test.labels).filter { $0 == $1 }.count
        XCTAssertGreaterThanOrEqual(Double(agreeing) / Double(calm.test.count), 0.999)
    }

    func testIIDVariantWithCustomShape() throws {
        let generator = try LEAFSynthetic(variant: .iid, featureCount: 5, classCount: 3, seed: 1)
        let federated = try generator.generate(clients: 5)
        XCTAssert(federated.clients.allSatisfy { $0.featureCount == 5 && $0.labels.allSatisfy { (0..<3).contains($0) } })
    }

    func testInvalidParametersThrow() {
        XCTAssertEqual(dataError { try LEAFSynthetic(variant: .heterogeneous(alpha: -1, beta: 0), seed: 0) }?.kind,
                       .invalidArgument)
        XCTAssertEqual(dataError { try LEAFSynthetic(variant: .iid, maxSamplesPerClient: 49, seed: 0) }?.kind,
                       .invalidArgument)
        XCTAssertEqual(dataError { try LEAFSynthetic(variant: .iid, seed: 0).generate(clients: 0) }?.kind,
                       .invalidArgument)
    }
}
