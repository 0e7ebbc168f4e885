import FedSimAlgorithms
import FedSimCore

/// The `privacy:` section.
extension ScenarioLoader {
    /// The `privacy:` section; nil when it is absent. Only the fields are checked here:
    /// calibrating sigma for `target_epsilon` needs the clients' data and the run's
    /// schedule (`PrivacyPlan`).
    static func readPrivacy(_ reader: YAMLFieldReader, server: ServerSettings,
                            system: SystemSettings) -> PrivacySettings? {
        guard reader.node != nil else { return nil }
        defer { reader.finish() }
        let mode: PrivacyMode = reader.choice("mode", default: .sample)
        rejectFields(of: [PrivacyMode.sample: ["sampling_rate"]], except: mode, in: reader, what: "mode")
        let settings = PrivacySettings(
            mode: mode,
            clipNorm: reader.number("clip", in: 0...1e12, excludingLowerBound: true),
            noiseMultiplier: reader.optionalNumber("noise_multiplier", in: 0...1e6, excludingLowerBound: true),
            targetEpsilon: reader.optionalNumber("target_epsilon", in: 0...1e6, excludingLowerBound: true),
            // (0, 1), checked below with a message of its own.
            delta: reader.reading("delta", as: .openNumber(0...1), documentedDefault: "1e-05") {
                reader.number("delta", default: 1e-5, in: -1e12...1e12)
            },
            samplingRate: reader.optionalNumber("sampling_rate", in: 0...1, excludingLowerBound: true))
        let deltaIsValid = settings.delta > 0 && settings.delta < 1
        if !deltaIsValid {
            reader.report(reader.value("delta"), "delta",
                          "must be in (0, 1), got \(settings.delta); it is the chance the guarantee fails, "
                          + "usually below 1 / (training examples), like 1e-5")
        }
        if settings.noiseMultiplier == nil, settings.targetEpsilon == nil {
            reader.report(reader.node, "noise_multiplier",
                          "missing field 'noise_multiplier' (or 'target_epsilon', to calibrate it before training)")
        }
        if let target = settings.targetEpsilon, deltaIsValid, target > 0,
           let floor = try? NoiseCalibration.floor(delta: settings.delta), target <= floor {
            reader.report(reader.value("target_epsilon"), "target_epsilon",
                          "\(PrivacyError.unreachableTarget(epsilon: target, delta: settings.delta, floor: floor))")
        }
        if mode == .client {
            if !(server.strategy is FedAvg) {
                reader.report(reader.value("mode"), "mode",
                              "client-level DP-FedAvg needs server.algorithm fedavg (its accountant samples "
                              + "clients_per_round of the clients every round), not \(server.algorithm)")
            }
            if system.availability != .always {
                reader.report(reader.value("mode"), "mode",
                              "client-level accounting takes q = clients_per_round / clients, which needs every "
                              + "client online every round (system.availability.profile: always)")
            }
        }
        return settings
    }
}
