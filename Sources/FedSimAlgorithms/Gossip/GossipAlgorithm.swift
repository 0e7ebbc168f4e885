import FedSimCore

/// How one node of a decentralized run learns from its own data.
public enum LocalLearner: Sendable {
    /// The node's strongly convex objective f_i, whose gradient the algorithm takes.
    case objective(any Objective)
    /// A network's local training: the model a node reaches from `start` by its local
    /// steps, `event` keying their random streams (D-SGD with an MLP).
    case network(@Sendable (_ start: [Double], _ event: UInt64) -> [Double])
}

/// The numbers a decentralized run's nodes and event schedule need, by name: the
/// algorithm's settings with every default resolved, and the constants it derives from
/// the graph and the objective (mu, L, chi1, chi2 for DADAO). The coordinator works them
/// out once and hands them to the workers, so every process builds the same events and
/// node programs from the same numbers.
public struct GossipParameters: Equatable, Sendable {
    public private(set) var names: [String] = []
    public private(set) var values: [Double] = []
    /// The Byzantine nodes and D-SGD's robust mixing, beside the named values.
    public var robustness = GossipRobustness()
    /// The run's seed, for the node programs' own draws (a randomized robust rule, a
    /// walk's start).
    public var seed: UInt64 = 0
    /// The length of every node's model, for algorithms whose events charge a message's
    /// transfer time.
    public var modelWidth = 0

    public init() {}

    /// The parameters named `names[k]` with value `values[k]`.
    /// - Throws: `GossipError.mismatchedParameters` unless the lists have one length.
    public init(names: [String], values: [Double], robustness: GossipRobustness = GossipRobustness(),
                seed: UInt64 = 0) throws {
        guard names.count == values.count else {
            throw GossipError.mismatchedParameters(names: names.count, values: values.count)
        }
        self.names = names
        self.values = values
        self.robustness = robustness
        self.seed = seed
    }

    /// Adds parameter `name`.
    public mutating func set(_ name: String, _ value: Double) {
        names.append(name)
        values.append(value)
    }

    /// The value of parameter `name`.
    /// - Throws: `GossipError.missingParameter` when there is none.
    public func value(_ name: String) throws -> Double {
        guard let index = names.firstIndex(of: name) else { throw GossipError.missingParameter(name) }
        return values[index]
    }

    /// The value of parameter `name`, nil when there is none.
    public func optionalValue(_ name: String) -> Double? {
        names.firstIndex(of: name).map { values[$0] }
    }
}

/// A decentralized algorithm: its settings (the scenario's `decentralized:` fields, read
/// and written through `SettingsReader` and `SettingsWriter`), the events of a run and
/// the program each node runs on its worker. Adding an algorithm is one file with a type
/// conforming to this, and its line in `GossipAlgorithms.all`.
public protocol GossipAlgorithm: Equatable, Sendable {
    /// The name in scenario files (`decentralized.algorithm`).
    static var name: String { get }
    /// The `decentralized.*` fields it reads, beside those every algorithm shares.
    static var fields: [String] { get }
    /// Those of `fields` that apply only to a convex objective, not to a network.
    static var objectiveFields: [String] { get }
    /// Whether it needs a strongly convex objective with known constants (DADAO) rather
    /// than any local training (D-SGD).
    static var needsObjective: Bool { get }
    /// The settings of the scenario's `decentralized:` section, read through `reader`.
    init(reading reader: some SettingsReader)
    /// Writes the settings back, in the order they are documented.
    func writeSettings(to writer: inout SettingsWriter)
    /// What the nodes and the events need on `graph`, with the nodes' objectives'
    /// `constants` (nil for a network model).
    /// - Throws: when the problem does not suit the algorithm, saying why.
    func parameters(graph: Graph, constants: RegularityConstants?) throws -> GossipParameters

    /// The run's events in order, endless: the coordinator stops at the time budget.
    static func events(graph: Graph, seed: UInt64, parameters: GossipParameters) throws
        -> any IteratorProtocol<GossipEvent>
    /// The length of a message between two nodes whose models have `modelWidth` values.
    static func messageWidth(modelWidth: Int, parameters: GossipParameters) throws -> Int
    /// The gradients of the node's objective one local event takes.
    static func gradientsPerLocalEvent(parameters: GossipParameters) throws -> Int
    /// The program of `node`, starting from the model `initial`.
    static func node(_ node: Int, graph: Graph, parameters: GossipParameters, learner: LocalLearner,
                     initial: [Double]) throws -> any NodeProgram
    /// The node holding the run's one model at time 0, for an algorithm whose nodes pass
    /// a single model around (a token walk: the model is the last node's to take a local
    /// step, and its local steps count its visits); nil when every node keeps its own.
    static func tokenStart(graph: Graph, parameters: GossipParameters) throws -> Int?
}

extension GossipAlgorithm {
    public static func tokenStart(graph: Graph, parameters: GossipParameters) throws -> Int? { nil }

    /// Whether `other` is an algorithm of this type with the same settings.
    public func isEqual(to other: any GossipAlgorithm) -> Bool {
        (other as? Self) == self
    }

    static func read(_ reader: some SettingsReader) -> any GossipAlgorithm {
        Self(reading: reader)
    }
}

/// Every decentralized algorithm, by name: the one list a scenario's
/// `decentralized.algorithm` chooses from.
public enum GossipAlgorithms {
    public static let all: [any GossipAlgorithm.Type] = [DADAO.self, DSGD.self, MoNNA.self, SASRRW.self]

    public static var names: [String] { all.map { $0.name } }

    /// The algorithm called `name`; nil for an unknown name.
    public static func type(named name: String) -> (any GossipAlgorithm.Type)? {
        all.first { $0.name == name }
    }

    /// The algorithm of `type`, read through `reader`.
    public static func read(_ type: any GossipAlgorithm.Type, from reader: some SettingsReader) -> any GossipAlgorithm {
        type.read(reader)
    }
}

extension LocalLearner {
    /// The move a local step makes from theta, before the algorithm scales it: gamma
    /// grad f(theta) for an objective (gamma the parameters' `step_size`, which must be
    /// > 0), theta - T(theta) for a network's local training T (lr times the gradient for
    /// one SGD step). `event` keys the network's random streams.
    func displacement(_ parameters: GossipParameters, algorithm: String) throws
        -> @Sendable (_ theta: [Double], _ event: UInt64) -> [Double] {
        switch self {
        case let .objective(objective):
            let stepSize = try parameters.value("step_size")
            try GossipError.requirePositive(stepSize, "\(algorithm)'s step size")
            return { theta, _ in objective.gradient(at: theta).map { stepSize * $0 } }
        case let .network(train):
            return { theta, event in zip(theta, train(theta, event)).map { $0 - $1 } }
        }
    }

    /// The objective, for the algorithms that need one.
    /// - Throws: `GossipError.needsObjective` for a network.
    func objective(for algorithm: String) throws -> any Objective {
        guard case let .objective(objective) = self else { throw GossipError.needsObjective(algorithm: algorithm) }
        return objective
    }
}
