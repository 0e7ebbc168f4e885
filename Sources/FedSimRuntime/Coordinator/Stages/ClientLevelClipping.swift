import FedSimAlgorithms

/// Client-level DP-FedAvg's first half: every update is clipped to L2 norm C and weighted
/// d_i = 1/k (k = clients per round, a denominator that does not depend on who took part).
struct ClientLevelClipping: AggregationStage {
    let noise: DPFedAvgNoise
    let clientsPerRound: Int

    var name: String { "client_level_clipping" }

    func apply(_ work: inout StepWork, to model: inout [Float]) throws {
        for index in work.updates.indices { noise.clip(&work.updates[index]) }
        work.weights = work.updates.map { _ in 1 / Double(clientsPerRound) }
    }
}
