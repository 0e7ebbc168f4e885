import ArgumentParser
import FedSimCore
import FedSimRuntime
import Foundation

/// `fedsim bench privacy`: the cost of a DP-SGD local step against a plain one.
struct BenchPrivacyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy",
        abstract: "Milliseconds per local step with and without DP-SGD, on a scenario's model and data.",
        discussion: """
            Trains the scenario's model on all clients' training rows pooled, with the scenario's \
            local settings: without privacy on shuffled minibatches of batch_size, and with DP-SGD \
            on Poisson samples of the same expected size (q = batch_size / samples), per-example \
            clipping and Gaussian noise. Reports the median over the repetitions after one warm-up.
            """)

    @Argument(help: "Scenario file (YAML) giving the model, data and local training settings.")
    var scenario = "scenarios/digits-mlp.yaml"

    @Option(help: "Clip norm C of the private steps.")
    var clip = 1.0

    @Option(name: .customLong("noise-multiplier"), help: "Noise multiplier sigma of the private steps.")
    var noiseMultiplier = 1.0

    @Option(help: "Local epochs per measured run.")
    var epochs = 20

    @Option(help: "Measured repetitions (after one warm-up run).")
    var repeats = 5

    func run() throws {
        try reportingErrors {
            guard epochs >= 1, repeats >= 1 else { throw UsageError("--epochs and --repeats must be at least 1") }
            let loaded = try ScenarioLoader.load(path: scenario)
            let federated = try Simulation.prepareData(loaded)
            let data = Dataset(features: federated.clients.flatMap(\.features),
                               labels: federated.clients.flatMap(\.labels),
                               featureCount: federated.featureCount, classCount: federated.classCount)
            let spec = loaded.modelSpec(for: federated)
            let (model, parameters) = try Sequential.initialized(spec, seed: loaded.seed)
            let trainer = LocalTrainer(model: model)

            var plain = loaded.training
            plain.work = .epochs(epochs)
            var dpSGD = plain
            let samplingRate = DPSGDConfig.samplingRate(batchSize: plain.batchSize, samples: data.count)
            dpSGD.privacy = try DPSGDConfig(samplingRate: samplingRate, clipNorm: clip, noiseMultiplier: noiseMultiplier)

            let widths = ([spec.inputDim] + loaded.model.hidden + [spec.classes]).map(String.init).joined(separator: "-")
            print("bench privacy: \(loaded.name), \(loaded.model.kind.rawValue) \(widths) (\(model.trainableParameterCount) "
                  + "parameters), \(data.count) samples, batch \(plain.batchSize) (q = \(format(samplingRate, 5))), "
                  + "\(plain.optimizer.rawValue), clip \(clip), noise multiplier \(noiseMultiplier)")
            let plainMilliseconds = measure(trainer, parameters, data, plain, seed: loaded.seed, label: "non-private")
            let privateMilliseconds = measure(trainer, parameters, data, dpSGD, seed: loaded.seed, label: "private")
            print("  private / non-private: \(format(privateMilliseconds / plainMilliseconds, 2))x")
        }
    }

    /// Median milliseconds per step over `repeats` runs of `settings`, printing each run.
    private func measure(
        _ trainer: LocalTrainer, _ parameters: [Float], _ data: Dataset, _ settings: LocalTraining, seed: UInt64,
        label: String
    ) -> Double {
        let perStep = measured(repeats: repeats) { repetition in
            var rng = RandomStream(seed: seed, purpose: .batches, counter: repetition)
            var steps = 0
            let elapsed = seconds {
                steps = trainer.train(from: parameters, data: data, settings: settings, rng: &rng).steps
            }
            return elapsed * 1e3 / Double(max(steps, 1))
        }
        let middle = median(perStep)
        print("  \(label.padding(toLength: 11, withPad: " ", startingAt: 0)): \(format(middle, 4)) ms/step "
              + "(median of \(repeats); min \(format(perStep.min()!, 4)), max \(format(perStep.max()!, 4)))")
        return middle
    }
}
