/// Why an objective could not be built, pooled or minimized.
public enum ObjectiveError: FedSimError, Equatable, Sendable {
    /// An objective is a mean over rows, and there are none.
    case noRows
    /// Binary logistic regression needs two classes.
    case notBinary(classCount: Int)
    /// The L2 regularization must be positive and finite (it is the strong convexity).
    case invalidRegularization(Double)
    /// A node's data weight must be positive and finite.
    case invalidDataWeight(Double)
    /// Objectives to pool disagree on a setting, which the message names.
    case mismatchedParts(String)
    /// Newton's method stopped at its iteration bound with the gradient's norm above the tolerance.
    case notConverged(iterations: Int, gradientNorm: Double, tolerance: Double)
    /// The line search of Newton step `iteration` found no step that decreases the objective.
    case lineSearchFailed(iteration: Int, gradientNorm: Double)
    /// The Hessian's smallest eigenvalue mu is not above 1e-12 times its largest L (see
    /// `stronglyConvexConstants()`), over `rows` rows and `parameters` parameters.
    case notStronglyConvex(strongConvexity: Double, smoothness: Double, rows: Int, parameters: Int)

    public var description: String {
        switch self {
        case .noRows:
            return "an objective is a mean over rows, and there are none"
        case .notBinary(let classCount):
            return "binary logistic regression needs 2 classes, the data has \(classCount)"
        case .invalidRegularization(let value):
            return "the L2 regularization must be positive and finite, got \(value)"
        case .invalidDataWeight(let value):
            return "the data weight must be positive and finite, got \(value)"
        case .mismatchedParts(let message):
            return message
        case .notConverged(let iterations, let gradientNorm, let tolerance):
            return "Newton's method did not converge: after \(iterations) steps the gradient's norm is "
                + "\(gradientNorm), above the tolerance \(tolerance)"
        case .lineSearchFailed(let iteration, let gradientNorm):
            return "Newton's method stalled at step \(iteration): no step along the Newton direction decreases "
                + "the objective (gradient norm \(gradientNorm))"
        case .notStronglyConvex(let mu, let smoothness, let rows, let parameters):
            let why = rows < parameters ? "\(rows) rows for \(parameters) parameters"
                : "features that span fewer than \(parameters) dimensions"
            return "the objective is not strongly convex: its Hessian's smallest eigenvalue \(mu) is not above 1e-12 "
                + "times its largest, \(smoothness); least squares without a ridge is strongly convex only when the "
                + "features have full column rank, and these rows do not (\(why))"
        }
    }
}
