import FedSimAlgorithms
import FedSimCore

/// The coordinator's accounting of a private run (`PrivacyPlan` says what it will be):
/// the DP-SGD settings each task carries, and the accountant that composes every
/// client's privacy as steps are taken. Client-level clipping and noise are stages of
/// the `AggregationPipeline`.
///
/// - Sample mode: tasks carry client i's `DPSGDConfig` (q_i, C, sigma); each aggregated
///   update adds the steps its worker reports at (q_i, sigma) to client i's budget, so a
///   client's epsilon covers only the tasks of it that were aggregated (a dropped job's
///   update is never used and counts nothing).
/// - Client mode (DP-FedAvg, McMahan et al. 2018): each step composes one step at q for
///   the federation, whose epsilon is every client's.
struct PrivacyLedger {
    /// What changes as the run goes: the accountant and the largest epsilon so far.
    struct State: Codable, Equatable, Sendable {
        var accountant: PrivacyAccountant
        /// The largest epsilon any client has spent so far (0 before the first step).
        var epsilonMax = 0.0
    }

    let plan: PrivacyPlan
    private(set) var state: State

    init(plan: PrivacyPlan) throws {
        self.plan = plan
        state = State(accountant: try PrivacyAccountant())
    }

    /// The account the federation's client-level steps compose into.
    private static let federation = 0

    /// The largest epsilon any client has spent so far.
    var epsilonMax: Double { state.epsilonMax }

    /// `training` as `client`'s tasks run it: with its DP-SGD settings in sample mode.
    func training(_ training: LocalTraining, client: Int) -> LocalTraining {
        guard plan.settings.mode == .sample else { return training }
        var training = training
        training.privacy = plan.clientConfigs[client]
        return training
    }

    /// Composes the privacy of an aggregation step that used the `results` of `clients`,
    /// and raises `epsilonMax` to the largest epsilon of the clients it touched.
    mutating func record(clients: [Int], results: [ClientResult]) throws {
        let delta = plan.settings.delta
        switch plan.settings.mode {
        case .sample:
            for (client, result) in zip(clients, results) {
                guard let config = plan.clientConfigs[client], result.steps > 0 else { continue }
                try state.accountant.record(client: client, samplingRate: config.samplingRate,
                                            noiseMultiplier: config.noiseMultiplier, steps: result.steps)
                state.epsilonMax = max(state.epsilonMax,
                                       try state.accountant.spent(client: client, delta: delta)?.epsilon ?? 0)
            }
        case .client:
            try state.accountant.record(client: Self.federation, samplingRate: plan.roundSamplingRate,
                                        noiseMultiplier: plan.noiseMultiplier, steps: 1)
            state.epsilonMax = try state.accountant.spent(client: Self.federation, delta: delta)?.epsilon ?? 0
        }
    }

    /// `client`'s epsilon so far: 0 for a client that has not taken part (sample mode).
    func epsilon(client: Int) throws -> Double {
        let account = plan.settings.mode == .sample ? client : Self.federation
        return try state.accountant.spent(client: account, delta: plan.settings.delta)?.epsilon ?? 0
    }

    /// The run's guarantee so far, for `summary.json`.
    func outcome() throws -> PrivacyOutcome {
        let worst = plan.settings.mode == .sample ? try state.accountant.worst(delta: plan.settings.delta) : nil
        return PrivacyOutcome(
            mode: plan.settings.mode, noiseMultiplier: plan.noiseMultiplier, delta: plan.settings.delta,
            worstClientEpsilon: worst?.spent.epsilon ?? state.epsilonMax, worstClient: worst?.client)
    }

    /// Fills every client's `epsilon` column.
    func annotate(_ totals: inout [ClientTotals]) throws {
        for index in totals.indices { totals[index].epsilon = try epsilon(client: totals[index].clientID) }
    }

    /// Continues from a saved `state`.
    mutating func restore(_ state: State) {
        self.state = state
    }
}
