import FedSimCore
import Foundation

/// The noise a DP-SGD run needs: the smallest noise multiplier sigma whose T steps of the
/// subsampled Gaussian with rate q spend at most a target epsilon at delta.
///
/// Epsilon falls as sigma grows (each order's RDP does), towards the floor
/// `min_alpha [ -(log delta + log alpha) / (alpha - 1) + log((alpha - 1) / alpha) ]` that
/// RDP-to-DP conversion alone costs; targets at or below it are unreachable.
public enum NoiseCalibration {
    /// The epsilon that RDP-to-DP conversion alone costs at `delta` (that of zero RDP):
    /// every target must lie above it. About 0.103 at delta 1e-5 with Opacus's orders.
    /// - Throws: `PrivacyError.outOfRange` unless delta is in (0, 1).
    public static func floor(delta: Double, orders: [Double] = SubsampledGaussian.defaultOrders) throws -> Double {
        try RenyiBudget(orders: orders).spent(delta: delta).epsilon
    }

    /// The smallest sigma with epsilon(q, sigma, T, delta) <= `targetEpsilon`, to a
    /// relative precision of 1e-9: doubling from sigma = 1 brackets it, bisection narrows
    /// the bracket, and the upper end (which meets the target) is returned.
    ///
    /// Complexity: about 35 + log2(sigma) accountant evaluations of O(orders) series each.
    /// - Throws: `PrivacyError.outOfRange` for q outside (0, 1], steps below 1, delta
    ///   outside (0, 1) or a target that is not finite and positive;
    ///   `PrivacyError.unreachableTarget` when the target is at or below the floor.
    public static func noiseMultiplier(
        targetEpsilon: Double, delta: Double, samplingRate: Double, steps: Int,
        orders: [Double] = SubsampledGaussian.defaultOrders
    ) throws -> Double {
        try PrivacyError.requirePositive(targetEpsilon, "target epsilon")
        try PrivacyError.requireDelta(delta)
        try PrivacyError.requireSamplingRate(samplingRate)
        guard steps >= 1 else {
            throw PrivacyError.outOfRange(parameter: "steps", value: Double(steps), allowed: "at least 1")
        }
        let floor = try Self.floor(delta: delta, orders: orders)
        guard targetEpsilon > floor else {
            throw PrivacyError.unreachableTarget(epsilon: targetEpsilon, delta: delta, floor: floor)
        }
        func epsilon(_ sigma: Double) throws -> Double {
            var budget = try RenyiBudget(orders: orders)
            try budget.compose(samplingRate: samplingRate, noiseMultiplier: sigma, steps: steps)
            return try budget.spent(delta: delta).epsilon
        }
        var low = 0.0
        var high = 1.0
        while try epsilon(high) > targetEpsilon {
            low = high
            high *= 2
            guard high.isFinite else {
                throw PrivacyError.unreachableTarget(epsilon: targetEpsilon, delta: delta, floor: floor)
            }
        }
        while high - low > 1e-9 * high {
            let middle = (low + high) / 2
            if try epsilon(middle) <= targetEpsilon { high = middle } else { low = middle }
        }
        return high
    }
}
