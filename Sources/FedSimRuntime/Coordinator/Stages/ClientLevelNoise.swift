import FedSimAlgorithms
import FedSimCore

/// Client-level DP-FedAvg's second half: N(0, (sigma C / k)^2) added to every coordinate
/// of the combined step, so the step is (sum_i clip_C(Delta_i) + N(0, sigma^2 C^2 I)) / k.
/// The noise comes from the `.noise` stream of the step, the same with any number of workers.
struct ClientLevelNoise: AggregationStage {
    let noise: DPFedAvgNoise
    let clientsPerRound: Int
    let seed: UInt64

    var name: String { "client_level_noise" }

    func apply(_ work: inout StepWork, to model: inout [Float]) throws {
        var stream = RandomStream(seed: seed, purpose: .noise, counter: work.step)
        let deviation = noise.noiseMultiplier * noise.clipNorm / Double(clientsPerRound)
        stream.addGaussianNoise(to: &work.combined, standardDeviation: Float(deviation))
    }
}
