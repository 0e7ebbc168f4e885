@testable import FedSimCore
import Foundation
import XCTest

/// Per-example clipping, Gaussian noise, Poisson sampling and the DP-SGD training loop.
final class DPSGDTests: XCTestCase {
    override func setUp() {
        BLAS.useSingleThread()
    }

    private func randomDataset(rows: Int, features: Int, classes: Int, seed: UInt64) -> Dataset {
        var stream = RandomStream(seed: seed, purpose: .synthetic)
        return Dataset(features: (0..<(rows * features)).map { _ in Float(2 * stream.normal()) },
                       labels: (0..<rows).map { _ in Int32(stream.integer(below: classes)) },
                       featureCount: features, classCount: classes)
    }

    /// Initial parameters with every coordinate (biases too) moved off its start, so no
    /// layer's gradient is trivially zero.
    private func perturbedParameters(_ spec: ModelSpec, seed: UInt64) throws -> (model: Sequential, parameters: [Float]) {
        let (model, start) = try Sequential.initialized(spec, seed: seed)
        var stream = RandomStream(seed: seed, purpose: .synthetic, counter: 1)
        return (model, start.map { $0 + Float(0.3 * stream.normal()) })
    }

    private func norm(_ vector: [Float]) -> Double {
        vector.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    /// Brute force: each example's gradient from a one-row `lossAndGradient`, clipped to C
    /// and summed in Double.
    private func bruteForceClippedSum(
        _ model: Sequential, _ parameters: [Float], _ data: Dataset, rows: [Int], clipNorm: Double
    ) -> (sum: [Double], loss: Double, norms: [Double]) {
        var sum = [Double](repeating: 0, count: model.trainableParameterCount)
        var gradient = [Float](repeating: 0, count: model.trainableParameterCount)
        var workspace = ModelWorkspace()
        var loss = 0.0
        var norms: [Double] = []
        for row in rows {
            loss += model.lossAndGradient(parameters: parameters, data: data, rows: [row][...],
                                          gradient: &gradient, workspace: &workspace)
            let exampleNorm = norm(gradient)
            norms.append(exampleNorm)
            let factor = min(1, clipNorm / exampleNorm)
            for index in sum.indices { sum[index] += factor * Double(gradient[index]) }
        }
        return (sum, loss, norms)
    }

    /// The efficient clipped sum against brute force, with C at the median norm so about
    /// half of the examples are clipped.
    private func assertClippedSumMatchesBruteForce(
        _ spec: ModelSpec, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let (model, parameters) = try perturbedParameters(spec, seed: 3)
        let data = randomDataset(rows: 40, features: spec.inputDim, classes: spec.classes, seed: 7)
        let rows = [3, 0, 17, 17, 39, 8, 25, 11, 30, 2, 21, 14]
        let unclipped = bruteForceClippedSum(model, parameters, data, rows: rows, clipNorm: .infinity)
        let clipNorm = unclipped.norms.sorted()[rows.count / 2]

        var gradient = [Float](repeating: .nan, count: model.trainableParameterCount)
        var workspace = ModelWorkspace()
        let loss = model.clippedGradientSum(parameters: parameters, data: data, rows: rows[...],
                                            clipNorm: Float(clipNorm), gradient: &gradient, workspace: &workspace)
        let expected = bruteForceClippedSum(model, parameters, data, rows: rows, clipNorm: clipNorm)

        XCTAssertEqual(loss, expected.loss, accuracy: 1e-5 * expected.loss, file: file, line: line)
        for (position, bruteNorm) in expected.norms.enumerated() {
            XCTAssertEqual(Double(workspace.exampleGradientNorms[position]), bruteNorm, accuracy: 1e-5 * bruteNorm,
                           "norm of row \(rows[position])", file: file, line: line)
        }
        XCTAssertGreaterThan(expected.norms.filter { $0 > clipNorm }.count, 3, file: file, line: line)
        let scale = max(1, expected.sum.map(abs).max()!)
        for index in gradient.indices {
            XCTAssertEqual(Double(gradient[index]), expected.sum[index], accuracy: 1e-5 * scale,
                           "parameter \(index)", file: file, line: line)
        }

        // Each example through the efficient path alone: its clipped gradient has norm <= C.
        for row in rows {
            _ = model.clippedGradientSum(parameters: parameters, data: data, rows: [row][...],
                                         clipNorm: Float(clipNorm), gradient: &gradient, workspace: &workspace)
            XCTAssertLessThanOrEqual(norm(gradient), clipNorm * (1 + 1e-6), "row \(row)", file: file, line: line)
        }
    }

    func testSoftmaxClippedSumMatchesBruteForce() throws {
        try assertClippedSumMatchesBruteForce(.softmaxRegression(inputDim: 6, classes: 4))
    }

    func testConvolutionalClippedSumMatchesBruteForce() throws {
        try assertClippedSumMatchesBruteForce(.layered(
            image: ImageShape(channels: 2, rows: 3, columns: 2),
            recipe: [.conv(filters: 3, kernel: 2, stride: 1, padding: 1), .relu, .maxPool(size: 2), .flatten], classes: 4))
    }

    func testMLPClippedSumMatchesBruteForce() throws {
        try assertClippedSumMatchesBruteForce(.multilayerPerceptron(inputDim: 6, hidden: [9, 5], classes: 4))
    }

    /// A frozen Dense layer in the middle adds no gradient and no norm but passes the
    /// errors down to the trainable layer below it; a frozen first layer ends the
    /// backward pass above it.
    func testClippedSumWithFrozenLayersMatchesBruteForce() throws {
        try assertClippedSumMatchesBruteForce(ModelSpec(inputDim: 6, layers: [
            .dense(Dense(inputs: 6, outputs: 9, initialization: .heNormal)),
            .relu(ReLU(width: 9)),
            .dense(Dense(inputs: 9, outputs: 7, initialization: .heNormal, trainable: false)),
            .relu(ReLU(width: 7)),
            .dense(Dense(inputs: 7, outputs: 5, initialization: .heNormal)),
            .dense(Dense(inputs: 5, outputs: 4, initialization: .heNormal)),
        ]))
        try assertClippedSumMatchesBruteForce(ModelSpec(inputDim: 6, layers: [
            .dense(Dense(inputs: 6, outputs: 8, initialization: .heNormal, trainable: false)),
            .relu(ReLU(width: 8)),
            .dense(Dense(inputs: 8, outputs: 4, initialization: .heNormal)),
        ]))
    }

    /// A LoRA layer's example gradients are outer products whose norms it forms without
    /// them, with `A` trained (LoRA) or frozen (FFA-LoRA, FedSVD).
    func testLoRAClippedSumMatchesBruteForce() throws {
        for trainsFactorA in [true, false] {
            try assertClippedSumMatchesBruteForce(ModelSpec(inputDim: 6, layers: [
                .loraDense(LoRADense(inputs: 6, outputs: 9, rank: 3, alpha: 6, baseInitialization: .heNormal,
                                     trainsFactorA: trainsFactorA)),
                .relu(ReLU(width: 9)),
                .loraDense(LoRADense(inputs: 9, outputs: 4, rank: 2, alpha: 2, baseInitialization: .heNormal,
                                     trainsFactorA: trainsFactorA)),
            ]))
        }
    }

    func testHugeClipNormGivesTheSummedBatchGradient() throws {
        let (model, parameters) = try perturbedParameters(.multilayerPerceptron(inputDim: 5, hidden: [7], classes: 3), seed: 5)
        let data = randomDataset(rows: 20, features: 5, classes: 3, seed: 11)
        let rows = Array(0..<20)[...]
        var mean = [Float](repeating: 0, count: model.trainableParameterCount)
        var sum = mean
        var workspace = ModelWorkspace()
        let meanLoss = model.lossAndGradient(parameters: parameters, data: data, rows: rows, gradient: &mean,
                                             workspace: &workspace)
        let totalLoss = model.clippedGradientSum(parameters: parameters, data: data, rows: rows, clipNorm: 1e30,
                                                 gradient: &sum, workspace: &workspace)
        XCTAssertEqual(totalLoss, 20 * meanLoss, accuracy: 1e-9 * totalLoss)
        for (summed, averaged) in zip(sum, mean) {
            XCTAssertEqual(summed, 20 * averaged, accuracy: 1e-5 * max(1, abs(summed)))
        }
    }

    func testEmptyRowsGiveAZeroSum() throws {
        let (model, parameters) = try perturbedParameters(.softmaxRegression(inputDim: 2, classes: 2), seed: 1)
        let data = randomDataset(rows: 3, features: 2, classes: 2, seed: 1)
        var gradient = [Float](repeating: .nan, count: model.trainableParameterCount)
        var workspace = ModelWorkspace()
        let loss = model.clippedGradientSum(parameters: parameters, data: data,
                                            rows: [][...], clipNorm: 1, gradient: &gradient, workspace: &workspace)
        XCTAssertEqual(loss, 0)
        XCTAssertEqual(gradient, [Float](repeating: 0, count: model.trainableParameterCount))
    }

    // MARK: Noise

    /// Standard normal CDF.
    private func phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    func testGaussianNoiseMomentsAndDistribution() {
        let count = 400_000
        let deviation: Float = 0.55
        var values = [Float](repeating: 0, count: count)
        var stream = RandomStream(seed: 21, purpose: .noise)
        stream.addGaussianNoise(to: &values, standardDeviation: deviation)

        let s = Double(deviation)
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(count)
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(count - 1)
        XCTAssertEqual(mean, 0, accuracy: 4 * s / Double(count).squareRoot())
        XCTAssertEqual(variance, s * s, accuracy: 4 * s * s * (2 / Double(count)).squareRoot())

        // The CDF at points inside the layers, around the tail's start r = 3.44 and beyond it.
        for point in [-4.0, -3.44, -2.5, -1, -0.3, 0, 0.7, 1.9, 3.0, 3.44, 3.8] {
            let expected = phi(point)
            let observed = Double(values.filter { Double($0) / s <= point }.count) / Double(count)
            let tolerance = 4 * (expected * (1 - expected) / Double(count)).squareRoot() + 1e-6
            XCTAssertEqual(observed, expected, accuracy: tolerance, "P(Z <= \(point))")
        }
        // Fourth moment of a normal: 3 s^4 (a ziggurat with wrong wedges or tail misses it).
        let fourth = values.reduce(0.0) { $0 + pow(Double($1) / s, 4) } / Double(count)
        XCTAssertEqual(fourth, 3, accuracy: 4 * (96.0 / Double(count)).squareRoot())
    }

    func testNoiseAddsToTheValuesAndIsDeterministic() {
        var first: [Float] = [1, 2, 3]
        var second: [Float] = [1, 2, 3]
        var a = RandomStream(seed: 4, purpose: .noise, client: 2, counter: 9)
        var b = RandomStream(seed: 4, purpose: .noise, client: 2, counter: 9)
        a.addGaussianNoise(to: &first, standardDeviation: 0)
        XCTAssertEqual(first, [1, 2, 3])
        a.addGaussianNoise(to: &first, standardDeviation: 1)
        b.addGaussianNoise(to: &second, standardDeviation: 0)
        b.addGaussianNoise(to: &second, standardDeviation: 1)
        XCTAssertEqual(first, second)
        XCTAssertNotEqual(first, [1, 2, 3])
    }

    // MARK: Poisson sampling

    func testPoissonSampleIncludesEachRowWithRateQ() {
        let (population, rate, draws) = (50, 0.1, 20_000)
        var stream = RandomStream(seed: 8, purpose: .batches)
        var rows: [Int] = []
        var inclusions = [Int](repeating: 0, count: population)
        var sizes: [Double] = []
        for _ in 0..<draws {
            stream.poissonSample(rate: rate, population: population, into: &rows)
            XCTAssertEqual(rows, Array(Set(rows)).sorted())
            for row in rows { inclusions[row] += 1 }
            sizes.append(Double(rows.count))
        }
        let perRow = (rate * (1 - rate) / Double(draws)).squareRoot()
        for (row, count) in inclusions.enumerated() {
            XCTAssertEqual(Double(count) / Double(draws), rate, accuracy: 4.5 * perRow, "row \(row)")
        }
        let mean = sizes.reduce(0, +) / Double(draws)
        let variance = sizes.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(draws - 1)
        let binomialVariance = Double(population) * rate * (1 - rate)
        XCTAssertEqual(mean, Double(population) * rate, accuracy: 4 * (binomialVariance / Double(draws)).squareRoot())
        XCTAssertEqual(variance, binomialVariance, accuracy: 0.1 * binomialVariance)
    }

    func testPoissonSampleWithRateOneTakesEveryRow() {
        var stream = RandomStream(seed: 8, purpose: .batches)
        var rows = [42]
        stream.poissonSample(rate: 1, population: 5, into: &rows)
        XCTAssertEqual(rows, [0, 1, 2, 3, 4])
    }

    // MARK: Configuration and training

    func testConfigRejectsBadParameters() {
        XCTAssertThrowsError(try DPSGDConfig(samplingRate: 0, clipNorm: 1, noiseMultiplier: 1)) {
            XCTAssertEqual($0 as? PrivacyError, .outOfRange(parameter: "sampling rate q", value: 0, allowed: "in (0, 1]"))
        }
        XCTAssertThrowsError(try DPSGDConfig(samplingRate: 1.5, clipNorm: 1, noiseMultiplier: 1))
        XCTAssertThrowsError(try DPSGDConfig(samplingRate: 0.1, clipNorm: 0, noiseMultiplier: 1))
        XCTAssertThrowsError(try DPSGDConfig(samplingRate: 0.1, clipNorm: .infinity, noiseMultiplier: 1))
        XCTAssertThrowsError(try DPSGDConfig(samplingRate: 0.1, clipNorm: 1, noiseMultiplier: 0)) {
            XCTAssertEqual("\($0)", "noise multiplier sigma must be finite and > 0, got 0")
        }
        XCTAssertThrowsError(try DPSGDConfig(samplingRate: 0.1, clipNorm: 1, noiseMultiplier: -1))
        XCTAssertNoThrow(try DPSGDConfig(samplingRate: 1, clipNorm: 1, noiseMultiplier: 1))
    }

    func testStepsPerEpochAndSamplingRate() throws {
        XCTAssertEqual(try DPSGDConfig(samplingRate: 0.3, clipNorm: 1, noiseMultiplier: 1).stepsPerEpoch, 3)
        XCTAssertEqual(try DPSGDConfig(samplingRate: 16.0 / 29, clipNorm: 1, noiseMultiplier: 1).stepsPerEpoch, 2)
        XCTAssertEqual(try DPSGDConfig(samplingRate: 1, clipNorm: 1, noiseMultiplier: 1).stepsPerEpoch, 1)
        XCTAssertEqual(DPSGDConfig.samplingRate(batchSize: 16, samples: 64), 0.25)
        XCTAssertEqual(DPSGDConfig.samplingRate(batchSize: 16, samples: 5), 1)
    }

    /// One full-batch private step with SGD at learning rate 1:
    /// delta = -(clipped sum + noise) / (q n), so the noise is recovered exactly and its
    /// moments over many tasks must be those of N(0, sigma^2 C^2).
    func testTrainerAddsNoiseWithDeviationSigmaCAndDividesByTheExpectedBatch() throws {
        let (model, parameters) = try perturbedParameters(.softmaxRegression(inputDim: 4, classes: 3), seed: 2)
        let data = randomDataset(rows: 6, features: 4, classes: 3, seed: 2)
        let privacy = try DPSGDConfig(samplingRate: 1, clipNorm: 0.5, noiseMultiplier: 1.3)
        let settings = LocalTraining(work: .epochs(1), batchSize: 99, learningRate: 1, privacy: privacy)
        var clipped = [Float](repeating: 0, count: model.trainableParameterCount)
        var workspace = ModelWorkspace()
        _ = model.clippedGradientSum(parameters: parameters, data: data, rows: Array(0..<6)[...], clipNorm: 0.5,
                                     gradient: &clipped, workspace: &workspace)
        let trainer = LocalTrainer(model: model)
        var noise: [Double] = []
        for task in 0..<2000 {
            var rng = RandomStream(seed: 1, purpose: .batches, client: task)
            let result = trainer.train(from: parameters, data: data, settings: settings, rng: &rng)
            XCTAssertEqual(result.steps, 1)
            for index in clipped.indices {
                noise.append(-Double(result.delta[index]) * 6 - Double(clipped[index]))
            }
        }
        let deviation = 1.3 * 0.5
        let mean = noise.reduce(0, +) / Double(noise.count)
        let variance = noise.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(noise.count - 1)
        XCTAssertEqual(mean, 0, accuracy: 4 * deviation / Double(noise.count).squareRoot())
        XCTAssertEqual(variance.squareRoot(), deviation, accuracy: 4 * deviation / (2 * Double(noise.count)).squareRoot())
    }

    func testPrivateTrainingIsDeterministicAndCountsSteps() throws {
        let (model, parameters) = try Sequential.initialized(.multilayerPerceptron(inputDim: 4, hidden: [6], classes: 3),
                                                             seed: 5)
        let data = randomDataset(rows: 30, features: 4, classes: 3, seed: 5)
        let privacy = try DPSGDConfig(samplingRate: 0.2, clipNorm: 1, noiseMultiplier: 0.8)
        let settings = LocalTraining(work: .epochs(3), batchSize: 6, learningRate: 0.1, optimizer: .momentum,
                                     proximalMu: 0.01, privacy: privacy)
        let trainer = LocalTrainer(model: model)
        var first = RandomStream(seed: 3, purpose: .batches, client: 1, counter: 2)
        var second = RandomStream(seed: 3, purpose: .batches, client: 1, counter: 2)
        var other = RandomStream(seed: 3, purpose: .batches, client: 1, counter: 3)
        let result = trainer.train(from: parameters, data: data, settings: settings, rng: &first)
        XCTAssertEqual(result, trainer.train(from: parameters, data: data, settings: settings, rng: &second))
        XCTAssertNotEqual(result.delta, trainer.train(from: parameters, data: data, settings: settings, rng: &other).delta)
        XCTAssertEqual(result.steps, 15)
        XCTAssertEqual(result.samples, 30)
        XCTAssertTrue(result.meanLoss.isFinite && result.meanLoss > 0)
    }

    func testPrivateTrainingTakesExactlyTheFixedSteps() throws {
        // q = 0.2 makes an epoch round(1 / q) = 5 steps; local_steps K = 7 takes 7, and
        // K = 15 is 3 epochs bit for bit (the same samples and noise, drawn in order).
        let (model, parameters) = try Sequential.initialized(.multilayerPerceptron(inputDim: 4, hidden: [6], classes: 3),
                                                             seed: 6)
        let data = randomDataset(rows: 30, features: 4, classes: 3, seed: 6)
        let privacy = try DPSGDConfig(samplingRate: 0.2, clipNorm: 1, noiseMultiplier: 0.8)
        let trainer = LocalTrainer(model: model)
        func train(_ work: LocalWork) -> LocalTrainingResult {
            var rng = RandomStream(seed: 4, purpose: .batches, client: 2, counter: 1)
            return trainer.train(from: parameters, data: data,
                                 settings: LocalTraining(work: work, batchSize: 6, learningRate: 0.1, privacy: privacy),
                                 rng: &rng)
        }
        XCTAssertEqual(train(.steps(7)).steps, 7)
        XCTAssertEqual(train(.steps(1)).steps, 1)
        XCTAssertEqual(train(.steps(15)), train(.epochs(3)))
        XCTAssertNotEqual(train(.steps(7)).delta, train(.steps(8)).delta)
    }

    /// With q = 1, a clip norm no gradient reaches and almost no noise, a private step is
    /// the full-batch mean gradient step.
    func testPrivateStepWithoutClippingOrNoiseIsTheFullBatchStep() throws {
        let (model, parameters) = try perturbedParameters(.multilayerPerceptron(inputDim: 4, hidden: [5], classes: 3), seed: 9)
        let data = randomDataset(rows: 12, features: 4, classes: 3, seed: 9)
        let privacy = try DPSGDConfig(samplingRate: 1, clipNorm: 1e6, noiseMultiplier: 1e-12)
        let trainer = LocalTrainer(model: model)
        var rng = RandomStream(seed: 1, purpose: .batches)
        let result = trainer.train(from: parameters, data: data,
                                   settings: LocalTraining(work: .epochs(2), batchSize: 12, learningRate: 0.5, privacy: privacy),
                                   rng: &rng)
        var plainRng = RandomStream(seed: 1, purpose: .batches)
        let plain = trainer.train(from: parameters, data: data,
                                  settings: LocalTraining(work: .epochs(2), batchSize: 12, learningRate: 0.5), rng: &plainRng)
        XCTAssertEqual(result.steps, 2)
        XCTAssertEqual(result.meanLoss, plain.meanLoss, accuracy: 1e-6)
        for (got, want) in zip(result.delta, plain.delta) { XCTAssertEqual(got, want, accuracy: 1e-5) }
        XCTAssertGreaterThan(norm(plain.delta), 0.01)
    }
}

final class RandomStreamFillTests: XCTestCase {
    /// `fill` (whole Philox blocks, eight at a time in SIMD lanes) must give exactly the
    /// words `next32()` would, from any position in a block and across batch boundaries.
    func testFillMatchesRepeatedNext32() {
        for (skipped, count) in [(0, 0), (0, 3), (1, 4), (3, 31), (2, 32), (0, 100), (5, 257)] {
            var byWord = RandomStream(seed: 77, purpose: .noise, client: 3, counter: 1 << 20)
            var byFill = byWord
            for _ in 0..<skipped {
                _ = byWord.next32()
                _ = byFill.next32()
            }
            let expected = (0..<count).map { _ in byWord.next32() }
            var words = [UInt32](repeating: 0, count: count)
            words.withUnsafeMutableBufferPointer { byFill.fill($0) }
            XCTAssertEqual(words, expected, "skipped \(skipped), count \(count)")
            XCTAssertEqual(byFill.next32(), byWord.next32(), "position after skipped \(skipped), count \(count)")
        }
    }

    func testPhiloxEightLanesMatchTheScalarBlocks() {
        let key: (UInt32, UInt32) = (0x1234_5678, 0x9ABC_DEF0)
        let first: UInt64 = 0xFFFF_FFFC  // lanes cross into the counter's upper word
        let lanes = RandomStream.philox8(firstBlock: first, client: 9, counter: 4, key: key)
        for lane in 0..<8 {
            let block = first + UInt64(lane)
            let scalar = RandomStream.philox(
                counter: (UInt32(truncatingIfNeeded: block), UInt32(truncatingIfNeeded: block >> 32), 9, 4), key: key)
            XCTAssertEqual([lanes.0[lane], lanes.1[lane], lanes.2[lane], lanes.3[lane]],
                           [scalar.0, scalar.1, scalar.2, scalar.3], "lane \(lane)")
        }
    }
}
