import FedSimAlgorithms

/// Moves the global model by the combined step through the server optimizer (plain
/// theta <- theta + eta_g s, or FedAvgM, FedAdam, FedYogi), carrying its moments.
struct ServerOptimizerStep: AggregationStage {
    private(set) var optimizer: ServerOptimizer

    var name: String { "server_optimizer" }

    mutating func apply(_ work: inout StepWork, to model: inout [Float]) throws {
        optimizer.apply(step: work.combined, to: &model)
    }

    var state: StageState {
        var state: StageState = [:]
        if !optimizer.firstMoment.isEmpty { state["first_moment"] = optimizer.firstMoment }
        if !optimizer.secondMoment.isEmpty { state["second_moment"] = optimizer.secondMoment }
        return state
    }

    mutating func restore(_ state: StageState) throws {
        try optimizer.restore(firstMoment: state["first_moment"] ?? [], secondMoment: state["second_moment"] ?? [])
    }
}
