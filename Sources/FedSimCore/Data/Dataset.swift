/// Labelled examples for classification: a row-major `count x featureCount` feature
/// matrix and one class index per row.
public struct Dataset: Equatable, Sendable {
    /// Row-major features, `count * featureCount` values.
    public var features: [Float]
    /// One class index in `0..<classCount` per row.
    public var labels: [Int32]
    public let featureCount: Int
    public let classCount: Int

    public var count: Int { labels.count }
    public var isEmpty: Bool { labels.isEmpty }

    public init(features: [Float], labels: [Int32], featureCount: Int, classCount: Int) {
        precondition(features.count == labels.count * featureCount,
                     "features hold \(features.count) values, expected \(labels.count) x \(featureCount)")
        self.features = features
        self.labels = labels
        self.featureCount = featureCount
        self.classCount = classCount
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
                       featureCount: featureCount, classCount: classCount)
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
}
