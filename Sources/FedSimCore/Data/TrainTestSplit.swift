/// Row indices of a train/test split; each list is ascending and together they hold
/// every row exactly once.
public struct SplitIndices: Equatable, Sendable {
    public var train: [Int]
    public var test: [Int]

    public init(train: [Int], test: [Int]) {
        self.train = train
        self.test = test
    }
}

extension Dataset {
    /// A seeded train/test split drawing from `RandomStream(seed:, purpose: .split,
    /// client:)`: `client` keys the draws of one client's own split.
    ///
    /// The test set has round(testFraction x count) rows. Stratified, each class c with
    /// n_c rows gives floor(testFraction x n_c) of them, and the rows still missing go
    /// one each to the classes with the largest fractional parts (ties to the lower
    /// class), so every class's test share is within one row of testFraction. Which
    /// rows go to test is uniform at random (within each class when stratified).
    /// Deterministic in (dataset labels, testFraction, seed, stratified, client). O(n log n).
    public func splitIndices(testFraction: Double, seed: UInt64, stratified: Bool = false,
                             client: Int = 0) throws -> SplitIndices {
        guard testFraction > 0 && testFraction < 1 else {
            throw DataError(.invalidArgument, "the test fraction must be strictly between 0 and 1, got \(testFraction)")
        }
        var stream = RandomStream(seed: seed, purpose: .split, client: client)
        let testCount = Int((testFraction * Double(count)).rounded())
        var test = [Int]()
        if stratified {
            let members = rowsByClass()
            let quotas = members.map { testFraction * Double($0.count) }
            var classTestCounts = quotas.map { Int($0.rounded(.down)) }
            let byFraction = quotas.indices.sorted { first, second in
                let firstFraction = quotas[first] - Double(classTestCounts[first])
                let secondFraction = quotas[second] - Double(classTestCounts[second])
                return firstFraction > secondFraction || (firstFraction == secondFraction && first < second)
            }
            for label in byFraction.prefix(testCount - classTestCounts.reduce(0, +)) {
                classTestCounts[label] += 1
            }
            for (label, var rows) in members.enumerated() {
                stream.shuffle(&rows)
                test += rows.prefix(classTestCounts[label])
            }
        } else {
            test = Array(stream.permutation(count).prefix(testCount))
        }
        test.sort()
        var isTest = [Bool](repeating: false, count: count)
        for row in test { isTest[row] = true }
        return SplitIndices(train: (0..<count).filter { !isTest[$0] }, test: test)
    }

    /// The rows of `splitIndices(testFraction:seed:stratified:)` as two datasets.
    public func split(testFraction: Double, seed: UInt64, stratified: Bool = false,
                      client: Int = 0) throws -> (train: Dataset, test: Dataset) {
        let indices = try splitIndices(testFraction: testFraction, seed: seed, stratified: stratified, client: client)
        return (subset(indices.train), subset(indices.test))
    }

    /// For each class in `0..<classCount`, its rows in ascending order. O(n).
    func rowsByClass() -> [[Int]] {
        var rows = [[Int]](repeating: [], count: classCount)
        for (row, label) in labels.enumerated() { rows[Int(label)].append(row) }
        return rows
    }
}
