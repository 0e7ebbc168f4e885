import ArgumentParser
import FedSimAlgorithms
import FedSimCore
import FedSimRuntime
import Foundation

/// `fedsim privacy`: the RDP accountant of ALGORITHMS.md section 3 on the command line.
struct PrivacyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy",
        abstract: "Epsilon of T steps of the Poisson-subsampled Gaussian (DP-SGD), or the noise a target epsilon needs.",
        discussion: """
            With --noise-multiplier, prints the (epsilon, delta) guarantee of --steps steps with \
            sampling rate q and the RDP order that certifies it. With --target-epsilon instead, \
            prints the smallest noise multiplier whose epsilon is at most the target. Orders: \
            Opacus's list, 1.1 to 10.9 by 0.1, then 12 to 63.
            """)

    @Option(name: .customLong("sampling-rate"), help: "Poisson sampling rate q, in (0, 1].")
    var samplingRate: Double

    @Option(name: .customLong("noise-multiplier"), help: "Noise multiplier sigma (> 0).")
    var noiseMultiplier: Double?

    @Option(name: .customLong("target-epsilon"), help: "Print the smallest sigma whose epsilon is at most this.")
    var targetEpsilon: Double?

    @Option(help: "Number of steps T composed.")
    var steps: Int

    @Option(help: "The delta of (epsilon, delta)-DP, in (0, 1).")
    var delta: Double

    @Flag(help: "Print {\"epsilon\": ..., \"order\": ...} or {\"noise_multiplier\": ...} as JSON.")
    var json = false

    func run() throws {
        try reportingErrors {
            switch (noiseMultiplier, targetEpsilon) {
            case let (sigma?, nil):
                var budget = try RenyiBudget()
                try budget.compose(samplingRate: samplingRate, noiseMultiplier: sigma, steps: steps)
                let spent = try budget.spent(delta: delta)
                if json {
                    print("{\"epsilon\": \(jsonNumber(spent.epsilon)), \"order\": \(jsonNumber(spent.order))}")
                } else {
                    print("epsilon \(format(spent.epsilon, 4)) at order \(spent.order) "
                          + "(q \(samplingRate), sigma \(sigma), \(steps) steps, delta \(delta))")
                }
                warnBelowNoiseFloor(sigma)
            case let (nil, target?):
                let sigma = try NoiseCalibration.noiseMultiplier(
                    targetEpsilon: target, delta: delta, samplingRate: samplingRate, steps: steps)
                if json {
                    print("{\"noise_multiplier\": \(jsonNumber(sigma))}")
                } else {
                    print("noise multiplier \(format(sigma, 6)) meets epsilon \(target) "
                          + "(q \(samplingRate), \(steps) steps, delta \(delta))")
                }
                warnBelowNoiseFloor(sigma)
            default:
                throw UsageError("give exactly one of --noise-multiplier (to get epsilon) and --target-epsilon "
                                   + "(to get the noise multiplier)")
            }
        }
    }

    /// Prints `NoiseFloor`'s warning for M = `steps` updates on standard error.
    private func warnBelowNoiseFloor(_ sigma: Double) {
        if let warning = NoiseFloor.warning(noiseMultiplier: sigma, updates: steps) {
            FileHandle.standardError.write(Data("fedsim: warning: \(warning)\n".utf8))
        }
    }
}
