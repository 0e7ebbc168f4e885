@testable import FedSimCore
import XCTest

final class LocalOptimizerTests: XCTestCase {
    private func assertClose(_ got: [Float], _ want: [Float], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, file: file, line: line)
        for (value, expected) in zip(got, want) {
            XCTAssertEqual(value, expected, accuracy: 1e-6, file: file, line: line)
        }
    }

    func testSGDStep() {
        // theta = [1, -2], g = [0.5, 0.5], lr 0.1: theta - 0.1 g = [0.95, -2.05].
        var optimizer = LocalOptimizer(kind: .sgd, learningRate: 0.1, parameterCount: 2)
        var theta: [Float] = [1, -2]
        optimizer.step(parameters: &theta, gradient: [0.5, 0.5])
        assertClose(theta, [0.95, -2.05])
        XCTAssertEqual(optimizer.stepCount, 1)
    }

    func testWeightDecayIsAddedToTheGradient() {
        // g + 0.1 theta = [0.5 + 0.1, 0.5 - 0.2] = [0.6, 0.3]; theta - 0.1 * that = [0.94, -2.03].
        var optimizer = LocalOptimizer(kind: .sgd, learningRate: 0.1, weightDecay: 0.1, parameterCount: 2)
        var theta: [Float] = [1, -2]
        optimizer.step(parameters: &theta, gradient: [0.5, 0.5])
        assertClose(theta, [0.94, -2.03])
    }

    func testMomentumTwoSteps() {
        // v1 = g = 0.5 -> theta = [0.95, -2.05]; v2 = 0.9 * 0.5 + 0.5 = 0.95 -> theta -= 0.095.
        var optimizer = LocalOptimizer(kind: .momentum, learningRate: 0.1, momentum: 0.9, parameterCount: 2)
        var theta: [Float] = [1, -2]
        optimizer.step(parameters: &theta, gradient: [0.5, 0.5])
        assertClose(theta, [0.95, -2.05])
        optimizer.step(parameters: &theta, gradient: [0.5, 0.5])
        assertClose(theta, [0.855, -2.145])
    }

    func testAdamTwoSteps() {
        // Step 1 moves each coordinate by lr * sign(g) (m-hat / sqrt(v-hat) = g / |g|):
        // [1, -2] - 0.1 * [1, -1] = [0.9, -1.9].
        // Step 2 with g = [1, 0]: m = [0.145, -0.36], v = [0.00124975, 0.015984];
        // m-hat = m / 0.19, v-hat = v / 0.001999, so theta = [0.80348180, -1.83299418].
        var optimizer = LocalOptimizer(kind: .adam, learningRate: 0.1, parameterCount: 2)
        var theta: [Float] = [1, -2]
        optimizer.step(parameters: &theta, gradient: [0.5, -4])
        assertClose(theta, [0.9, -1.9])
        optimizer.step(parameters: &theta, gradient: [1, 0])
        assertClose(theta, [0.80348180, -1.83299418])
    }

    func testAStepIntoANewVectorEqualsCopyingThenSteppingInPlace() {
        let start: [Float] = [1, -2, 0.25, 3e-39]
        let gradient: [Float] = [0.5, -0.125, 3, 1e-3]
        for kind in [OptimizerKind.sgd, .momentum, .adam] {
            var inPlace = LocalOptimizer(kind: kind, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, parameterCount: 4)
            var outOfPlace = inPlace
            var copied = start
            inPlace.step(parameters: &copied, gradient: gradient)
            inPlace.step(parameters: &copied, gradient: gradient)
            var written: [Float] = []
            outOfPlace.step(from: start, into: &written, gradient: gradient)
            outOfPlace.step(parameters: &written, gradient: gradient)
            XCTAssertEqual(written.map(\.bitPattern), copied.map(\.bitPattern), "\(kind)")
            XCTAssertEqual(outOfPlace.stepCount, 2)
        }
    }

    func testSettingsInitializerCarriesEveryField() {
        let settings = LocalTraining(work: .epochs(1), batchSize: 4, learningRate: 0.3, optimizer: .momentum,
                                     momentum: 0.5, weightDecay: 0.01)
        let optimizer = LocalOptimizer(settings, parameterCount: 3)
        XCTAssertEqual(optimizer.kind, .momentum)
        XCTAssertEqual(optimizer.learningRate, 0.3)
        XCTAssertEqual(optimizer.momentum, 0.5)
        XCTAssertEqual(optimizer.weightDecay, 0.01)
    }
}

final class LocalTrainerTests: XCTestCase {
    override func setUp() {
        BLAS.useSingleThread()
    }

    /// Three well separated Gaussian blobs (standard deviation 1) centred at (0, 4),
    /// (-4, -2) and (4, -2), `perClass` rows each, in class order.
    private func blobs(perClass: Int, seed: UInt64) -> Dataset {
        let centres: [(Float, Float)] = [(0, 4), (-4, -2), (4, -2)]
        var stream = RandomStream(seed: seed, purpose: .synthetic)
        var features = [Float]()
        var labels = [Int32]()
        for (label, centre) in centres.enumerated() {
            for _ in 0..<perClass {
                features.append(centre.0 + Float(stream.normal()))
                features.append(centre.1 + Float(stream.normal()))
                labels.append(Int32(label))
            }
        }
        return Dataset(features: features, labels: labels, featureCount: 2, classCount: 3)
    }

    private func applying(_ delta: [Float], to parameters: [Float]) -> [Float] {
        zip(parameters, delta).map { $0 + $1 }
    }

    func testSoftmaxRegressionLearnsSeparableBlobs() throws {
        let (model, start) = try Sequential.initialized(.softmaxRegression(inputDim: 2, classes: 3), seed: 1)
        let trainer = LocalTrainer(model: model)
        var rng = RandomStream(seed: 1, purpose: .batches)
        let result = trainer.train(from: start, data: blobs(perClass: 50, seed: 1),
                                   settings: LocalTraining(work: .epochs(5), batchSize: 10, learningRate: 0.1),
                                   rng: &rng)
        XCTAssertEqual(result.steps, 5 * 15)
        XCTAssertEqual(result.samples, 150)
        XCTAssertLessThan(result.meanLoss, log(3.0))
        let test = model.evaluate(parameters: applying(result.delta, to: start), on: blobs(perClass: 100, seed: 2))
        XCTAssertGreaterThanOrEqual(test.accuracy, 0.95)
        XCTAssertLessThan(test.meanLoss, 0.2)
    }

    func testGradientClipScalesALongMinibatchGradientToItsNorm() throws {
        // One SGD step (lr 1) on one row from zero: the update is -g, or -g c / ||g|| when
        // ||g|| > c. Softmax regression at zero: p = (1/3, 1/3, 1/3), row x = (3, 4) of class
        // 0, so g_W = x (p - e_0)^T and g_b = p - e_0, ||g||^2 = (9 + 16 + 1) (4/9 + 1/9 + 1/9).
        let (model, start) = try Sequential.initialized(.softmaxRegression(inputDim: 2, classes: 3), seed: 1)
        let row = Dataset(features: [3, 4], labels: [0], featureCount: 2, classCount: 3)
        let trainer = LocalTrainer(model: model)
        func step(clip: Float?) -> [Float] {
            var rng = RandomStream(seed: 1, purpose: .batches)
            return trainer.train(from: start, data: row, settings: LocalTraining(
                work: .steps(1), batchSize: 1, learningRate: 1, gradientClip: clip), rng: &rng).delta
        }
        let plain = step(clip: nil)
        let norm = (26.0 * 6 / 9).squareRoot()
        XCTAssertEqual(Double(plain.reduce(0) { $0 + $1 * $1 }).squareRoot(), norm, accuracy: 1e-5)
        XCTAssertEqual(step(clip: 5), plain, "a gradient shorter than c is left as it is")
        let clipped = step(clip: 2)
        for (value, full) in zip(clipped, plain) {
            XCTAssertEqual(Double(value), Double(full) * 2 / norm, accuracy: 1e-6)
        }
    }

    /// A worker keeps one `Scratch` for every task: what earlier tasks left in it (other
    /// data, batch sizes, DP-SGD) must not change a result.
    func testBuffersKeptFromEarlierTasksLeaveEveryResultUnchanged() throws {
        let (model, start) = try Sequential.initialized(.multilayerPerceptron(inputDim: 2, hidden: [8], classes: 3), seed: 4)
        let trainer = LocalTrainer(model: model)
        let tasks: [(Dataset, LocalTraining)] = [
            (blobs(perClass: 20, seed: 5), LocalTraining(work: .epochs(2), batchSize: 7, learningRate: 0.05, optimizer: .momentum)),
            (blobs(perClass: 3, seed: 6), LocalTraining(work: .steps(5), batchSize: 32, learningRate: 0.1)),
            (blobs(perClass: 10, seed: 7), LocalTraining(work: .epochs(1), batchSize: 4, learningRate: 0.1,
                                                         privacy: try DPSGDConfig(samplingRate: 0.2, clipNorm: 1, noiseMultiplier: 1))),
            (blobs(perClass: 20, seed: 5), LocalTraining(work: .epochs(2), batchSize: 7, learningRate: 0.05, optimizer: .momentum)),
        ]
        var scratch = LocalTrainer.Scratch()
        for (index, (data, settings)) in tasks.enumerated() {
            var fresh = RandomStream(seed: 9, purpose: .batches, client: index)
            var kept = fresh
            let expected = trainer.train(from: start, data: data, settings: settings, rng: &fresh)
            XCTAssertEqual(trainer.train(from: start, data: data, settings: settings, rng: &kept, scratch: &scratch),
                           expected, "task \(index)")
        }
    }

    func testTrainingIsAPureFunctionOfTheRandomKey() throws {
        let (model, start) = try Sequential.initialized(.multilayerPerceptron(inputDim: 2, hidden: [8], classes: 3), seed: 3)
        let trainer = LocalTrainer(model: model)
        let data = blobs(perClass: 20, seed: 3)
        let settings = LocalTraining(work: .epochs(2), batchSize: 7, learningRate: 0.01, optimizer: .adam, weightDecay: 1e-4)
        func run(round: Int) -> LocalTrainingResult {
            var rng = RandomStream(seed: 9, purpose: .batches, client: 4, counter: round)
            return trainer.train(from: start, data: data, settings: settings, rng: &rng)
        }
        let first = run(round: 1)
        XCTAssertEqual(first, run(round: 1), "same key, same bits")
        XCTAssertNotEqual(first.delta, run(round: 2).delta, "another key shuffles differently")
    }

    func testStepsIncludeThePartialBatchAndLossIsSampleWeighted() throws {
        // 10 rows, batches of 4: 4 + 4 + 2 per epoch, so 2 epochs take 6 steps. With a zero
        // learning rate the parameters never move, so the sample-weighted mean of the
        // minibatch losses equals the full-data mean loss (a plain mean of the three
        // batch means would not, since the last batch is smaller).
        let model = try Sequential(.softmaxRegression(inputDim: 2, classes: 3))
        let data = blobs(perClass: 4, seed: 5).subset(Array(0..<10))
        let start: [Float] = [0.3, -0.2, 0.1, 0.5, 0.4, -0.6, 0.05, 0, -0.05]
        var rng = RandomStream(seed: 5, purpose: .batches)
        let result = LocalTrainer(model: model).train(
            from: start, data: data, settings: LocalTraining(work: .epochs(2), batchSize: 4, learningRate: 0), rng: &rng)
        XCTAssertEqual(result.steps, 6)
        XCTAssertEqual(result.delta, [Float](repeating: 0, count: 9))
        XCTAssertEqual(result.meanLoss, model.evaluate(parameters: start, on: data).meanLoss, accuracy: 1e-6)
    }

    func testOneFullBatchSGDStepMovesAgainstTheGradient() throws {
        let (model, start) = try Sequential.initialized(.multilayerPerceptron(inputDim: 2, hidden: [4], classes: 3), seed: 6)
        let data = blobs(perClass: 2, seed: 6)
        var gradient = [Float](repeating: 0, count: model.trainableParameterCount)
        var workspace = ModelWorkspace()
        _ = model.lossAndGradient(parameters: start, data: data, rows: Array(0..<data.count)[...],
                                  gradient: &gradient, workspace: &workspace)
        var rng = RandomStream(seed: 6, purpose: .batches)
        let result = LocalTrainer(model: model).train(
            from: start, data: data, settings: LocalTraining(work: .epochs(1), batchSize: 64, learningRate: 0.5), rng: &rng)
        XCTAssertEqual(result.steps, 1)
        for (change, slope) in zip(result.delta, gradient) {
            XCTAssertEqual(change, -0.5 * slope, accuracy: 1e-6)
        }
    }

    func testFrozenValuesStayPutAndStayOutOfTheDelta() throws {
        // The same network with its middle Dense layer frozen, and with it trainable: one
        // full-batch SGD step of the first moves its trainable values exactly as the
        // second's gradient says, at the same values, and leaves the frozen ones alone.
        func spec(middleTrainable: Bool) -> ModelSpec {
            ModelSpec(inputDim: 2, layers: [
                .dense(Dense(inputs: 2, outputs: 6, initialization: .heNormal)),
                .relu(ReLU(width: 6)),
                .dense(Dense(inputs: 6, outputs: 5, initialization: .heNormal, trainable: middleTrainable)),
                .relu(ReLU(width: 5)),
                .dense(Dense(inputs: 5, outputs: 3, initialization: .heNormal)),
            ])
        }
        let (model, start) = try Sequential.initialized(spec(middleTrainable: false), seed: 4)
        let frozen = model.frozenParameters
        let unfrozen = try Sequential(spec(middleTrainable: true))
        let middle = unfrozen.parameterRanges(ofLayer: 2).trainable
        XCTAssertEqual(middle.count, frozen.count)
        let together = Array(start[..<middle.lowerBound]) + frozen + Array(start[middle.lowerBound...])

        let data = blobs(perClass: 3, seed: 4)
        var gradient = [Float](repeating: 0, count: unfrozen.trainableParameterCount)
        var workspace = ModelWorkspace()
        _ = unfrozen.lossAndGradient(parameters: together, data: data, rows: Array(0..<data.count)[...],
                                     gradient: &gradient, workspace: &workspace)
        let trainer = LocalTrainer(model: model)
        var rng = RandomStream(seed: 4, purpose: .batches)
        let result = trainer.train(
            from: start, data: data, settings: LocalTraining(work: .epochs(1), batchSize: 64, learningRate: 0.5), rng: &rng)
        XCTAssertEqual(result.delta.count, model.trainableParameterCount)
        let withoutMiddle = Array(gradient[..<middle.lowerBound]) + Array(gradient[middle.upperBound...])
        for (change, slope) in zip(result.delta, withoutMiddle) {
            XCTAssertEqual(change, -0.5 * slope, accuracy: 1e-6)
        }
        XCTAssertGreaterThan(withoutMiddle.map(abs).max() ?? 0, 1e-3)
        XCTAssertEqual(trainer.model.frozenParameters, frozen)
    }

    /// Plain SGD at `learningRate` over `batches` of `data`'s rows, one step each, in
    /// order: the delta and the sample-weighted mean loss `LocalTrainer` should report.
    private func sgd(_ model: Sequential, from start: [Float], data: Dataset, batches: [[Int]],
                     learningRate: Float) -> (delta: [Float], meanLoss: Double) {
        var parameters = start
        var gradient = [Float](repeating: 0, count: start.count)
        var workspace = ModelWorkspace()
        var optimizer = LocalOptimizer(kind: .sgd, learningRate: learningRate, parameterCount: start.count)
        var weightedLoss = 0.0
        for batch in batches {
            let loss = model.lossAndGradient(parameters: parameters, data: data, rows: batch[...], gradient: &gradient,
                                             workspace: &workspace)
            optimizer.step(parameters: &parameters, gradient: gradient)
            weightedLoss += loss * Double(batch.count)
        }
        let rows = batches.reduce(0) { $0 + $1.count }
        return (zip(parameters, start).map { $0 - $1 }, weightedLoss / Double(rows))
    }

    func testFixedStepsContinueIntoANewPermutationOnAClientSmallerThanKBatches() throws {
        // 10 rows, batches of 4, K = 5 steps (20 > 10 rows). The key's first two
        // permutations are [5, 4, 3, 6, 0, 1, 2, 7, 8, 9] and [8, 5, 1, 2, 4, 0, 6, 9, 3, 7]:
        // the first gives 4 + 4 + 2 rows (its partial batch is a step), the second its
        // first two batches, and the last two rows of the second permutation stay unused.
        let (model, start) = try Sequential.initialized(.multilayerPerceptron(inputDim: 2, hidden: [4], classes: 3), seed: 2)
        let data = blobs(perClass: 4, seed: 5).subset(Array(0..<10))
        var probe = RandomStream(seed: 5, purpose: .batches, client: 2, counter: 1)
        XCTAssertEqual([probe.permutation(10), probe.permutation(10)],
                       [[5, 4, 3, 6, 0, 1, 2, 7, 8, 9], [8, 5, 1, 2, 4, 0, 6, 9, 3, 7]])
        let batches = [[5, 4, 3, 6], [0, 1, 2, 7], [8, 9], [8, 5, 1, 2], [4, 0, 6, 9]]

        var rng = RandomStream(seed: 5, purpose: .batches, client: 2, counter: 1)
        let result = LocalTrainer(model: model).train(
            from: start, data: data, settings: LocalTraining(work: .steps(5), batchSize: 4, learningRate: 0.3), rng: &rng)
        let expected = sgd(model, from: start, data: data, batches: batches, learningRate: 0.3)
        XCTAssertEqual(result.steps, 5)
        XCTAssertEqual(result.samples, 10)
        XCTAssertEqual(result.delta, expected.delta)
        XCTAssertEqual(result.meanLoss, expected.meanLoss)
        XCTAssertNotEqual(result.delta, sgd(model, from: start, data: data, batches: Array(batches.prefix(4)),
                                            learningRate: 0.3).delta, "the fifth step counts")
    }

    func testFixedStepsOnAClientLargerThanKBatchesUseTheFirstRowsOfOnePermutation() throws {
        // 30 rows, batches of 4, K = 3 steps (12 < 30 rows): the first 12 rows of the key's
        // first permutation [4, 14, 18, 21, 1, 11, 3, 5, 15, 10, 12, 23, 7, ...].
        let (model, start) = try Sequential.initialized(.softmaxRegression(inputDim: 2, classes: 3), seed: 3)
        let data = blobs(perClass: 10, seed: 6)
        var probe = RandomStream(seed: 5, purpose: .batches, client: 3, counter: 1)
        XCTAssertEqual(Array(probe.permutation(30).prefix(12)), [4, 14, 18, 21, 1, 11, 3, 5, 15, 10, 12, 23])
        let batches = [[4, 14, 18, 21], [1, 11, 3, 5], [15, 10, 12, 23]]

        var rng = RandomStream(seed: 5, purpose: .batches, client: 3, counter: 1)
        let result = LocalTrainer(model: model).train(
            from: start, data: data, settings: LocalTraining(work: .steps(3), batchSize: 4, learningRate: 0.2), rng: &rng)
        let expected = sgd(model, from: start, data: data, batches: batches, learningRate: 0.2)
        XCTAssertEqual(result.steps, 3)
        XCTAssertEqual(result.delta, expected.delta)
        XCTAssertEqual(result.meanLoss, expected.meanLoss)
    }

    func testStepsFillingWholeEpochsGiveTheEpochsBits() throws {
        // 10 rows in batches of 4 make 3 steps an epoch: 6 steps are 2 epochs, bit for bit.
        let (model, start) = try Sequential.initialized(.multilayerPerceptron(inputDim: 2, hidden: [5], classes: 3), seed: 8)
        let data = blobs(perClass: 4, seed: 8).subset(Array(0..<10))
        func train(_ work: LocalWork) -> LocalTrainingResult {
            var rng = RandomStream(seed: 8, purpose: .batches, client: 1, counter: 4)
            return LocalTrainer(model: model).train(
                from: start, data: data, settings: LocalTraining(work: work, batchSize: 4, learningRate: 0.05,
                                                                 optimizer: .adam), rng: &rng)
        }
        XCTAssertEqual(train(.steps(6)), train(.epochs(2)))
        XCTAssertEqual(train(.steps(6)).steps, 6)
        XCTAssertNotEqual(train(.steps(5)).delta, train(.epochs(2)).delta)
    }

    func testStepsPerTaskFollowTheLocalWork() throws {
        let privacy = try DPSGDConfig(samplingRate: 0.2, clipNorm: 1, noiseMultiplier: 1)
        XCTAssertEqual(LocalTraining(work: .epochs(2), batchSize: 4, learningRate: 0.1).steps(samples: 10), 6)
        XCTAssertEqual(LocalTraining(work: .steps(7), batchSize: 4, learningRate: 0.1).steps(samples: 10), 7)
        XCTAssertEqual(LocalTraining(work: .steps(7), batchSize: 4, learningRate: 0.1).steps(samples: 1000), 7)
        XCTAssertEqual(LocalTraining(work: .epochs(3), batchSize: 4, learningRate: 0.1, privacy: privacy)
            .steps(samples: 30), 15, "3 epochs of round(1 / 0.2) steps")
        XCTAssertEqual(LocalTraining(work: .steps(7), batchSize: 4, learningRate: 0.1, privacy: privacy)
            .steps(samples: 30), 7)
        XCTAssertEqual(LocalTraining(work: .steps(7), batchSize: 4, learningRate: 0.1).steps(samples: 0), 0)
    }

    func testEmptyDataGivesAZeroUpdate() throws {
        let model = try Sequential(.softmaxRegression(inputDim: 2, classes: 3))
        let empty = Dataset(features: [], labels: [], featureCount: 2, classCount: 3)
        var rng = RandomStream(seed: 7, purpose: .batches)
        let result = LocalTrainer(model: model).train(
            from: [Float](repeating: 1, count: 9), data: empty,
            settings: LocalTraining(work: .epochs(3), batchSize: 4, learningRate: 0.1), rng: &rng)
        XCTAssertEqual(result, LocalTrainingResult(delta: [Float](repeating: 0, count: 9), meanLoss: 0, steps: 0, samples: 0))
    }
}
