import FedSimCore
import Foundation

/// What a composed mechanism has spent, as (epsilon, delta)-DP at a given delta.
public struct PrivacySpent: Equatable, Sendable {
    /// The smallest epsilon any of the accountant's orders certifies.
    public var epsilon: Double
    /// The RDP order that certifies it.
    public var order: Double

    public init(epsilon: Double, order: Double) {
        self.epsilon = epsilon
        self.order = order
    }
}

/// The Renyi-DP curve of one participant's composed mechanisms: RDP adds up over
/// steps, order by order (Mironov 2017, proposition 1), so composing T steps of the
/// subsampled Gaussian adds T times its one-step curve.
///
/// For client-level DP-FedAvg the participant is the whole federation: compose one step
/// per round with q = clients per round / clients.
public struct RenyiBudget: Equatable, Codable, Sendable {
    /// The RDP orders alpha tracked, each finite and > 1.
    public let orders: [Double]
    /// The accumulated RDP at each order; all zero before the first composition.
    public private(set) var rdp: [Double]

    /// An empty budget over `orders` (Opacus's by default).
    /// - Throws: `PrivacyError.outOfRange` if `orders` is empty or an order is not finite and > 1.
    public init(orders: [Double] = SubsampledGaussian.defaultOrders) throws {
        guard !orders.isEmpty else {
            throw PrivacyError.outOfRange(parameter: "the number of RDP orders", value: 0, allowed: "at least 1")
        }
        try SubsampledGaussian.validate(orders: orders)
        self.orders = orders
        rdp = [Double](repeating: 0, count: orders.count)
    }

    /// Adds `steps` steps of the subsampled Gaussian with rate q and noise multiplier sigma.
    /// - Throws: `PrivacyError.outOfRange` for q outside (0, 1], sigma not finite and
    ///   positive, or negative `steps`.
    public mutating func compose(samplingRate: Double, noiseMultiplier: Double, steps: Int) throws {
        try Self.requireSteps(steps)
        let curve = try SubsampledGaussian.rdp(samplingRate: samplingRate, noiseMultiplier: noiseMultiplier,
                                               orders: orders)
        compose(curve: curve, steps: steps)
    }

    /// Adds `steps` times a one-step curve computed over `orders`.
    mutating func compose(curve: [Double], steps: Int) {
        for index in rdp.indices { rdp[index] += Double(steps) * curve[index] }
    }

    /// The (epsilon, delta) guarantee at `delta`, converted with Balle et al. 2020
    /// (theorem 21), as Opacus does:
    /// `epsilon = min_alpha [ rdp(alpha) - (log delta + log alpha) / (alpha - 1) + log((alpha - 1) / alpha) ]`,
    /// the first minimizing order on ties. O(orders).
    /// - Throws: `PrivacyError.outOfRange` unless delta is in (0, 1).
    public func spent(delta: Double) throws -> PrivacySpent {
        try PrivacyError.requireDelta(delta)
        return Self.convert(rdp: rdp, orders: orders, delta: delta)
    }

    static func convert(rdp: [Double], orders: [Double], delta: Double) -> PrivacySpent {
        var best = PrivacySpent(epsilon: .infinity, order: orders[0])
        let logDelta = log(delta)
        for (value, order) in zip(rdp, orders) {
            let epsilon = value - (logDelta + log(order)) / (order - 1) + log((order - 1) / order)
            if epsilon < best.epsilon { best = PrivacySpent(epsilon: epsilon, order: order) }
        }
        return best
    }

    static func requireSteps(_ steps: Int) throws {
        guard steps >= 0 else {
            throw PrivacyError.outOfRange(parameter: "steps", value: Double(steps), allowed: "at least 0")
        }
    }
}
