/// A smooth, strongly convex objective over one node's rows, in double precision: f(θ)
/// is a mean over the node's m rows of a loss of the parameters θ, plus (mu/2) ||θ||^2
/// for the regularized kinds.
///
/// Decentralized runs hold one per node and ask it for ∇f_i at each gradient event. The
/// metrics compare the nodes' parameters with x*, the minimizer of the objective on the
/// pooled data: the same loss as a mean over all N rows, with the same regularization,
/// which is what `init(pooling:)` builds and `minimize()` solves.
///
/// A node's objective may weigh its data term by w: with w_i = n n_i / N for node i of
/// n_i rows among n nodes, (1/n) sum_i f_i is exactly the pooled objective, so the
/// algorithms, which minimize the nodes' average, converge to the pooled x*.
public protocol Objective: Sendable {
    /// The length of θ.
    var parameterCount: Int { get }
    /// m, the rows f is a mean over.
    var rowCount: Int { get }

    /// f(θ).
    func value(at parameters: [Double]) -> Double
    /// f(θ) and ∇f(θ), in one pass over the rows.
    func valueAndGradient(at parameters: [Double]) -> (value: Double, gradient: [Double])
    /// ∇²f(θ), a row-major `parameterCount x parameterCount` symmetric matrix.
    func hessian(at parameters: [Double]) -> [Double]
    /// The share of rows whose label θ predicts; nil for a regression.
    func accuracy(at parameters: [Double]) -> Double?
    /// This node's strong convexity mu_i and smoothness L_i, as the DADAO authors' code
    /// computes them; `RegularityConstants(combining:)` gives the network's.
    func regularityConstants() throws -> RegularityConstants

    /// The objective over the rows of all `parts`, in order.
    /// - Throws: `ObjectiveError.noRows` for no parts, `.mismatchedParts` when they
    ///   disagree on the features, classes or regularization.
    init(pooling parts: [Self]) throws
}

/// The constants of strongly convex, smooth functions: mu ||y - x||^2 <= <∇f(y) - ∇f(x),
/// y - x> and ||∇f(y) - ∇f(x)|| <= L ||y - x||. DADAO's step sizes and rates follow from them.
public struct RegularityConstants: Equatable, Sendable {
    /// mu.
    public var strongConvexity: Double
    /// L.
    public var smoothness: Double

    public init(strongConvexity: Double, smoothness: Double) {
        self.strongConvexity = strongConvexity
        self.smoothness = smoothness
    }

    /// The network's constants from its nodes': mu = min_i mu_i, L = max_i L_i, the worst
    /// case, as the DADAO authors take it.
    /// - Precondition: `nodes` is not empty.
    public init(combining nodes: [RegularityConstants]) {
        precondition(!nodes.isEmpty, "no node constants to combine")
        strongConvexity = nodes.map(\.strongConvexity).min()!
        smoothness = nodes.map(\.smoothness).max()!
    }
}

/// The minimizer of an objective, as Newton's method found it.
public struct ObjectiveMinimum: Equatable, Sendable {
    /// x*.
    public var parameters: [Double]
    /// f(x*).
    public var value: Double
    /// The Newton steps taken from θ = 0.
    public var iterations: Int
    /// ||∇f(x*)||, at most the tolerance.
    public var gradientNorm: Double
}

extension Objective {
    /// ∇f(θ).
    public func gradient(at parameters: [Double]) -> [Double] {
        valueAndGradient(at: parameters).gradient
    }

    /// The minimizer, by Newton's method from θ = 0 until ||∇f(θ)|| <= `gradientTolerance`.
    ///
    /// Each step solves ∇²f(θ) d = -∇f(θ) by Cholesky (the Hessian is positive definite for
    /// a strongly convex f) and backtracks on t = 1, 1/2, 1/4, ... until the Armijo
    /// condition f(θ + t d) <= f(θ) + 1e-4 t <∇f(θ), d> holds up to a rounding allowance of
    /// 1e-12 |f(θ)|: near x* the decrease a step brings falls below the rounding of f, and
    /// without the allowance the search would refuse the step the gradient still needs.
    /// A step costs a Hessian (see each objective) and O(p^3) for the solve, p the
    /// parameter count; convergence is quadratic near x*.
    /// - Throws: `ObjectiveError.notConverged` after `maxIterations` steps above the
    ///   tolerance, `.lineSearchFailed` when no step of at least 2^-60 decreases f, and
    ///   `LinearAlgebraError.notPositiveDefinite` when the Hessian is singular (least
    ///   squares on rank-deficient features).
    public func minimize(gradientTolerance: Double = 1e-10, maxIterations: Int = 100) throws -> ObjectiveMinimum {
        var parameters = [Double](repeating: 0, count: parameterCount)
        var (current, gradient) = valueAndGradient(at: parameters)
        var iterations = 0
        while BLAS.nrm2(gradient) > gradientTolerance {
            guard iterations < maxIterations else {
                throw ObjectiveError.notConverged(iterations: iterations, gradientNorm: BLAS.nrm2(gradient),
                                                  tolerance: gradientTolerance)
            }
            iterations += 1
            let direction = try LAPACK.solvePositiveDefinite(hessian(at: parameters), size: parameterCount,
                                                             gradient.map { -$0 })
            let slope = BLAS.dot(gradient, direction)
            var step = 1.0
            while true {
                let trial = zip(parameters, direction).map { $0 + step * $1 }
                if value(at: trial) <= current + 1e-4 * step * slope + 1e-12 * abs(current) {
                    parameters = trial
                    break
                }
                step /= 2
                guard step >= 0x1p-60 else {
                    throw ObjectiveError.lineSearchFailed(iteration: iterations, gradientNorm: BLAS.nrm2(gradient))
                }
            }
            (current, gradient) = valueAndGradient(at: parameters)
        }
        return ObjectiveMinimum(parameters: parameters, value: current, iterations: iterations,
                                gradientNorm: BLAS.nrm2(gradient))
    }

    /// `regularityConstants()`, refused when the objective is not strongly convex in
    /// practice: mu <= 1e-12 L, the Hessian's smallest eigenvalue lost in the rounding of
    /// its largest (least squares without a ridge on features of rank below their count,
    /// for instance fewer rows than features), so it has no unique minimizer and DADAO's
    /// steps, which scale with sqrt(mu / L), would be meaningless.
    /// - Throws: `ObjectiveError.notStronglyConvex`, and what `regularityConstants()` throws.
    public func stronglyConvexConstants() throws -> RegularityConstants {
        let constants = try regularityConstants()
        guard constants.strongConvexity > 1e-12 * constants.smoothness, constants.strongConvexity > 0 else {
            throw ObjectiveError.notStronglyConvex(strongConvexity: constants.strongConvexity,
                                                   smoothness: constants.smoothness, rows: rowCount,
                                                   parameters: parameterCount)
        }
        return constants
    }

    /// Traps unless `parameters` has `parameterCount` values.
    func checkCount(_ parameters: [Double]) {
        precondition(parameters.count == parameterCount,
                     "the objective has \(parameterCount) parameters, got a vector of \(parameters.count)")
    }
}

/// The one value `setting` has in every part of a pooling, named `name` in the error.
/// - Throws: `ObjectiveError.noRows` for no parts, `.mismatchedParts` when two differ.
func agreedSetting<Part, Value: Equatable>(
    _ parts: [Part], _ name: String, _ setting: (Part) -> Value
) throws -> Value {
    guard let first = parts.first.map(setting) else { throw ObjectiveError.noRows }
    if let other = parts.lazy.map(setting).first(where: { $0 != first }) {
        throw ObjectiveError.mismatchedParts("the objectives to pool disagree on \(name): \(first) and \(other)")
    }
    return first
}

/// `weight`, when it is positive and finite.
/// - Throws: `ObjectiveError.invalidDataWeight` otherwise.
func checkedDataWeight(_ weight: Double) throws -> Double {
    guard weight.isFinite, weight > 0 else { throw ObjectiveError.invalidDataWeight(weight) }
    return weight
}

/// The L2 term (mu/2) ||θ||^2 of the regularized objectives, which makes them
/// mu-strongly convex; mu is their regularization.
struct RidgePenalty: Equatable, Sendable {
    /// mu.
    let strength: Double

    /// - Throws: `ObjectiveError.invalidRegularization` unless `strength` is positive and finite.
    init(_ strength: Double) throws {
        guard strength.isFinite, strength > 0 else { throw ObjectiveError.invalidRegularization(strength) }
        self.strength = strength
    }

    /// (mu/2) ||θ||^2.
    func value(_ parameters: [Double]) -> Double {
        strength / 2 * BLAS.dot(parameters, parameters)
    }

    /// Adds mu θ to `gradient`.
    func addGradient(_ parameters: [Double], to gradient: inout [Double]) {
        for index in gradient.indices { gradient[index] += strength * parameters[index] }
    }

    /// Adds mu I to the row-major square `hessian` of side `size`.
    func addHessian(to hessian: inout [Double], size: Int) {
        for index in 0..<size { hessian[index * size + index] += strength }
    }
}
