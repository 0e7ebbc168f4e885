import Foundation
import FedSimCore

/// SA-SRRW (Hu, Doshi and Eun, ICLR 2024), ALGORITHMS.md section 5: one token carries the
/// model theta along a self-repellent random walk (`SelfRepellentWalk`). At hop n the
/// walk moves from X_n to X_{n+1} (the model travels as a one-way message, unless the
/// walk stays put) and X_{n+1} takes a step on its own data:
/// theta_{n+1} = theta_n - beta_{n+1} g, beta_n = (n + 1)^(-b), with g = gamma grad f_i
/// for a convex objective (`step_size` gamma, 1/L by default) and, for a network, the
/// displacement theta - T(theta) of the scenario's local training T (so one SGD step at
/// `training.learning_rate` is exactly a step of beta_{n+1} lr). The message carries the
/// model and the steps it has taken.
///
/// Virtual time: each local step takes `step_time` (1), each move of the token
/// `link_latency` + 8 (d + 1) / `link_bandwidth` seconds (0 and unlimited by default),
/// so with the defaults time counts hops.
///
/// Settings, under `decentralized.token`: `alpha` (5; 0 is the plain Metropolis-Hastings
/// walk), `a` (0.8) and `b` (0.9) with 0.5 < a < b <= 1, `step_size`, `step_time`,
/// `link_latency`, `link_bandwidth` (0: unlimited).
public struct SASRRW: GossipAlgorithm {
    public static let name = "sa_srrw"
    public static let fields = ["token"]
    public static let objectiveFields: [String] = []
    public static let needsObjective = false

    public var alpha: Double
    public var a: Double
    public var b: Double
    /// gamma; nil: 1 / L (objectives only).
    public var stepSize: Double?
    public var stepTime: Double
    public var linkLatency: Double
    /// Bytes per second; 0: unlimited.
    public var linkBandwidth: Double

    public init(alpha: Double = 5, a: Double = 0.8, b: Double = 0.9, stepSize: Double? = nil, stepTime: Double = 1,
                linkLatency: Double = 0, linkBandwidth: Double = 0) {
        self.alpha = alpha
        self.a = a
        self.b = b
        self.stepSize = stepSize
        self.stepTime = stepTime
        self.linkLatency = linkLatency
        self.linkBandwidth = linkBandwidth
    }

    public init(reading reader: some SettingsReader) {
        let token = reader.section("token")
        defer { token.finish() }
        let a = token.number("a", default: 0.8, in: 0.5...1, excludingLowerBound: true)
        let b = token.number("b", default: 0.9, in: 0.5...1, excludingLowerBound: true)
        if b <= a { token.report(token.has("b") ? "b" : "a", "needs 0.5 < a < b <= 1, got a = \(a) and b = \(b)") }
        self.init(alpha: token.number("alpha", default: 5, in: 0...1e6, excludingLowerBound: false), a: a, b: b,
                  stepSize: token.optionalNumber("step_size", in: 0...1e6, excludingLowerBound: true),
                  stepTime: token.number("step_time", default: 1, in: 0...1e9, excludingLowerBound: true),
                  linkLatency: token.number("link_latency", default: 0, in: 0...1e9, excludingLowerBound: false),
                  linkBandwidth: token.number("link_bandwidth", default: 0, in: 0...1e15, excludingLowerBound: false))
    }

    public func writeSettings(to writer: inout SettingsWriter) {
        writer.section("token") { token in
            token.write("alpha", alpha)
            token.write("a", a)
            token.write("b", b)
            if let stepSize { token.write("step_size", stepSize) }
            token.write("step_time", stepTime)
            token.write("link_latency", linkLatency)
            token.write("link_bandwidth", linkBandwidth)
        }
    }

    /// alpha, a, b, the step size (objectives), the step time and the link's latency and
    /// bandwidth.
    /// - Throws: `GossipError.needsObjective` for a step size on a network,
    ///   `GossipError.outOfRange` unless 0.5 < a < b <= 1.
    public func parameters(graph: Graph, constants: RegularityConstants?) throws -> GossipParameters {
        guard a > 0.5, a < b, b <= 1 else {
            throw GossipError.outOfRange(parameter: "SA-SRRW's b", value: b, allowed: "with 0.5 < a = \(a) < b <= 1")
        }
        var parameters = GossipParameters()
        for (name, value) in [("alpha", alpha), ("a", a), ("b", b)] { parameters.set(name, value) }
        if let constants {
            parameters.set("step_size", stepSize ?? 1 / constants.smoothness)
        } else if stepSize != nil {
            throw GossipError.needsObjective(algorithm: "SA-SRRW's step_size")
        }
        parameters.set("step_time", stepTime)
        parameters.set("link_latency", linkLatency)
        parameters.set("link_bandwidth", linkBandwidth)
        return parameters
    }

    static func walk(graph: Graph, seed: UInt64, parameters: GossipParameters) throws -> SelfRepellentWalk {
        try SelfRepellentWalk(graph: graph, alpha: parameters.value("alpha"), a: parameters.value("a"), seed: seed)
    }

    public static func tokenStart(graph: Graph, parameters: GossipParameters) throws -> Int? {
        try walk(graph: graph, seed: parameters.seed, parameters: parameters).position
    }

    /// Each hop: the token's move (a send, unless the walk stays), then the step at its
    /// new node; times as the type's documentation says.
    public static func events(graph: Graph, seed: UInt64, parameters: GossipParameters) throws
        -> any IteratorProtocol<GossipEvent> {
        let bandwidth = try parameters.value("link_bandwidth")
        let bytes = Double(try messageWidth(modelWidth: parameters.modelWidth, parameters: parameters) * 8)
        return TokenWalkEvents(walk: try walk(graph: graph, seed: seed, parameters: parameters),
                               stepTime: try parameters.value("step_time"),
                               moveTime: try parameters.value("link_latency") + (bandwidth > 0 ? bytes / bandwidth : 0))
    }

    /// The model and the steps it has taken.
    public static func messageWidth(modelWidth: Int, parameters: GossipParameters) throws -> Int { modelWidth + 1 }

    public static func gradientsPerLocalEvent(parameters: GossipParameters) throws -> Int { 1 }

    public static func node(_ node: Int, graph: Graph, parameters: GossipParameters, learner: LocalLearner,
                            initial: [Double]) throws -> any NodeProgram {
        TokenNode(decay: try parameters.value("b"), model: initial,
                  holdsToken: try tokenStart(graph: graph, parameters: parameters) == node,
                  displacement: try learner.displacement(parameters, algorithm: "SA-SRRW"))
    }
}

/// SA-SRRW's events (see `SASRRW`), endless. O(d_i) per hop.
struct TokenWalkEvents: IteratorProtocol {
    var walk: SelfRepellentWalk
    let stepTime: Double
    let moveTime: Double
    private var time = 0.0
    private var index: UInt64 = 0
    private var step: GossipEvent?

    init(walk: SelfRepellentWalk, stepTime: Double, moveTime: Double) {
        self.walk = walk
        self.stepTime = stepTime
        self.moveTime = moveTime
    }

    mutating func next() -> GossipEvent? {
        if let step {
            self.step = nil
            return step
        }
        let from = walk.position
        let to = walk.step()
        var move: GossipEvent?
        if to != from {
            time += moveTime
            move = GossipEvent(index: index, time: time, kind: .send, first: from, second: to)
            index += 1
        }
        time += stepTime
        let local = GossipEvent(index: index, time: time, kind: .local, first: to)
        index += 1
        guard let move else { return local }
        step = local
        return move
    }
}

/// A node of SA-SRRW: it holds the token or not; holding it, a local step moves the model
/// by beta_{n+1} times its displacement, n the steps the model has taken. Its model is
/// the token's while it holds it, then the last one it held (its initial model before).
/// Events that do not fit (a step or a send without the token) leave it as it is.
struct TokenNode: NodeProgram {
    /// b.
    let decay: Double
    private(set) var theta: [Double]
    private(set) var holdsToken: Bool
    /// The steps the token's model has taken, while this node holds it.
    private var steps = 0
    let displacement: @Sendable (_ theta: [Double], _ event: UInt64) -> [Double]

    init(decay: Double, model: [Double], holdsToken: Bool,
         displacement: @escaping @Sendable (_ theta: [Double], _ event: UInt64) -> [Double]) {
        self.decay = decay
        theta = model
        self.holdsToken = holdsToken
        self.displacement = displacement
    }

    mutating func local(at time: Double, event: UInt64) {
        guard holdsToken else { return }
        let beta = Foundation.pow(Double(steps + 2), -decay)
        let step = displacement(theta, event)
        for k in theta.indices { theta[k] -= beta * step[k] }
        steps += 1
    }

    mutating func message(at time: Double, to partner: Int) -> [Double] {
        holdsToken = false
        return theta + [Double(steps)]
    }

    mutating func receive(_ message: ArraySlice<Double>, from partner: Int, at time: Double) {
        guard let last = message.last, last.isFinite, last >= 0 else { return }
        theta = Array(message.dropLast())
        steps = Int(last)
        holdsToken = true
    }

    mutating func combine(at time: Double) {}

    func model(at time: Double) -> [Double] { theta }
}
