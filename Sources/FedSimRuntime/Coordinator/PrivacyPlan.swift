import FedSimAlgorithms
import FedSimCore

/// A scenario's differential privacy resolved against its data before training: the
/// noise multiplier (calibrated when the scenario gives a target epsilon), each client's
/// DP-SGD settings, and the epsilon every client will have spent when the run ends.
///
/// The planned epsilons are exact, not estimates: a server strategy sees only timings,
/// never model values, so the run's schedule is a pure function of the scenario and seed.
/// The plan replays it without training (`ScheduleReplay`) to count the tasks of each
/// client that will be aggregated, and composes them as the coordinator's accountant will.
///
/// - Sample mode: client i (n_i examples) runs DP-SGD with q_i = min(1, batch_size / n_i)
///   (or the scenario's `sampling_rate`), `local_epochs * round(1 / q_i)` steps per task
///   (or the K of `local_steps`), so over a_i aggregated tasks its epsilon is that of
///   T_i = a_i * epochs * round(1 / q_i) (a_i * K) steps at (q_i, sigma), the steps its
///   worker reports and `PrivacyLedger` composes. A calibrated sigma is the smallest with
///   max_i epsilon_i <= target.
/// - Client mode: each of the run's R aggregation steps is one subsampled Gaussian step
///   with q = ceil(k (1 + over_selection)) / M (k clients per round of M); every client's
///   epsilon is that of R steps, whether or not it was sampled (the rate accounts for that).
public struct PrivacyPlan: Sendable, CustomStringConvertible {
    /// The scenario's settings with sigma filled in.
    public let settings: PrivacySettings
    /// sigma.
    public let noiseMultiplier: Double
    /// Sample mode: client i's DP-SGD settings, nil for a client without examples (it
    /// never takes a step). Empty in client mode.
    public let clientConfigs: [DPSGDConfig?]
    /// Client mode: k, FedAvg's clients per round, the denominator of every step's
    /// weights 1/k and noise sigma C / k. 0 in sample mode.
    public let clientsPerRound: Int
    /// Client mode: q, the share of clients sampled per round. 0 in sample mode.
    public let roundSamplingRate: Double
    /// Aggregation steps the run will take.
    public let aggregations: Int
    /// The largest epsilon a client will have spent at the end of the run, at `settings.delta`.
    public let plannedWorstEpsilon: Double
    /// The client with it (the smallest id on ties); nil in client mode, where every
    /// client spends the same epsilon, or when no client takes part.
    public let plannedWorstClient: Int?
    /// `NoiseFloor`'s warning for the fewest DP steps M any taking-part client composes
    /// (the highest floor 1 / sqrt(2 ln M)); nil when sigma is above it.
    public let warning: String?

    /// Plans `scenario.privacy` over `data`.
    /// - Throws: `PrivacyPlanError` if the scenario has no privacy section, if client-level
    ///   privacy is asked of another algorithm than FedAvg, if a given sigma misses a given
    ///   target epsilon, or if a target must be met while no client takes part;
    ///   `PrivacyError` from calibration.
    public init(scenario: Scenario, data: some FederatedDataSummary) throws {
        guard let settings = scenario.privacy else { throw PrivacyPlanError.noPrivacySection }
        let replay = try ScheduleReplay(scenario: scenario, data: data)
        aggregations = replay.aggregations

        // The (q, T) of every DP participant: each taking-part client, or the federation.
        var rates: [Double] = []
        var steps: [Int] = []
        var configRates: [Double?] = []
        switch settings.mode {
        case .sample:
            for (client, samples) in data.sampleCounts.enumerated() {
                guard samples > 0 else {
                    configRates.append(nil)
                    continue
                }
                let rate = settings.samplingRate
                    ?? DPSGDConfig.samplingRate(batchSize: scenario.training.batchSize, samples: samples)
                configRates.append(rate)
                let total = replay.aggregatedTasks[client]
                    * scenario.training.work.steps(perEpoch: DPSGDConfig.stepsPerEpoch(samplingRate: rate))
                rates.append(rate)
                steps.append(total)
            }
            roundSamplingRate = 0
            clientsPerRound = 0
        case .client:
            guard let fedAvg = scenario.server.strategy as? FedAvg else {
                throw PrivacyPlanError.clientLevelNeedsFedAvg(algorithm: scenario.server.algorithm)
            }
            clientsPerRound = fedAvg.clientsPerRound
            let sampled = (Double(fedAvg.clientsPerRound) * (1 + fedAvg.overSelection)).rounded(.up)
            roundSamplingRate = min(1, sampled / Double(data.clientCount))
            rates = [roundSamplingRate]
            steps = [replay.aggregations]
        }

        let participants = zip(rates, steps).filter { $0.1 > 0 }.map { Participant(rate: $0.0, steps: $0.1) }
        let sigma: Double
        if let given = settings.noiseMultiplier {
            sigma = given
        } else {
            guard !participants.isEmpty else {
                throw PrivacyPlanError.nothingToCalibrate
            }
            sigma = try Self.calibrate(Participant.frontier(participants), target: settings.targetEpsilon!,
                                       delta: settings.delta)
        }
        noiseMultiplier = sigma
        var resolved = settings
        resolved.noiseMultiplier = sigma
        self.settings = resolved
        clientConfigs = try configRates.map { rate in
            try rate.map { try DPSGDConfig(samplingRate: $0, clipNorm: settings.clipNorm, noiseMultiplier: sigma) }
        }

        var epsilons: [Participant: Double] = [:]
        var worst: (index: Int, epsilon: Double)?
        for (index, (rate, count)) in zip(rates, steps).enumerated() where count > 0 {
            let participant = Participant(rate: rate, steps: count)
            let epsilon = try epsilons[participant]
                ?? participant.epsilon(noiseMultiplier: sigma, delta: settings.delta)
            epsilons[participant] = epsilon
            if worst.map({ epsilon > $0.epsilon }) ?? true { worst = (index, epsilon) }
        }
        plannedWorstEpsilon = worst?.epsilon ?? 0
        switch settings.mode {
        case .sample:
            // `rates` skips clients without examples: map the index back to a client id.
            let ids = data.sampleCounts.indices.filter { data.sampleCounts[$0] > 0 }
            plannedWorstClient = worst.map { ids[$0.index] }
        case .client:
            plannedWorstClient = nil
        }
        if let target = settings.targetEpsilon, plannedWorstEpsilon > target * (1 + 1e-9) {
            let who = plannedWorstClient.map { "client \($0)" } ?? "every client"
            throw PrivacyPlanError.targetMissed(noiseMultiplier: sigma, who: who, epsilon: plannedWorstEpsilon,
                                                target: target)
        }
        warning = participants.map(\.steps).min().flatMap { NoiseFloor.warning(noiseMultiplier: sigma, updates: $0) }
    }

    /// The plan of `scenario`'s privacy over `data`; nil when it has none.
    public static func make(_ scenario: Scenario, data: some FederatedDataSummary) throws -> PrivacyPlan? {
        scenario.privacy == nil ? nil : try PrivacyPlan(scenario: scenario, data: data)
    }

    /// `scenario` with sigma filled in: what the run folder's scenario.yaml records.
    public func resolving(_ scenario: Scenario) -> Scenario {
        var resolved = scenario
        resolved.privacy = settings
        return resolved
    }

    /// One line for `fedsim validate`: the mode, C, sigma and the planned worst epsilon.
    public var description: String {
        let origin = settings.targetEpsilon.map { "calibrated for epsilon \($0)" } ?? "given"
        let level = settings.mode == .sample ? "sample-level DP-SGD" : "client-level DP-FedAvg (q \(roundSamplingRate))"
        let who = plannedWorstClient.map { " (client \($0))" } ?? ""
        return "\(level), clip \(settings.clipNorm), noise multiplier \(noiseMultiplier) (\(origin)); "
            + "worst client epsilon \(String(format: "%.4f", plannedWorstEpsilon))\(who) at delta \(settings.delta) "
            + "after \(aggregations) steps"
    }

    /// The smallest sigma meeting `target` for every participant of `frontier` (sorted by
    /// decreasing rate): calibrate for the first, then recalibrate only for a later one
    /// that the current sigma leaves above the target. Epsilon falls with sigma, so the
    /// largest of the participants' own sigmas is the answer.
    private static func calibrate(_ frontier: [Participant], target: Double, delta: Double) throws -> Double {
        var sigma = 0.0
        for participant in frontier {
            if sigma > 0, try participant.epsilon(noiseMultiplier: sigma, delta: delta) <= target { continue }
            sigma = max(sigma, try NoiseCalibration.noiseMultiplier(
                targetEpsilon: target, delta: delta, samplingRate: participant.rate, steps: participant.steps))
        }
        return sigma
    }
}

/// A DP participant's sampling rate q and total steps T over the run.
private struct Participant: Hashable, Sendable {
    let rate: Double
    let steps: Int

    /// epsilon of T steps at (q, sigma), at `delta`.
    func epsilon(noiseMultiplier: Double, delta: Double) throws -> Double {
        var budget = try RenyiBudget()
        try budget.compose(samplingRate: rate, noiseMultiplier: noiseMultiplier, steps: steps)
        return try budget.spent(delta: delta).epsilon
    }

    /// The participants no other one dominates (epsilon grows with both q and T), by
    /// decreasing q: only they can need the most noise.
    static func frontier(_ participants: [Participant]) -> [Participant] {
        var frontier: [Participant] = []
        for participant in Set(participants).sorted(by: { ($0.rate, $0.steps) > ($1.rate, $1.steps) })
        where participant.steps > (frontier.last?.steps ?? 0) {
            frontier.append(participant)
        }
        return frontier
    }
}
