/// Why an objective could not be built or pooled.
public enum ObjectiveError: FedSimError, Equatable, Sendable {
    /// An objective is a mean over rows, and there are none.
    case noRows
    /// Binary logistic regression needs two classes.
    case notBinary(classCount: Int)
    /// The L2 regularization must be positive and finite (it is the strong convexity).
    case invalidRegularization(Double)
    /// Objectives to pool disagree on a setting, which the message names.
    case mismatchedParts(String)

    public var description: String {
        switch self {
        case .noRows:
            return "an objective is a mean over rows, and there are none"
        case .notBinary(let classCount):
            return "binary logistic regression needs 2 classes, the data has \(classCount)"
        case .invalidRegularization(let value):
            return "the L2 regularization must be positive and finite, got \(value)"
        case .mismatchedParts(let message):
            return message
        }
    }
}
