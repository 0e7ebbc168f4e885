import FedSimCore

/// Decentralized SGD with Metropolis-Hastings weights W (`MetropolisWeights`), in
/// synchronous rounds (Lian et al. 2017, adapt then combine): each node takes its local
/// steps from x_i, h_i = x_i - gamma grad f_i(x_i) repeated `localSteps` times (or a
/// network's local training), sends h_i to its neighbours, and takes
/// x_i <- sum_j W_ij h_j.
///
/// With `variant: gradient_tracking` (DIGing, Nedic, Olshevsky and Shi 2017) each node
/// also tracks the average gradient in y_i, starting from y_i = grad f_i(x_i), and a
/// round is x_i <- sum_j W_ij x_j - gamma y_i, y_i <- sum_j W_ij y_j + grad f_i(x_i new)
/// - grad f_i(x_i old): the nodes converge to the exact minimizer, where plain D-SGD
/// with a constant step stops at a distance that grows with the nodes' heterogeneity.
///
/// Round r (r = 0, 1, ...) is the events: a local step at every node at time r + 1/4
/// (nodes in increasing order), an exchange on every edge at r + 1/2 (edges in
/// `graph.edges` order), a combine at every node at r + 1. Time counts rounds.
public struct DSGD: GossipAlgorithm {
    public static let name = "dsgd"
    public static let fields = ["step_size", "local_steps", "variant"]
    public static let objectiveFields = ["step_size", "local_steps", "variant"]
    public static let needsObjective = false

    /// Plain D-SGD or gradient tracking.
    public enum Variant: String, Codable, Sendable, CaseIterable {
        case plain
        case gradientTracking = "gradient_tracking"
    }

    /// gamma; nil: 1 / L, L the nodes' smoothness.
    public var stepSize: Double?
    /// Gradient steps per round (plain D-SGD on an objective).
    public var localSteps: Int
    public var variant: Variant

    public init(stepSize: Double? = nil, localSteps: Int = 1, variant: Variant = .plain) {
        self.stepSize = stepSize
        self.localSteps = localSteps
        self.variant = variant
    }

    /// `step_size` (1 / L), `local_steps` (1), `variant` (plain). They apply to a convex
    /// objective; a network trains as the scenario's `training:` section says.
    public init(reading reader: some SettingsReader) {
        let stepSize = reader.optionalNumber("step_size", in: 0...1e6, excludingLowerBound: true)
        let localSteps = reader.integer("local_steps", default: 1, in: 1...1_000_000)
        let variant: Variant = reader.choice("variant", default: .plain)
        if variant == .gradientTracking, localSteps != 1 {
            reader.report("local_steps", "gradient tracking takes one gradient per round; remove local_steps")
        }
        self.init(stepSize: stepSize, localSteps: localSteps, variant: variant)
    }

    public func writeSettings(to writer: inout SettingsWriter) {
        writer.write("variant", variant.rawValue)
        if let stepSize { writer.write("step_size", stepSize) }
        writer.write("local_steps", localSteps)
    }

    /// gamma (1 / L by default; none for a network), the local steps (1 for a network,
    /// whose local event is its training) and the variant (0 plain, 1 tracking).
    /// - Throws: `GossipError.needsObjective` when the step size or gradient tracking is
    ///   asked of a network, which has no L.
    public func parameters(graph: Graph, constants: RegularityConstants?) throws -> GossipParameters {
        var parameters = GossipParameters()
        if let constants {
            parameters.set("step_size", stepSize ?? 1 / constants.smoothness)
        } else if stepSize != nil || localSteps != 1 || variant != .plain {
            throw GossipError.needsObjective(algorithm: "D-SGD's step_size, local_steps and variant")
        }
        parameters.set("local_steps", Double(localSteps))
        parameters.set("gradient_tracking", variant == .gradientTracking ? 1 : 0)
        return parameters
    }

    public static func events(graph: Graph, seed: UInt64, parameters: GossipParameters) -> any IteratorProtocol<GossipEvent> {
        rounds(graph: graph, robustness: parameters.robustness)
    }

    /// The rounds: an exchange on every edge between honest nodes (in `graph.edges`
    /// order), and the sends of `SynchronousRounds.aroundByzantine` on edges with a
    /// Byzantine end.
    public static func rounds(graph: Graph, robustness: GossipRobustness = GossipRobustness()) -> SynchronousRounds {
        let honest = graph.edges.filter { !robustness.isByzantine($0.i) && !robustness.isByzantine($0.j) }
            .map { (kind: GossipEvent.Kind.exchange, first: $0.i, second: $0.j) }
        let round = SynchronousRounds.aroundByzantine(honest, graph: graph, robustness: robustness)
        return SynchronousRounds(nodes: graph.nodes) { _ in round }
    }

    /// h_i, or x_i and y_i with gradient tracking.
    public static func messageWidth(modelWidth: Int, parameters: GossipParameters) throws -> Int {
        try tracksGradients(parameters) ? 2 * modelWidth : modelWidth
    }

    public static func gradientsPerLocalEvent(parameters: GossipParameters) throws -> Int {
        try tracksGradients(parameters) ? 1 : Int(parameters.value("local_steps"))
    }

    public static func node(_ node: Int, graph: Graph, parameters: GossipParameters, learner: LocalLearner,
                            initial: [Double]) throws -> any NodeProgram {
        let weights = MetropolisWeights(graph: graph)
        let mixing = try parameters.robustness.mixing.map {
            try DSGDNode.Mixing($0, node: node, weights: weights, seed: parameters.seed)
        }
        if mixing != nil, try tracksGradients(parameters) { throw GossipError.robustTracking }
        switch learner {
        case let .objective(objective):
            let stepSize = try parameters.value("step_size")
            try GossipError.requirePositive(stepSize, "D-SGD's step size")
            let steps = try parameters.value("local_steps")
            if try tracksGradients(parameters) {
                return GradientTrackingNode(node: node, weights: weights, objective: objective, stepSize: stepSize,
                                            x: initial)
            }
            return DSGDNode(node: node, weights: weights, mixing: mixing, x: initial) { x, _ in
                var h = x
                for _ in 0..<Int(steps) {
                    let gradient = objective.gradient(at: h)
                    for k in h.indices { h[k] -= stepSize * gradient[k] }
                }
                return h
            }
        case let .network(train):
            return DSGDNode(node: node, weights: weights, mixing: mixing, x: initial, localSteps: train)
        }
    }

    private static func tracksGradients(_ parameters: GossipParameters) throws -> Bool {
        try parameters.value("gradient_tracking") != 0
    }
}

/// A D-SGD node: h_i from its local steps, sent to every neighbour, and
/// x_i <- sum_j W_ij h_j once their h_j are in, or a robust combination of them.
struct DSGDNode: NodeProgram {
    /// A robust combination in place of averaging, with its state.
    struct Mixing {
        let kind: RobustMixing
        var aggregator: RobustAggregator?
        let seed: UInt64
        let node: Int
        var round = 0

        init(_ kind: RobustMixing, node: Int, weights: MetropolisWeights, seed: UInt64) throws {
            self.kind = kind
            if case let .rule(description) = kind { aggregator = try RobustAggregator(description) }
            self.seed = seed
            self.node = node
        }

        /// The combination of `own` and the neighbours' vectors (in increasing node order).
        mutating func combine(own: [Double], neighbors: [(node: Int, vector: [Double])], weights: MetropolisWeights)
            -> [Double] {
            defer { round += 1 }
            switch kind {
            case let .clippedGossip(tau):
                var x = own
                for (neighbor, vector) in neighbors {
                    var squaredNorm = 0.0
                    for k in own.indices { squaredNorm += (vector[k] - own[k]) * (vector[k] - own[k]) }
                    let norm = squaredNorm.squareRoot()
                    let scale = weights.weight(node, neighbor) * (norm > tau ? tau / norm : 1)
                    for k in x.indices { x[k] += scale * (vector[k] - own[k]) }
                }
                return x
            case .rule:
                var stream = RandomStream(seed: seed, purpose: .aggregation, client: node, counter: round)
                let vectors = [own.map(Float.init)] + neighbors.map { $0.vector.map(Float.init) }
                guard let result = try? aggregator!.aggregate(vectors, stream: &stream) else { return own }
                return result.aggregate.map(Double.init)
            }
        }
    }

    let node: Int
    let weights: MetropolisWeights
    private var mixing: Mixing?
    private(set) var x: [Double]
    /// x_i's local steps: the h_i reached from x_i, `event` keying their random streams.
    let localSteps: @Sendable (_ x: [Double], _ event: UInt64) -> [Double]
    private var h: [Double]
    private var received: [Int: [Double]] = [:]

    init(node: Int, weights: MetropolisWeights, mixing: Mixing? = nil, x: [Double],
         localSteps: @escaping @Sendable (_ x: [Double], _ event: UInt64) -> [Double]) {
        self.node = node
        self.weights = weights
        self.mixing = mixing
        self.x = x
        self.localSteps = localSteps
        h = x
    }

    mutating func local(at time: Double, event: UInt64) {
        h = localSteps(x, event)
    }

    func message(at time: Double, to partner: Int) -> [Double] { h }

    mutating func receive(_ message: ArraySlice<Double>, from partner: Int, at time: Double) {
        received[partner] = Array(message)
    }

    mutating func combine(at time: Double) {
        if mixing != nil {
            let neighbors = weights.graph.neighbors[node].compactMap { j in received[j].map { (node: j, vector: $0) } }
            x = mixing!.combine(own: h, neighbors: neighbors, weights: weights)
        } else {
            x = weights.combine(at: node) { $0 == node ? h : received[$0] ?? h }
        }
        received.removeAll(keepingCapacity: true)
    }

    func model(at time: Double) -> [Double] { x }
}

/// A D-SGD node with gradient tracking (DIGing): it sends x_i and y_i, and combines both.
struct GradientTrackingNode: NodeProgram {
    let node: Int
    let weights: MetropolisWeights
    let objective: any Objective
    let stepSize: Double
    private(set) var x: [Double]
    /// y_i, the tracked average gradient; empty before the first local step.
    private var y: [Double] = []
    /// grad f_i at the x_i of the last local step.
    private var lastGradient: [Double] = []
    private var received: [Int: ArraySlice<Double>] = [:]

    init(node: Int, weights: MetropolisWeights, objective: any Objective, stepSize: Double, x: [Double]) {
        self.node = node
        self.weights = weights
        self.objective = objective
        self.stepSize = stepSize
        self.x = x
    }

    /// y_i += grad f_i(x_i) - the previous gradient (y_i = grad f_i(x_i) at first).
    mutating func local(at time: Double, event: UInt64) {
        let gradient = objective.gradient(at: x)
        if y.isEmpty {
            y = gradient
        } else {
            for k in y.indices { y[k] += gradient[k] - lastGradient[k] }
        }
        lastGradient = gradient
    }

    func message(at time: Double, to partner: Int) -> [Double] { x + y }

    mutating func receive(_ message: ArraySlice<Double>, from partner: Int, at time: Double) {
        received[partner] = message
    }

    /// x_i <- sum_j W_ij x_j - gamma y_i and y_i <- sum_j W_ij y_j, from the same round's values.
    mutating func combine(at time: Double) {
        let d = x.count
        let own = x + y
        let mixed = weights.combine(at: node) { j in
            j == node ? own : received[j].map(Array.init) ?? own
        }
        x = (0..<d).map { mixed[$0] - stepSize * y[$0] }
        y = Array(mixed[d...])
        received.removeAll(keepingCapacity: true)
    }

    func model(at time: Double) -> [Double] { x }
}
