import FedSimCore

/// A named number: one setting of a gossip algorithm, as `DecentralizedAssignment` carries it.
public struct NamedValue: Equatable, Sendable {
    public var name: String
    public var value: Double

    public init(_ name: String, _ value: Double) {
        self.name = name
        self.value = value
    }
}

/// What a worker needs to run the nodes of a decentralized run: the gossip algorithm
/// and its settings, the graph, which worker hosts each node and where every worker's
/// peer socket listens.
public struct DecentralizedAssignment: Equatable, Sendable {
    /// The algorithm's name in scenario files.
    public var algorithm: String
    /// Its settings (step sizes, constants), in the order the coordinator wrote them.
    public var settings: [NamedValue]
    /// The graph the nodes exchange over.
    public var graph: Graph
    /// The worker index hosting each node.
    public var hosts: [Int]
    /// Each worker's peer endpoint (`tcp://host:port`), by worker index.
    public var peers: [String]
    /// The local training of a network model's steps (D-SGD); nil for convex objectives.
    public var training: LocalTraining?
    /// The nodes' objective as scenarios name its model kind (`logistic`, `softmax`,
    /// `least_squares`); empty for a network model, which `Assign.model` describes.
    public var objective: String
    /// The objective's L2 regularization mu (0 for a network, and for least squares
    /// without a ridge).
    public var regularization: Double
    /// N, the training rows of all nodes, for the weights of the nodes' objectives.
    public var totalRows: Int
    /// Each worker's CURVE public key, by worker index, in an authenticated run (its
    /// peer socket's key and the key it connects to the others with); empty otherwise.
    public var peerKeys: [CurveKey]
    /// The Byzantine nodes, ascending; empty without an attack.
    public var byzantineNodes: [Int]
    /// What the Byzantine nodes send: an attack kind as scenarios name it (empty without
    /// an attack) and its settings.
    public var attack: String
    public var attackSettings: [NamedValue]
    /// The robust rule that replaces D-SGD's averaging (empty: averaging) and its settings.
    public var mixingRule: String
    public var mixingSettings: [NamedValue]

    public init(algorithm: String, settings: [NamedValue], graph: Graph, hosts: [Int], peers: [String],
                training: LocalTraining? = nil, objective: String = "", regularization: Double = 0,
                totalRows: Int = 0, peerKeys: [CurveKey] = [], byzantineNodes: [Int] = [], attack: String = "",
                attackSettings: [NamedValue] = [], mixingRule: String = "", mixingSettings: [NamedValue] = []) {
        self.algorithm = algorithm
        self.settings = settings
        self.graph = graph
        self.hosts = hosts
        self.peers = peers
        self.training = training
        self.objective = objective
        self.regularization = regularization
        self.totalRows = totalRows
        self.peerKeys = peerKeys
        self.byzantineNodes = byzantineNodes
        self.attack = attack
        self.attackSettings = attackSettings
        self.mixingRule = mixingRule
        self.mixingSettings = mixingSettings
    }
}

/// Coordinator -> worker: the events of a decentralized run that touch the worker's
/// nodes, in increasing index order (which is also time order), as parallel columns.
public struct EventBatch: Equatable, Sendable {
    /// Each event's index in the run's whole sequence.
    public var indices: [UInt64]
    public var times: [Double]
    public var kinds: [GossipEvent.Kind]
    public var first: [Int]
    /// The other node of an exchange; unused (0) otherwise.
    public var second: [Int]

    public init(indices: [UInt64] = [], times: [Double] = [], kinds: [GossipEvent.Kind] = [], first: [Int] = [],
                second: [Int] = []) {
        self.indices = indices
        self.times = times
        self.kinds = kinds
        self.first = first
        self.second = second
    }

    public var count: Int { indices.count }

    public mutating func append(_ event: GossipEvent) {
        indices.append(event.index)
        times.append(event.time)
        kinds.append(event.kind)
        first.append(event.first)
        second.append(event.second)
    }

    /// Event k.
    public subscript(k: Int) -> GossipEvent {
        GossipEvent(index: indices[k], time: times[k], kind: kinds[k], first: first[k], second: second[k])
    }
}

/// Worker -> worker: what nodes send their partners in exchange events, in event
/// order, as parallel columns; message k is `values[k * width ..< (k + 1) * width]`.
public struct GossipBatch: Equatable, Sendable {
    public var fromNodes: [Int]
    public var toNodes: [Int]
    /// The exchange events' indices.
    public var events: [UInt64]
    public var width: Int
    public var values: [Double]

    public init(width: Int) {
        fromNodes = []
        toNodes = []
        events = []
        self.width = width
        values = []
    }

    public init(fromNodes: [Int], toNodes: [Int], events: [UInt64], width: Int, values: [Double]) {
        self.fromNodes = fromNodes
        self.toNodes = toNodes
        self.events = events
        self.width = width
        self.values = values
    }

    public var count: Int { events.count }

    public var isEmpty: Bool { events.isEmpty }

    public mutating func append(from: Int, to: Int, event: UInt64, message: [Double]) {
        precondition(message.count == width, "a gossip message of \(message.count) values, the batch holds \(width)")
        fromNodes.append(from)
        toNodes.append(to)
        events.append(event)
        values.append(contentsOf: message)
    }

    /// Message k's values.
    public func message(_ k: Int) -> ArraySlice<Double> {
        values[(k * width)..<((k + 1) * width)]
    }
}

/// Coordinator -> worker: report the nodes' models as they are at virtual time `time`,
/// once every event with an index below `through` is done.
public struct SnapshotRequest: Equatable, Sendable {
    public var time: Double
    public var through: UInt64

    public init(time: Double, through: UInt64) {
        self.time = time
        self.through = through
    }
}

/// Worker -> coordinator: the models of its nodes at a snapshot's time; node k's model
/// is `values[k * width ..< (k + 1) * width]`.
public struct NodeStates: Equatable, Sendable {
    public var time: Double
    public var nodes: [Int]
    public var width: Int
    public var values: [Double]

    public init(time: Double, nodes: [Int], width: Int, values: [Double]) {
        self.time = time
        self.nodes = nodes
        self.width = width
        self.values = values
    }
}
