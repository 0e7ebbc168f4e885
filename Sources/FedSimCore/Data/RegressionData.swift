/// Examples for regression: a row-major `count x featureCount` feature matrix laid out
/// like `Dataset`'s, and one real target per row.
///
/// A type of its own rather than targets added to `Dataset`: a dataset's rows carry
/// class indices that splits, partitioners, scalers and the wire rely on, and none of
/// them would carry a target along, so classification data stays as it is.
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
}
