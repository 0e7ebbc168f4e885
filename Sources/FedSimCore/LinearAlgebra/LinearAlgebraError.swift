/// Why a linear-algebra operation refused its inputs or failed.
public enum LinearAlgebraError: FedSimError, Equatable, Sendable {
    /// Operand shapes do not fit the operation; the message names the shapes.
    case shapeMismatch(String)
    /// A LAPACK routine reported that its argument at `position` (1-based) was illegal.
    case illegalArgument(routine: String, position: Int)
    /// A LAPACK routine's iteration did not converge (`info` > 0).
    case notConverged(routine: String, info: Int)
    /// A Cholesky factorization met a leading minor of order `order` that is not positive.
    case notPositiveDefinite(routine: String, order: Int)

    public var description: String {
        switch self {
        case .shapeMismatch(let message):
            return message
        case .illegalArgument(let routine, let position):
            return "\(routine): argument \(position) had an illegal value"
        case .notConverged(let routine, let info):
            return "\(routine) did not converge (info = \(info))"
        case .notPositiveDefinite(let routine, let order):
            return "\(routine): the matrix is not positive definite (its leading minor of order \(order) is not)"
        }
    }
}

/// Turns a LAPACK `info` code into a thrown error: 0 is success, -i flags argument i,
/// a positive value is a convergence failure.
func checkLAPACKInfo(_ info: Int32, routine: String) throws {
    if info < 0 {
        throw LinearAlgebraError.illegalArgument(routine: routine, position: Int(-info))
    }
    if info > 0 {
        throw LinearAlgebraError.notConverged(routine: routine, info: Int(info))
    }
}
