import FedSimCore

/// MoNNA (Farhadkhani et al., ICML 2023), robust decentralized learning with f Byzantine
/// nodes, in synchronous rounds (`SynchronousRounds`). Each honest node j keeps a local
/// momentum and, per round:
///
/// - local step: m_j <- beta m_j + (1 - beta) g_j, with g_j = grad f_j(theta_j) (a convex
///   objective), and the half-step theta_j^half = theta_j - gamma m_j; for a network,
///   g_j = (theta_j - T(theta_j)) / gamma with T the scenario's local training at learning
///   rate gamma, so one SGD step gives exactly MoNNA's update;
/// - communication: it hears the half-steps of n - 2f - 1 honest peers drawn uniformly
///   at random each round and of every Byzantine neighbour: n - f vectors with its own,
///   as the authors' code simulates it (`peerToPeer.py`: the f Byzantine nodes always
///   answer, and n - 2f - 1 random honest ones);
/// - combine: theta_j <- the mean of the n - 2f received vectors nearest (in Euclidean
///   distance) to its own half-step, its own included (nearest-neighbour mixing).
///
/// On a graph that is not complete, node j draws min(n - 2f - 1, h_j) of its h_j honest
/// neighbours, hears all its Byzantine neighbours, and keeps the max(1, m - f) nearest of
/// the m vectors it holds (its own counted). The draw of round r at node j is
/// `RandomStream(seed:, purpose: .gossip, client: j, counter: r).sample(...)` over its
/// honest neighbours in increasing order. Honest peers send their half-steps to the
/// nodes that drew them (one-way sends); every honest node also sends its half-step to
/// each Byzantine neighbour first, so the Byzantine nodes craft their vectors from the
/// round's half-steps, as the authors' omniscient attacks do.
///
/// Defaults: beta = 0.99 (with the authors' dampening 1 - beta), gamma = 1 / L for an
/// objective (a network trains at `training.learning_rate`), f = the number of Byzantine
/// nodes of the scenario's `attack:` section.
public struct MoNNA: GossipAlgorithm {
    public static let name = "monna"
    public static let fields = ["momentum", "step_size", "f"]
    public static let objectiveFields = ["step_size"]
    public static let needsObjective = false

    /// beta.
    public var momentum: Double
    /// gamma; nil: 1 / L, L the nodes' smoothness.
    public var stepSize: Double?
    /// The Byzantine nodes tolerated; nil: as many as the scenario has.
    public var f: Int?

    public init(momentum: Double = 0.99, stepSize: Double? = nil, f: Int? = nil) {
        self.momentum = momentum
        self.stepSize = stepSize
        self.f = f
    }

    /// `momentum` (0.99), `step_size` (1 / L; objectives only), `f` (the attack's count).
    public init(reading reader: some SettingsReader) {
        let momentum = reader.number("momentum", default: 0.99, in: 0...1, excludingLowerBound: false)
        if momentum == 1 { reader.report("momentum", "must be below 1: a momentum of 1 never takes a gradient in") }
        self.init(momentum: momentum,
                  stepSize: reader.optionalNumber("step_size", in: 0...1e6, excludingLowerBound: true),
                  f: reader.optionalInteger("f", in: 0...1_000_000))
    }

    public func writeSettings(to writer: inout SettingsWriter) {
        writer.write("momentum", momentum)
        if let stepSize { writer.write("step_size", stepSize) }
        if let f { writer.write("f", f) }
    }

    /// beta, gamma (objectives only) and f when the scenario sets it.
    /// - Throws: `GossipError.needsObjective` for a step size on a network, and
    ///   `GossipError.outOfRange` when n - 2f - 1 < 0.
    public func parameters(graph: Graph, constants: RegularityConstants?) throws -> GossipParameters {
        var parameters = GossipParameters()
        parameters.set("momentum", momentum)
        if let constants {
            parameters.set("step_size", stepSize ?? 1 / constants.smoothness)
        } else if stepSize != nil {
            throw GossipError.needsObjective(algorithm: "MoNNA's step_size")
        }
        if let f {
            guard 2 * f + 1 <= graph.nodes else {
                throw GossipError.outOfRange(parameter: "MoNNA's f", value: Double(f),
                                             allowed: "at most (n - 1) / 2 = \((graph.nodes - 1) / 2) on \(graph.nodes) nodes")
            }
            parameters.set("f", Double(f))
        }
        return parameters
    }

    /// f: the parameter, else the Byzantine nodes' count.
    static func tolerated(_ parameters: GossipParameters) -> Int {
        parameters.optionalValue("f").map { Int($0) } ?? parameters.robustness.byzantineNodes.count
    }

    public static func events(graph: Graph, seed: UInt64, parameters: GossipParameters) -> any IteratorProtocol<GossipEvent> {
        let robustness = parameters.robustness
        let peers = max(graph.nodes - 2 * tolerated(parameters) - 1, 0)
        let honestNeighbors = graph.neighbors.map { $0.filter { !robustness.isByzantine($0) } }
        return SynchronousRounds(nodes: graph.nodes) { round in
            var pulls: [SynchronousRounds.Communication] = []
            for node in 0..<graph.nodes where !robustness.isByzantine(node) {
                let candidates = honestNeighbors[node]
                var stream = RandomStream(seed: seed, purpose: .gossip, client: node, counter: round)
                for slot in stream.sample(min(peers, candidates.count), from: candidates.count).sorted() {
                    pulls.append((.send, candidates[slot], node))
                }
            }
            return SynchronousRounds.aroundByzantine(pulls, graph: graph, robustness: robustness)
        }
    }

    public static func messageWidth(modelWidth: Int, parameters: GossipParameters) throws -> Int { modelWidth }

    public static func gradientsPerLocalEvent(parameters: GossipParameters) throws -> Int { 1 }

    public static func node(_ node: Int, graph: Graph, parameters: GossipParameters, learner: LocalLearner,
                            initial: [Double]) throws -> any NodeProgram {
        MoNNANode(momentum: try parameters.value("momentum"), f: tolerated(parameters), theta: initial,
                  displacement: try learner.displacement(parameters, algorithm: "MoNNA"))
    }
}

/// An honest MoNNA node (see `MoNNA`), its momentum kept as gamma m.
struct MoNNANode: NodeProgram {
    let momentum: Double
    let f: Int
    private(set) var theta: [Double]
    /// gamma g at theta (the local training's displacement for a network).
    let displacement: @Sendable (_ theta: [Double], _ event: UInt64) -> [Double]
    private var scaledMomentum: [Double]
    private var half: [Double]
    private var received: [Int: [Double]] = [:]

    init(momentum: Double, f: Int, theta: [Double],
         displacement: @escaping @Sendable (_ theta: [Double], _ event: UInt64) -> [Double]) {
        self.momentum = momentum
        self.f = f
        self.theta = theta
        self.displacement = displacement
        scaledMomentum = [Double](repeating: 0, count: theta.count)
        half = theta
    }

    mutating func local(at time: Double, event: UInt64) {
        let step = displacement(theta, event)
        for k in theta.indices {
            scaledMomentum[k] = momentum * scaledMomentum[k] + (1 - momentum) * step[k]
            half[k] = theta[k] - scaledMomentum[k]
        }
    }

    func message(at time: Double, to partner: Int) -> [Double] { half }

    mutating func receive(_ message: ArraySlice<Double>, from partner: Int, at time: Double) {
        received[partner] = Array(message)
    }

    mutating func combine(at time: Double) {
        let vectors = [half] + received.keys.sorted().map { received[$0]! }
        theta = Self.mean(of: vectors, nearest: max(1, vectors.count - f), to: 0)
        received.removeAll(keepingCapacity: true)
    }

    func model(at time: Double) -> [Double] { theta }

    /// Nearest-neighbour mixing around one vector, in Double (`NearestNeighborMixing`
    /// mixes every input, in Float): the mean of the `count` vectors nearest to
    /// `vectors[center]` in Euclidean distance (itself included, at distance 0); ties go to
    /// the earlier vector. O(m d + m log m).
    static func mean(of vectors: [[Double]], nearest count: Int, to center: Int) -> [Double] {
        let reference = vectors[center]
        let distances = vectors.map { vector in
            var sum = 0.0
            for k in vector.indices { sum += (vector[k] - reference[k]) * (vector[k] - reference[k]) }
            return sum
        }
        let kept = vectors.indices.sorted { (distances[$0], $0) < (distances[$1], $1) }.prefix(count)
        var mean = [Double](repeating: 0, count: reference.count)
        for index in kept.sorted() {
            for k in mean.indices { mean[k] += vectors[index][k] }
        }
        let n = Double(kept.count)
        return mean.map { $0 / n }
    }
}
