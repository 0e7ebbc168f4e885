import FedSimCore

/// Why a scenario's privacy could not be planned.
public enum PrivacyPlanError: FedSimError, Equatable, Sendable {
    case noPrivacySection
    /// Client-level DP-FedAvg was asked of another algorithm than FedAvg.
    case clientLevelNeedsFedAvg(algorithm: String)
    /// A target epsilon was given, but no client takes part in the run.
    case nothingToCalibrate
    /// The given noise multiplier leaves `who` above the target epsilon.
    case targetMissed(noiseMultiplier: Double, who: String, epsilon: Double, target: Double)

    public var description: String {
        switch self {
        case .noPrivacySection:
            return "the scenario has no privacy section"
        case let .clientLevelNeedsFedAvg(algorithm):
            return "privacy.mode: client-level DP-FedAvg needs server.algorithm fedavg, not \(algorithm)"
        case .nothingToCalibrate:
            return "privacy.target_epsilon: no client takes part in the run, so no noise can be calibrated"
        case let .targetMissed(sigma, who, epsilon, target):
            return "privacy.noise_multiplier \(sigma) leaves \(who) at epsilon \(epsilon) by the end of the run, "
                + "above privacy.target_epsilon \(target); remove noise_multiplier to calibrate it"
        }
    }
}
