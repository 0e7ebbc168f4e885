@testable import FedSimCore
import XCTest

/// A dataset with one zero feature and `classSizes[c]` rows of class c, classes interleaved.
func labelledRows(_ classSizes: [Int]) -> Dataset {
    var remaining = classSizes
    var labels = [Int32]()
    while remaining.contains(where: { $0 > 0 }) {
        for label in remaining.indices where remaining[label] > 0 {
            labels.append(Int32(label))
            remaining[label] -= 1
        }
    }
    return Dataset(features: [Float](repeating: 0, count: labels.count), labels: labels,
                   featureCount: 1, classCount: classSizes.count)
}

/// How many of `rows` have each label.
func labelHistogram(_ dataset: Dataset, _ rows: [Int]) -> [Int] {
    var histogram = [Int](repeating: 0, count: dataset.classCount)
    for row in rows { histogram[Int(dataset.labels[row])] += 1 }
    return histogram
}

final class TrainTestSplitTests: XCTestCase {
    func testSizesCoverageAndDeterminism() throws {
        let dataset = labelledRows([5, 3, 2])
        let split = try dataset.splitIndices(testFraction: 0.25, seed: 11)
        // round(0.25 x 10) = round(2.5) = 3 test rows.
        XCTAssertEqual(split.test.count, 3)
        XCTAssertEqual(split.train.count, 7)
        XCTAssertEqual((split.train + split.test).sorted(), Array(0..<10))
        XCTAssertEqual(split.test, split.test.sorted())
        XCTAssertEqual(try dataset.splitIndices(testFraction: 0.25, seed: 11), split)

        let digitsSized = labelledRows([178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
        let seeds = try (0..<5).map { try digitsSized.splitIndices(testFraction: 0.2, seed: $0).test }
        XCTAssertEqual(seeds[0].count, 359) // round(0.2 x 1797) = round(359.4)
        XCTAssertEqual(Set(seeds).count, 5)
    }

    func testStratifiedSplitKeepsClassShares() throws {
        // Quotas 0.5 x [5, 3, 2] = [2.5, 1.5, 1]: floors [2, 1, 1], the fifth row goes to
        // class 0 (fraction 0.5, tied with class 1, lower class first).
        let small = labelledRows([5, 3, 2])
        let split = try small.splitIndices(testFraction: 0.5, seed: 3, stratified: true)
        XCTAssertEqual(labelHistogram(small, split.test), [3, 1, 1])
        XCTAssertEqual(labelHistogram(small, split.train), [2, 2, 1])

        let sizes = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
        let dataset = labelledRows(sizes)
        let (train, test) = try dataset.split(testFraction: 0.2, seed: 9, stratified: true)
        XCTAssertEqual(test.count, 359)
        XCTAssertEqual(train.count, 1797 - 359)
        for (label, tested) in labelHistogram(test, Array(0..<test.count)).enumerated() {
            let quota = 0.2 * Double(sizes[label])
            XCTAssert(tested == Int(quota.rounded(.down)) || tested == Int(quota.rounded(.up)), "class \(label)")
        }
        XCTAssertEqual(dataError { try dataset.splitIndices(testFraction: 1, seed: 0) }?.kind, .invalidArgument)
    }
}

final class PartitionerTests: XCTestCase {
    private let tenByHundred = labelledRows([Int](repeating: 100, count: 10))

    /// Asserts that `parts` are disjoint and, when `complete`, cover all `count` rows.
    private func assertDisjoint(_ parts: [[Int]], count: Int, complete: Bool = true,
                                file: StaticString = #filePath, line: UInt = #line) {
        let all = parts.flatMap { $0 }
        XCTAssertEqual(Set(all).count, all.count, "a row is used twice", file: file, line: line)
        XCTAssert(all.allSatisfy { (0..<count).contains($0) }, file: file, line: line)
        if complete { XCTAssertEqual(all.count, count, file: file, line: line) }
        XCTAssert(parts.allSatisfy { $0 == $0.sorted() }, file: file, line: line)
    }

    func testIIDGivesNearEqualShuffledChunks() throws {
        let parts = try Partitioner.iid(labelledRows([4, 3, 3]), clients: 3, seed: 5)
        XCTAssertEqual(parts.map(\.count), [4, 3, 3])
        assertDisjoint(parts, count: 10)

        let big = try Partitioner.iid(tenByHundred, clients: 7, seed: 5)
        XCTAssertEqual(big.map(\.count), [143, 143, 143, 143, 143, 143, 142])
        assertDisjoint(big, count: 1000)
        XCTAssertEqual(try Partitioner.iid(tenByHundred, clients: 7, seed: 5), big)
        XCTAssertNotEqual(try Partitioner.iid(tenByHundred, clients: 7, seed: 6), big)
        XCTAssertEqual(dataError { try Partitioner.iid(labelledRows([2]), clients: 3, seed: 0) }?.kind, .partitionFailed)
    }

    func testDirichletSkewFollowsAlpha() throws {
        /// Mean over clients of the share of a client's rows in its most common class.
        func dominantShare(_ parts: [[Int]]) -> Double {
            parts.map { Double(labelHistogram(tenByHundred, $0).max()!) / Double($0.count) }
                .reduce(0, +) / Double(parts.count)
        }
        let skewed = try Partitioner.dirichlet(tenByHundred, clients: 10, alpha: 0.05, seed: 1)
        assertDisjoint(skewed, count: 1000)
        XCTAssertGreaterThan(dominantShare(skewed), 0.6)
        XCTAssertEqual(try Partitioner.dirichlet(tenByHundred, clients: 10, alpha: 0.05, seed: 1), skewed)

        let uniform = try Partitioner.dirichlet(tenByHundred, clients: 10, alpha: 1000, seed: 1)
        assertDisjoint(uniform, count: 1000)
        XCTAssertLessThan(dominantShare(uniform), 0.15)
        for part in uniform {
            XCTAssert(labelHistogram(tenByHundred, part).allSatisfy { (8...12).contains($0) })
        }
    }

    func testDirichletHonoursMinSamplesOrGivesUp() throws {
        let parts = try Partitioner.dirichlet(tenByHundred, clients: 10, alpha: 0.3, minSamples: 40, seed: 2)
        assertDisjoint(parts, count: 1000)
        XCTAssert(parts.allSatisfy { $0.count >= 40 })

        let impossible = dataError {
            try Partitioner.dirichlet(tenByHundred, clients: 20, alpha: 0.01, minSamples: 45, maxAttempts: 50, seed: 2)
        }
        XCTAssertEqual(impossible?.kind, .partitionFailed)
        XCTAssertEqual(impossible?.description,
                       "no Dirichlet(0.01) draw gave all 20 clients at least 45 rows in 50 attempts; raise alpha or lower minSamples")
        XCTAssertEqual(dataError { try Partitioner.dirichlet(tenByHundred, clients: 11, alpha: 1, minSamples: 91, seed: 0) }?
            .kind, .partitionFailed)
        XCTAssertEqual(dataError { try Partitioner.dirichlet(tenByHundred, clients: 2, alpha: 0, seed: 0) }?.kind,
                       .invalidArgument)
    }

    func testShardsFollowLabelOrder() throws {
        // Labels [1, 0, 1, 0, 2, 2] sort to rows [1, 3, 0, 2, 4, 5]: shards {1, 3}, {0, 2}, {4, 5}.
        let tiny = Dataset(features: [Float](repeating: 0, count: 6), labels: [1, 0, 1, 0, 2, 2],
                           featureCount: 1, classCount: 3)
        let parts = try Partitioner.shards(tiny, clients: 3, shardsPerClient: 1, seed: 4)
        XCTAssertEqual(Set(parts), [[1, 3], [0, 2], [4, 5]])

        // 635 rows, 20 shards of 31 rows; the last 15 rows in label order are left out.
        let uneven = labelledRows((0..<10).map { 50 + 3 * $0 })
        let shards = try Partitioner.shards(uneven, clients: 10, shardsPerClient: 2, seed: 4)
        assertDisjoint(shards, count: 635, complete: false)
        XCTAssertEqual(shards.map(\.count), [Int](repeating: 62, count: 10))
        for part in shards {
            XCTAssertLessThanOrEqual(labelHistogram(uneven, part).filter { $0 > 0 }.count, 4)
        }
        XCTAssertEqual(try Partitioner.shards(uneven, clients: 10, shardsPerClient: 2, seed: 4), shards)
        XCTAssertEqual(try Partitioner.partition(uneven, clients: 10, scheme: .shards(perClient: 2), seed: 4), shards)
    }

    func testFederatedDatasetFromScheme() throws {
        let test = labelledRows([1, 1])
        let federated = try FederatedDataset(partitioning: tenByHundred, test: test, clients: 4,
                                             scheme: .dirichlet(alpha: 0.5), seed: 8)
        XCTAssertEqual(federated.clients.count, 4)
        XCTAssertEqual(federated.clients.map(\.count).reduce(0, +), 1000)
        XCTAssertEqual(federated.test, test)
    }
}

final class LabelGroupTests: XCTestCase {
    func testGroupsRelabelAndDropTheOtherRows() throws {
        let data = Dataset(features: [0, 1, 2, 3, 4], labels: [0, 1, 2, 3, 1], featureCount: 1, classCount: 4)
        let grouped = try data.regrouped([[3], [1, 0]])
        XCTAssertEqual(grouped.features, [0, 1, 3, 4])
        XCTAssertEqual(grouped.labels, [1, 1, 0, 1])
        XCTAssertEqual(grouped.classCount, 2)
    }

    func testBadGroupsAreRefusedNamingTheLabel() {
        let data = Dataset(features: [0, 1], labels: [0, 1], featureCount: 1, classCount: 2)
        XCTAssertThrowsError(try data.regrouped([[0], [2]])) { XCTAssert("\($0)".contains("label 2 of group 1 is outside"), "\($0)") }
        XCTAssertThrowsError(try data.regrouped([[0], [0, 1]])) { XCTAssert("\($0)".contains("label 0 is in two groups"), "\($0)") }
        XCTAssertThrowsError(try data.regrouped([[0], []])) { XCTAssert("\($0)".contains("group 1 is empty"), "\($0)") }
    }
}
