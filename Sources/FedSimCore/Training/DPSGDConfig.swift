/// Sample-level DP-SGD (Abadi et al. 2016) for a client's local steps, ALGORITHMS.md
/// section 3.
///
/// Each step Poisson-samples every local example independently with probability q,
/// clips each sampled example's gradient to L2 norm C, sums them, adds
/// N(0, sigma^2 C^2 I) and divides by the expected batch size q * n (n the client's
/// sample count), a divisor that does not depend on which examples were drawn. An epoch
/// is `stepsPerEpoch` = round(1 / q) steps, so it visits n examples in expectation; a
/// task takes epochs of them, or the fixed count of `LocalWork.steps`.
///
/// The privacy of one task is that of `steps` compositions of the Poisson-subsampled
/// Gaussian mechanism with rate q and noise multiplier sigma; FedSimAlgorithms'
/// `PrivacyAccountant` composes them per client.
public struct DPSGDConfig: Equatable, Sendable {
    /// q, the probability that a step includes a given example; in (0, 1].
    public let samplingRate: Double
    /// C, the L2 norm every per-example gradient is clipped to; finite and > 0.
    public let clipNorm: Double
    /// sigma, the noise standard deviation in units of C; finite and > 0.
    public let noiseMultiplier: Double

    /// - Throws: `PrivacyError.outOfRange` if q is outside (0, 1], or C or sigma is not
    ///   finite and positive.
    public init(samplingRate: Double, clipNorm: Double, noiseMultiplier: Double) throws {
        try PrivacyError.requireSamplingRate(samplingRate)
        try PrivacyError.requirePositive(clipNorm, "clip norm C")
        try PrivacyError.requirePositive(noiseMultiplier, "noise multiplier sigma")
        self.samplingRate = samplingRate
        self.clipNorm = clipNorm
        self.noiseMultiplier = noiseMultiplier
    }

    /// The rate whose expected batch is `batchSize` examples out of `samples`:
    /// min(1, batchSize / samples).
    public static func samplingRate(batchSize: Int, samples: Int) -> Double {
        precondition(batchSize >= 1 && samples >= 1,
                     "batch size and sample count must be at least 1, got \(batchSize) and \(samples)")
        return min(1, Double(batchSize) / Double(samples))
    }

    /// Steps per local epoch: 1 / q rounded to the nearest integer, at least 1.
    public var stepsPerEpoch: Int { Self.stepsPerEpoch(samplingRate: samplingRate) }

    /// Steps per local epoch at sampling rate q: 1 / q rounded to the nearest integer, at least 1.
    public static func stepsPerEpoch(samplingRate: Double) -> Int {
        max(1, Int((1 / samplingRate).rounded()))
    }

    /// The standard deviation of the noise added to the clipped sum, sigma * C.
    public var noiseStandardDeviation: Double { noiseMultiplier * clipNorm }
}
