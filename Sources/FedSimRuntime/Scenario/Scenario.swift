import FedSimAlgorithms
import FedSimCore

/// A run's full description, as read from a scenario file with every default filled.
public struct Scenario: Equatable, Sendable {
    public var name: String
    /// What every draw of the run derives from (`seed`), and the data's too unless
    /// `dataSeed` is set.
    public var seed: UInt64
    /// What the data's generation, test split and partition derive from (`data_seed`);
    /// nil: `seed`.
    public var dataSeed: UInt64?
    public var data: DataSettings
    public var partition: PartitionSettings
    public var model: ModelSettings
    public var training: LocalTraining
    public var server: ServerSettings
    public var system: SystemSettings
    /// Byzantine clients and what they send; nil: every client is honest.
    public var attack: AttackSettings?
    /// The robust rule that replaces the weighted sum of updates; nil: the plain sum.
    public var aggregator: RobustAggregatorDescription?
    public var evaluation: EvaluationSettings
    /// Differential privacy (`privacy:`); nil trains without it.
    public var privacy: PrivacySettings?
    /// A run of nodes over a graph with no server (`decentralized:`); nil for a server
    /// run. In a decentralized run `server`, `system`, `attack`, `aggregator`, `privacy`
    /// and `evaluation` keep their defaults and are not used, nor is `training` unless the
    /// model is a network.
    public var decentralized: DecentralizedSettings?
    /// `training.expert_model`: a model file of the scenario's model whose losses rank
    /// the rows of ordered local learning, once per client, instead of the global model's.
    public var expertModel: String?

    public init(name: String, seed: UInt64, data: DataSettings, partition: PartitionSettings,
                model: ModelSettings, training: LocalTraining, server: ServerSettings,
                system: SystemSettings = SystemSettings(), attack: AttackSettings? = nil,
                aggregator: RobustAggregatorDescription? = nil, evaluation: EvaluationSettings,
                privacy: PrivacySettings? = nil, decentralized: DecentralizedSettings? = nil) {
        self.name = name
        self.seed = seed
        self.data = data
        self.partition = partition
        self.model = model
        self.training = training
        self.server = server
        self.system = system
        self.attack = attack
        self.aggregator = aggregator
        self.evaluation = evaluation
        self.privacy = privacy
        self.decentralized = decentralized
    }
}

/// Where examples come from. Paths are absolute once a scenario is loaded (a file's
/// relative paths are resolved against the scenario file's folder).
public enum DataSource: Equatable, Sendable {
    /// Numeric CSV; `labelColumn` counts from 0, negative from the end (-1 = last).
    case csv(path: String, labelColumn: Int)
    /// LIBSVM/SVMlight text; `features` 0 means "the largest index seen".
    case libsvm(path: String, features: Int)
    /// IDX files (the MNIST format): an images file and a labels file.
    case idx(images: String, labels: String)
    /// LEAF-format JSON, split by user (`LEAFJSONLoader`); the users are the clients. With
    /// `testPath` (LEAF's test file), its rows are the test set; otherwise each client's
    /// rows are split by `test_fraction`.
    case leaf(path: String, testPath: String?)
    /// LEAF Synthetic(alpha, beta) (Li et al., FedProx): one distribution per client.
    case synthetic(alpha: Double, beta: Double, features: Int, classes: Int, maxSamplesPerClient: Int)
    /// LEAF Synthetic-IID (FedProx's synthetic_iid): one W and b for every client, v_k = 0.
    case syntheticIID(features: Int, classes: Int, maxSamplesPerClient: Int)
    /// Linear-regression data with real targets, one problem per client (`SyntheticRegression`),
    /// as the DADAO authors make theirs.
    case syntheticRegression(features: Int, samplesPerClient: Int, informative: Int, noise: Double,
                             slopeRange: ClosedRange<Double>)

    /// The scenario-file name of this source.
    public var kind: String {
        switch self {
        case .csv: return "csv"
        case .libsvm: return "libsvm"
        case .idx: return "idx"
        case .leaf: return "leaf"
        case .synthetic: return "synthetic"
        case .syntheticIID: return "synthetic_iid"
        case .syntheticRegression: return "synthetic_regression"
        }
    }

    /// Whether the source makes its own clients (`partition.scheme: natural`) whatever
    /// the other data fields say.
    public var isSplitByClient: Bool {
        switch self {
        case .synthetic, .syntheticIID, .syntheticRegression, .leaf: return true
        case .csv, .libsvm, .idx: return false
        }
    }

    /// Whether the rows are generated rather than read from files.
    public var isGenerated: Bool { files.isEmpty }

    /// Files this source reads.
    public var files: [String] {
        switch self {
        case let .csv(path, _), let .libsvm(path, _): return [path]
        case let .idx(images, labels): return [images, labels]
        case let .leaf(path, testPath): return [path] + (testPath.map { [$0] } ?? [])
        case .synthetic, .syntheticIID, .syntheticRegression: return []
        }
    }
}

/// Per-feature scaling, fitted on the training rows and applied to train and test.
public enum Normalization: String, Sendable, CaseIterable {
    case none
    /// Each feature to [0, 1].
    case minmax
    /// Each feature to zero mean and unit variance.
    case standard
}

public struct DataSettings: Equatable, Sendable {
    public var source: DataSource
    public var normalize: Normalization
    /// Share of the examples held out for the coordinator's test set (file sources).
    public var testFraction: Double
    /// New classes made of the data's labels (`Dataset.regrouped`): rows of other labels
    /// are dropped. nil keeps the labels as they are.
    public var labelGroups: [[Int]]?
    /// The rearrangement of every row's features (file sources), applied to all rows
    /// right after loading, before the split and the scaling; nil keeps them as read.
    public var transform: FeatureTransform?
    /// For file sources: the labels are class ids 0..<classes, and a label outside that
    /// range is an error naming its file, line and field. nil makes the sorted distinct
    /// labels found the classes (so -1/+1 become 0/1).
    public var classes: Int?
    /// The field of a csv or libsvm file naming each row's client (`data.client_column`),
    /// whose clients are then the partition; nil: the file's rows are pooled.
    public var clientColumn: ClientColumn?

    public init(source: DataSource, normalize: Normalization = .none, testFraction: Double = 0.2,
                labelGroups: [[Int]]? = nil, transform: FeatureTransform? = nil, classes: Int? = nil,
                clientColumn: ClientColumn? = nil) {
        self.source = source
        self.normalize = normalize
        self.testFraction = testFraction
        self.labelGroups = labelGroups
        self.transform = transform
        self.classes = classes
        self.clientColumn = clientColumn
    }

    /// Whether the data comes with its own clients (`partition.scheme: natural`): it is
    /// generated client by client, LEAF JSON, or a file with a client column.
    public var isSplitByClient: Bool { source.isSplitByClient || clientColumn != nil }
}

/// Where a row of a csv or libsvm file names its client.
public enum ClientColumn: Equatable, Sendable {
    /// A csv column, counted from 0, negative from the end; its text is the client.
    case index(Int)
    /// A libsvm row's `qid:N` token.
    case qid
}

/// How examples are split among clients.
public enum PartitionKind: String, Sendable, CaseIterable {
    /// Shuffled, near-equal shares.
    case iid
    /// Label skew: per class, shares ~ Dirichlet(alpha) over clients.
    case dirichlet
    /// Sorted by label, cut into shards, `shardsPerClient` random shards each.
    case shards
    /// The data's own clients: generated client by client, LEAF users, or a file's client column.
    case natural
}

public struct PartitionSettings: Equatable, Sendable {
    public var scheme: PartitionKind
    public var clients: Int
    public var alpha: Double
    public var minSamples: Int
    public var shardsPerClient: Int

    public init(scheme: PartitionKind, clients: Int, alpha: Double = 0.5, minSamples: Int = 1,
                shardsPerClient: Int = 2) {
        self.scheme = scheme
        self.clients = clients
        self.alpha = alpha
        self.minSamples = minSamples
        self.shardsPerClient = shardsPerClient
    }
}

/// The model families a scenario can name (`model.kind`).
public enum ModelKind: String, Sendable, CaseIterable {
    /// Multinomial logistic regression: logits = x W + b. In a decentralized run, the
    /// L2-regularized objective `SoftmaxObjective`.
    case softmax
    /// Fully connected layers with ReLU between them, softmax output.
    case mlp
    /// L2-regularized binary logistic regression without intercept (`LogisticObjective`),
    /// for decentralized runs.
    case logistic
    /// Least-squares linear regression without intercept, with an optional ridge
    /// (`LeastSquaresObjective`), for decentralized runs on data with real targets.
    case leastSquares = "least_squares"
    /// The FedAvg paper's CNN (`ModelSpec.fedAvgCNN`) over images.
    case cnn
    /// The stages of `model.layers` over images (`ModelSpec.layered`).
    case layers

    /// Whether the kind is a strongly convex objective of a decentralized run rather
    /// than a network.
    public func isObjective(decentralized: Bool) -> Bool {
        switch self {
        case .logistic, .leastSquares: return true
        case .softmax: return decentralized
        case .mlp, .cnn, .layers: return false
        }
    }
}

public struct ModelSettings: Equatable, Sendable {
    public var kind: ModelKind
    public var hidden: [Int]
    /// mu, the L2 regularization (mu/2) ||theta||^2 of an objective (`model.l2`); nil for
    /// a network, and for least squares without a ridge.
    public var l2: Double?
    /// The model file (safetensors, absolute path) whose values a server run starts from
    /// instead of the seeded initialization (`model.base`); nil: the seed's.
    public var base: String?
    /// Low-rank adapters on the model's dense layers (`model.lora`); nil: none.
    public var lora: LoRASettings?
    /// The stages of a `layers` model (`model.layers`); empty for the other kinds.
    public var layers: [LayerRecipe]
    /// How a `cnn` or `layers` model reads a row (`model.image`); nil:
    /// `ImageShape(features:)`, one channel of s x s for s^2 features.
    public var image: ImageShape?

    public init(kind: ModelKind, hidden: [Int] = [], l2: Double? = nil, base: String? = nil, lora: LoRASettings? = nil,
                layers: [LayerRecipe] = [], image: ImageShape? = nil) {
        self.kind = kind
        self.hidden = hidden
        self.l2 = l2
        self.base = base
        self.lora = lora
        self.layers = layers
        self.image = image
    }

    /// The architecture these settings give a model of `inputDim` features and `classes`
    /// outputs, before any adapter: `softmax` (and the objectives) is one
    /// zero-initialized Dense layer from the features to the classes; `mlp` is a
    /// He-normal Dense layer and a ReLU per hidden width, then a He-normal Dense layer to
    /// the classes; `cnn` and `layers` are `ModelSpec.layered` over `image` (or the shape
    /// the features suggest).
    public func spec(inputDim: Int, classes: Int) -> ModelSpec {
        switch kind {
        case .softmax, .logistic, .leastSquares:
            return .softmaxRegression(inputDim: inputDim, classes: classes)
        case .mlp:
            return .multilayerPerceptron(inputDim: inputDim, hidden: hidden, classes: classes)
        case .cnn, .layers:
            return .layered(image: image ?? ImageShape(features: inputDim),
                            recipe: kind == .cnn ? ModelSpec.fedAvgCNN : layers, classes: classes)
        }
    }
}

/// `model.lora`: which dense layers get an adapter `(alpha / rank) B A`, of what rank.
/// Their base weights are frozen; `server.adapter` says which factors clients train.
/// Layers without an adapter train fully, as a classification head does.
public struct LoRASettings: Equatable, Sendable {
    public var rank: Int
    /// alpha; the adapter's product is scaled by alpha / rank (default alpha = rank).
    public var alpha: Double
    /// The wrapped layers, by their index in the model's stack (`layers.<index>` in model
    /// files); nil: every dense layer.
    public var layers: [Int]?

    public init(rank: Int, alpha: Double, layers: [Int]? = nil) {
        self.rank = rank
        self.alpha = alpha
        self.layers = layers
    }
}

extension Scenario {
    /// The architecture of the scenario's model over `data`: the one place a model is
    /// described, for the coordinator, the workers (through Assign) and every command
    /// (`ModelSettings.spec(inputDim:classes:)` with the data's features and classes).
    /// The objectives' spec describes their data (features and classes; regression data
    /// has one), which is all a worker reads from it.
    public func modelSpec(for data: some FederatedDataSummary) -> ModelSpec {
        let spec = model.spec(inputDim: data.featureCount, classes: data.classCount)
        guard let lora = model.lora else { return spec }
        return ModelSpec(inputDim: spec.inputDim, layers: spec.layers.enumerated().map { index, layer in
            guard case .dense(let dense) = layer, lora.layers?.contains(index) ?? true else { return layer }
            return .loraDense(LoRADense(wrapping: dense, rank: lora.rank, alpha: Float(lora.alpha),
                                        trainsFactorA: server.adapter.trainsFactorA))
        })
    }

    /// The model a server run over `data` starts from and its trainable vector: the
    /// values of the `model.base` file when there is one, in the layers of
    /// `modelSpec(for:)`, else `Sequential.initialized` from the seed. With adapters
    /// (`model.lora`), the base is the model without them: each adapted layer takes the
    /// base layer's weight and bias, and its adapter starts from the seed.
    /// - Throws: `RunError.baseModel` when the base file cannot be read or holds another
    ///   model than the scenario's over this data.
    /// The trainable vector of `expertModel` over `data`'s features and classes; nil
    /// without an expert.
    public func expertParameters(for data: some FederatedDataSummary) throws -> [Float]? {
        guard let expertModel else { return nil }
        do {
            return try ModelFile(path: expertModel).values(for: modelSpec(for: data)).trainableParameters
        } catch let error as SafeTensorsError {
            throw RunError.expertModel(error)
        }
    }

    public func startingModel(for data: some FederatedDataSummary) throws -> (model: Sequential, trainableParameters: [Float]) {
        let spec = modelSpec(for: data)
        guard let base = model.base else { return try Sequential.initialized(spec, seed: seed) }
        do {
            let file = try ModelFile(path: base)
            guard model.lora != nil else { return try file.values(for: spec) }
            let plain = try file.values(for: model.spec(inputDim: data.featureCount, classes: data.classCount))
            return try Sequential.initialized(spec, seed: seed,
                                              overwritingWith: plain.model.tensors(trainableParameters: plain.trainableParameters))
        } catch let error as SafeTensorsError {
            throw RunError.baseModel(error)
        }
    }
}

/// The `decentralized:` section: the gossip algorithm with its own settings, the graph
/// whose nodes are the partition's parts, and the run's length on the virtual clock.
public struct DecentralizedSettings: Equatable, Sendable {
    /// The algorithm (`decentralized.algorithm`) as its settings configure it.
    public var algorithm: any GossipAlgorithm
    /// The graph (`decentralized.topology`): a generator with its parameters, or a file.
    public var topology: GraphRecipe
    /// Virtual time to run (rounds for D-SGD).
    public var timeBudget: Double
    /// Virtual time between two evaluations of the nodes' models.
    public var evaluationInterval: Double
    /// D-SGD's robust combination (`decentralized.aggregator`); nil: averaging.
    public var mixing: RobustMixing?

    public init(algorithm: any GossipAlgorithm, topology: GraphRecipe, timeBudget: Double,
                evaluationInterval: Double = 1, mixing: RobustMixing? = nil) {
        self.algorithm = algorithm
        self.topology = topology
        self.timeBudget = timeBudget
        self.evaluationInterval = evaluationInterval
        self.mixing = mixing
    }

    /// The algorithm's name in scenario files.
    public var algorithmName: String { type(of: algorithm).name }

    public static func == (lhs: DecentralizedSettings, rhs: DecentralizedSettings) -> Bool {
        lhs.algorithm.isEqual(to: rhs.algorithm) && lhs.topology == rhs.topology && lhs.timeBudget == rhs.timeBudget
            && lhs.evaluationInterval == rhs.evaluationInterval && lhs.mixing == rhs.mixing
    }
}

/// The `server:` section: the algorithm with its own settings, and what every algorithm
/// shares: when the run ends and how a step moves the global model.
public struct ServerSettings: Equatable, Sendable {
    /// The algorithm (`server.algorithm`) as its settings configure it, before it starts.
    public var strategy: any ServerStrategy
    /// Aggregation steps to run (rounds for FedAvg); nil: until the time budget.
    public var rounds: Int?
    /// Virtual seconds to run; nil: until `rounds`.
    public var timeBudget: Double?
    /// eta_g in theta <- theta + eta_g * sum_i d_i Delta_i.
    public var learningRate: Double
    /// How the aggregated step moves the global model (FedOpt); `sgd` is plain
    /// theta <- theta + eta_g * step.
    public var optimizer: ServerOptimizerKind
    /// FedAvgM's momentum and Adam/Yogi's first-moment decay.
    public var beta1: Double
    /// Adam/Yogi's second-moment decay.
    public var beta2: Double
    /// Adam/Yogi's adaptivity epsilon.
    public var tau: Double
    /// How a LoRA model's adapters train (`server.adapter`); only read with `model.lora`.
    public var adapter: AdapterRule
    /// FedSVD re-factorizes every this many steps (`server.svd_period`).
    public var svdPeriod: Int

    public init(strategy: any ServerStrategy = FedAvg(clientsPerRound: 10), rounds: Int? = nil,
                timeBudget: Double? = nil, learningRate: Double = 1, optimizer: ServerOptimizerKind = .sgd,
                beta1: Double = 0.9, beta2: Double = 0.99, tau: Double = 1e-3, adapter: AdapterRule = .lora,
                svdPeriod: Int = 1) {
        self.strategy = strategy
        self.rounds = rounds
        self.timeBudget = timeBudget
        self.learningRate = learningRate
        self.optimizer = optimizer
        self.beta1 = beta1
        self.beta2 = beta2
        self.tau = tau
        self.adapter = adapter
        self.svdPeriod = svdPeriod
    }

    /// The algorithm's name in scenario files.
    public var algorithm: String { type(of: strategy).name }

    /// The server optimizer these settings describe, with eta_g = `learningRate`.
    public func makeOptimizer() -> ServerOptimizer {
        ServerOptimizer(kind: optimizer, learningRate: learningRate, beta1: beta1, beta2: beta2, tau: tau)
    }

    /// When the run ends.
    public var stop: StopCondition {
        StopCondition(aggregations: rounds, timeBudget: timeBudget)
    }

    public static func == (lhs: ServerSettings, rhs: ServerSettings) -> Bool {
        lhs.strategy.isEqual(to: rhs.strategy) && lhs.rounds == rhs.rounds && lhs.timeBudget == rhs.timeBudget
            && lhs.learningRate == rhs.learningRate && lhs.optimizer == rhs.optimizer && lhs.beta1 == rhs.beta1
            && lhs.beta2 == rhs.beta2 && lhs.tau == rhs.tau && lhs.adapter == rhs.adapter && lhs.svdPeriod == rhs.svdPeriod
    }
}

/// The simulated clients' machines (`system:`): how long they compute, how fast their
/// links are and when they are online. The default is every client online, jobs of one
/// virtual second and free transfers.
public struct SystemSettings: Equatable, Sendable {
    public var compute: ComputeProfile
    /// Whether every job draws its own compute time from `compute` (`system.compute.redraw`).
    public var redrawsCompute = false
    /// The file `compute` was read from, when it is a trace.
    public var computeTrace: String?
    public var link: LinkProfile
    public var availability: AvailabilityProfile
    /// The file `availability` was read from, when it is a trace.
    public var availabilityTrace: String?

    public init(compute: ComputeProfile = .constant(seconds: 1), computeTrace: String? = nil,
                link: LinkProfile = LinkProfile(), availability: AvailabilityProfile = .always,
                availabilityTrace: String? = nil) {
        self.compute = compute
        self.computeTrace = computeTrace
        self.link = link
        self.availability = availability
        self.availabilityTrace = availabilityTrace
    }

    /// The model of `clients` clients, its random speeds drawn from `seed`.
    public func makeModel(clients: Int, seed: UInt64) throws -> SystemModel {
        try SystemModel(compute: compute, link: link, availability: availability, clients: clients, seed: seed,
                        redrawsCompute: redrawsCompute)
    }
}

/// Compute profiles a scenario can name (`system.compute.profile`).
public enum ComputeProfileKind: String, Sendable, CaseIterable {
    case constant, linear, exponential, lognormal, trace
}

/// Availability profiles a scenario can name (`system.availability.profile`).
public enum AvailabilityProfileKind: String, Sendable, CaseIterable {
    case always, probability
    case onOff = "on_off"
    case trace
}

/// Attacks a scenario can name (`attack.kind`, ALGORITHMS.md section 2).
public enum AttackKind: String, Sendable, CaseIterable {
    case signFlip = "sign_flip"
    case ipm, alie, gaussian, mimic
    case labelFlip = "label_flip"
    case optimalIPM = "optimal_ipm"
    case optimalALIE = "optimal_alie"
}

/// Which clients are Byzantine and what they send.
public struct AttackSettings: Equatable, Sendable {
    public var kind: AttackKind
    /// The Byzantine clients' ids, ascending.
    public var clients: [Int]
    /// IPM's epsilon and ALIE's z (`tau`; defaults 2 and 1.5).
    public var tau: Double
    /// The Gaussian attack's mean and standard deviation.
    public var mean: Double
    public var standardDeviation: Double
    /// Mimic: which honest update of the step is copied (0 = the first).
    public var index: Int

    public init(kind: AttackKind, clients: [Int], tau: Double? = nil, mean: Double = 0, standardDeviation: Double = 1,
                index: Int = 0) {
        self.kind = kind
        self.clients = clients
        self.tau = tau ?? (kind == .alie || kind == .optimalALIE ? 1.5 : 2)
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.index = index
    }

    /// The update attack, against `aggregator` for the line-searched kinds; nil for label
    /// flipping, which poisons the Byzantine clients' data instead.
    public func makeAttack(against aggregator: RobustAggregator) -> (any ByzantineAttack)? {
        switch kind {
        case .signFlip: return SignFlip()
        case .ipm: return InnerProductManipulation(tau: tau)
        case .alie: return ALittleIsEnough(tau: tau)
        case .gaussian: return GaussianAttack(mean: mean, standardDeviation: standardDeviation)
        case .mimic: return Mimic(client: index)
        case .labelFlip: return nil
        case .optimalIPM: return LineMaximizedAttack(.innerProductManipulation, against: aggregator)
        case .optimalALIE: return LineMaximizedAttack(.aLittleIsEnough, against: aggregator)
        }
    }
}

public struct EvaluationSettings: Equatable, Sendable {
    /// Evaluate the global model on the test set every this many rounds (and after the last).
    public var every: Int
    /// Evaluate it on every client's training rows (the global objective) every this
    /// many rounds and after the last; nil: never.
    public var globalTrainEvery: Int?

    public init(every: Int = 1, globalTrainEvery: Int? = nil) {
        self.every = every
        self.globalTrainEvery = globalTrainEvery
    }
}

/// Where differential privacy applies (`privacy.mode`), ALGORITHMS.md section 3.
public enum PrivacyMode: String, Sendable, CaseIterable {
    /// Sample-level DP-SGD in every client's local steps: a client's epsilon protects
    /// each of its examples and composes only the tasks it ran.
    case sample
    /// Client-level DP-FedAvg at the server: each update is clipped to C, the sum gets
    /// N(0, sigma^2 C^2 I), and epsilon protects a client's whole data set.
    case client
}

/// A run's differential privacy (`privacy:`). Exactly how sigma is obtained: given as
/// `noiseMultiplier`, or calibrated before training from `targetEpsilon` (the smallest
/// sigma for which every client's epsilon over the run's schedule is at most the
/// target); a scenario with both uses sigma as given and refuses to run if it misses
/// the target.
public struct PrivacySettings: Equatable, Sendable {
    public var mode: PrivacyMode
    /// C: the L2 norm each example's gradient (sample) or each client's update (client) is clipped to.
    public var clipNorm: Double
    /// sigma: the noise standard deviation in units of C; nil until calibrated.
    public var noiseMultiplier: Double?
    /// The epsilon sigma is calibrated for (or checked against).
    public var targetEpsilon: Double?
    /// The delta of (epsilon, delta)-DP; 1e-5 by default.
    public var delta: Double
    /// Sample mode: one Poisson rate q for every client; nil (the default) gives client i
    /// q_i = min(1, training.batch_size / n_i), an expected batch of `batch_size` examples.
    public var samplingRate: Double?

    public init(mode: PrivacyMode = .sample, clipNorm: Double, noiseMultiplier: Double? = nil,
                targetEpsilon: Double? = nil, delta: Double = 1e-5, samplingRate: Double? = nil) {
        self.mode = mode
        self.clipNorm = clipNorm
        self.noiseMultiplier = noiseMultiplier
        self.targetEpsilon = targetEpsilon
        self.delta = delta
        self.samplingRate = samplingRate
    }
}

extension ServerSettings {
    /// Whether some updates may do only part of their local work (FedAvg's stragglers
    /// with `straggler_work: partial`).
    public var hasPartialWork: Bool {
        guard let fedAvg = strategy as? FedAvg, fedAvg.stragglerWork == .partial else { return false }
        return fedAvg.stragglers > 0 || fedAvg.deadline != nil
    }
}

extension Scenario {
    /// The seed of the data's generation, test split and partition: `dataSeed`, or `seed`.
    public var effectiveDataSeed: UInt64 { dataSeed ?? seed }

    /// Whether the coordinator evaluates the global model on the clients' training rows,
    /// from its own copy of them: when the server asks the clients for their losses
    /// (`ClientSelection.usesClientLosses`), or to record the global training loss
    /// (`evaluation.global_train_every`).
    public var asksClientLosses: Bool {
        decentralized == nil && (server.strategy.clientSelection.usesClientLosses || evaluation.globalTrainEvery != nil)
    }
}
