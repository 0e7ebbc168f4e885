/// Examples: a row-major `count x featureCount` feature matrix and one class index per
/// row, and for regression one real target per row.
///
/// Regression data (`targets` set) keeps its rows in one class, all labelled 0, so
/// whatever handles rows (subsets, splits, partitions, scalers, the wire) carries the
/// targets along with them; least squares reads them (`RegressionData(_:)`).
public struct Dataset: Equatable, Sendable {
    /// Row-major features, `count * featureCount` values.
    public var features: [Float]
    /// One class index in `0..<classCount` per row.
    public var labels: [Int32]
    public let featureCount: Int
    public let classCount: Int
    /// One real target per row for regression data; nil for classification.
    public var targets: [Double]?

    public var count: Int { labels.count }
    /// The bytes its features, labels and targets take in memory.
    public var byteCount: Int {
        features.count * MemoryLayout<Float>.size + labels.count * MemoryLayout<Int32>.size
            + (targets?.count ?? 0) * MemoryLayout<Double>.size
    }
    public var isEmpty: Bool { labels.isEmpty }

    public init(features: [Float], labels: [Int32], featureCount: Int, classCount: Int, targets: [Double]? = nil) {
        precondition(features.count == labels.count * featureCount,
                     "features hold \(features.count) values, expected \(labels.count) x \(featureCount)")
        precondition(targets.map { $0.count == labels.count } ?? true,
                     "\(targets?.count ?? 0) targets for \(labels.count) rows")
        self.features = features
        self.labels = labels
        self.featureCount = featureCount
        self.classCount = classCount
        self.targets = targets
    }

    /// Regression data: `targets.count` rows of `featureCount` features, all of class 0
    /// of one class.
    public init(features: [Float], targets: [Double], featureCount: Int) {
        self.init(features: features, labels: [Int32](repeating: 0, count: targets.count), featureCount: featureCount,
                  classCount: 1, targets: targets)
    }

    /// The rows of `parts` one after another, with the first part's width and classes;
    /// real targets when the parts have them. O(total rows x features).
    public init(concatenating parts: [Dataset]) {
        precondition(!parts.isEmpty, "nothing to concatenate")
        self.init(features: parts.flatMap(\.features), labels: parts.flatMap(\.labels),
                  featureCount: parts[0].featureCount, classCount: parts[0].classCount,
                  targets: parts[0].targets == nil ? nil : parts.flatMap { $0.targets ?? [] })
    }

    /// The rows at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        var selected = [Float]()
        selected.reserveCapacity(indices.count * featureCount)
        features.withUnsafeBufferPointer { all in
            for index in indices {
                let start = index * featureCount
                selected.append(contentsOf: all[start..<(start + featureCount)])
            }
        }
        return Dataset(features: selected, labels: indices.map { labels[$0] },
                       featureCount: featureCount, classCount: classCount, targets: targets.map { all in indices.map { all[$0] } })
    }
}

/// Data already split among clients, plus the held-out test set the coordinator
/// evaluates the global model on.
public struct FederatedDataset: Sendable {
    /// One dataset per client; client `i` owns `clients[i]`.
    public var clients: [Dataset]
    public var test: Dataset

    public init(clients: [Dataset], test: Dataset) {
        self.clients = clients
        self.test = test
    }

    public var featureCount: Int { test.featureCount }
    public var classCount: Int { test.classCount }
    /// Client i's number of rows, for every client.
    public var sampleCounts: [Int] { clients.map(\.count) }
    /// Whether the rows carry real targets (regression data).
    public var hasTargets: Bool { test.targets != nil }
}
