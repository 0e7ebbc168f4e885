import FedSimCore

/// DADAO (Nabli and Oyallon, ICML 2023), ALGORITHMS.md section 5: every node keeps the
/// six vectors of `DADAONodeState`, which follow a linear ODE between events; gradient
/// events come at rate 1 per node and communication events at total rate
/// lambda_mix = sqrt(2 chi1 chi2), uniform over the edges (`GossipEvents`). Its step
/// sizes follow from mu and L, the nodes' strong convexity and smoothness (the worst over
/// the nodes, from the data), and from the graph's chi1 and chi2, so it needs a strongly
/// convex objective and a connected graph, and has no settings of its own.
public struct DADAO: GossipAlgorithm {
    public static let name = "dadao"
    public static let fields: [String] = []
    public static let objectiveFields: [String] = []
    public static let needsObjective = true

    public init() {}

    public init(reading reader: some SettingsReader) {}

    public func writeSettings(to writer: inout SettingsWriter) {}

    /// mu and L of the nodes (`constants`), and chi1 and chi2 of `graph`.
    /// - Throws: `GossipError.needsObjective` without constants, `GraphError.undefined`
    ///   for a disconnected or edgeless graph, and `GossipError` for constants DADAO
    ///   cannot use (mu > L).
    public func parameters(graph: Graph, constants: RegularityConstants?) throws -> GossipParameters {
        guard let constants else { throw GossipError.needsObjective(algorithm: Self.name) }
        let spectrum = try DADAOGraphConstants(graph)
        // Checks the four numbers before a worker is told them.
        _ = try DADAOConstants(strongConvexity: constants.strongConvexity, smoothness: constants.smoothness,
                               chi1: spectrum.chi1, chi2: spectrum.chi2)
        var parameters = GossipParameters()
        parameters.set("strong_convexity", constants.strongConvexity)
        parameters.set("smoothness", constants.smoothness)
        parameters.set("chi1", spectrum.chi1)
        parameters.set("chi2", spectrum.chi2)
        return parameters
    }

    public static func events(graph: Graph, seed: UInt64, parameters: GossipParameters) throws
        -> any IteratorProtocol<GossipEvent> {
        try GossipEvents(graph: graph, seed: seed, constants: constants(parameters))
    }

    /// y + z, as long as the model.
    public static func messageWidth(modelWidth: Int, parameters: GossipParameters) -> Int { modelWidth }

    public static func gradientsPerLocalEvent(parameters: GossipParameters) -> Int { 1 }

    /// A node at `initial` with its other five vectors 0, at time 0.
    public static func node(_ node: Int, graph: Graph, parameters: GossipParameters, learner: LocalLearner,
                            initial: [Double]) throws -> any NodeProgram {
        let objective = try learner.objective(for: name)
        guard initial.count == objective.parameterCount else {
            throw GossipError.outOfRange(parameter: "node \(node)'s initial model length", value: Double(initial.count),
                                         allowed: "the objective's \(objective.parameterCount) parameters")
        }
        return DADAONode(state: DADAONodeState(x: initial, constants: try constants(parameters)), objective: objective)
    }

    /// The constants the parameters name.
    public static func constants(_ parameters: GossipParameters) throws -> DADAOConstants {
        try DADAOConstants(strongConvexity: parameters.value("strong_convexity"),
                           smoothness: parameters.value("smoothness"),
                           chi1: parameters.value("chi1"), chi2: parameters.value("chi2"))
    }
}

/// A DADAO node: a gradient event is `gradientStep` on grad f_i, an exchange is the two
/// halves of a communication, and its model is x mixed to the time asked for.
struct DADAONode: NodeProgram {
    var state: DADAONodeState
    let objective: any Objective

    mutating func local(at time: Double, event: UInt64) {
        let objective = objective
        state.gradientStep(at: time) { objective.gradient(at: $0) }
    }

    mutating func message(at time: Double, to partner: Int) -> [Double] {
        state.message(at: time)
    }

    mutating func receive(_ message: ArraySlice<Double>, from partner: Int, at time: Double) {
        state.communicate(partnerMessage: Array(message))
    }

    /// DADAO's events are gradients and communications only; a combine does nothing.
    mutating func combine(at time: Double) {}

    func model(at time: Double) -> [Double] {
        var mixed = state
        mixed.mix(to: max(time, state.time))
        return mixed.x
    }
}
