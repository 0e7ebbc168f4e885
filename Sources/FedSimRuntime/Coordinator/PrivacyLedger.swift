import FedSimAlgorithms
import FedSimCore
import FedSimWire

/// The coordinator's side of a private run (`PrivacyPlan` says what it will be): the
/// DP-SGD settings each task carries, client-level clipping and noise on the updates of
/// a step, and the accountant that composes every client's privacy as steps are taken.
///
/// - Sample mode: tasks carry client i's `DPSGDConfig` (q_i, C, sigma); each aggregated
///   update adds the steps its worker reports at (q_i, sigma) to client i's budget, so a
///   client's epsilon covers only the tasks of it that were aggregated (a dropped job's
///   update is never used and counts nothing).
/// - Client mode (DP-FedAvg, McMahan et al. 2018): each update is clipped to norm C and
///   weighted d_i = 1/k (k = clients_per_round, a denominator that does not depend on who
///   took part), and N(0, (sigma C / k)^2) is added to each coordinate of the step, which
///   is (sum_i clip_C(Delta_i) + N(0, sigma^2 C^2 I)) / k. The noise comes from the
///   `.noise` stream keyed by (seed, step number), so it is the same with any number of
///   workers. Each step composes one step at q for the federation, whose epsilon is
///   every client's.
struct PrivacyLedger {
    let plan: PrivacyPlan
    private let seed: UInt64
    private let clientsPerRound: Int
    /// Client mode's clipping and noise; nil in sample mode.
    private let clientNoise: DPFedAvgNoise?
    private var accountant: PrivacyAccountant
    /// The largest epsilon any client has spent so far (0 before the first step).
    private(set) var epsilonMax = 0.0

    /// The ledger of `scenario`'s privacy, nil when it has none.
    static func make(scenario: Scenario, data: FederatedDataset) throws -> PrivacyLedger? {
        guard scenario.privacy != nil else { return nil }
        return try PrivacyLedger(plan: PrivacyPlan(scenario: scenario, data: data), scenario: scenario)
    }

    private init(plan: PrivacyPlan, scenario: Scenario) throws {
        self.plan = plan
        seed = scenario.seed
        clientsPerRound = scenario.server.clientsPerRound
        clientNoise = plan.settings.mode == .client
            ? try DPFedAvgNoise(clipNorm: plan.settings.clipNorm, noiseMultiplier: plan.noiseMultiplier) : nil
        accountant = try PrivacyAccountant()
    }

    /// The account the federation's client-level steps compose into.
    private static let federation = 0

    /// `training` as `client`'s tasks run it: with its DP-SGD settings in sample mode.
    func training(_ training: LocalTraining, client: Int) -> LocalTraining {
        guard plan.settings.mode == .sample else { return training }
        var training = training
        training.privacy = plan.clientConfigs[client]
        return training
    }

    /// Client mode: clips every delta to norm C and sets every weight to 1/k. Sample mode
    /// leaves both alone.
    func clip(_ deltas: inout [[Float]], weights: inout [Double]) {
        guard let clientNoise else { return }
        for index in deltas.indices { clientNoise.clip(&deltas[index]) }
        weights = deltas.map { _ in 1 / Double(clientsPerRound) }
    }

    /// Client mode: adds N(0, (sigma C / k)^2) to every coordinate of the aggregated step
    /// `number`. Sample mode leaves it alone.
    func addNoise(to step: inout [Float], number: Int) {
        guard let clientNoise else { return }
        var stream = RandomStream(seed: seed, purpose: .noise, round: number)
        let deviation = clientNoise.noiseMultiplier * clientNoise.clipNorm / Double(clientsPerRound)
        stream.addGaussianNoise(to: &step, standardDeviation: Float(deviation))
    }

    /// Composes the privacy of an aggregation step that used `updates`, and raises
    /// `epsilonMax` to the largest epsilon of the clients it touched.
    mutating func record(_ updates: [ClientUpdate]) throws {
        let delta = plan.settings.delta
        switch plan.settings.mode {
        case .sample:
            for update in updates {
                guard let config = plan.clientConfigs[update.clientID], update.steps > 0 else { continue }
                try accountant.record(client: update.clientID, samplingRate: config.samplingRate,
                                      noiseMultiplier: config.noiseMultiplier, steps: update.steps)
                epsilonMax = max(epsilonMax, try accountant.spent(client: update.clientID, delta: delta)?.epsilon ?? 0)
            }
        case .client:
            try accountant.record(client: Self.federation, samplingRate: plan.roundSamplingRate,
                                  noiseMultiplier: plan.noiseMultiplier, steps: 1)
            epsilonMax = try accountant.spent(client: Self.federation, delta: delta)?.epsilon ?? 0
        }
    }

    /// `client`'s epsilon so far: 0 for a client that has not taken part (sample mode).
    func epsilon(client: Int) throws -> Double {
        let account = plan.settings.mode == .sample ? client : Self.federation
        return try accountant.spent(client: account, delta: plan.settings.delta)?.epsilon ?? 0
    }

    /// The run's guarantee so far, for `summary.json`.
    func outcome() throws -> PrivacyOutcome {
        let worst = plan.settings.mode == .sample ? try accountant.worst(delta: plan.settings.delta) : nil
        return PrivacyOutcome(
            mode: plan.settings.mode, noiseMultiplier: plan.noiseMultiplier, delta: plan.settings.delta,
            worstClientEpsilon: worst?.spent.epsilon ?? epsilonMax, worstClient: worst?.client)
    }

    /// Fills every client's `epsilon` column.
    func annotate(_ totals: inout [ClientTotals]) throws {
        for index in totals.indices { totals[index].epsilon = try epsilon(client: totals[index].clientID) }
    }
}
