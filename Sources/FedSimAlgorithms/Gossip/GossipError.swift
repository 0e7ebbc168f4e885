import FedSimCore

/// Why a gossip rule or its event process could not be set up.
public enum GossipError: FedSimError, Equatable, Sendable {
    /// A parameter lies outside the values it may take; `allowed` says which.
    case outOfRange(parameter: String, value: Double, allowed: String)
    /// mu > L: no function is mu-strongly convex and L-smooth.
    case strongConvexityAboveSmoothness(mu: Double, smoothness: Double)
    /// Communication events need an edge to happen on.
    case noEdges
    /// A saved position of the event process cannot be one it reached; `reason` says why.
    case invalidPosition(reason: String)
    /// A run's parameters lack one the algorithm needs.
    case missingParameter(String)
    /// Parameter names and values of different counts.
    case mismatchedParameters(names: Int, values: Int)
    /// The algorithm needs a strongly convex objective, and the model is a network.
    case needsObjective(algorithm: String)
    /// Gradient tracking mixes x and y together; a robust rule cannot replace that.
    case robustTracking

    public var description: String {
        switch self {
        case .outOfRange(let parameter, let value, let allowed):
            return "\(parameter) must be \(allowed), got \(value)"
        case .strongConvexityAboveSmoothness(let mu, let smoothness):
            return "the strong convexity mu = \(mu) exceeds the smoothness L = \(smoothness); mu <= L for every function"
        case .noEdges:
            return "the graph has no edges, so its nodes cannot communicate"
        case .invalidPosition(let reason):
            return "the saved gossip event position is invalid: \(reason)"
        case .missingParameter(let name):
            return "the run's parameters lack '\(name)'"
        case .mismatchedParameters(let names, let values):
            return "\(names) parameter names for \(values) values"
        case .needsObjective(let algorithm):
            return "\(algorithm) needs a strongly convex objective (model kind logistic, softmax or least_squares), not a network"
        case .robustTracking:
            return "gradient tracking mixes x and y with the Metropolis weights; a robust aggregator needs variant plain"
        }
    }

    /// Throws `outOfRange` unless `value` is finite and > 0.
    static func requirePositive(_ value: Double, _ parameter: String) throws {
        guard value.isFinite, value > 0 else {
            throw outOfRange(parameter: parameter, value: value, allowed: "finite and > 0")
        }
    }
}
