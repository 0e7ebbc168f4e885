import FedSimAlgorithms

/// The strategy's combination s = sum_i d_i Delta_i, summed in the step's order (a zero
/// step when no update is left).
struct WeightedCombination: AggregationStage {
    var name: String { "weighted_combination" }

    func apply(_ work: inout StepWork, to model: inout [Float]) throws {
        work.combined = work.updates.isEmpty
            ? [Float](repeating: 0, count: model.count)
            : Aggregation.weightedSum(work.updates, weights: work.weights)
    }
}
