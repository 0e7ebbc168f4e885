import FedSimCore
import Foundation

/// Renyi differential privacy of one step of the Poisson-subsampled Gaussian mechanism
/// (Mironov, Talwar and Zhang 2019, "Renyi Differential Privacy of the Sampled Gaussian
/// Mechanism"), ALGORITHMS.md section 3: each record is included with probability q and
/// Gaussian noise of standard deviation sigma times the sensitivity is added.
///
/// At order alpha the mechanism is (alpha, log(A_alpha) / (alpha - 1))-RDP, with
/// - q = 1: the plain Gaussian, RDP = alpha / (2 sigma^2);
/// - integer alpha: A_alpha = sum_{k=0..alpha} C(alpha, k) q^k (1-q)^(alpha-k) exp((k^2 - k) / (2 sigma^2));
/// - fractional alpha: section 3.3 of the paper, A_alpha = A_0 + A_1 with
///   z0 = sigma^2 log(1/q - 1) + 1/2 and, over i = 0, 1, ... and j = alpha - i,
///   A_0 = sum_i C(alpha, i) q^i (1-q)^j exp((i^2 - i) / (2 sigma^2)) erfc((i - z0) / (sqrt 2 sigma)) / 2,
///   A_1 = sum_i C(alpha, i) q^j (1-q)^i exp((j^2 - j) / (2 sigma^2)) erfc((z0 - j) / (sqrt 2 sigma)) / 2,
///   summed until both terms fall below e^-30 (C(alpha, i) changes sign once i > alpha + 1).
/// Every sum runs in log space, so no term overflows whatever q, sigma and alpha are.
public enum SubsampledGaussian {
    /// Opacus's default orders: 1 + x / 10 for x = 1..99, then 12..63 (151 orders).
    public static let defaultOrders: [Double] = (1...99).map { 1 + Double($0) / 10 } + (12...63).map(Double.init)

    /// The RDP of one step at each order, in the orders' order.
    ///
    /// Complexity: O(alpha) terms per integer order; per fractional order, terms until
    /// the series converges (tens for typical q and sigma).
    /// - Throws: `PrivacyError.outOfRange` if q is outside (0, 1], sigma is not finite and
    ///   positive, or an order is not finite and > 1.
    public static func rdp(samplingRate: Double, noiseMultiplier: Double, orders: [Double]) throws -> [Double] {
        try PrivacyError.requireSamplingRate(samplingRate)
        try PrivacyError.requirePositive(noiseMultiplier, "noise multiplier sigma")
        try validate(orders: orders)
        return orders.map { rdp(order: $0, samplingRate: samplingRate, noiseMultiplier: noiseMultiplier) }
    }

    /// Throws `outOfRange` unless every order is finite and > 1.
    static func validate(orders: [Double]) throws {
        if let bad = orders.first(where: { !($0.isFinite && $0 > 1) }) {
            throw PrivacyError.outOfRange(parameter: "RDP order", value: bad, allowed: "finite and > 1")
        }
    }

    /// The RDP at one order; parameters already validated. A sigma whose variance
    /// underflows Double (below about 1e-154) adds no noise a Double can hold: infinite RDP.
    static func rdp(order: Double, samplingRate q: Double, noiseMultiplier sigma: Double) -> Double {
        guard 2 * sigma * sigma > 0 else { return .infinity }
        if q == 1 { return order / (2 * sigma * sigma) }
        let logA = order.rounded() == order
            ? logAIntegerOrder(Int(order), q: q, sigma: sigma)
            : logAFractionalOrder(order, q: q, sigma: sigma)
        return logA / (order - 1)
    }

    /// log(A_alpha) for an integer order, 0 < q < 1.
    static func logAIntegerOrder(_ order: Int, q: Double, sigma: Double) -> Double {
        let (logQ, logComplement) = (log(q), log1p(-q))
        let twoVariance = 2 * sigma * sigma
        var logBinomial = 0.0
        var logA = -Double.infinity
        for k in 0...order {
            if k > 0 { logBinomial += log(Double(order - k + 1)) - log(Double(k)) }
            let kk = Double(k)
            let term = logBinomial + kk * logQ + Double(order - k) * logComplement + (kk * kk - kk) / twoVariance
            logA = LogSpace.add(logA, term)
        }
        return logA
    }

    /// Terms beyond which the fractional series stops even if it has not reached e^-30.
    static let fractionalTermLimit = 100_000

    /// log(A_alpha) for a fractional order, 0 < q < 1.
    static func logAFractionalOrder(_ order: Double, q: Double, sigma: Double) -> Double {
        let (logQ, logComplement) = (log(q), log1p(-q))
        let twoVariance = 2 * sigma * sigma
        let erfcScale = 2.0.squareRoot() * sigma
        let z0 = sigma * sigma * log(1 / q - 1) + 0.5
        var (logA0, logA1) = (-Double.infinity, -Double.infinity)
        var logBinomial = 0.0
        var binomialIsPositive = true
        for i in 0..<fractionalTermLimit {
            let ii = Double(i)
            if i > 0 {
                let factor = (order - ii + 1) / ii
                logBinomial += log(abs(factor))
                if factor < 0 { binomialIsPositive.toggle() }
            }
            let j = order - ii
            let logS0 = logBinomial + ii * logQ + j * logComplement + (ii * ii - ii) / twoVariance
                + log(0.5) + LogSpace.erfc((ii - z0) / erfcScale)
            let logS1 = logBinomial + j * logQ + ii * logComplement + (j * j - j) / twoVariance
                + log(0.5) + LogSpace.erfc((z0 - j) / erfcScale)
            if binomialIsPositive {
                logA0 = LogSpace.add(logA0, logS0)
                logA1 = LogSpace.add(logA1, logS1)
            } else {
                logA0 = LogSpace.subtract(logA0, logS0)
                logA1 = LogSpace.subtract(logA1, logS1)
            }
            if max(logS0, logS1) < -30 { break }
        }
        return LogSpace.add(logA0, logA1)
    }
}
