/// How to rescale each feature.
public enum FeatureScaling: String, Sendable, CaseIterable {
    /// x' = (x - min) / (max - min), so the fitted rows span [0, 1].
    case minMax = "minmax"
    /// x' = (x - mean) / sd with the population standard deviation (divisor n), a z-score.
    case standard
}

/// A per-feature affine map x' = (x - offset) / divisor, fitted on training rows and then
/// applied unchanged to any dataset with the same features (train and test alike), so
/// no test statistics leak into the model.
///
/// A feature that is constant on the training rows (max = min, or sd = 0) gets
/// divisor 1: it becomes x - min (0 on the training rows) or x - mean, never NaN. This is
/// scikit-learn's choice for MinMaxScaler and StandardScaler.
public struct FeatureScaler: Equatable, Sendable {
    public let method: FeatureScaling
    /// Subtracted from each feature: its training minimum or mean.
    public let offsets: [Float]
    /// Divides each centred feature: max - min or sd, or 1 when that is 0.
    public let divisors: [Float]

    /// Fits the statistics on `train`'s rows, accumulating in Double. O(rows x features).
    public init(fittedTo train: Dataset, method: FeatureScaling) throws {
        guard !train.isEmpty else {
            throw DataError(.noData, "cannot fit feature scaling on an empty dataset")
        }
        let width = train.featureCount
        let rows = train.count
        var offsets = [Double](repeating: 0, count: width)
        var spreads = [Double](repeating: 0, count: width)
        train.features.withUnsafeBufferPointer { values in
            switch method {
            case .minMax:
                var lowest = [Double](repeating: .infinity, count: width)
                var highest = [Double](repeating: -.infinity, count: width)
                for row in 0..<rows {
                    for feature in 0..<width {
                        let value = Double(values[row * width + feature])
                        lowest[feature] = min(lowest[feature], value)
                        highest[feature] = max(highest[feature], value)
                    }
                }
                offsets = lowest
                spreads = zip(highest, lowest).map { $0 - $1 }
            case .standard:
                for row in 0..<rows {
                    for feature in 0..<width { offsets[feature] += Double(values[row * width + feature]) }
                }
                offsets = offsets.map { $0 / Double(rows) }
                // Second pass over the deviations: stable where sum(x^2) - n mean^2 is not.
                for row in 0..<rows {
                    for feature in 0..<width {
                        let deviation = Double(values[row * width + feature]) - offsets[feature]
                        spreads[feature] += deviation * deviation
                    }
                }
                spreads = spreads.map { ($0 / Double(rows)).squareRoot() }
            }
        }
        self.method = method
        self.offsets = offsets.map { Float($0) }
        self.divisors = spreads.map { $0 > 0 ? Float($0) : 1 }
    }

    /// `dataset` with every feature mapped by x' = (x - offset) / divisor. O(rows x features).
    public func apply(to dataset: Dataset) throws -> Dataset {
        guard dataset.featureCount == offsets.count else {
            throw DataError(.invalidArgument,
                            "the scaler was fitted on \(offsets.count) features, the dataset has \(dataset.featureCount)")
        }
        var scaled = dataset
        let width = offsets.count
        guard width > 0 else { return scaled }
        scaled.features.withUnsafeMutableBufferPointer { values in
            for start in stride(from: 0, to: values.count, by: width) {
                for feature in 0..<width {
                    values[start + feature] = (values[start + feature] - offsets[feature]) / divisors[feature]
                }
            }
        }
        return scaled
    }

    /// Fits on `train` and applies the result to `train` and `test`.
    public static func scale(train: Dataset, test: Dataset, method: FeatureScaling) throws -> (train: Dataset, test: Dataset) {
        let scaler = try FeatureScaler(fittedTo: train, method: method)
        return (try scaler.apply(to: train), try scaler.apply(to: test))
    }
}
