import FedSimCore

/// Client-level DP-FedAvg (McMahan et al. 2018), ALGORITHMS.md section 3: the server
/// clips each client's update Delta_i to L2 norm C, sums the clipped updates and adds
/// N(0, sigma^2 C^2 I) to the sum. Dividing the noisy sum by a data-independent count
/// (the clients sampled per round) is post-processing and keeps the guarantee.
///
/// One client's update changes the sum by at most C, so each round is the Gaussian
/// mechanism with noise multiplier sigma over the clients sampled with rate
/// q = clients per round / clients; compose the rounds in one `RenyiBudget`.
public struct DPFedAvgNoise: Equatable, Sendable {
    /// C, the L2 norm each client update is clipped to.
    public let clipNorm: Double
    /// sigma, the noise standard deviation in units of C.
    public let noiseMultiplier: Double

    /// - Throws: `PrivacyError.outOfRange` unless C and sigma are finite and positive.
    public init(clipNorm: Double, noiseMultiplier: Double) throws {
        try PrivacyError.requirePositive(clipNorm, "clip norm C")
        try PrivacyError.requirePositive(noiseMultiplier, "noise multiplier sigma")
        self.clipNorm = clipNorm
        self.noiseMultiplier = noiseMultiplier
    }

    /// Scales `update` by min(1, C / ||update||) (norm summed in Double) and returns its
    /// norm before clipping. O(d), in place.
    @discardableResult
    public func clip(_ update: inout [Float]) -> Double {
        let norm = update.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        guard norm > clipNorm else { return norm }
        let factor = Float(clipNorm / norm)
        for index in update.indices { update[index] *= factor }
        return norm
    }

    /// `sum_i clip_C(updates[i]) + N(0, sigma^2 C^2 I)`: the clipped updates summed in
    /// Double in the order given, then one noise draw per coordinate from `rng` (a
    /// `.noise` stream keyed by the round keeps runs reproducible). O(n d).
    /// - Precondition: the updates all have the same length; there is at least one.
    public func noisySum(_ updates: [[Float]], rng: inout RandomStream) -> [Float] {
        precondition(!updates.isEmpty, "DP-FedAvg needs at least one update to sum")
        let clipped = updates.map { update -> [Float] in
            var update = update
            clip(&update)
            return update
        }
        var sum = Aggregation.weightedSum(clipped, weights: [Double](repeating: 1, count: clipped.count))
        rng.addGaussianNoise(to: &sum, standardDeviation: Float(noiseMultiplier * clipNorm))
        return sum
    }
}
