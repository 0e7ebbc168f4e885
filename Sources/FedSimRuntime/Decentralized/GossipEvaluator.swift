import FedSimAlgorithms
import FedSimCore

/// What the coordinator measures on the nodes' models x_1..x_n at an evaluation time.
struct GossipMeasures: Equatable {
    /// (1/n) sum_i ||x_i - x*||^2; nil without a unique optimum (a network).
    var distanceToOptimum: Double?
    /// `distanceToOptimum` / ||x*||^2.
    var relativeDistanceToOptimum: Double?
    /// (1/n) sum_i ||x_i - x_bar||^2, x_bar the average model.
    var consensusDistance: Double
    /// The average model's loss on the pooled training rows (an objective's value).
    var trainLoss: Double
    /// The average model's loss on the test rows.
    var testLoss: Double
    /// The average model's test accuracy; nil for a regression.
    var testAccuracy: Double?
    /// The lowest test accuracy of a node's own model.
    var worstNodeTestAccuracy: Double?
    /// The mean test accuracy of the nodes' own models.
    var meanNodeTestAccuracy: Double?
}

extension GossipMeasures {
    init(distanceToOptimum: Double? = nil, relativeDistanceToOptimum: Double? = nil, consensusDistance: Double,
         trainLoss: Double, testLoss: Double, testAccuracy: Double?, nodeAccuracies: [Double]) {
        self.init(distanceToOptimum: distanceToOptimum, relativeDistanceToOptimum: relativeDistanceToOptimum,
                  consensusDistance: consensusDistance, trainLoss: trainLoss, testLoss: testLoss,
                  testAccuracy: testAccuracy, worstNodeTestAccuracy: nodeAccuracies.min(),
                  meanNodeTestAccuracy: nodeAccuracies.isEmpty ? nil
                      : nodeAccuracies.reduce(0, +) / Double(nodeAccuracies.count))
    }
}

/// Measures the nodes' models of a decentralized run: distances to the pooled optimum x*
/// and to consensus, losses and accuracies of the average model x_bar and of each node.
///
/// An objective's x* is the minimizer of the pooled objective sum_i n_i f_i / sum_i n_i,
/// found by Newton's method to a gradient norm of 1e-10 (`Objective.minimize`); its test
/// loss is the same objective (regularization included) over the test rows. A network's
/// losses are its mean cross-entropy, its training loss over every node's rows.
final class GossipEvaluator {
    private enum Learner {
        case objective(pooled: any Objective, test: any Objective, optimum: ObjectiveMinimum)
        case network(model: Sequential, nodes: [Dataset], test: Dataset)
    }

    private let learner: Learner
    /// The nodes' strong convexity and smoothness (the worst over nodes); nil for a network.
    let constants: RegularityConstants?
    /// x* and f(x*), for an objective.
    var optimum: ObjectiveMinimum? {
        if case let .objective(_, _, optimum) = learner { return optimum }
        return nil
    }
    /// The length of every node's model.
    let width: Int

    /// `stronglyConvexNodes` asks every node's objective to be strongly convex, as DADAO's
    /// constants need; the pooled objective always must be, for x* to be unique. Only
    /// least squares without a ridge can fail that, on rows whose features do not have
    /// full column rank.
    /// - Throws: `GossipRunError.node` naming a node whose rows the objective refuses or
    ///   (with `stronglyConvexNodes`) on which it is not strongly convex,
    ///   `GossipRunError.pooled` when the pooled objective is not, and `ObjectiveError`
    ///   when Newton's method fails on the pooled objective.
    init(model: NodeModel, data: FederatedDataset, seed: UInt64, stronglyConvexNodes: Bool = false) throws {
        switch model {
        case .objective:
            let nodes = try data.clients.enumerated().map { node, rows in
                do {
                    return try model.objective(rows)
                } catch {
                    throw GossipRunError.node(node, "\(error)")
                }
            }
            let nodeConstants = try nodes.enumerated().map { node, objective in
                do {
                    return try stronglyConvexNodes ? objective.stronglyConvexConstants() : objective.regularityConstants()
                } catch let error as ObjectiveError {
                    throw GossipRunError.node(node, Self.explained(error))
                }
            }
            let pooled = try Self.pool(nodes)
            do {
                _ = try pooled.stronglyConvexConstants()
            } catch let error as ObjectiveError {
                throw GossipRunError.pooled(Self.explained(error))
            }
            constants = RegularityConstants(combining: nodeConstants)
            learner = .objective(pooled: pooled, test: try model.unweightedObjective(data.test), optimum: try pooled.minimize())
            width = pooled.parameterCount
        case let .network(spec, _):
            let network = try Sequential.initialized(spec, seed: seed).model
            constants = nil
            learner = .network(model: network, nodes: data.clients, test: data.test)
            width = network.trainableParameterCount
        }
    }

    /// `error`'s description, with the remedy when the objective is not strongly convex.
    private static func explained(_ error: ObjectiveError) -> String {
        guard case .notStronglyConvex = error else { return "\(error)" }
        return "\(error); set model.l2 to add a ridge (mu/2) ||x||^2, which makes it strongly convex"
    }

    /// The objective over every node's rows, of the nodes' concrete type.
    private static func pool(_ nodes: [any Objective]) throws -> any Objective {
        func pooled<Part: Objective>(_ first: Part) throws -> any Objective {
            try Part(pooling: nodes.map { $0 as! Part })
        }
        return try pooled(nodes[0])
    }

    /// The measures of `models`, one per node. O(n d) plus one evaluation of the
    /// training rows and n + 1 of the test rows.
    func measure(_ models: [[Double]]) -> GossipMeasures {
        let n = Double(models.count)
        var average = [Double](repeating: 0, count: width)
        for model in models {
            for k in 0..<width { average[k] += model[k] }
        }
        for k in 0..<width { average[k] /= n }
        let consensus = models.reduce(0) { $0 + squaredDistance($1, average) } / n
        switch learner {
        case let .objective(pooled, test, optimum):
            let distance = models.reduce(0) { $0 + squaredDistance($1, optimum.parameters) } / n
            let norm = optimum.parameters.reduce(0) { $0 + $1 * $1 }
            return GossipMeasures(
                distanceToOptimum: distance, relativeDistanceToOptimum: distance / norm, consensusDistance: consensus,
                trainLoss: pooled.value(at: average), testLoss: test.value(at: average),
                testAccuracy: test.accuracy(at: average),
                nodeAccuracies: models.compactMap { test.accuracy(at: $0) })
        case let .network(model, nodes, test):
            let parameters = average.map(Float.init)
            var lossSum = 0.0
            var rows = 0
            for data in nodes where !data.isEmpty {
                lossSum += model.evaluate(parameters: parameters, on: data).meanLoss * Double(data.count)
                rows += data.count
            }
            let evaluation = model.evaluate(parameters: parameters, on: test)
            return GossipMeasures(
                consensusDistance: consensus, trainLoss: rows > 0 ? lossSum / Double(rows) : .nan,
                testLoss: evaluation.meanLoss, testAccuracy: evaluation.accuracy,
                nodeAccuracies: models.map { model.evaluate(parameters: $0.map(Float.init), on: test).accuracy })
        }
    }

    /// One node's model `x`: its test accuracy (nil for a regression) and ||x - x*||^2
    /// (nil without a unique optimum).
    func measure(node x: [Double]) -> (testAccuracy: Double?, distance: Double?) {
        switch learner {
        case let .objective(_, test, optimum):
            return (test.accuracy(at: x), squaredDistance(x, optimum.parameters))
        case let .network(model, _, test):
            return (model.evaluate(parameters: x.map(Float.init), on: test).accuracy, nil)
        }
    }

    private func squaredDistance(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for k in a.indices {
            let difference = a[k] - b[k]
            sum += difference * difference
        }
        return sum
    }
}
