/// Examples for regression as least squares reads them: a row-major
/// `count x featureCount` feature matrix laid out like `Dataset`'s, and one real target
/// per row. Data travels as a `Dataset` with `targets`, whose rows every split,
/// partition and message carries with their targets; `init(_:)` takes it from there.
public struct RegressionData: Equatable, Sendable {
    /// Row-major features, `count * featureCount` values.
    public var features: [Float]
    /// One target per row.
    public var targets: [Double]
    public let featureCount: Int

    public var count: Int { targets.count }

    public init(features: [Float], targets: [Double], featureCount: Int) {
        precondition(features.count == targets.count * featureCount,
                     "features hold \(features.count) values, expected \(targets.count) x \(featureCount)")
        self.features = features
        self.targets = targets
        self.featureCount = featureCount
    }

    /// The rows and targets of regression data.
    /// - Throws: `DataError.invalidArgument` when `dataset` has no targets.
    public init(_ dataset: Dataset) throws {
        guard let targets = dataset.targets else {
            throw DataError(.invalidArgument, "least squares needs real targets, and these data have \(dataset.classCount) "
                            + "classes and none")
        }
        self.init(features: dataset.features, targets: targets, featureCount: dataset.featureCount)
    }
}
