import FedSimCore
import XCTest

final class ContentHashTests: XCTestCase {
    private let data = Dataset(features: [0.5, -1, 2, 3, 4, 5], labels: [1, 0, 2], featureCount: 2, classCount: 3)

    func testTheDigestOfFixedDataIsFixed() {
        // Another digest is another wire protocol: a worker and a coordinator must agree on it.
        XCTAssertEqual("\(data.contentHash)", "404a6c1fb5391da6ea6cd22e826c4862")
    }

    func testAnyChangedByteLabelShapeOrTargetChangesTheDigest() {
        var hashes: Set<ContentHash> = [data.contentHash]
        var features = data
        features.features[5] = 5.000001
        var label = data
        label.labels[2] = 1
        let reshaped = Dataset(features: data.features, labels: [1, 0], featureCount: 3, classCount: 3)
        let moreClasses = Dataset(features: data.features, labels: data.labels, featureCount: 2, classCount: 4)
        let regression = Dataset(features: data.features, targets: [1, 2, 3], featureCount: 2)
        var target = regression
        target.targets![1] = 2.5
        let negativeZero = Dataset(features: [-0.0, 1, 2, 3, 4, 5], labels: data.labels, featureCount: 2, classCount: 3)
        let zero = Dataset(features: [0.0, 1, 2, 3, 4, 5], labels: data.labels, featureCount: 2, classCount: 3)
        for changed in [features, label, reshaped, moreClasses, regression, target, negativeZero, zero] {
            XCTAssertTrue(hashes.insert(changed.contentHash).inserted, "\(changed) hashes like an earlier dataset")
        }
    }

    func testLongRunsAreReadWholeAndRunBoundariesCount() {
        let long = (0..<1000).map { Float($0) }
        var changed = long
        changed[999] = -1
        let hash = { (values: [Float]) in Dataset(features: values, labels: [Int32](repeating: 0, count: 1000),
                                                  featureCount: 1, classCount: 1).contentHash }
        XCTAssertNotEqual(hash(long), hash(changed))
        var whole = ContentHasher(), split = ContentHasher()
        whole.combine([UInt8](repeating: 7, count: 40))
        split.combine([UInt8](repeating: 7, count: 20))
        split.combine([UInt8](repeating: 7, count: 20))
        XCTAssertNotEqual(whole.finalize(), split.finalize())
    }

    func testTheBytesRoundTripAndOtherLengthsAreRefused() {
        let hash = ContentHash(high: 0x0102_0304_0506_0708, low: 0xF0E0_D0C0_B0A0_9080)
        XCTAssertEqual(hash.bytes, [1, 2, 3, 4, 5, 6, 7, 8, 0xF0, 0xE0, 0xD0, 0xC0, 0xB0, 0xA0, 0x90, 0x80])
        XCTAssertEqual(ContentHash(bytes: hash.bytes), hash)
        XCTAssertEqual("\(hash)", "0102030405060708f0e0d0c0b0a09080")
        XCTAssertNil(ContentHash(bytes: Array(hash.bytes.dropLast())))
    }
}
