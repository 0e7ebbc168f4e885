import Foundation

/// The seed result ALGORITHMS.md section 3 surfaces as a warning ("Fundamental
/// Limitations of Favorable Privacy-Utility Guarantees for DP-SGD"): against worst-case
/// adversaries, shuffled DP-SGD with M updates keeps a small trade-off-curve separation
/// only when sigma >= 1 / sqrt(2 ln M), whatever its (epsilon, delta) accounting says.
public enum NoiseFloor {
    /// 1 / sqrt(2 ln M); nil for fewer than 2 updates, where the bound says nothing.
    public static func minimumNoiseMultiplier(updates: Int) -> Double? {
        guard updates >= 2 else { return nil }
        return 1 / (2 * log(Double(updates))).squareRoot()
    }

    /// A warning when `noiseMultiplier` is below the floor for `updates` updates, else nil.
    public static func warning(noiseMultiplier: Double, updates: Int) -> String? {
        guard let floor = minimumNoiseMultiplier(updates: updates), noiseMultiplier < floor else { return nil }
        return "noise multiplier \(noiseMultiplier) is below 1/sqrt(2 ln M) = \(String(format: "%.4f", floor)) "
            + "for M = \(updates) updates: under worst-case adversaries its accounted epsilon overstates the protection "
            + "(Fundamental Limitations of Favorable Privacy-Utility Guarantees for DP-SGD)"
    }
}
