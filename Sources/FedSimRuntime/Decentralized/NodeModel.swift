import FedSimAlgorithms
import FedSimCore
import FedSimWire

/// What the nodes of a decentralized run learn, as both the coordinator and the workers
/// build it: a strongly convex objective over each node's rows (logistic or softmax
/// regression with L2 regularization mu, or least squares with a ridge mu >= 0 over rows
/// with real targets), or a network trained by local SGD. Models are flat vectors in
/// Double; a network's are its trainable values.
///
/// Node i's objective weighs its data term by n n_i / N (n nodes, n_i of the N training
/// rows at node i), so the nodes' average objective, which the algorithms minimize, is
/// the objective of the pooled rows, whose minimizer x* the metrics measure against.
enum NodeModel {
    /// `regularization` is mu, 0 for least squares without a ridge.
    case objective(kind: ModelKind, regularization: Double, nodes: Int, totalRows: Int)
    case network(spec: ModelSpec, training: LocalTraining)

    /// The model of a scenario's decentralized run over `data`.
    init(_ scenario: Scenario, data: FederatedDataset) {
        if scenario.model.kind.isObjective(decentralized: true) {
            self = .objective(kind: scenario.model.kind, regularization: scenario.model.l2 ?? 0,
                              nodes: data.clients.count, totalRows: data.clients.reduce(0) { $0 + $1.count })
        } else {
            self = .network(spec: scenario.modelSpec(for: data), training: scenario.training)
        }
    }

    /// The model an Assign describes: its objective, or its network and training.
    /// - Throws: `NodeModelError` for an objective no scenario names, or a network
    ///   without its training.
    init(_ assignment: DecentralizedAssignment, spec: ModelSpec) throws {
        if assignment.objective.isEmpty {
            guard let training = assignment.training else { throw NodeModelError.missingTraining }
            self = .network(spec: spec, training: training)
        } else {
            guard let kind = ModelKind(rawValue: assignment.objective), kind.isObjective(decentralized: true) else {
                throw NodeModelError.unknownObjective(assignment.objective)
            }
            guard assignment.totalRows > 0 else { throw NodeModelError.noRows }
            self = .objective(kind: kind, regularization: assignment.regularization, nodes: assignment.graph.nodes,
                              totalRows: assignment.totalRows)
        }
    }

    /// The objective name, regularization and total rows an Assign carries (empty and 0
    /// for a network).
    var wireDescription: (objective: String, regularization: Double, totalRows: Int) {
        switch self {
        case let .objective(kind, regularization, _, totalRows): return (kind.rawValue, regularization, totalRows)
        case .network: return ("", 0, 0)
        }
    }

    /// The network's local training, which an Assign carries; nil for an objective.
    var training: LocalTraining? {
        if case let .network(_, training) = self { return training }
        return nil
    }

    /// The objective of a node holding `data`, its data term weighed by n n_i / N.
    /// - Throws: for a network, `ObjectiveError` for data the objective refuses (no rows,
    ///   more than two classes for logistic regression) and `DataError` for least squares
    ///   on data without targets.
    func objective(_ data: Dataset) throws -> any Objective {
        guard case let .objective(kind, regularization, nodes, totalRows) = self else {
            throw NodeModelError.networkHasNoObjective
        }
        let weight = Double(nodes) * Double(data.count) / Double(totalRows)
        return try objective(kind, data, regularization: regularization, weight: weight)
    }

    /// The unweighted objective over `data`'s rows (the test rows').
    func unweightedObjective(_ data: Dataset) throws -> any Objective {
        guard case let .objective(kind, regularization, _, _) = self else { throw NodeModelError.networkHasNoObjective }
        return try objective(kind, data, regularization: regularization, weight: 1)
    }

    private func objective(_ kind: ModelKind, _ data: Dataset, regularization: Double, weight: Double) throws
        -> any Objective {
        switch kind {
        case .logistic: return try LogisticObjective(data, regularization: regularization, dataWeight: weight)
        case .leastSquares:
            return try LeastSquaresObjective(RegressionData(data), regularization: regularization, dataWeight: weight)
        default: return try SoftmaxObjective(data, regularization: regularization, dataWeight: weight)
        }
    }

    /// What node `node` learns from with `data`: its objective, or local training whose
    /// batches at event e come from `RandomStream(seed:, purpose: .batches, client: node,
    /// counter: e)`.
    func learner(node: Int, data: Dataset, seed: UInt64) throws -> LocalLearner {
        switch self {
        case .objective:
            return .objective(try objective(data))
        case let .network(spec, training):
            let trainer = LocalTrainer(model: try Sequential.initialized(spec, seed: seed).model)
            return .network { start, event in
                var stream = RandomStream(seed: seed, purpose: .batches, client: node, counter: Int(truncatingIfNeeded: event))
                let from = start.map(Float.init)
                let delta = trainer.train(from: from, data: data, settings: training, rng: &stream).delta
                return zip(from, delta).map { Double($0 + $1) }
            }
        }
    }

    /// Gradient steps a network's local training takes on `samples` rows; 1 for an
    /// objective (the algorithm says how many gradients a local event takes).
    func stepsPerLocalEvent(samples: Int) -> Int {
        switch self {
        case .objective: return 1
        case let .network(_, training): return training.steps(samples: samples)
        }
    }

    /// Node `node`'s model at time 0, of `width` values: an objective's from
    /// x ~ N(0, I) drawn from `RandomStream(seed:, purpose: .initialization, client: node)`
    /// (the DADAO authors start every node at its own standard normal draw); a network's
    /// the scenario's initialization, the same at every node.
    func initialModel(node: Int, width: Int, seed: UInt64) throws -> [Double] {
        switch self {
        case .objective:
            var stream = RandomStream(seed: seed, purpose: .initialization, client: node)
            return (0..<width).map { _ in stream.normal() }
        case let .network(spec, _):
            return try Sequential.initialized(spec, seed: seed).trainableParameters.map(Double.init)
        }
    }
}

/// Why a worker cannot build the nodes' model from its Assign.
enum NodeModelError: FedSimError, Equatable {
    case unknownObjective(String)
    case missingTraining
    case networkHasNoObjective
    case noRows

    var description: String {
        switch self {
        case let .unknownObjective(name):
            let known = ModelKind.allCases.filter { $0.isObjective(decentralized: true) }.map(\.rawValue)
            return "unknown objective '\(name)'; expected one of \(known.joined(separator: ", "))"
        case .missingTraining: return "a network model's Assign carries no local training"
        case .networkHasNoObjective: return "a network model has no objective"
        case .noRows: return "an objective's Assign gives no total of training rows"
        }
    }
}
