import FedSimCore

/// One line of a decentralized run's `metrics.jsonl`: the counts since the start and the
/// measures of the nodes' models at an evaluation time.
public struct GossipRecord: Equatable, Sendable {
    /// Virtual time (rounds for D-SGD).
    public var time: Double
    /// Gradients (or a network's minibatch steps) taken by all nodes so far.
    public var gradients: Int
    /// Communications so far: exchanges over edges and one-way sends.
    public var communications: Int
    /// Bytes they moved: two messages of 8-byte values per exchange, one per send.
    public var bytes: Int
    /// The measures, of the honest nodes only in a run with Byzantine nodes.
    var measures: GossipMeasures
    /// The Byzantine nodes' count, in a run with an attack.
    public var byzantineNodes: Int?
    /// A token walk's hops and the total-variation distance of its visits to the target.
    public struct Walk: Equatable, Sendable {
        public var hops: Int
        public var visitDistance: Double
    }

    /// The walk, in a token walk's run (whose measures are of the token's model).
    public var walk: Walk?
    /// Seconds since the first events were handed out.
    public var wallSeconds: Double

    init(time: Double, gradients: Int, communications: Int, bytes: Int, measures: GossipMeasures,
         byzantineNodes: Int? = nil, walk: Walk? = nil, wallSeconds: Double) {
        self.time = time
        self.gradients = gradients
        self.communications = communications
        self.bytes = bytes
        self.measures = measures
        self.byzantineNodes = byzantineNodes
        self.walk = walk
        self.wallSeconds = wallSeconds
    }

    public var distanceToOptimum: Double? { measures.distanceToOptimum }
    public var relativeDistanceToOptimum: Double? { measures.relativeDistanceToOptimum }
    public var consensusDistance: Double { measures.consensusDistance }
    public var trainLoss: Double { measures.trainLoss }
    public var testLoss: Double { measures.testLoss }
    public var testAccuracy: Double? { measures.testAccuracy }
    public var worstNodeTestAccuracy: Double? { measures.worstNodeTestAccuracy }
    public var meanNodeTestAccuracy: Double? { measures.meanNodeTestAccuracy }

    /// The line's fields, in the order README documents them; the distances only with a
    /// unique optimum, the accuracies only for a classifier, the Byzantine count and the
    /// honest nodes' mean accuracy only with an attack.
    public var json: JSONObject {
        var object = JSONObject()
        object.set("time", time)
        object.set("gradients", gradients)
        object.set("communications", communications)
        object.set("bytes", bytes)
        if let distance = measures.distanceToOptimum {
            object.set("distance_to_optimum", distance)
            object.set("relative_distance_to_optimum", measures.relativeDistanceToOptimum)
        }
        object.set("consensus_distance", measures.consensusDistance)
        object.set("train_loss", measures.trainLoss)
        object.set("test_loss", measures.testLoss)
        if let accuracy = measures.testAccuracy {
            object.set("test_accuracy", accuracy)
            object.set("worst_node_test_accuracy", measures.worstNodeTestAccuracy)
            if byzantineNodes != nil { object.set("mean_node_test_accuracy", measures.meanNodeTestAccuracy) }
        }
        if let byzantineNodes { object.set("byzantine_nodes", byzantineNodes) }
        if let walk {
            object.set("hops", walk.hops)
            object.set("visit_tv_distance", walk.visitDistance)
        }
        object.set("wall_seconds", wallSeconds)
        return object
    }
}

/// The outcome of a decentralized run (`summary.json`).
public struct GossipSummary: Sendable {
    public var scenario: String
    public var algorithm: String
    public var nodes: Int
    public var edges: Int
    public var workers: Int
    /// The model's length.
    public var parameters: Int
    /// Events handed out, and the virtual time of the last evaluation.
    public var events: Int
    public var virtualTime: Double
    /// The last record.
    public var final: GossipRecord
    /// mu and L of the nodes' objectives; nil for a network.
    public var constants: RegularityConstants?
    /// DADAO's chi1 and chi2 of the graph; nil when it is disconnected.
    public var graphConstants: DADAOGraphConstants?
    /// The numbers the algorithm ran with (`GossipParameters`), by name.
    public var algorithmParameters: [(name: String, value: Double)]
    /// x* and f(x*) of the pooled objective; nil for a network.
    public var optimum: ObjectiveMinimum?
    public var wallSeconds: Double
    /// From the first events handed out to the last evaluation.
    public var wallTrainingSeconds: Double
    public var wireBytesSent: Int
    public var wireBytesReceived: Int

    /// Events carried out per second of `wallTrainingSeconds`.
    public var eventsPerSecond: Double {
        wallTrainingSeconds > 0 ? Double(events) / wallTrainingSeconds : 0
    }

    public var json: JSONObject {
        var object = JSONObject()
        object.set("scenario", scenario)
        object.set("algorithm", algorithm)
        object.set("nodes", nodes)
        object.set("edges", edges)
        object.set("workers", workers)
        object.set("parameters", parameters)
        object.set("events", events)
        object.set("virtual_time", virtualTime)
        object.set("gradients", final.gradients)
        object.set("communications", final.communications)
        object.set("bytes", final.bytes)
        if let distance = final.relativeDistanceToOptimum {
            object.set("final_relative_distance_to_optimum", distance)
        }
        object.set("final_consensus_distance", final.consensusDistance)
        object.set("final_train_loss", final.trainLoss)
        object.set("final_test_loss", final.testLoss)
        if let accuracy = final.testAccuracy {
            object.set("final_test_accuracy", accuracy)
            object.set("final_worst_node_test_accuracy", final.worstNodeTestAccuracy)
            if final.byzantineNodes != nil { object.set("final_mean_node_test_accuracy", final.meanNodeTestAccuracy) }
        }
        if let byzantine = final.byzantineNodes { object.set("byzantine_nodes", byzantine) }
        if let constants {
            object.set("strong_convexity", constants.strongConvexity)
            object.set("smoothness", constants.smoothness)
        }
        if let graphConstants {
            object.set("chi1", graphConstants.chi1)
            object.set("chi2", graphConstants.chi2)
        }
        var parameters = JSONObject()
        for (name, value) in algorithmParameters { parameters.set(name, value) }
        object.set("algorithm_parameters", parameters)
        if let optimum {
            object.set("optimum_value", optimum.value)
            object.set("optimum_squared_norm", optimum.parameters.reduce(0) { $0 + $1 * $1 })
            object.set("optimum_gradient_norm", optimum.gradientNorm)
            object.set("newton_iterations", optimum.iterations)
            object.set("optimum", optimum.parameters)
        }
        object.set("wall_seconds", wallSeconds)
        object.set("wall_training_seconds", wallTrainingSeconds)
        object.set("events_per_second", eventsPerSecond)
        object.set("wire_bytes_sent", wireBytesSent)
        object.set("wire_bytes_received", wireBytesReceived)
        return object
    }
}

/// Why a decentralized run failed.
public enum GossipRunError: FedSimError, Equatable, Sendable {
    /// Node `node`'s data does not suit the model; the message says why.
    case node(Int, String)
    /// The objective over every node's training rows does not suit the run; the message says why.
    case pooled(String)
    /// A worker's NodeStates did not answer a snapshot as asked.
    case badNodeStates(worker: String, reason: String)

    public var description: String {
        switch self {
        case let .node(node, reason): return "node \(node): \(reason)"
        case let .pooled(reason): return "the pooled objective over every node's training rows: \(reason)"
        case let .badNodeStates(worker, reason): return "\(worker) sent NodeStates that answer no snapshot: \(reason)"
        }
    }
}
