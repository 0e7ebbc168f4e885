import FedSimAlgorithms

/// Records ||s - mean of the honest updates||, how far the Byzantine clients moved the
/// combined step (when an honest update is left).
struct HonestDistance: AggregationStage {
    var name: String { "honest_distance" }

    func apply(_ work: inout StepWork, to model: inout [Float]) throws {
        let honest = work.honestPositions
        guard !honest.isEmpty else { return }
        let mean = Aggregation.weightedSum(honest.map { work.updates[$0] },
                                           weights: Array(repeating: 1 / Double(honest.count), count: honest.count))
        work.facts.honestDistance = zip(work.combined, mean)
            .reduce(0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
    }
}
