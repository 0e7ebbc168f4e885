/// What one client's local training produced.
public struct LocalTrainingResult: Equatable, Sendable {
    /// Trained parameters minus the starting parameters (Delta_i in ALGORITHMS.md).
    public var delta: [Float]
    /// Sample-weighted mean of the minibatch losses seen during training (each measured
    /// before its step); 0 if no step was taken.
    public var meanLoss: Double
    /// Optimizer steps taken, `LocalTraining.steps(samples:)`: epochs * ceil(samples /
    /// batchSize), or with DP-SGD epochs * `DPSGDConfig.stepsPerEpoch`, or the fixed step
    /// count of `LocalWork.steps`; the count a privacy accountant composes.
    public var steps: Int
    /// Size of the local dataset, the weight sample-weighted aggregation gives this update.
    public var samples: Int

    public init(delta: [Float], meanLoss: Double, steps: Int, samples: Int) {
        self.delta = delta
        self.meanLoss = meanLoss
        self.steps = steps
        self.samples = samples
    }
}

/// Runs a client's local minibatch training for a model: only its trainable vector
/// moves; its frozen values stay as the model holds them.
///
/// Each epoch draws a fresh row order with `rng.permutation(count)` and walks it in
/// minibatches of `batchSize`, the last partial batch included. With
/// `settings.ordering` (see `DataOrdering`) the task first ranks the rows (by their
/// losses under `parameters`, or at random from `rng`), and each pass is instead a
/// permutation of the ranking's first g(t) rows, t being the steps taken so far; the
/// task takes the same number of steps. With a fixed step count
/// K (`LocalWork.steps`) the walk is the same, pass after pass, and stops after the K-th
/// minibatch: a batch never spans two permutations, and a permutation's last partial
/// batch is a step like any other. The optimizer starts with fresh state (zero momentum,
/// Adam moments) at every call, as a stateless client does.
///
/// With `settings.proximalMu` = mu > 0 (FedProx), each minibatch gradient of the loss
/// gains `mu * (theta - theta_start)` before it reaches the optimizer, which then adds
/// weight decay: the optimizer sees `grad + mu (theta - theta_start) + weightDecay * theta`.
/// At the first step theta = theta_start and the term is 0. With mu = 0 the gradient is
/// left untouched, so the result is bit-identical to training without FedProx.
///
/// With `settings.privacy` set (DP-SGD, see `DPSGDConfig`), each of the
/// `epochs * stepsPerEpoch` steps (or the K of `LocalWork.steps`) draws a Poisson sample
/// of the rows from `rng`, sums the examples' gradients clipped to C
/// (`Sequential.clippedGradientSum`), adds
/// N(0, sigma^2 C^2) per coordinate drawn from `rng` right after the sample, and divides
/// by q * samples; the proximal term and weight decay, which do not touch the data, are
/// then added as above. `batchSize` is unused. The reported loss is a training metric
/// computed on the same samples and is not itself privatized.
///
/// The result is a pure function of (model, parameters, data, settings, rng state):
/// no threads, no hashing, a fixed order of Float operations (with single-threaded
/// OpenBLAS, see `BLAS.useSingleThread()`).
public struct LocalTrainer: Sendable {
    public let model: Sequential

    public init(model: Sequential) {
        self.model = model
    }

    /// The buffers a training run works in, kept from one call of `train` to the next
    /// so that a worker training task after task allocates them once: the gradient (every
    /// step overwrites it whole) and the layers' activations and errors.
    public struct Scratch: Sendable {
        var gradient: [Float] = []
        var workspace = ModelWorkspace()

        public init() {}
    }

    /// Trains from the trainable vector `parameters` on `data` and returns the update
    /// (of the trainable vector).
    ///
    /// Complexity: `epochs * samples` rows, or at most `steps * batchSize`, forward and
    /// backward; allocations are O(trainableParameterCount + batchSize * widths) once per
    /// call, none per step.
    public func train(
        from parameters: [Float], data: Dataset, settings: LocalTraining, rng: inout RandomStream,
        rowLosses: [Double]? = nil
    ) -> LocalTrainingResult {
        var scratch = Scratch()
        return train(from: parameters, data: data, settings: settings, rng: &rng, scratch: &scratch, rowLosses: rowLosses)
    }

    /// `train(from:data:settings:rng:rowLosses:)` in buffers kept from earlier calls,
    /// which it leaves for the next: the same result, allocating only the trained vector
    /// (and the optimizer's state) once the buffers have grown to the model's size.
    ///
    /// `rowLosses`, one per row, are fixed difficulty scores (an expert model's losses)
    /// that an ordering ranks the rows by instead of their losses under `parameters`.
    public func train(
        from parameters: [Float], data: Dataset, settings: LocalTraining, rng: inout RandomStream,
        scratch: inout Scratch, rowLosses: [Double]? = nil
    ) -> LocalTrainingResult {
        precondition(parameters.count == model.trainableParameterCount,
                     "the model has \(model.trainableParameterCount) trainable parameters, got a vector of \(parameters.count)")
        precondition(settings.batchSize >= 1, "batchSize must be at least 1, got \(settings.batchSize)")
        precondition(settings.proximalMu.isFinite && settings.proximalMu >= 0,
                     "proximalMu must be finite and non-negative, got \(settings.proximalMu)")
        let steps = settings.steps(samples: data.count)
        precondition(steps >= 0, "epochs and steps must not be negative, got \(settings.work)")
        guard steps > 0 else {
            return LocalTrainingResult(delta: [Float](repeating: 0, count: parameters.count),
                                       meanLoss: 0, steps: 0, samples: data.count)
        }

        if scratch.gradient.count != parameters.count {
            scratch.gradient = [Float](repeating: 0, count: parameters.count)
        }
        if let privacy = settings.privacy {
            return trainPrivately(from: parameters, data: data, settings: settings, privacy: privacy, steps: steps,
                                  rng: &rng, scratch: &scratch)
        }

        // The trained vector; the first step writes it from `parameters`, which it leaves as they are.
        var local = parameters
        var optimizer = LocalOptimizer(settings, parameterCount: parameters.count)
        var weightedLoss = 0.0
        var seen = 0
        let ranking = settings.ordering.map { ordering in
            ordering.ranking(rows: data.count, losses: { rowLosses ?? model.exampleLosses(parameters: parameters, on: data) },
                             rng: &rng)
        }
        while optimizer.stepCount < steps {
            let order: [Int]
            if let ordering = settings.ordering, let ranking {
                let visible = ordering.visibleRows(afterStep: optimizer.stepCount, of: steps, rows: data.count,
                                                   batchSize: settings.batchSize)
                order = rng.permutation(visible).map { ranking[$0] }
            } else {
                order = rng.permutation(data.count)
            }
            for start in stride(from: 0, to: order.count, by: settings.batchSize) where optimizer.stepCount < steps {
                let batch = order[start..<min(start + settings.batchSize, order.count)]
                let loss = model.lossAndGradient(parameters: local, data: data, rows: batch,
                                                 gradient: &scratch.gradient, workspace: &scratch.workspace)
                if settings.proximalMu > 0 {
                    addProximalTerm(mu: settings.proximalMu, parameters: local, start: parameters, to: &scratch.gradient)
                }
                if let clip = settings.gradientClip { Self.clip(&scratch.gradient, toNorm: clip) }
                if optimizer.stepCount == 0 {
                    optimizer.step(from: parameters, into: &local, gradient: scratch.gradient)
                } else {
                    optimizer.step(parameters: &local, gradient: scratch.gradient)
                }
                weightedLoss += loss * Double(batch.count)
                seen += batch.count
            }
        }

        Self.subtract(parameters, from: &local)
        return LocalTrainingResult(delta: local, meanLoss: weightedLoss / Double(seen),
                                   steps: optimizer.stepCount, samples: data.count)
    }

    /// The DP-SGD loop of `train`, `steps` Poisson-sampled steps. Complexity per step:
    /// O(q * samples) draws for the sample, the clipped sum's forward and backward passes,
    /// O(d) for the noise.
    private func trainPrivately(
        from parameters: [Float], data: Dataset, settings: LocalTraining, privacy: DPSGDConfig, steps: Int,
        rng: inout RandomStream, scratch: inout Scratch
    ) -> LocalTrainingResult {
        var local = parameters
        var optimizer = LocalOptimizer(settings, parameterCount: parameters.count)
        var rows: [Int] = []
        let clipNorm = Float(privacy.clipNorm)
        let noiseDeviation = Float(privacy.noiseStandardDeviation)
        let normalization = Float(1 / (privacy.samplingRate * Double(data.count)))
        var totalLoss = 0.0
        var seen = 0
        for _ in 0..<steps {
            rng.poissonSample(rate: privacy.samplingRate, population: data.count, into: &rows)
            totalLoss += model.clippedGradientSum(parameters: local, data: data, rows: rows[...], clipNorm: clipNorm,
                                                  gradient: &scratch.gradient, workspace: &scratch.workspace)
            rng.addGaussianNoise(to: &scratch.gradient, standardDeviation: noiseDeviation)
            BLAS.scal(normalization, &scratch.gradient)
            if settings.proximalMu > 0 {
                addProximalTerm(mu: settings.proximalMu, parameters: local, start: parameters, to: &scratch.gradient)
            }
            optimizer.step(parameters: &local, gradient: scratch.gradient)
            seen += rows.count
        }

        Self.subtract(parameters, from: &local)
        return LocalTrainingResult(delta: local, meanLoss: seen > 0 ? totalLoss / Double(seen) : 0,
                                   steps: optimizer.stepCount, samples: data.count)
    }

    /// `trained -= start`, in place: the trained vector becomes the update. O(d).
    private static func subtract(_ start: [Float], from trained: inout [Float]) {
        trained.withUnsafeMutableBufferPointer { trained in
            start.withUnsafeBufferPointer { start in
                for index in trained.indices { trained[index] -= start[index] }
            }
        }
    }

    /// Scales `gradient` by c / ||g|| when its L2 norm ||g|| (summed in Double) exceeds
    /// `norm` = c, so it keeps its direction and has norm at most c. O(d).
    static func clip(_ gradient: inout [Float], toNorm norm: Float) {
        let length = gradient.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        guard length > Double(norm) else { return }
        let scale = Float(Double(norm) / length)
        for index in gradient.indices { gradient[index] *= scale }
    }

    /// `gradient += mu * (parameters - start)`, FedProx's proximal gradient. O(d), in
    /// place, no allocation.
    private func addProximalTerm(mu: Float, parameters: [Float], start: [Float], to gradient: inout [Float]) {
        gradient.withUnsafeMutableBufferPointer { gradient in
            parameters.withUnsafeBufferPointer { theta in
                start.withUnsafeBufferPointer { start in
                    for index in gradient.indices {
                        gradient[index] += mu * (theta[index] - start[index])
                    }
                }
            }
        }
    }
}
