@testable import FedSimCore
import XCTest

final class ModelTests: XCTestCase {
    override func setUp() {
        BLAS.useSingleThread()
    }

    private func randomDataset(rows: Int, features: Int, classes: Int, seed: UInt64) -> Dataset {
        var stream = RandomStream(seed: seed, purpose: .synthetic)
        return Dataset(features: (0..<(rows * features)).map { _ in Float(stream.normal()) },
                       labels: (0..<rows).map { _ in Int32(stream.integer(below: classes)) },
                       featureCount: features, classCount: classes)
    }

    private func lossAndGradient(
        _ model: any ClassificationModel, _ parameters: [Float], _ data: Dataset
    ) -> (loss: Double, gradient: [Float]) {
        var gradient = [Float](repeating: .nan, count: model.parameterCount)
        var workspace = ModelWorkspace()
        let loss = model.lossAndGradient(parameters: parameters, data: data, rows: Array(0..<data.count)[...],
                                         gradient: &gradient, workspace: &workspace)
        return (loss, gradient)
    }

    /// Compares the analytic gradient with central differences (L(p + h e_i) - L(p - h e_i)) / 2h
    /// of the full-batch mean loss, which `evaluate` computes independently of the backward pass.
    private func assertGradientMatchesFiniteDifferences(
        _ model: any ClassificationModel, _ parameters: [Float], _ data: Dataset,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let (loss, gradient) = lossAndGradient(model, parameters, data)
        XCTAssertEqual(loss, model.evaluate(parameters: parameters, on: data).meanLoss, accuracy: 1e-6,
                       file: file, line: line)
        let step: Float = 1e-3
        for index in parameters.indices {
            var plus = parameters
            plus[index] += step
            var minus = parameters
            minus[index] -= step
            let numeric = (model.evaluate(parameters: plus, on: data).meanLoss
                - model.evaluate(parameters: minus, on: data).meanLoss) / Double(plus[index] - minus[index])
            XCTAssertEqual(Double(gradient[index]), numeric, accuracy: 1e-3 + 1e-2 * abs(numeric),
                           "parameter \(index)", file: file, line: line)
        }
    }

    func testSoftmaxWorkedExample() throws {
        // W = [[ln 3, 0], [0, 0]], b = [0, ln 2]; rows x1 = (1, 0) with label 0 and x2 = (0, 2)
        // with label 1. Logits: (ln 3, ln 2) -> p = (3/5, 2/5); (0, ln 2) -> p = (1/3, 2/3).
        // Loss = (-ln 3/5 - ln 2/3) / 2 = 0.458145. Errors E = (P - Y)/2 = [[-0.2, 0.2], [1/6, -1/6]].
        // dW = X^T E = [[-0.2, 0.2], [1/3, -1/3]]; db = column sums of E = [-1/30, 1/30].
        let model = try makeModel(ModelSpec(kind: .softmax, inputDim: 2, classes: 2))
        let parameters: [Float] = [Float(log(3.0)), 0, 0, 0, 0, Float(log(2.0))]
        let data = Dataset(features: [1, 0, 0, 2], labels: [0, 1], featureCount: 2, classCount: 2)
        let (loss, gradient) = lossAndGradient(model, parameters, data)
        XCTAssertEqual(loss, (-log(0.6) - log(2.0 / 3.0)) / 2, accuracy: 1e-6)
        XCTAssertEqual(loss, 0.458145, accuracy: 1e-6)
        let expected: [Float] = [-0.2, 0.2, 1.0 / 3, -1.0 / 3, -1.0 / 30, 1.0 / 30]
        for (got, want) in zip(gradient, expected) { XCTAssertEqual(got, want, accuracy: 1e-6) }
    }

    func testSoftmaxGradientMatchesFiniteDifferences() throws {
        let model = try makeModel(ModelSpec(kind: .softmax, inputDim: 3, classes: 4))
        var stream = RandomStream(seed: 3, purpose: .initialization)
        let parameters = (0..<model.parameterCount).map { _ in Float(stream.normal()) }
        assertGradientMatchesFiniteDifferences(model, parameters, randomDataset(rows: 5, features: 3, classes: 4, seed: 4))
    }

    /// The smallest |pre-activation| of any hidden unit on any row, by a naive Double
    /// forward pass over the documented layout (per layer: W row-major fanIn x fanOut, then b).
    private func smallestHiddenPreActivation(widths: [Int], parameters: [Float], data: Dataset) -> Double {
        var activations = data.features.map(Double.init)
        var offset = 0
        var smallest = Double.infinity
        for layer in 0..<(widths.count - 1) {
            let (fanIn, fanOut) = (widths[layer], widths[layer + 1])
            var outputs = [Double](repeating: 0, count: data.count * fanOut)
            for row in 0..<data.count {
                for column in 0..<fanOut {
                    var value = Double(parameters[offset + fanIn * fanOut + column])
                    for inner in 0..<fanIn {
                        value += activations[row * fanIn + inner] * Double(parameters[offset + inner * fanOut + column])
                    }
                    if layer < widths.count - 2 {
                        smallest = min(smallest, abs(value))
                        value = max(value, 0)
                    }
                    outputs[row * fanOut + column] = value
                }
            }
            offset += (fanIn + 1) * fanOut
            activations = outputs
        }
        return smallest
    }

    func testMLPGradientMatchesFiniteDifferences() throws {
        let model = try makeModel(ModelSpec(kind: .mlp, inputDim: 3, classes: 3, hidden: [5, 4]))
        var stream = RandomStream(seed: 12, purpose: .initialization)
        var parameters = model.initialParameters(using: &stream)
        // Non-zero biases so the bias gradients are exercised away from the initial point.
        for index in parameters.indices where parameters[index] == 0 { parameters[index] = Float(stream.normal() * 0.1) }
        let data = randomDataset(rows: 6, features: 3, classes: 3, seed: 12)
        // Central differences are only valid away from ReLU kinks: every hidden pre-activation
        // must stay clear of zero by much more than a step of 1e-3 can move it.
        XCTAssertGreaterThan(smallestHiddenPreActivation(widths: [3, 5, 4, 3], parameters: parameters, data: data), 0.05)
        assertGradientMatchesFiniteDifferences(model, parameters, data)
    }

    func testLossIsStableForHugeLogits() throws {
        // One feature, W = [1000, 0]: the logits (1000, 0) would overflow exp in Float;
        // log-softmax gives loss 1000 for label 1 and dL/dW = x (p - y) = (1, -1).
        let model = try makeModel(ModelSpec(kind: .softmax, inputDim: 1, classes: 2))
        let data = Dataset(features: [1], labels: [1], featureCount: 1, classCount: 2)
        let (loss, gradient) = lossAndGradient(model, [1000, 0, 0, 0], data)
        XCTAssertEqual(loss, 1000, accuracy: 1e-3)
        XCTAssertEqual(gradient, [1, -1, 1, -1])
    }

    func testReusedWorkspaceGivesTheSameResultAsAFreshOne() throws {
        let model = try makeModel(ModelSpec(kind: .mlp, inputDim: 3, classes: 3, hidden: [4]))
        var stream = RandomStream(seed: 8, purpose: .initialization)
        let parameters = model.initialParameters(using: &stream)
        let data = randomDataset(rows: 6, features: 3, classes: 3, seed: 9)
        var workspace = ModelWorkspace()
        var gradient = [Float](repeating: 0, count: model.parameterCount)
        _ = model.lossAndGradient(parameters: parameters, data: data, rows: [0, 1, 2, 3, 4][...],
                                  gradient: &gradient, workspace: &workspace)
        let reusedLoss = model.lossAndGradient(parameters: parameters, data: data, rows: [5, 2][...],
                                               gradient: &gradient, workspace: &workspace)
        var freshWorkspace = ModelWorkspace()
        var freshGradient = [Float](repeating: 0, count: model.parameterCount)
        let freshLoss = model.lossAndGradient(parameters: parameters, data: data, rows: [5, 2][...],
                                              gradient: &freshGradient, workspace: &freshWorkspace)
        XCTAssertEqual(reusedLoss, freshLoss)
        XCTAssertEqual(gradient, freshGradient)
    }

    func testEvaluateHandMadeCase() throws {
        // W = [[1, 0, 0], [0, 1, 0]], b = [0, 0, 0.5].
        let model = try makeModel(ModelSpec(kind: .softmax, inputDim: 2, classes: 3))
        let parameters: [Float] = [1, 0, 0, 0, 1, 0, 0, 0, 0.5]
        let data = Dataset(
            features: [2, 0, /**/ 0, 3, /**/ 0, 0, /**/ 1, 0, /**/ 0.5, 0],
            labels: [0, 1, 2, 1, 2], featureCount: 2, classCount: 3)
        // Logits: (2, 0, .5) right; (0, 3, .5) right; (0, 0, .5) right; (1, 0, .5) wrong;
        // (.5, 0, .5) ties classes 0 and 2, the first maximum (0) wins: wrong. Accuracy 3/5.
        let logits: [[Double]] = [[2, 0, 0.5], [0, 3, 0.5], [0, 0, 0.5], [1, 0, 0.5], [0.5, 0, 0.5]]
        let expectedLoss = zip(logits, data.labels).map { row, label in
            log(row.map { exp($0) }.reduce(0, +)) - row[Int(label)]
        }.reduce(0, +) / 5
        let evaluation = model.evaluate(parameters: parameters, on: data)
        XCTAssertEqual(evaluation.accuracy, 0.6)
        XCTAssertEqual(evaluation.meanLoss, expectedLoss, accuracy: 1e-6)
        XCTAssertEqual(evaluation.count, 5)

        // 120 copies (600 rows) span several evaluation chunks and give the same numbers.
        let copies = data.subset((0..<600).map { $0 % 5 })
        let chunked = model.evaluate(parameters: parameters, on: copies)
        XCTAssertEqual(chunked.accuracy, 0.6)
        XCTAssertEqual(chunked.meanLoss, expectedLoss, accuracy: 1e-6)

        let empty = Dataset(features: [], labels: [], featureCount: 2, classCount: 3)
        XCTAssertEqual(model.evaluate(parameters: parameters, on: empty), Evaluation(meanLoss: 0, accuracy: 0, count: 0))
    }

    func testParameterCountsAndInitialization() throws {
        let softmax = try makeModel(ModelSpec(kind: .softmax, inputDim: 3, classes: 4))
        XCTAssertEqual(softmax.parameterCount, (3 + 1) * 4)
        var stream = RandomStream(seed: 1, purpose: .initialization)
        XCTAssertEqual(softmax.initialParameters(using: &stream), [Float](repeating: 0, count: 16))

        let small = try makeModel(ModelSpec(kind: .mlp, inputDim: 3, classes: 3, hidden: [5, 4]))
        XCTAssertEqual(small.parameterCount, (3 + 1) * 5 + (5 + 1) * 4 + (4 + 1) * 3)

        // He-normal: layer 0 weights have standard deviation sqrt(2/200) = 0.1, layer 1
        // weights sqrt(2/100); biases are zero. Layout: W0 [0, 20000), b0 [20000, 20100),
        // W1 [20100, 21100), b1 [21100, 21110).
        let mlp = try makeModel(ModelSpec(kind: .mlp, inputDim: 200, classes: 10, hidden: [100]))
        XCTAssertEqual(mlp.parameterCount, 21110)
        let parameters = mlp.initialParameters(using: &stream)
        func standardDeviation(_ values: ArraySlice<Float>) -> Double {
            let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
            return (values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)).squareRoot()
        }
        XCTAssertEqual(standardDeviation(parameters[0..<20000]), 0.1, accuracy: 0.003)
        XCTAssertEqual(standardDeviation(parameters[20100..<21100]), (2.0 / 100).squareRoot(), accuracy: 0.01)
        XCTAssertTrue(parameters[20000..<20100].allSatisfy { $0 == 0 })
        XCTAssertTrue(parameters[21100..<21110].allSatisfy { $0 == 0 })

        var again = RandomStream(seed: 1, purpose: .initialization)
        _ = softmax.initialParameters(using: &again)
        XCTAssertEqual(mlp.initialParameters(using: &again), parameters)
    }

    func testMakeModelRejectsInvalidSpecs() {
        let invalid: [(ModelSpec, String)] = [
            (ModelSpec(kind: .softmax, inputDim: 0, classes: 2), "inputDim must be at least 1, got 0"),
            (ModelSpec(kind: .mlp, inputDim: 2, classes: 0, hidden: [3]), "classes must be at least 1, got 0"),
            (ModelSpec(kind: .mlp, inputDim: 2, classes: 2), "an MLP needs at least one hidden layer"),
            (ModelSpec(kind: .mlp, inputDim: 2, classes: 2, hidden: [4, 0]),
             "hidden layer 1 has width 0; widths must be at least 1"),
            (ModelSpec(kind: .softmax, inputDim: 2, classes: 2, hidden: [4]),
             "softmax regression has no hidden layers, got hidden [4]"),
        ]
        for (spec, message) in invalid {
            XCTAssertThrowsError(try makeModel(spec)) { error in
                XCTAssertEqual(error as? ModelError, .invalidSpec(message))
            }
        }
    }
}
