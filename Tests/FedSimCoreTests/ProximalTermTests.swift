import FedSimCore
import XCTest

/// FedProx's proximal term in `LocalTrainer`: every minibatch gradient gains
/// mu * (theta - theta_start).
final class ProximalTermTests: XCTestCase {
    override func setUp() {
        BLAS.useSingleThread()
    }

    private func train(_ model: Sequential, from start: [Float], on data: Dataset,
                       _ settings: LocalTraining) -> LocalTrainingResult {
        var rng = RandomStream(seed: 21, purpose: .batches)
        return LocalTrainer(model: model).train(from: start, data: data, settings: settings, rng: &rng)
    }

    private func assertClose(_ got: [Float], _ want: [Float], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, file: file, line: line)
        for (value, expected) in zip(got, want) {
            XCTAssertEqual(value, expected, accuracy: 1e-6, file: file, line: line)
        }
    }

    func testTwoSGDStepsOnOneSampleByHand() throws {
        // Softmax regression, 1 input, 2 classes: theta = [W00, W01, b0, b1], from 0.
        // One sample x = 2 with label 0; SGD, lr 0.5, batch 1, 2 epochs = 2 steps.
        // Step 1: logits 0, p = [0.5, 0.5], dL/dlogits = p - e0 = [-0.5, 0.5];
        //   grad = [x (-0.5), x 0.5, -0.5, 0.5] = [-1, 1, -0.5, 0.5]. theta = theta_start, so
        //   the proximal term is 0: theta1 = -0.5 grad = [0.5, -0.5, 0.25, -0.25] for every mu.
        // Step 2: logits = 2 W + b = [1.25, -1.25], p0 = sigmoid(2.5) = 0.92414182,
        //   p - e0 = [-0.07585818, 0.07585818]; grad = [-0.15171636, 0.15171636, -0.07585818, 0.07585818].
        //   mu = 0: delta = theta1 - 0.5 grad = [0.57585818, -0.57585818, 0.28792909, -0.28792909].
        //   mu = 0.4 adds 0.4 (theta1 - 0) to grad, so delta moves by -0.5 * 0.4 * theta1
        //   = [-0.1, 0.1, -0.05, 0.05]: [0.47585818, -0.47585818, 0.23792909, -0.23792909].
        //   Weight decay 0.1 on top adds 0.1 theta1 to the gradient after the proximal term,
        //   another -0.05 theta1 = [-0.025, 0.025, -0.0125, 0.0125]:
        //   [0.45085818, -0.45085818, 0.22542909, -0.22542909].
        let model = try Sequential(.softmaxRegression(inputDim: 1, classes: 2))
        let data = Dataset(features: [2], labels: [0], featureCount: 1, classCount: 2)
        let start: [Float] = [0, 0, 0, 0]
        let plain = train(model, from: start, on: data, LocalTraining(work: .epochs(2), batchSize: 1, learningRate: 0.5))
        let proximal = train(model, from: start, on: data,
                             LocalTraining(work: .epochs(2), batchSize: 1, learningRate: 0.5, proximalMu: 0.4))
        let withDecay = train(model, from: start, on: data,
                              LocalTraining(work: .epochs(2), batchSize: 1, learningRate: 0.5, weightDecay: 0.1,
                                            proximalMu: 0.4))
        XCTAssertEqual(proximal.steps, 2)
        assertClose(plain.delta, [0.57585818, -0.57585818, 0.28792909, -0.28792909])
        assertClose(proximal.delta, [0.47585818, -0.47585818, 0.23792909, -0.23792909])
        assertClose(withDecay.delta, [0.45085818, -0.45085818, 0.22542909, -0.22542909])

        let oneStep = train(model, from: start, on: data,
                            LocalTraining(work: .epochs(1), batchSize: 1, learningRate: 0.5, proximalMu: 0.4))
        XCTAssertEqual(oneStep.delta, [0.5, -0.5, 0.25, -0.25], "the term vanishes at theta_start")

        // local_steps 2 on the one sample is the same two steps, the pull included.
        let twoSteps = train(model, from: start, on: data,
                             LocalTraining(work: .steps(2), batchSize: 1, learningRate: 0.5, proximalMu: 0.4))
        XCTAssertEqual(twoSteps, proximal)
        let threeSteps = train(model, from: start, on: data,
                               LocalTraining(work: .steps(3), batchSize: 1, learningRate: 0.5, proximalMu: 0.4))
        XCTAssertEqual(threeSteps.steps, 3)
        XCTAssertNotEqual(threeSteps.delta, proximal.delta)
    }

    func testTheTermIsRelativeToTheStartNotToZero() throws {
        // Adding the same constant to every class bias changes no softmax probability, so
        // the loss gradient is the same along both trajectories; the proximal pull depends
        // on theta - theta_start only, so the deltas agree. A pull towards 0 instead would
        // drag the shifted biases by mu * 3 per step.
        let model = try Sequential(.softmaxRegression(inputDim: 1, classes: 2))
        let data = Dataset(features: [2, -1, 0.5], labels: [0, 1, 1], featureCount: 1, classCount: 2)
        let settings = LocalTraining(work: .epochs(3), batchSize: 2, learningRate: 0.5, proximalMu: 1.5)
        let fromZero = train(model, from: [0, 0, 0, 0], on: data, settings)
        let fromShiftedBias = train(model, from: [0, 0, 3, 3], on: data, settings)
        assertClose(fromShiftedBias.delta, fromZero.delta)
    }

    func testLargerMuGivesASmallerUpdate() throws {
        let model = try Sequential(.softmaxRegression(inputDim: 3, classes: 3))
        var stream = RandomStream(seed: 8, purpose: .synthetic)
        let labels = (0..<60).map { Int32($0 % 3) }
        let features = labels.flatMap { label in
            (0..<3).map { feature in Float(stream.normal()) + (Int32(feature) == label ? 2 : 0) }
        }
        let data = Dataset(features: features, labels: labels, featureCount: 3, classCount: 3)
        let start = (0..<model.trainableParameterCount).map { _ in Float(stream.normal()) * 0.1 }
        for optimizer in [OptimizerKind.sgd, .momentum] {
            let norms = [Float(0), 0.1, 0.5, 2].map { mu -> Float in
                let delta = train(model, from: start, on: data,
                                  LocalTraining(work: .epochs(5), batchSize: 8, learningRate: 0.1, optimizer: optimizer,
                                                proximalMu: mu)).delta
                return delta.map { $0 * $0 }.reduce(0, +).squareRoot()
            }
            for (smaller, larger) in zip(norms.dropFirst(), norms) {
                XCTAssertLessThan(smaller, larger, "\(optimizer): norms \(norms)")
            }
        }
    }
}
