import FedSimCore

/// Who is Byzantine in a decentralized run and how honest D-SGD nodes combine what they
/// receive. Part of `GossipParameters`, so the coordinator's events and the workers' node
/// programs see the same nodes.
public struct GossipRobustness: Equatable, Sendable {
    /// The Byzantine nodes, ascending.
    public var byzantineNodes: [Int]
    /// D-SGD's robust combination; nil: Metropolis averaging.
    public var mixing: RobustMixing?

    public init(byzantineNodes: [Int] = [], mixing: RobustMixing? = nil) {
        self.byzantineNodes = byzantineNodes
        self.mixing = mixing
    }

    /// Whether `node` is Byzantine. O(log f).
    public func isByzantine(_ node: Int) -> Bool {
        var (low, high) = (0, byzantineNodes.count)
        while low < high {
            let middle = (low + high) / 2
            if byzantineNodes[middle] < node { low = middle + 1 } else { high = middle }
        }
        return low < byzantineNodes.count && byzantineNodes[low] == node
    }
}

/// How an honest D-SGD node combines its own h_i with the h_j its neighbours sent, in
/// place of x_i <- sum_j W_ij h_j ("robust D-SGD").
public enum RobustMixing: Equatable, Sendable {
    /// A rule of `FedSimAlgorithms/Robust` (with its pre-aggregators) over h_i and the
    /// neighbours' h_j, own vector first, then neighbours in increasing order, in Float.
    case rule(RobustAggregatorDescription)
    /// Clipped gossip (He, Karimireddy and Jaggi 2022):
    /// x_i <- h_i + sum_j W_ij clip(h_j - h_i, tau), clip(v, tau) = v min(1, tau / ||v||).
    case clippedGossip(tau: Double)

    /// The name of clipped gossip among the rules.
    public static let clippedGossipName = "clipped_gossip"

    /// The rule's name and settings as they travel to the workers.
    public var named: (rule: String, settings: [(String, Double)]) {
        switch self {
        case let .rule(description): return (description.rule, description.parameters.sorted { $0.key < $1.key })
        case let .clippedGossip(tau): return (Self.clippedGossipName, [("tau", tau)])
        }
    }

    /// The mixing a rule name and settings describe (`named`'s inverse).
    /// - Throws: `RobustAggregationError` for an unknown rule or bad parameters.
    public init(rule: String, settings: [(String, Double)]) throws {
        let parameters = Dictionary(settings, uniquingKeysWith: { _, last in last })
        if rule == Self.clippedGossipName {
            let tau = parameters["tau"] ?? 1
            guard tau.isFinite, tau > 0, parameters.keys.allSatisfy({ $0 == "tau" }) else {
                throw RobustAggregationError.invalidParameter(rule: rule, parameter: "tau",
                                                              message: "must be a finite number > 0 and the only parameter")
            }
            self = .clippedGossip(tau: tau)
        } else {
            let description = RobustAggregatorDescription(rule: rule, parameters: parameters)
            _ = try RobustAggregator(description)
            self = .rule(description)
        }
    }
}

/// Synchronous rounds as events, endless: round r (r = 0, 1, ...) is a local step at
/// every node at time r + 1/4 (nodes in increasing order), the round's communications at
/// r + 1/2 in the order `communications(r)` gives them, and a combine at every node at
/// r + 1. Time counts rounds. O(1) per event beyond `communications`.
public struct SynchronousRounds: IteratorProtocol, Sendable {
    /// One communication of a round: an exchange, or a send from `first` to `second`.
    public typealias Communication = (kind: GossipEvent.Kind, first: Int, second: Int)

    public let nodes: Int
    private let communications: @Sendable (_ round: Int) -> [Communication]
    private var round = 0
    private var current: [Communication] = []
    /// The position within the round: local steps, then communications, then combines.
    private var slot = 0
    private var index: UInt64 = 0

    public init(nodes: Int, communications: @escaping @Sendable (_ round: Int) -> [Communication]) {
        self.nodes = nodes
        self.communications = communications
        current = communications(0)
    }

    public mutating func next() -> GossipEvent? {
        let (n, m) = (nodes, current.count)
        let base = Double(round)
        let event: GossipEvent
        if slot < n {
            event = GossipEvent(index: index, time: base + 0.25, kind: .local, first: slot)
        } else if slot < n + m {
            let communication = current[slot - n]
            event = GossipEvent(index: index, time: base + 0.5, kind: communication.kind, first: communication.first,
                                second: communication.second)
        } else {
            event = GossipEvent(index: index, time: base + 1, kind: .combine, first: slot - n - m)
        }
        index += 1
        slot += 1
        if slot == 2 * n + m {
            slot = 0
            round += 1
            current = communications(round)
        }
        return event
    }

    /// A round's communications over `graph`'s edges with Byzantine nodes among the
    /// nodes: first a send from the honest end to the Byzantine end of every edge that
    /// has one of each, then `honest` (the honest nodes' own communications), then a send
    /// back from the Byzantine end of each such edge. Byzantine nodes therefore hear the
    /// round's honest messages before they send theirs (a rushing adversary that sees its
    /// neighbours); edges between two Byzantine nodes carry nothing.
    public static func aroundByzantine(_ honest: [Communication], graph: Graph, robustness: GossipRobustness)
        -> [Communication] {
        guard !robustness.byzantineNodes.isEmpty else { return honest }
        var toByzantine: [Communication] = []
        var fromByzantine: [Communication] = []
        for edge in graph.edges {
            switch (robustness.isByzantine(edge.i), robustness.isByzantine(edge.j)) {
            case (false, true):
                toByzantine.append((.send, edge.i, edge.j))
                fromByzantine.append((.send, edge.j, edge.i))
            case (true, false):
                toByzantine.append((.send, edge.j, edge.i))
                fromByzantine.append((.send, edge.i, edge.j))
            default:
                continue
            }
        }
        return toByzantine + honest + fromByzantine
    }
}

/// A Byzantine node running a vector attack: it takes no steps, keeps the messages its
/// honest neighbours send in a round, and sends each recipient the attack's vector built
/// from them (ALGORITHMS.md section 2's attacks, acting on what honest nodes send: models
/// or half-steps). The vector for a recipient draws from
/// `RandomStream(seed:, purpose: .attack, client: node, counter: round * nodes + recipient)`,
/// so a random attack (Gaussian) sends each neighbour its own vector. Until it has heard
/// as many honest messages as the attack needs (two for ALIE's deviation), it sends its
/// own initial model.
public struct ByzantineNode: NodeProgram {
    public let node: Int
    public let nodes: Int
    public let attack: any ByzantineAttack
    public let byzantineCount: Int
    public let seed: UInt64
    private let own: [Double]
    private var heard: [Int: [Double]] = [:]
    /// The round's honest messages packed for the attack, once, at the first send after
    /// the last one heard; nil until then.
    private var packed: RobustInputs?
    private var round = 0

    public init(node: Int, nodes: Int, attack: any ByzantineAttack, byzantineCount: Int, seed: UInt64, initial: [Double]) {
        self.node = node
        self.nodes = nodes
        self.attack = attack
        self.byzantineCount = byzantineCount
        self.seed = seed
        own = initial
    }

    public mutating func local(at time: Double, event: UInt64) {}

    public mutating func message(at time: Double, to partner: Int) -> [Double] {
        if packed == nil, !heard.isEmpty {
            packed = try? RobustInputs(heard.keys.sorted().map { heard[$0]!.map(Float.init) }, context: attack.name)
        }
        var stream = RandomStream(seed: seed, purpose: .attack, client: node, counter: round &* nodes &+ partner)
        guard let packed,
              let vector = try? attack.byzantineVector(honest: packed, byzantineCount: byzantineCount, stream: &stream)
        else { return own }
        return vector.map(Double.init)
    }

    public mutating func receive(_ message: ArraySlice<Double>, from partner: Int, at time: Double) {
        heard[partner] = Array(message)
        packed = nil
    }

    public mutating func combine(at time: Double) {
        heard.removeAll(keepingCapacity: true)
        packed = nil
        round += 1
    }

    public func model(at time: Double) -> [Double] { own }
}
