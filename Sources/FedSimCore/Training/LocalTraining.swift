/// Local optimizers a client can run.
public enum OptimizerKind: String, Sendable, CaseIterable {
    case sgd
    /// Heavy-ball momentum: v <- mu v + g; theta <- theta - lr v.
    case momentum
    /// Adam (Kingma and Ba 2015) with beta1 0.9, beta2 0.999, epsilon 1e-8.
    case adam
}

/// How much local work one task does: passes over the client's rows, or a fixed number
/// of optimizer steps.
public enum LocalWork: Equatable, Sendable {
    /// This many passes over the client's rows (`training.local_epochs`); an epoch is
    /// ceil(samples / batchSize) minibatch steps, or `DPSGDConfig.stepsPerEpoch` with DP-SGD.
    case epochs(Int)
    /// Exactly this many optimizer steps (`training.local_steps`), whatever the client's
    /// sample count.
    case steps(Int)

    /// Optimizer steps a task takes when an epoch is `stepsPerEpoch` steps:
    /// epochs * stepsPerEpoch, or the fixed step count.
    public func steps(perEpoch stepsPerEpoch: Int) -> Int {
        switch self {
        case .epochs(let epochs): return epochs * stepsPerEpoch
        case .steps(let steps): return steps
        }
    }
}

/// How a client trains locally for one task.
public struct LocalTraining: Equatable, Sendable {
    /// The most epochs (`training.local_epochs`) and steps (`training.local_steps`) a task
    /// may take, as scenarios and the wire accept them.
    public static let maximumEpochs = 100_000
    public static let maximumSteps = 1_000_000

    /// Epochs or steps per task.
    public var work: LocalWork
    public var batchSize: Int
    public var learningRate: Float
    public var optimizer: OptimizerKind
    /// Momentum coefficient (momentum optimizer only).
    public var momentum: Float
    /// L2 penalty coefficient added to the gradient: g + weightDecay * theta.
    public var weightDecay: Float
    /// FedProx's mu (Li et al. 2020): the local objective gains
    /// `(mu / 2) ||theta - theta_start||^2`, so each minibatch gradient gains
    /// `mu * (theta - theta_start)`, theta_start being the parameters the task started
    /// from. 0 (the default) is plain local training; must be finite and non-negative.
    public var proximalMu: Float
    /// Sample-level DP-SGD for the local steps; nil (the default) trains without it, on
    /// shuffled minibatches of `batchSize`, which DP-SGD replaces by Poisson samples.
    public var privacy: DPSGDConfig?
    /// c: each minibatch gradient (with the proximal term) is scaled down to L2 norm c
    /// when it is longer, before the optimizer, as PyTorch's `clip_grad_norm_`; nil (the
    /// default) leaves it as it is. Not with DP-SGD, whose per-example clipping bounds
    /// every step already.
    public var gradientClip: Float?
    /// Ordered local learning (`DataOrdering`): the passes walk a growing prefix of the
    /// client's rows ranked by difficulty; nil (the default) shuffles all rows each
    /// pass. Not with DP-SGD, which samples its rows.
    public var ordering: DataOrdering?

    /// Optimizer steps a task takes on a client of `samples` rows (0 for none):
    /// `work` over epochs of ceil(samples / batchSize) minibatches, or of
    /// `DPSGDConfig.stepsPerEpoch` Poisson-sampled steps with DP-SGD. It is the count
    /// `LocalTrainer.train` reports, and the one a privacy accountant composes.
    public func steps(samples: Int) -> Int {
        guard samples > 0 else { return 0 }
        return work.steps(perEpoch: privacy?.stepsPerEpoch ?? (samples + batchSize - 1) / batchSize)
    }

    public init(work: LocalWork, batchSize: Int, learningRate: Float, optimizer: OptimizerKind = .sgd,
                momentum: Float = 0.9, weightDecay: Float = 0, proximalMu: Float = 0,
                privacy: DPSGDConfig? = nil, gradientClip: Float? = nil, ordering: DataOrdering? = nil) {
        self.work = work
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.optimizer = optimizer
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.proximalMu = proximalMu
        self.privacy = privacy
        self.gradientClip = gradientClip
        self.ordering = ordering
    }
}
