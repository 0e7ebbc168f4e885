@testable import FedSimCore
import XCTest

final class FeatureScalerTests: XCTestCase {
    // Three training rows; the middle feature is constant.
    private let train = Dataset(features: [1, 5, 2,
                                           3, 5, 4,
                                           5, 5, 9],
                                labels: [0, 1, 0], featureCount: 3, classCount: 2)
    private let test = Dataset(features: [7, 6, 2], labels: [1], featureCount: 3, classCount: 2)

    private func assertEqual(_ actual: [Float], _ expected: [Double], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (value, want) in zip(actual, expected) {
            XCTAssertEqual(Double(value), want, accuracy: 1e-6, file: file, line: line)
        }
    }

    func testMinMaxUsesTrainingRangeAndLeavesConstantFeaturesFinite() throws {
        let scaler = try FeatureScaler(fittedTo: train, method: .minMax)
        XCTAssertEqual(scaler.offsets, [1, 5, 2])
        XCTAssertEqual(scaler.divisors, [4, 1, 7])
        let (scaledTrain, scaledTest) = try FeatureScaler.scale(train: train, test: test, method: .minMax)
        // (x - min) / (max - min): column 0 over [1, 5], column 2 over [2, 9]; column 1 is x - 5.
        assertEqual(scaledTrain.features, [0, 0, 0,
                                           0.5, 0, 2.0 / 7,
                                           1, 0, 1])
        // Test rows use the training statistics, so they may leave [0, 1].
        assertEqual(scaledTest.features, [1.5, 1, 0])
        XCTAssertEqual(scaledTrain.labels, train.labels)
    }

    func testStandardUsesPopulationDeviation() throws {
        let (scaledTrain, scaledTest) = try FeatureScaler.scale(train: train, test: test, method: .standard)
        // Column 0: mean 3, sd sqrt(8/3); column 2: mean 5, sd sqrt(26/3); column 1 is x - 5.
        let sd0 = (8.0 / 3).squareRoot(), sd2 = (26.0 / 3).squareRoot()
        assertEqual(scaledTrain.features, [-2 / sd0, 0, -3 / sd2,
                                           0, 0, -1 / sd2,
                                           2 / sd0, 0, 4 / sd2])
        assertEqual(scaledTest.features, [4 / sd0, 1, -3 / sd2])
        XCTAssert(scaledTrain.features.allSatisfy(\.isFinite))
    }

    func testMismatchedWidthAndEmptyTrainingSetThrow() throws {
        let scaler = try FeatureScaler(fittedTo: train, method: .standard)
        let narrow = Dataset(features: [1, 2], labels: [0], featureCount: 2, classCount: 2)
        XCTAssertEqual(dataError { try scaler.apply(to: narrow) }?.kind, .invalidArgument)
        XCTAssertEqual(dataError { try FeatureScaler(fittedTo: train.subset([]), method: .minMax) }?.kind, .noData)
    }
}
