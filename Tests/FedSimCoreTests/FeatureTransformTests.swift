@testable import FedSimCore
import XCTest

final class FeatureTransformTests: XCTestCase {
    /// One row holding `values`, one class.
    private func row(_ values: [Float]) -> Dataset {
        Dataset(features: values, labels: [0], featureCount: values.count, classCount: 1)
    }

    private func transformed(_ values: [Float], _ transform: FeatureTransform) throws -> [Float] {
        try row(values).transformed(transform).features
    }

    func testPermutationIsABijectionFixedByItsSeed() throws {
        let sources = try FeatureTransform.permute(seed: 7).sourceFeatures(featureCount: 784)
        XCTAssertEqual(sources.sorted(), Array(0..<784))
        XCTAssertEqual(try FeatureTransform.permute(seed: 7).sourceFeatures(featureCount: 784), sources)
        XCTAssertNotEqual(try FeatureTransform.permute(seed: 8).sourceFeatures(featureCount: 784), sources)
        XCTAssertNotEqual(sources, Array(0..<784))
        var stream = RandomStream(seed: 7, purpose: .featurePermutation)
        XCTAssertEqual(sources, stream.permutation(784))
    }

    func testEveryRowIsRearrangedTheSameWayAndLabelsAndTargetsStay() throws {
        let data = Dataset(features: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], targets: [0.5, -1, 2], featureCount: 4)
        let sources = try FeatureTransform.permute(seed: 3).sourceFeatures(featureCount: 4)
        let permuted = try data.transformed(.permute(seed: 3))
        for rowIndex in 0..<3 {
            XCTAssertEqual(Array(permuted.features[(rowIndex * 4)..<(rowIndex * 4 + 4)]),
                           sources.map { data.features[rowIndex * 4 + $0] })
        }
        XCTAssertEqual(permuted.labels, data.labels)
        XCTAssertEqual(permuted.targets, data.targets)
        XCTAssertEqual(permuted.classCount, data.classCount)
    }

    func testQuarterTurnsAreCounterclockwise() throws {
        // [1 2]    [2 4]
        // [3 4] -> [1 3]
        XCTAssertEqual(try transformed([1, 2, 3, 4], .rotate(quarterTurns: 1)), [2, 4, 1, 3])
        // [1 2 3]    [3 6 9]
        // [4 5 6] -> [2 5 8]
        // [7 8 9]    [1 4 7]
        let square: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        XCTAssertEqual(try transformed(square, .rotate(quarterTurns: 1)), [3, 6, 9, 2, 5, 8, 1, 4, 7])
        XCTAssertEqual(try transformed(square, .rotate(quarterTurns: 2)), [9, 8, 7, 6, 5, 4, 3, 2, 1])
        XCTAssertEqual(try transformed(square, .rotate(quarterTurns: 3)), [7, 4, 1, 8, 5, 2, 9, 6, 3])
        XCTAssertEqual(try transformed(square, .flip), [3, 2, 1, 6, 5, 4, 9, 8, 7])
    }

    func testFourQuarterTurnsAndTwoFlipsAreTheIdentity() throws {
        let image = row((0..<(28 * 28)).map(Float.init))
        var turned = image
        for turn in 1...4 {
            turned = try turned.transformed(.rotate(quarterTurns: 1))
            XCTAssertEqual(turned == image, turn == 4, "after \(turn) quarter turns")
        }
        XCTAssertEqual(try image.transformed(.rotate(quarterTurns: 1)).transformed(.rotate(quarterTurns: 1)),
                       try image.transformed(.rotate(quarterTurns: 2)))
        XCTAssertEqual(try image.transformed(.flip).transformed(.flip), image)
    }

    func testImageTransformsRefuseFeaturesThatAreNotASquare() {
        for transform in [FeatureTransform.rotate(quarterTurns: 1), .flip] {
            let error = dataError { try self.row([1, 2, 3, 4, 5, 6]).transformed(transform) }
            XCTAssertEqual(error?.kind, .invalidArgument)
            XCTAssertEqual(error?.message, "\(transform.kind.rawValue) needs square images, side x side features with "
                           + "the pixels row-major; 6 features is not a square")
        }
        XCTAssertEqual(dataError { try FeatureTransform.rotate(quarterTurns: 4).sourceFeatures(featureCount: 4) }?.message,
                       "a rotation is 1, 2 or 3 quarter turns, got 4")
        XCTAssertEqual(try transformed([5], .flip), [5])
    }
}
