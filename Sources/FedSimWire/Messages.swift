import FedSimCore

/// The protocol version this build speaks. A peer with another version is refused.
///
/// Version 2 added `LocalTraining.proximal_mu` (FedProx): a version-1 worker would
/// ignore it and silently train without the proximal term. Version 4 added the DP-SGD
/// fields of `LocalTraining` (`dp_sampling_rate`, `dp_clip_norm`, `dp_noise_multiplier`):
/// an older worker would train without the privacy the coordinator accounts for.
/// Version 5 made `ModelSpec` a list of layers (Dense with its initialization and
/// trainable flag, ReLU) in place of a kind and hidden widths: an older worker could
/// not read it. Version 6 added decentralized runs: `Hello.peer_port`,
/// `Assign.decentralized`, and the `Events`, `Snapshot`, `NodeStates` messages; `Gossip`
/// became a batch of exchange messages. Version 7 added `Assign.frozen_parameters`: a
/// worker no longer draws the frozen values from the seed, since a run may start from a
/// base model file, and an older worker would train with other frozen values; and
/// `Model.adapter_factors`, the A factors FedSVD's server re-sets, which an older worker
/// would ignore (it refuses the `LoraDenseLayer` kind by name in any case); and
/// `LocalTraining.steps` (`training.local_steps`), with which an older worker would train
/// epochs instead. Version 8 added `Hello.max_message_bytes`, the largest message a
/// worker accepts (an older coordinator would send it larger ones, which it silently
/// drops), and `Decentralized.peer_keys`, the workers' CURVE keys, without which an older
/// worker could not reach its authenticated peers. Version 9 added `Assign.data_recipe`,
/// the client shards' counts and content hashes and the `Ready` message. Version 10 added
/// the one-way message event (`Events.kinds` 3) and `Decentralized`'s Byzantine nodes,
/// attack and robust mixing rule, which an older worker would ignore. Version 11 added
/// `LocalTraining`'s ordering and pacing (ordered local learning), with which an older
/// worker would shuffle instead, and `Assign.expert_parameters`, the expert model whose
/// losses rank the rows.
public let wireProtocolVersion: UInt32 = 11

/// A dense float32 tensor as it travels: shape and row-major values.
public struct WireTensor: Equatable, Sendable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }

    /// A flat vector.
    public init(_ values: [Float]) {
        self.init(shape: [values.count], values: values)
    }
}

/// Worker -> coordinator, first message after connecting.
public struct Hello: Equatable, Sendable {
    public var workerName: String
    /// Virtual clients the worker is willing to host; 0 means no limit.
    public var capacity: Int
    public var processID: Int
    /// The scenario the worker was started for (its name or file); empty: any.
    public var scenario: String
    /// The TCP port of the worker's peer socket, where other workers send it the
    /// messages of decentralized runs; 0 when it has none.
    public var peerPort: Int
    /// The largest message the worker accepts, in bytes; 0 means any size.
    public var maxMessageBytes: Int

    public init(workerName: String, capacity: Int = 0, processID: Int = 0, scenario: String = "", peerPort: Int = 0,
                maxMessageBytes: Int = 0) {
        self.workerName = workerName
        self.capacity = capacity
        self.processID = processID
        self.scenario = scenario
        self.peerPort = peerPort
        self.maxMessageBytes = maxMessageBytes
    }
}

/// One virtual client a worker hosts: its rows, or, when the Assign carries a data
/// recipe, the size and digest the rows the worker builds from the recipe must have.
public struct ClientShard: Equatable, Sendable {
    public enum Content: Equatable, Sendable {
        /// The client's rows, as they travel.
        case rows(Dataset)
        /// What the worker's own build of the client's rows must be: its row count and
        /// `Dataset.contentHash`.
        case described(samples: Int, hash: ContentHash)
    }

    public var clientID: Int
    public var content: Content
    /// Whether the client trains on its labels flipped (a label-flip attacker): the
    /// worker flips them, after checking the rows.
    public var flipsLabels: Bool

    public init(clientID: Int, data: Dataset, flipsLabels: Bool = false) {
        self.init(clientID: clientID, content: .rows(data), flipsLabels: flipsLabels)
    }

    public init(clientID: Int, content: Content, flipsLabels: Bool = false) {
        self.clientID = clientID
        self.content = content
        self.flipsLabels = flipsLabels
    }

    /// The rows, when they travel with the shard.
    public var rows: Dataset? {
        if case let .rows(data) = content { return data }
        return nil
    }
}

/// Coordinator -> worker: the clients it hosts and the model they train.
///
/// The worker builds its model from `model` and `frozenParameters`, the coordinator's
/// frozen values (drawn from the seed or read from a base model file), which travel once
/// here; the trainable ones arrive in `ModelBroadcast`. Each shard's features travel as a `[samples, featureCount]` tensor;
/// a decoded shard takes its `featureCount` and `classCount` from `model` (`inputDim`,
/// `classes`), and a shard that disagrees with `model` is refused. Regression data's
/// targets travel beside the labels (a shard without rows has none).
public struct Assign: Equatable, Sendable {
    public var workerIndex: Int
    public var seed: UInt64
    public var model: ModelSpec
    /// The clients, or in a decentralized run the nodes, this worker hosts.
    public var clients: [ClientShard]
    /// What the worker needs to run its nodes; nil in a run with a server.
    public var decentralized: DecentralizedAssignment?
    /// The model's frozen vector (`model.frozenParameterCount` values; empty when no layer
    /// is frozen).
    public var frozenParameters: [Float]
    /// How the worker builds its clients' rows itself (a scenario of the run's seed, data,
    /// partition and model kind), its shards then being `.described`; nil when every
    /// shard carries its `.rows`.
    public var dataRecipe: String?
    /// An expert model's trainable vector (`model.trainableParameterCount` values) whose
    /// losses rank the clients' rows for ordered local learning; nil: the global model's.
    public var expertParameters: [Float]?

    public init(workerIndex: Int, seed: UInt64, model: ModelSpec, clients: [ClientShard],
                decentralized: DecentralizedAssignment? = nil, frozenParameters: [Float] = [],
                dataRecipe: String? = nil, expertParameters: [Float]? = nil) {
        self.workerIndex = workerIndex
        self.seed = seed
        self.model = model
        self.clients = clients
        self.decentralized = decentralized
        self.frozenParameters = frozenParameters
        self.dataRecipe = dataRecipe
        self.expertParameters = expertParameters
    }
}

/// Coordinator -> worker: a global model, sent once per worker per version.
public struct ModelBroadcast: Equatable, Sendable {
    public var version: UInt64
    /// The model's trainable vector; frozen values travel once, in `Assign`.
    public var parameters: [Float]
    /// The frozen A factors of the model's LoRA layers (`Sequential.adapterFactors`) when
    /// the server re-sets them, as FedSVD does; empty otherwise, and the worker keeps
    /// the ones it has. No other frozen value travels.
    public var adapterFactors: [Float]

    public init(version: UInt64, parameters: [Float], adapterFactors: [Float] = []) {
        self.version = version
        self.parameters = parameters
        self.adapterFactors = adapterFactors
    }
}

/// Coordinator -> worker: train one client from one model version.
public struct TrainingTask: Equatable, Sendable {
    public var clientID: Int
    public var modelVersion: UInt64
    /// The client's job, from 1: the counter of its training's random streams.
    public var jobNumber: Int
    public var training: LocalTraining

    public init(clientID: Int, modelVersion: UInt64, jobNumber: Int, training: LocalTraining) {
        self.clientID = clientID
        self.modelVersion = modelVersion
        self.jobNumber = jobNumber
        self.training = training
    }
}

/// Worker -> coordinator: the result of one task.
public struct ClientUpdate: Equatable, Sendable {
    public var clientID: Int
    public var modelVersion: UInt64
    /// The job this update answers.
    public var jobNumber: Int
    /// Local trainable vector minus the one the task started from.
    public var delta: [Float]
    public var sampleCount: Int
    /// Mean loss over the local minibatches.
    public var trainLoss: Double
    public var steps: Int
    public var wallComputeSeconds: Double

    public init(clientID: Int, modelVersion: UInt64, jobNumber: Int, delta: [Float], sampleCount: Int,
                trainLoss: Double, steps: Int, wallComputeSeconds: Double) {
        self.clientID = clientID
        self.modelVersion = modelVersion
        self.jobNumber = jobNumber
        self.delta = delta
        self.sampleCount = sampleCount
        self.trainLoss = trainLoss
        self.steps = steps
        self.wallComputeSeconds = wallComputeSeconds
    }
}

/// Everything that travels between fedsim processes.
public enum Message: Equatable, Sendable {
    case hello(Hello)
    case assign(Assign)
    case model(ModelBroadcast)
    case task(TrainingTask)
    case update(ClientUpdate)
    case gossip(GossipBatch)
    case events(EventBatch)
    case snapshot(SnapshotRequest)
    case nodeStates(NodeStates)
    case heartbeat(sequence: UInt64)
    /// A worker holds the rows of its last Assign's `clients` clients and takes tasks.
    case ready(clients: Int)
    /// A JSON metrics record.
    case metrics(json: String)
    case stop(reason: String)
    /// The last message received was not accepted, and why.
    case refused(reason: String)

    /// A short name for logs and errors.
    public var kind: String {
        switch self {
        case .hello: return "Hello"
        case .assign: return "Assign"
        case .model: return "Model"
        case .task: return "Task"
        case .update: return "Update"
        case .gossip: return "Gossip"
        case .events: return "Events"
        case .snapshot: return "Snapshot"
        case .nodeStates: return "NodeStates"
        case .heartbeat: return "Heartbeat"
        case .ready: return "Ready"
        case .metrics: return "Metrics"
        case .stop: return "Stop"
        case .refused: return "Refused"
        }
    }
}
