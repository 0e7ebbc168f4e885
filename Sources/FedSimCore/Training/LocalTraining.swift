/// Local optimizers a client can run.
public enum OptimizerKind: String, Sendable, CaseIterable {
    case sgd
    /// Heavy-ball momentum: v <- mu v + g; theta <- theta - lr v.
    case momentum
    /// Adam (Kingma and Ba 2015) with beta1 0.9, beta2 0.999, epsilon 1e-8.
    case adam
}

/// How a client trains locally for one task.
public struct LocalTraining: Equatable, Sendable {
    public var epochs: Int
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

    public init(epochs: Int, batchSize: Int, learningRate: Float, optimizer: OptimizerKind = .sgd,
                momentum: Float = 0.9, weightDecay: Float = 0, proximalMu: Float = 0,
                privacy: DPSGDConfig? = nil) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.optimizer = optimizer
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.proximalMu = proximalMu
        self.privacy = privacy
    }
}
