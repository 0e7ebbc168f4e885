@testable import FedSimCore
import XCTest

final class RandomStreamTests: XCTestCase {
    func testSameKeyGivesSameStream() {
        var first = RandomStream(seed: 7, purpose: .batches, client: 3, counter: 9)
        var second = RandomStream(seed: 7, purpose: .batches, client: 3, counter: 9)
        for _ in 0..<1000 { XCTAssertEqual(first.next(), second.next()) }
    }

    func testEveryKeyComponentChangesTheStream() {
        func head(_ stream: RandomStream) -> [UInt64] {
            var copy = stream
            return (0..<4).map { _ in copy.next() }
        }
        let base = head(RandomStream(seed: 7, purpose: .batches, client: 3, counter: 9))
        XCTAssertNotEqual(base, head(RandomStream(seed: 8, purpose: .batches, client: 3, counter: 9)))
        XCTAssertNotEqual(base, head(RandomStream(seed: 7, purpose: .sampling, client: 3, counter: 9)))
        XCTAssertNotEqual(base, head(RandomStream(seed: 7, purpose: .batches, client: 4, counter: 9)))
        XCTAssertNotEqual(base, head(RandomStream(seed: 7, purpose: .batches, client: 3, counter: 10)))
    }

    func testPhiloxMatchesRandom123KnownAnswers() {
        // Known-answer vectors of philox4x32-10 from Random123's kat_vectors.
        let zero = RandomStream.philox(counter: (0, 0, 0, 0), key: (0, 0))
        XCTAssertEqual([zero.0, zero.1, zero.2, zero.3], [0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8])
        let ones = RandomStream.philox(
            counter: (.max, .max, .max, .max), key: (.max, .max))
        XCTAssertEqual([ones.0, ones.1, ones.2, ones.3], [0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD])
        let pi = RandomStream.philox(
            counter: (0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344), key: (0xA409_3822, 0x299F_31D0))
        XCTAssertEqual([pi.0, pi.1, pi.2, pi.3], [0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1])
    }

    func testUniformAndNormalMoments() {
        var stream = RandomStream(seed: 1, purpose: .noise)
        let count = 200_000
        var sum = 0.0, sumSquares = 0.0, uniformSum = 0.0
        for _ in 0..<count {
            let value = stream.normal()
            sum += value
            sumSquares += value * value
            let u = stream.uniform()
            XCTAssert(u >= 0 && u < 1)
            uniformSum += u
        }
        XCTAssertEqual(sum / Double(count), 0, accuracy: 0.01)
        XCTAssertEqual(sumSquares / Double(count), 1, accuracy: 0.01)
        XCTAssertEqual(uniformSum / Double(count), 0.5, accuracy: 0.005)
    }

    func testGammaMeanMatchesShape() {
        var stream = RandomStream(seed: 2, purpose: .partition)
        for shape in [0.3, 1.0, 4.5] {
            let count = 100_000
            let mean = (0..<count).reduce(0.0) { total, _ in total + stream.gamma(shape: shape) } / Double(count)
            XCTAssertEqual(mean, shape, accuracy: 0.03 * max(1, shape))
        }
    }

    func testIntegerIsUniformAndInRange() {
        var stream = RandomStream(seed: 3, purpose: .sampling)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[stream.integer(below: 7)] += 1 }
        for count in counts { XCTAssertEqual(Double(count), 10_000, accuracy: 400) }
    }

    func testSampleIsDistinctSortedAndInRange() {
        var stream = RandomStream(seed: 4, purpose: .sampling)
        let picked = stream.sample(10, from: 100)
        XCTAssertEqual(picked.count, 10)
        XCTAssertEqual(Set(picked).count, 10)
        XCTAssertEqual(picked, picked.sorted())
        XCTAssert(picked.allSatisfy { (0..<100).contains($0) })
        XCTAssertEqual(stream.permutation(50).sorted(), Array(0..<50))
    }

    func testDirichletSumsToOneAndKeepsTinyAlphasSkewed() {
        var stream = RandomStream(seed: 6, purpose: .partition)
        for alpha in [0.001, 0.5, 100] {
            let draw = stream.dirichlet(alpha: alpha, count: 20)
            XCTAssertEqual(draw.reduce(0, +), 1, accuracy: 1e-12)
            XCTAssert(draw.allSatisfy { $0 >= 0 })
            if alpha == 0.001 { XCTAssertGreaterThan(draw.max()!, 0.99) }
            if alpha == 100 { XCTAssertLessThan(draw.max()!, 0.1) }
        }
    }
}
