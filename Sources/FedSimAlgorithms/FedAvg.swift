import FedSimCore

/// How each aggregated update is weighted.
public enum ClientWeighting: String, Sendable, CaseIterable {
    /// p_i proportional to the client's sample count (FedAvg's default).
    case samples
    /// Every client counts the same.
    case uniform
}

/// One client's contribution to an aggregation.
public struct ClientResult: Equatable, Sendable {
    public var clientID: Int
    /// Local model minus the global model it started from.
    public var delta: [Float]
    public var sampleCount: Int

    public init(clientID: Int, delta: [Float], sampleCount: Int) {
        self.clientID = clientID
        self.delta = delta
        self.sampleCount = sampleCount
    }
}

/// Synchronous federated averaging (McMahan et al. 2017) as in ALGORITHMS.md section 1:
/// each round samples `clientsPerRound` clients uniformly without replacement, they train
/// from the current model, and the server applies
/// theta <- theta + eta_g * sum_i p_i Delta_i with p_i renormalized over the sample.
public struct FedAvg: Sendable {
    public var clientsPerRound: Int
    /// eta_g; 1 gives plain model averaging.
    public var serverLearningRate: Double
    public var weighting: ClientWeighting

    public init(clientsPerRound: Int, serverLearningRate: Double = 1, weighting: ClientWeighting = .samples) {
        self.clientsPerRound = clientsPerRound
        self.serverLearningRate = serverLearningRate
        self.weighting = weighting
    }

    /// The clients of `round`, in increasing id order: a pure function of (seed, round).
    public func selectClients(round: Int, clientCount: Int, seed: UInt64) -> [Int] {
        var stream = RandomStream(seed: seed, purpose: .sampling, round: round)
        return stream.sample(min(clientsPerRound, clientCount), from: clientCount)
    }

    /// The weights p_i of `results`, in their order.
    public func weights(of results: [ClientResult]) -> [Double] {
        switch weighting {
        case .samples: return Aggregation.normalizedWeights(results.map(\.sampleCount))
        case .uniform: return Aggregation.normalizedWeights(results.map { _ in 1 })
        }
    }

    /// Applies one round's results to `parameters`. Results are summed in increasing
    /// client-id order whatever order they arrived in, so the outcome never depends on
    /// which worker finished first. O(n d).
    public func apply(_ results: [ClientResult], to parameters: inout [Float]) {
        guard !results.isEmpty else { return }
        let ordered = results.sorted { $0.clientID < $1.clientID }
        let step = Aggregation.weightedSum(ordered.map(\.delta), weights: weights(of: ordered))
        precondition(step.count == parameters.count, "update of length \(step.count) for \(parameters.count) parameters")
        let rate = Float(serverLearningRate)
        for index in parameters.indices {
            parameters[index] += rate * step[index]
        }
    }
}
