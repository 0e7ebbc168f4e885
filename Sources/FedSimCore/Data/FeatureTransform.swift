/// A fixed rearrangement of the features, the same for every row: it makes a new task
/// from a data set (permuted MNIST, rotated or mirrored images) with the labels
/// unchanged, so a model trained on the plain data faces a shifted task.
public enum FeatureTransform: Equatable, Sendable {
    /// One random permutation of the feature columns, drawn from the stream keyed by
    /// (`seed`, `.featurePermutation`): output column j is input column `p[j]` of
    /// `p = RandomStream(seed: seed, purpose: .featurePermutation).permutation(featureCount)`.
    case permute(seed: UInt64)
    /// Square images (`featureCount` = side x side, pixels row-major) turned
    /// counterclockwise by `quarterTurns` x 90 degrees (1, 2 or 3), as numpy's `rot90`
    /// turns an array: a quarter turn moves the top row to the left column, bottom up.
    case rotate(quarterTurns: Int)
    /// Square images mirrored left to right: column c of each pixel row becomes column
    /// side - 1 - c.
    case flip

    /// The transform kinds, by the names scenario files give them.
    public enum Kind: String, Sendable, CaseIterable {
        case permute, rotate, flip
    }

    public var kind: Kind {
        switch self {
        case .permute: return .permute
        case .rotate: return .rotate
        case .flip: return .flip
        }
    }

    /// For each output feature, the input feature it takes, for rows of `featureCount`
    /// features. O(featureCount).
    /// - Throws: `DataError.invalidArgument` when an image transform meets a feature
    ///   count that is not a square, or `quarterTurns` is not 1, 2 or 3.
    public func sourceFeatures(featureCount: Int) throws -> [Int] {
        switch self {
        case let .permute(seed):
            var stream = RandomStream(seed: seed, purpose: .featurePermutation)
            return stream.permutation(featureCount)
        case let .rotate(quarterTurns):
            guard (1...3).contains(quarterTurns) else {
                throw DataError(.invalidArgument, "a rotation is 1, 2 or 3 quarter turns, got \(quarterTurns)")
            }
            let side = try squareSide(featureCount)
            var sources = Array(0..<featureCount)
            for _ in 0..<quarterTurns {
                let previous = sources
                for row in 0..<side {
                    for column in 0..<side {
                        sources[row * side + column] = previous[column * side + (side - 1 - row)]
                    }
                }
            }
            return sources
        case .flip:
            let side = try squareSide(featureCount)
            return (0..<featureCount).map { index in
                let (row, column) = index.quotientAndRemainder(dividingBy: side)
                return row * side + (side - 1 - column)
            }
        }
    }

    /// The side of square images of `featureCount` pixels.
    private func squareSide(_ featureCount: Int) throws -> Int {
        let side = Int(Double(featureCount).squareRoot().rounded())
        guard side * side == featureCount, side > 0 else {
            throw DataError(.invalidArgument,
                            "\(kind.rawValue) needs square images, side x side features with the pixels row-major; "
                            + "\(featureCount) features is not a square")
        }
        return side
    }
}

extension Dataset {
    /// Every row's features rearranged by `transform`; labels and targets unchanged.
    /// O(rows x featureCount).
    /// - Throws: what `FeatureTransform.sourceFeatures` throws.
    public func transformed(_ transform: FeatureTransform) throws -> Dataset {
        let sources = try transform.sourceFeatures(featureCount: featureCount)
        var rearranged = [Float](repeating: 0, count: features.count)
        features.withUnsafeBufferPointer { input in
            rearranged.withUnsafeMutableBufferPointer { output in
                sources.withUnsafeBufferPointer { sources in
                    for rowStart in stride(from: 0, to: input.count, by: featureCount) {
                        for column in 0..<sources.count {
                            output[rowStart + column] = input[rowStart + sources[column]]
                        }
                    }
                }
            }
        }
        return Dataset(features: rearranged, labels: labels, featureCount: featureCount, classCount: classCount,
                       targets: targets)
    }
}
