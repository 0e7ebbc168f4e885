import FedSimCore

/// The server-side update rules of FedOpt (Reddi et al. 2021, "Adaptive Federated
/// Optimization", Algorithm 2).
public enum ServerOptimizerKind: String, Sendable, CaseIterable {
    /// theta <- theta + eta s: FedAvg with a server learning rate.
    case sgd
    /// FedAvgM: heavy-ball server momentum on the pseudo-gradient.
    case momentum
    /// FedAdam.
    case adam
    /// FedYogi.
    case yogi
}

/// Applies an aggregated client step to the global model, optionally through an
/// adaptive server optimizer (FedOpt, ALGORITHMS.md section 1).
///
/// The server aggregates `s = sum_i d_i Delta_i`. With `sgd` it applies
/// `theta <- theta + eta s`. The other kinds treat `g = -s` as a pseudo-gradient,
/// per coordinate:
/// - `momentum` (FedAvgM): `m <- beta1 m + g; theta <- theta - eta m`. This is the
///   undamped heavy-ball form of Reddi et al. (`m_t = beta1 m_{t-1} + Delta_t`,
///   `x_{t+1} = x_t + eta m_t`, written with g = -Delta): `m` is a sum, not an average,
///   so a constant step s moves theta by up to `eta s / (1 - beta1)`.
/// - `adam` (FedAdam): `m <- beta1 m + (1 - beta1) g; v <- beta2 v + (1 - beta2) g^2;`
///   `theta <- theta - eta m / (sqrt(v) + tau)`.
/// - `yogi` (FedYogi): as Adam but `v <- v - (1 - beta2) g^2 sign(v - g^2)` (sign 0 at 0),
///   so v moves additively towards g^2 instead of decaying geometrically.
///
/// `m` starts at 0 and `v` at `tau^2` (the paper's `v_{-1} >= tau^2`). There is no
/// bias correction, as in the paper's Algorithm 2: after t steps (tau aside) `m / sqrt(v)`
/// is the bias-corrected ratio times `(1 - beta1^t) / sqrt(1 - beta2^t)`, which with the
/// defaults is 1 at t = 1, about 2 for t between 8 and 20, and returns towards 1 over a
/// few hundred steps.
/// Defaults are the paper's: beta1 0.9, beta2 0.99, tau 1e-3 (its adaptivity
/// epsilon); `beta1` is also the momentum coefficient of FedAvgM.
///
/// Precision: `sgd` computes `theta + Float(eta) * s` in Float, exactly as
/// `FedAvg.apply`, so both give the same bits. The other kinds keep m and v in Double
/// and compute each coordinate's new value in Double, rounding to Float once when it is
/// written back. Either way each `apply` is a fixed sequence of operations (the same
/// inputs give the same bits in every process), O(d), and allocates nothing after the
/// first call, which allocates the state (d Doubles for momentum, 2d for Adam and Yogi).
public struct ServerOptimizer: Sendable {
    public let kind: ServerOptimizerKind
    /// eta, the server learning rate.
    public let learningRate: Double
    /// First-moment decay (Adam, Yogi) and momentum coefficient (FedAvgM).
    public let beta1: Double
    /// Second-moment decay (Adam, Yogi).
    public let beta2: Double
    /// Adaptivity epsilon tau (Adam, Yogi); v also starts at tau^2.
    public let tau: Double

    /// m: the momentum buffer (FedAvgM) or first moment (Adam, Yogi). Empty until the
    /// first `apply`, and always empty for `sgd`.
    public private(set) var firstMoment: [Double] = []
    /// v: the second moment (Adam, Yogi). Empty until the first `apply`, and always
    /// empty for `sgd` and `momentum`.
    public private(set) var secondMoment: [Double] = []

    /// - Precondition: `learningRate` is finite; `beta1` and `beta2` lie in `0..<1`;
    ///   `tau` is finite and positive.
    public init(kind: ServerOptimizerKind, learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.99,
                tau: Double = 1e-3) {
        precondition(learningRate.isFinite, "the server learning rate must be finite, got \(learningRate)")
        precondition((0..<1).contains(beta1), "beta1 must lie in [0, 1), got \(beta1)")
        precondition((0..<1).contains(beta2), "beta2 must lie in [0, 1), got \(beta2)")
        precondition(tau.isFinite && tau > 0, "tau must be finite and positive, got \(tau)")
        self.kind = kind
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.tau = tau
    }

    /// Moves `parameters` by the aggregated client step `step` (`sum_i d_i Delta_i`) and
    /// updates the optimizer state.
    ///
    /// - Precondition: `step.count == parameters.count`, and equals the length of every
    ///   earlier call's vectors (the state belongs to one model).
    public mutating func apply(step: [Float], to parameters: inout [Float]) {
        precondition(step.count == parameters.count,
                     "server step of length \(step.count) for \(parameters.count) parameters")
        if kind == .sgd {
            let rate = Float(learningRate)
            parameters.withUnsafeMutableBufferPointer { theta in
                step.withUnsafeBufferPointer { step in
                    for index in theta.indices {
                        theta[index] += rate * step[index]
                    }
                }
            }
            return
        }
        allocateStateOnFirstUse(parameterCount: parameters.count)
        precondition(firstMoment.count == parameters.count,
                     "the \(kind.rawValue) server optimizer holds state for \(firstMoment.count) parameters, got \(parameters.count)")
        let (learningRate, beta1, beta2, tau) = (learningRate, beta1, beta2, tau)
        let kind = kind
        parameters.withUnsafeMutableBufferPointer { theta in
            step.withUnsafeBufferPointer { step in
                firstMoment.withUnsafeMutableBufferPointer { m in
                    if kind == .momentum {
                        for index in theta.indices {
                            let g = -Double(step[index])
                            m[index] = beta1 * m[index] + g
                            theta[index] = Float(Double(theta[index]) - learningRate * m[index])
                        }
                        return
                    }
                    secondMoment.withUnsafeMutableBufferPointer { v in
                        for index in theta.indices {
                            let g = -Double(step[index])
                            let gSquared = g * g
                            m[index] = beta1 * m[index] + (1 - beta1) * g
                            if kind == .yogi {
                                let difference = v[index] - gSquared
                                let sign: Double = difference > 0 ? 1 : (difference < 0 ? -1 : 0)
                                v[index] -= (1 - beta2) * gSquared * sign
                            } else {
                                v[index] = beta2 * v[index] + (1 - beta2) * gSquared
                            }
                            theta[index] = Float(Double(theta[index])
                                                 - learningRate * m[index] / (v[index].squareRoot() + tau))
                        }
                    }
                }
            }
        }
    }

    /// Continues from saved moments m and v (empty before the first `apply`).
    /// - Throws: `ServerOptimizerError.stateMismatch` when the moments are not those
    ///   this kind keeps: m and v of equal length for Adam and Yogi, m alone for momentum,
    ///   neither for sgd.
    public mutating func restore(firstMoment: [Double], secondMoment: [Double]) throws {
        let expectsSecond = kind == .adam || kind == .yogi
        guard kind != .sgd || (firstMoment.isEmpty && secondMoment.isEmpty),
              !expectsSecond || secondMoment.count == firstMoment.count,
              expectsSecond || secondMoment.isEmpty else {
            throw ServerOptimizerError.stateMismatch(
                kind: kind, firstMoment: firstMoment.count, secondMoment: secondMoment.count)
        }
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
    }

    /// Sizes m (and v for Adam and Yogi) to `parameterCount` at the first `apply`:
    /// m = 0, v = tau^2.
    private mutating func allocateStateOnFirstUse(parameterCount: Int) {
        guard firstMoment.isEmpty else { return }
        firstMoment = [Double](repeating: 0, count: parameterCount)
        if kind == .adam || kind == .yogi {
            secondMoment = [Double](repeating: tau * tau, count: parameterCount)
        }
    }
}

/// Saved server optimizer state that does not fit the optimizer.
public enum ServerOptimizerError: FedSimError, Equatable, Sendable {
    case stateMismatch(kind: ServerOptimizerKind, firstMoment: Int, secondMoment: Int)

    public var description: String {
        switch self {
        case let .stateMismatch(kind, first, second):
            return "saved moments of lengths \(first) and \(second) do not fit the \(kind.rawValue) server optimizer"
        }
    }
}
