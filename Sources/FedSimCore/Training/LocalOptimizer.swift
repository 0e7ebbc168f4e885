/// A local optimizer and its state over a flat parameter vector.
///
/// With weight decay lambda the gradient used is `g = grad + lambda * theta` (an L2
/// penalty, also for Adam). Per step, with learning rate lr:
/// - SGD: `theta -= lr * g`
/// - momentum: `v = mu * v + g; theta -= lr * v` (v starts at 0)
/// - Adam: `m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;`
///   `theta -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)` with b1 = 0.9,
///   b2 = 0.999, eps = 1e-8 and t the 1-based step number.
///
/// Each step is O(d) and allocates nothing; the arithmetic is a fixed sequence of Float
/// operations, so the same inputs give the same bits in every process.
public struct LocalOptimizer: Sendable {
    public static let adamBeta1: Float = 0.9
    public static let adamBeta2: Float = 0.999
    public static let adamEpsilon: Float = 1e-8

    public let kind: OptimizerKind
    public let learningRate: Float
    /// Momentum coefficient mu (momentum optimizer only).
    public let momentum: Float
    public let weightDecay: Float
    /// Steps taken so far.
    public private(set) var stepCount = 0

    /// Velocity (momentum) or first moment m (Adam); empty for SGD.
    private var firstMoment: [Float]
    /// Second moment v (Adam only).
    private var secondMoment: [Float]
    /// b1^t and b2^t, kept as running products so no `pow` is involved.
    private var beta1Power = 1.0
    private var beta2Power = 1.0

    public init(kind: OptimizerKind, learningRate: Float, momentum: Float = 0.9, weightDecay: Float = 0,
                parameterCount: Int) {
        self.kind = kind
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        firstMoment = kind == .sgd ? [] : [Float](repeating: 0, count: parameterCount)
        secondMoment = kind == .adam ? [Float](repeating: 0, count: parameterCount) : []
    }

    /// The optimizer `settings` describe, with fresh state.
    public init(_ settings: LocalTraining, parameterCount: Int) {
        self.init(kind: settings.optimizer, learningRate: settings.learningRate, momentum: settings.momentum,
                  weightDecay: settings.weightDecay, parameterCount: parameterCount)
    }

    /// Updates `parameters` in place with one step along `gradient`.
    public mutating func step(parameters: inout [Float], gradient: [Float]) {
        precondition(parameters.count == gradient.count,
                     "\(parameters.count) parameters but a gradient of \(gradient.count)")
        parameters.withUnsafeMutableBufferPointer { theta in
            step(from: UnsafeBufferPointer(theta), into: theta, gradient: gradient)
        }
    }

    /// One step along `gradient` from `start`, written into `parameters`, which it
    /// replaces: the values copying `start` and stepping in place would give, in one
    /// pass instead of two (a trainer's first step, which must not touch `start`).
    public mutating func step(from start: [Float], into parameters: inout [Float], gradient: [Float]) {
        precondition(start.count == gradient.count, "\(start.count) parameters but a gradient of \(gradient.count)")
        parameters = [Float](unsafeUninitializedCapacity: start.count) { theta, initialized in
            start.withUnsafeBufferPointer { start in step(from: start, into: theta, gradient: gradient) }
            initialized = start.count
        }
    }

    /// The step from `source` into `destination`, which may be the same memory: each
    /// coordinate is read before it is written.
    private mutating func step(from source: UnsafeBufferPointer<Float>, into theta: UnsafeMutableBufferPointer<Float>,
                               gradient: [Float]) {
        precondition(kind == .sgd || firstMoment.count == theta.count,
                     "the optimizer was made for \(firstMoment.count) parameters, got \(theta.count)")
        stepCount += 1
        let learningRate = learningRate
        let weightDecay = weightDecay
        switch kind {
        case .sgd:
            gradient.withUnsafeBufferPointer { gradient in
                for index in theta.indices {
                    let current = source[index]
                    theta[index] = current - learningRate * (gradient[index] + weightDecay * current)
                }
            }
        case .momentum:
            let momentum = momentum
            gradient.withUnsafeBufferPointer { gradient in
                firstMoment.withUnsafeMutableBufferPointer { velocity in
                    for index in theta.indices {
                        let current = source[index]
                        velocity[index] = momentum * velocity[index] + (gradient[index] + weightDecay * current)
                        theta[index] = current - learningRate * velocity[index]
                    }
                }
            }
        case .adam:
            let (beta1, beta2, epsilon) = (Self.adamBeta1, Self.adamBeta2, Self.adamEpsilon)
            beta1Power *= Double(beta1)
            beta2Power *= Double(beta2)
            let firstCorrection = Float(1 - beta1Power)
            let secondCorrection = Float(1 - beta2Power)
            gradient.withUnsafeBufferPointer { gradient in
                firstMoment.withUnsafeMutableBufferPointer { m in
                    secondMoment.withUnsafeMutableBufferPointer { v in
                        for index in theta.indices {
                            let current = source[index]
                            let g = gradient[index] + weightDecay * current
                            m[index] = beta1 * m[index] + (1 - beta1) * g
                            v[index] = beta2 * v[index] + (1 - beta2) * g * g
                            let mHat = m[index] / firstCorrection
                            let vHat = v[index] / secondCorrection
                            theta[index] = current - learningRate * mHat / (vHat.squareRoot() + epsilon)
                        }
                    }
                }
            }
        }
    }
}
