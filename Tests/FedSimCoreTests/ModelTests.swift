@testable import FedSimCore
import XCTest

/// Dense(3 -> 5) ReLU Dense(5 -> 4) ReLU Dense(4 -> 3), every layer trainable unless
/// `frozenMiddle`, which freezes the middle Dense layer.
func mixedStack(frozenMiddle: Bool = false) -> ModelSpec {
    ModelSpec(inputDim: 3, layers: [
        .dense(Dense(inputs: 3, outputs: 5, initialization: .heNormal)),
        .relu(ReLU(width: 5)),
        .dense(Dense(inputs: 5, outputs: 4, initialization: .heNormal, trainable: !frozenMiddle)),
        .relu(ReLU(width: 4)),
        .dense(Dense(inputs: 4, outputs: 3, initialization: .heNormal)),
    ])
}

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
        _ model: Sequential, _ parameters: [Float], _ data: Dataset
    ) -> (loss: Double, gradient: [Float]) {
        var gradient = [Float](repeating: .nan, count: model.trainableParameterCount)
        var workspace = ModelWorkspace()
        let loss = model.lossAndGradient(parameters: parameters, data: data, rows: Array(0..<data.count)[...],
                                         gradient: &gradient, workspace: &workspace)
        return (loss, gradient)
    }

    /// Compares the analytic gradient with central differences (L(p + h e_i) - L(p - h e_i)) / 2h
    /// of the full-batch mean loss, which `evaluate` computes independently of the backward pass.
    private func assertGradientMatchesFiniteDifferences(
        _ model: Sequential, _ parameters: [Float], _ data: Dataset,
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

    /// A naive Double forward pass over the documented layouts (a Dense layer's values are
    /// W row-major, inputs x outputs, then b, in the trainable or the frozen vector; a
    /// Conv2D's are W [filters, channels, kernel, kernel] then b, over images stored
    /// channels first): the mean loss, the smallest |value| any ReLU receives, and the
    /// smallest gap between the largest and the second largest value of a pooling window.
    private func referenceForward(
        _ model: Sequential, _ parameters: [Float], _ data: Dataset
    ) -> (meanLoss: Double, smallestReLUInput: Double, smallestPoolingGap: Double) {
        var rows = (0..<data.count).map { row in
            data.features[(row * data.featureCount)..<((row + 1) * data.featureCount)].map(Double.init)
        }
        var smallest = Double.infinity
        var smallestGap = Double.infinity
        for (index, layer) in model.spec.layers.enumerated() {
            switch layer {
            case .dense(let dense):
                let ranges = model.parameterRanges(ofLayer: index)
                let values = dense.trainable ? Array(parameters[ranges.trainable]) : Array(model.frozenParameters[ranges.frozen])
                rows = rows.map { input in
                    (0..<dense.outputs).map { column in
                        (0..<dense.inputs).reduce(Double(values[dense.inputs * dense.outputs + column])) {
                            $0 + input[$1] * Double(values[$1 * dense.outputs + column])
                        }
                    }
                }
            case .loraDense(let lora):
                // W = W0 + s (B A)^T, formed entry by entry in Double from the layouts.
                let ranges = model.parameterRanges(ofLayer: index)
                let frozen = Array(model.frozenParameters[ranges.frozen])
                let trainable = Array(parameters[ranges.trainable])
                let a = lora.trainsFactorA ? Array(trainable[0..<(lora.rank * lora.inputs)])
                    : Array(frozen[((lora.inputs + 1) * lora.outputs)...])
                let b = Array(trainable.suffix(lora.outputs * lora.rank))
                let scale = Double(lora.alpha) / Double(lora.rank)
                rows = rows.map { input in
                    (0..<lora.outputs).map { column in
                        (0..<lora.inputs).reduce(Double(frozen[lora.inputs * lora.outputs + column])) { sum, row in
                            let adapter = (0..<lora.rank).reduce(0.0) {
                                $0 + Double(b[column * lora.rank + $1]) * Double(a[$1 * lora.inputs + row])
                            }
                            return sum + input[row] * (Double(frozen[row * lora.outputs + column]) + scale * adapter)
                        }
                    }
                }
            case .relu:
                smallest = min(smallest, rows.flatMap { $0 }.map(abs).min()!)
                rows = rows.map { $0.map { max($0, 0) } }
            case .conv2D(let conv):
                let values = Array(parameters[model.parameterRanges(ofLayer: index).trainable]).map(Double.init)
                let (k, c) = (conv.kernel, conv.channels)
                rows = rows.map { input in
                    var output: [Double] = []
                    for filter in 0..<conv.filters {
                        for y in 0..<conv.outputRows {
                            for x in 0..<conv.outputColumns {
                                var sum = values[conv.filters * c * k * k + filter]
                                for channel in 0..<c {
                                    for i in 0..<k {
                                        for j in 0..<k {
                                            let (row, column) = (y * conv.stride - conv.padding + i, x * conv.stride - conv.padding + j)
                                            guard row >= 0, row < conv.rows, column >= 0, column < conv.columns else { continue }
                                            sum += values[((filter * c + channel) * k + i) * k + j]
                                                * input[(channel * conv.rows + row) * conv.columns + column]
                                        }
                                    }
                                }
                                output.append(sum)
                            }
                        }
                    }
                    return output
                }
            case .maxPool2D(let pool):
                rows = rows.map { input in
                    var output: [Double] = []
                    for channel in 0..<pool.channels {
                        for y in 0..<pool.outputRows {
                            for x in 0..<pool.outputColumns {
                                let window = (0..<(pool.size * pool.size)).map { offset in
                                    input[(channel * pool.rows + y * pool.size + offset / pool.size) * pool.columns
                                          + x * pool.size + offset % pool.size]
                                }.sorted(by: >)
                                // Windows of ReLU zeros have no gradient to get wrong.
                                if window.count > 1, window[0] != 0 { smallestGap = min(smallestGap, window[0] - window[1]) }
                                output.append(window[0])
                            }
                        }
                    }
                    return output
                }
            case .flatten:
                break
            }
        }
        let loss = zip(rows, data.labels).reduce(0.0) { total, pair in
            total + log(pair.0.map { exp($0) }.reduce(0, +)) - pair.0[Int(pair.1)]
        }
        return (loss / Double(data.count), smallest, smallestGap)
    }

    /// Finite differences on a stack with ReLUs: the values from the seed with biases (frozen
    /// ones too) moved off zero, and every ReLU input far from the kink a step of 1e-3 could cross.
    private func assertStackGradientMatchesFiniteDifferences(
        _ spec: ModelSpec, seed: UInt64, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let (initialized, start) = try Sequential.initialized(spec, seed: seed)
        var stream = RandomStream(seed: seed, purpose: .synthetic, counter: 1)
        let offZero = { (value: Float) in value == 0 ? Float(stream.normal() * 0.1) : value }
        let parameters = start.map(offZero)
        let model = try Sequential(spec, frozenParameters: initialized.frozenParameters.map(offZero))
        let data = randomDataset(rows: 6, features: spec.inputDim, classes: spec.classes, seed: seed)
        let reference = referenceForward(model, parameters, data)
        XCTAssertEqual(model.evaluate(parameters: parameters, on: data).meanLoss, reference.meanLoss, accuracy: 1e-5,
                       file: file, line: line)
        XCTAssertGreaterThan(reference.smallestReLUInput, 0.02, file: file, line: line)
        XCTAssertGreaterThan(reference.smallestPoolingGap, 0.003, file: file, line: line)
        assertGradientMatchesFiniteDifferences(model, parameters, data, file: file, line: line)
    }

    /// Spread over threads, an evaluation gives the same loss and accuracy, bit for bit:
    /// each row's loss is kept and the losses are summed in row order.
    func testAnEvaluationDoesNotDependOnItsThreadCount() throws {
        let spec = ModelSpec.multilayerPerceptron(inputDim: 5, hidden: [7], classes: 4)
        let (model, parameters) = try Sequential.initialized(spec, seed: 3)
        var stream = RandomStream(seed: 4, purpose: .synthetic)
        let rows = 10 * Sequential.evaluationChunkSize + 17
        let data = Dataset(features: (0..<(rows * 5)).map { _ in Float(stream.normal()) },
                           labels: (0..<rows).map { _ in Int32(stream.integer(below: 4)) }, featureCount: 5, classCount: 4)
        let single = model.evaluate(parameters: parameters, on: data, threads: 1)
        for threads in [2, 3, 16] {
            let spread = model.evaluate(parameters: parameters, on: data, threads: threads)
            XCTAssertEqual(spread.meanLoss.bitPattern, single.meanLoss.bitPattern, "\(threads) threads")
            XCTAssertEqual(spread.accuracy, single.accuracy, "\(threads) threads")
        }
        XCTAssertEqual(model.evaluate(parameters: parameters, on: data), single)
        XCTAssertEqual(single.count, rows)
    }

    func testSoftmaxWorkedExample() throws {
        // W = [[ln 3, 0], [0, 0]], b = [0, ln 2]; rows x1 = (1, 0) with label 0 and x2 = (0, 2)
        // with label 1. Logits: (ln 3, ln 2) -> p = (3/5, 2/5); (0, ln 2) -> p = (1/3, 2/3).
        // Loss = (-ln 3/5 - ln 2/3) / 2 = 0.458145. Errors E = (P - Y)/2 = [[-0.2, 0.2], [1/6, -1/6]].
        // dW = X^T E = [[-0.2, 0.2], [1/3, -1/3]]; db = column sums of E = [-1/30, 1/30].
        let model = try Sequential(.softmaxRegression(inputDim: 2, classes: 2))
        let parameters: [Float] = [Float(log(3.0)), 0, 0, 0, 0, Float(log(2.0))]
        let data = Dataset(features: [1, 0, 0, 2], labels: [0, 1], featureCount: 2, classCount: 2)
        let (loss, gradient) = lossAndGradient(model, parameters, data)
        XCTAssertEqual(loss, (-log(0.6) - log(2.0 / 3.0)) / 2, accuracy: 1e-6)
        XCTAssertEqual(loss, 0.458145, accuracy: 1e-6)
        let expected: [Float] = [-0.2, 0.2, 1.0 / 3, -1.0 / 3, -1.0 / 30, 1.0 / 30]
        for (got, want) in zip(gradient, expected) { XCTAssertEqual(got, want, accuracy: 1e-6) }
    }

    func testSoftmaxGradientMatchesFiniteDifferences() throws {
        let model = try Sequential(.softmaxRegression(inputDim: 3, classes: 4))
        var stream = RandomStream(seed: 3, purpose: .initialization)
        let parameters = (0..<model.trainableParameterCount).map { _ in Float(stream.normal()) }
        assertGradientMatchesFiniteDifferences(model, parameters, randomDataset(rows: 5, features: 3, classes: 4, seed: 4))
    }

    func testMixedStackGradientMatchesFiniteDifferences() throws {
        try assertStackGradientMatchesFiniteDifferences(mixedStack(), seed: 12)
    }

    func testGradientThroughAFrozenMiddleLayerMatchesFiniteDifferences() throws {
        let spec = mixedStack(frozenMiddle: true)
        XCTAssertEqual(spec.trainableParameterCount, (3 + 1) * 5 + (4 + 1) * 3)
        XCTAssertEqual(spec.frozenParameterCount, (5 + 1) * 4)
        try assertStackGradientMatchesFiniteDifferences(spec, seed: 12)
    }

    func testGradientBelowNothingButAFrozenFirstLayerMatchesFiniteDifferences() throws {
        // Dense(3 -> 6, frozen) then two trainable Dense layers without an activation between.
        let spec = ModelSpec(inputDim: 3, layers: [
            .dense(Dense(inputs: 3, outputs: 6, initialization: .heNormal, trainable: false)),
            .relu(ReLU(width: 6)),
            .dense(Dense(inputs: 6, outputs: 4, initialization: .heNormal)),
            .dense(Dense(inputs: 4, outputs: 3, initialization: .zeros)),
        ])
        try assertStackGradientMatchesFiniteDifferences(spec, seed: 5)
    }

    /// Dense(4 -> 6) ReLU Dense(6 -> 3), each with a rank-2 adapter (alpha 3); `A` trains
    /// in the first layer when `trainsFactorA`, never in the second.
    private func loraStack(trainsFactorA: Bool) -> ModelSpec {
        ModelSpec(inputDim: 4, layers: [
            .loraDense(LoRADense(inputs: 4, outputs: 6, rank: 2, alpha: 3, baseInitialization: .heNormal,
                                 trainsFactorA: trainsFactorA)),
            .relu(ReLU(width: 6)),
            .loraDense(LoRADense(inputs: 6, outputs: 3, rank: 2, alpha: 3, baseInitialization: .heNormal,
                                 trainsFactorA: false)),
        ])
    }

    /// Two channels of 5x5 through a padded 3x3 convolution, ReLU, 2x2 pooling (which drops
    /// the fifth row and column), a strided padded convolution, flatten and two dense layers.
    private let smallCNN = ModelSpec.layered(
        image: ImageShape(channels: 2, rows: 5, columns: 5),
        recipe: [.conv(filters: 3, kernel: 3, stride: 1, padding: 1), .relu, .maxPool(size: 2),
                 .conv(filters: 2, kernel: 2, stride: 2, padding: 1), .flatten, .dense(units: 4), .relu],
        classes: 3)

    func testConvolutionGradientsMatchFiniteDifferences() throws {
        try smallCNN.validate()
        XCTAssertEqual(smallCNN.layers.map(\.kindName),
                       ["conv2d", "relu", "maxpool2d", "conv2d", "flatten", "dense", "relu", "dense"])
        // 3x5x5 -> pooled 3x2x2 -> (2 + 2 - 2) / 2 + 1 = 2: 2x2x2 = 8 values.
        XCTAssertEqual(smallCNN.layers[4].layer.inputWidth, 8)
        XCTAssertEqual(smallCNN.trainableParameterCount, (2 * 9 + 1) * 3 + (3 * 4 + 1) * 2 + (8 + 1) * 4 + (4 + 1) * 3)
        // Without kinks: a padded and a strided convolution, straight into a dense layer.
        try assertStackGradientMatchesFiniteDifferences(.layered(
            image: ImageShape(channels: 2, rows: 5, columns: 5),
            recipe: [.conv(filters: 3, kernel: 3, stride: 1, padding: 1), .conv(filters: 2, kernel: 2, stride: 2, padding: 1),
                     .flatten], classes: 3), seed: 31)
    }

    func testPoolingGradientMatchesFiniteDifferences() throws {
        // 1x4x5 through a 2x2 convolution (2x3x4), then 2x2 pooling keeps 2x1x2.
        try assertStackGradientMatchesFiniteDifferences(.layered(
            image: ImageShape(channels: 1, rows: 4, columns: 5),
            recipe: [.conv(filters: 2, kernel: 2, stride: 1, padding: 0), .maxPool(size: 2), .flatten], classes: 3),
            seed: 40)
    }

    func testTheFedAvgCNNHasThePapersParameterCount() throws {
        let spec = ModelSpec.layered(image: ImageShape(channels: 1, rows: 28, columns: 28), recipe: ModelSpec.fedAvgCNN,
                                     classes: 10)
        try spec.validate()
        XCTAssertEqual(spec.trainableParameterCount, 1_663_370)
        XCTAssertEqual(ImageShape(features: 784), ImageShape(channels: 1, rows: 28, columns: 28))
        XCTAssertEqual(ImageShape(features: 60), ImageShape(channels: 1, rows: 1, columns: 60))
        // PyTorch's names and shapes for the convolution's tensors.
        let model = try Sequential(spec)
        let names = model.tensorShapes.prefix(2).map { "\($0.name) \($0.shape)" }
        XCTAssertEqual(names, ["layers.0.weight [32, 1, 5, 5]", "layers.0.bias [32]"])
    }

    func testImageLayersRefuseSizesThatDoNotFit() {
        let image = ImageShape(channels: 1, rows: 4, columns: 4)
        let cases: [(ModelSpec, String, String)] = [
            (.layered(image: image, recipe: [.conv(filters: 2, kernel: 3, stride: 1, padding: 3)], classes: 2),
             "layers[0].conv2d.padding", "is 3, not below the kernel 3"),
            (.layered(image: image, recipe: [.conv(filters: 2, kernel: 7, stride: 1, padding: 1)], classes: 2),
             "layers[0].conv2d.kernel", "is 7, larger than the padded 6 x 6 image"),
            (.layered(image: image, recipe: [.maxPool(size: 5)], classes: 2), "layers[0].maxpool2d.size",
             "is 5, larger than the 4 x 4 image"),
            (ModelSpec(inputDim: 15, layers: [.conv2D(Conv2D(channels: 1, rows: 4, columns: 4, filters: 1, kernel: 2))]),
             "layers[0].conv2d.channels", "takes channels x rows x columns = 16 values, but inputDim is 15"),
        ]
        for (spec, field, reason) in cases {
            XCTAssertThrowsError(try spec.validate()) { error in
                XCTAssertEqual(error as? ModelError, .invalidSpec(field: field, reason: reason))
            }
        }
    }

    func testLoRAGradientMatchesFiniteDifferences() throws {
        try assertStackGradientMatchesFiniteDifferences(loraStack(trainsFactorA: true), seed: 26)
        try assertStackGradientMatchesFiniteDifferences(loraStack(trainsFactorA: false), seed: 27)
    }

    func testLoRALayoutAndStartingValues() throws {
        // Trainable: A (2 x 4) then B (6 x 2) of layer 0, B (3 x 2) of layer 2; frozen: W0
        // (4 x 6) and b of layer 0, then W0 (6 x 3), b and A (2 x 6) of layer 2.
        let (model, parameters) = try Sequential.initialized(loraStack(trainsFactorA: true), seed: 5)
        XCTAssertEqual(model.trainableParameterCount, 8 + 12 + 6)
        XCTAssertEqual(model.frozenParameters.count, 30 + 21 + 12)
        XCTAssertEqual(model.adapters.map(\.factorA), [0..<8, 51..<63])
        XCTAssertEqual(model.adapters.map(\.factorB), [8..<20, 20..<26])
        XCTAssertEqual(model.adapterFactors, Array(model.frozenParameters[51..<63]))
        // B starts at zero and A in U(-1/sqrt(inputs), 1/sqrt(inputs)), so the model starts
        // as its base: the same loss as the Dense stack holding W0 and b.
        XCTAssert(parameters[8...].allSatisfy { $0 == 0 })
        XCTAssert(parameters[0..<8].allSatisfy { abs($0) <= 0.5 } && parameters[0..<8].contains { $0 != 0 })
        XCTAssert(model.adapterFactors.allSatisfy { abs($0) <= Float(1 / 6.0.squareRoot()) })
        let base = try Sequential(mixedBase(), frozenParameters: [])
        let baseValues = Array(model.frozenParameters[0..<30]) + Array(model.frozenParameters[30..<51])
        let data = randomDataset(rows: 7, features: 4, classes: 3, seed: 9)
        XCTAssertEqual(model.evaluate(parameters: parameters, on: data).meanLoss,
                       base.evaluate(parameters: baseValues, on: data).meanLoss, accuracy: 1e-6)
        // W0 draws as a Dense layer's weights: the same seed gives the same W0.
        let (dense, denseValues) = try Sequential.initialized(mixedBase(), seed: 5)
        XCTAssertEqual(Array(model.frozenParameters[0..<24]), Array(denseValues[0..<24]))
        XCTAssertEqual(dense.trainableParameterCount, 51)
    }

    /// The Dense stack a `loraStack` wraps.
    private func mixedBase() -> ModelSpec {
        ModelSpec(inputDim: 4, layers: [
            .dense(Dense(inputs: 4, outputs: 6, initialization: .heNormal)),
            .relu(ReLU(width: 6)),
            .dense(Dense(inputs: 6, outputs: 3, initialization: .heNormal)),
        ])
    }

    func testAdapterFactorsAreReplacedInPlace() throws {
        var (model, _) = try Sequential.initialized(loraStack(trainsFactorA: false), seed: 5)
        let frozen = model.frozenParameters
        let factors = (0..<model.adapterFactors.count).map { Float($0) }
        XCTAssertEqual(factors.count, 8 + 12)
        try model.setAdapterFactors(factors)
        XCTAssertEqual(model.adapterFactors, factors)
        XCTAssertEqual(Array(model.frozenParameters[0..<30]), Array(frozen[0..<30]))
        XCTAssertEqual(Array(model.frozenParameters[38..<59]), Array(frozen[38..<59]))
        XCTAssertThrowsError(try model.setAdapterFactors([1, 2])) { error in
            XCTAssertEqual("\(error)", "the model's frozen adapter factors hold 20 values, got 2")
        }
    }

    func testLossIsStableForHugeLogits() throws {
        // One feature, W = [1000, 0]: the logits (1000, 0) would overflow exp in Float;
        // log-softmax gives loss 1000 for label 1 and dL/dW = x (p - y) = (1, -1).
        let model = try Sequential(.softmaxRegression(inputDim: 1, classes: 2))
        let data = Dataset(features: [1], labels: [1], featureCount: 1, classCount: 2)
        let (loss, gradient) = lossAndGradient(model, [1000, 0, 0, 0], data)
        XCTAssertEqual(loss, 1000, accuracy: 1e-3)
        XCTAssertEqual(gradient, [1, -1, 1, -1])
    }

    func testReusedWorkspaceGivesTheSameResultAsAFreshOne() throws {
        let (model, parameters) = try Sequential.initialized(mixedStack(frozenMiddle: true), seed: 8)
        let data = randomDataset(rows: 6, features: 3, classes: 3, seed: 9)
        var workspace = ModelWorkspace()
        var gradient = [Float](repeating: 0, count: model.trainableParameterCount)
        _ = model.lossAndGradient(parameters: parameters, data: data, rows: [0, 1, 2, 3, 4][...],
                                  gradient: &gradient, workspace: &workspace)
        let reusedLoss = model.lossAndGradient(parameters: parameters, data: data, rows: [5, 2][...],
                                               gradient: &gradient, workspace: &workspace)
        var freshWorkspace = ModelWorkspace()
        var freshGradient = [Float](repeating: 0, count: model.trainableParameterCount)
        let freshLoss = model.lossAndGradient(parameters: parameters, data: data, rows: [5, 2][...],
                                              gradient: &freshGradient, workspace: &freshWorkspace)
        XCTAssertEqual(reusedLoss, freshLoss)
        XCTAssertEqual(gradient, freshGradient)
    }

    func testEvaluateHandMadeCase() throws {
        // W = [[1, 0, 0], [0, 1, 0]], b = [0, 0, 0.5].
        let model = try Sequential(.softmaxRegression(inputDim: 2, classes: 3))
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

    func testOffsetsAndParameterCountsOfAWorkedExample() throws {
        // Dense(3 -> 5): (3 + 1) * 5 = 20 trainable; ReLU: none; Dense(5 -> 4, frozen):
        // (5 + 1) * 4 = 24 frozen; ReLU: none; Dense(4 -> 3): (4 + 1) * 3 = 15 trainable.
        let (model, trainable) = try Sequential.initialized(mixedStack(frozenMiddle: true), seed: 2)
        XCTAssertEqual(model.trainableParameterCount, 35)
        XCTAssertEqual(model.frozenParameters.count, 24)
        XCTAssertEqual(trainable.count, 35)
        XCTAssertEqual(model.classes, 3)
        let expected: [(trainable: Range<Int>, frozen: Range<Int>)] = [
            (0..<20, 0..<0), (20..<20, 0..<0), (20..<20, 0..<24), (20..<20, 24..<24), (20..<35, 24..<24),
        ]
        for (layer, ranges) in expected.enumerated() {
            XCTAssertEqual(model.parameterRanges(ofLayer: layer).trainable, ranges.trainable, "layer \(layer)")
            XCTAssertEqual(model.parameterRanges(ofLayer: layer).frozen, ranges.frozen, "layer \(layer)")
        }
        // The frozen biases start at zero, the frozen weights do not.
        XCTAssertTrue(model.frozenParameters[20..<24].allSatisfy { $0 == 0 })
        XCTAssertTrue(model.frozenParameters[0..<20].allSatisfy { $0 != 0 })
    }

    func testInitializationDrawsLayerByLayerInRowMajorOrder() throws {
        // Every Dense weight of every layer, trainable or frozen, is the next draw of the
        // seed's initialization stream times sqrt(2 / inputs); zero layers draw nothing.
        let spec = ModelSpec(inputDim: 3, layers: [
            .dense(Dense(inputs: 3, outputs: 4, initialization: .zeros)),
            .relu(ReLU(width: 4)),
            .dense(Dense(inputs: 4, outputs: 2, initialization: .heNormal, trainable: false)),
            .dense(Dense(inputs: 2, outputs: 3, initialization: .heNormal)),
        ])
        let (model, trainable) = try Sequential.initialized(spec, seed: 17)
        var stream = RandomStream(seed: 17, purpose: .initialization)
        let frozenWeights = (0..<8).map { _ in Float(stream.normal() * (2.0 / 4).squareRoot()) }
        let lastWeights = (0..<6).map { _ in Float(stream.normal() * (2.0 / 2).squareRoot()) }
        XCTAssertEqual(model.frozenParameters, frozenWeights + [0, 0])
        XCTAssertEqual(trainable, [Float](repeating: 0, count: 16) + lastWeights + [0, 0, 0])
    }

    func testHeNormalStatisticsAndZeroBiases() throws {
        // Layer 0 weights have standard deviation sqrt(2/200) = 0.1, layer 1 weights
        // sqrt(2/100); biases are zero. Layout: W0 [0, 20000), b0 [20000, 20100),
        // W1 [20100, 21100), b1 [21100, 21110).
        let (mlp, parameters) = try Sequential.initialized(
            .multilayerPerceptron(inputDim: 200, hidden: [100], classes: 10), seed: 1)
        XCTAssertEqual(mlp.trainableParameterCount, 21110)
        func standardDeviation(_ values: ArraySlice<Float>) -> Double {
            let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
            return (values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)).squareRoot()
        }
        XCTAssertEqual(standardDeviation(parameters[0..<20000]), 0.1, accuracy: 0.003)
        XCTAssertEqual(standardDeviation(parameters[20100..<21100]), (2.0 / 100).squareRoot(), accuracy: 0.01)
        XCTAssertTrue(parameters[20000..<20100].allSatisfy { $0 == 0 })
        XCTAssertTrue(parameters[21100..<21110].allSatisfy { $0 == 0 })

        let (softmax, zeros) = try Sequential.initialized(.softmaxRegression(inputDim: 3, classes: 4), seed: 1)
        XCTAssertEqual(softmax.trainableParameterCount, (3 + 1) * 4)
        XCTAssertEqual(zeros, [Float](repeating: 0, count: 16))
    }

    func testTheSameSpecAndSeedGiveTheSameFrozenValues() throws {
        // What a coordinator and a worker each compute from (spec, seed).
        let spec = mixedStack(frozenMiddle: true)
        let (coordinator, coordinatorStart) = try Sequential.initialized(spec, seed: 31)
        let (worker, _) = try Sequential.initialized(spec, seed: 31)
        XCTAssertEqual(worker.frozenParameters.map(\.bitPattern), coordinator.frozenParameters.map(\.bitPattern))
        XCTAssertEqual(worker.spec, coordinator.spec)
        let data = randomDataset(rows: 7, features: 3, classes: 3, seed: 31)
        XCTAssertEqual(worker.evaluate(parameters: coordinatorStart, on: data),
                       coordinator.evaluate(parameters: coordinatorStart, on: data))
        XCTAssertNotEqual(try Sequential.initialized(spec, seed: 32).model.frozenParameters, coordinator.frozenParameters)
    }

    func testFactorySpecs() {
        XCTAssertEqual(ModelSpec.softmaxRegression(inputDim: 64, classes: 10), ModelSpec(inputDim: 64, layers: [
            .dense(Dense(inputs: 64, outputs: 10, initialization: .zeros)),
        ]))
        let mlp = ModelSpec.multilayerPerceptron(inputDim: 64, hidden: [32, 16], classes: 10)
        XCTAssertEqual(mlp, ModelSpec(inputDim: 64, layers: [
            .dense(Dense(inputs: 64, outputs: 32, initialization: .heNormal)),
            .relu(ReLU(width: 32)),
            .dense(Dense(inputs: 32, outputs: 16, initialization: .heNormal)),
            .relu(ReLU(width: 16)),
            .dense(Dense(inputs: 16, outputs: 10, initialization: .heNormal)),
        ]))
        XCTAssertEqual(mlp.classes, 10)
        XCTAssertEqual(mlp.trainableParameterCount, 65 * 32 + 33 * 16 + 17 * 10)
        XCTAssertEqual(mlp.frozenParameterCount, 0)
    }

    func testInvalidSpecsAreRefusedNamingTheField() {
        let dense = { (inputs: Int, outputs: Int) in LayerSpec.dense(Dense(inputs: inputs, outputs: outputs, initialization: .zeros)) }
        let invalid: [(ModelSpec, field: String, reason: String)] = [
            (ModelSpec(inputDim: 0, layers: [dense(0, 2)]), "inputDim", "must be in 1...16777216, got 0"),
            (ModelSpec(inputDim: 2, layers: []), "layers", "must hold at least one layer"),
            (ModelSpec(inputDim: 2, layers: [dense(2, 4), .relu(ReLU(width: 4)), dense(4, 0)]),
             "layers[2].dense.outputs", "must be in 1...16777216, got 0"),
            (ModelSpec(inputDim: 2, layers: [dense(3, 4)]), "layers[0].dense.inputs", "is 3, but inputDim is 2"),
            (ModelSpec(inputDim: 2, layers: [dense(2, 4), .relu(ReLU(width: 5))]),
             "layers[1].relu.width", "is 5, but layers[0]'s output width is 4"),
            (ModelSpec(inputDim: 2, layers: [dense(2, 1 << 25)]),
             "layers[0].dense.outputs", "must be in 1...16777216, got 33554432"),
            (ModelSpec(inputDim: 1 << 24, layers: Array(repeating: dense(1 << 24, 1 << 24), count: 40000)),
             "layers", "hold more parameters than Int can count"),
            (ModelSpec(inputDim: 2, layers: [.loraDense(LoRADense(inputs: 2, outputs: 5, rank: 3, alpha: 1,
                                                                  baseInitialization: .zeros, trainsFactorA: true))]),
             "layers[0].lora_dense.rank", "is 3, above min(inputs, outputs) = 2"),
            (ModelSpec(inputDim: 2, layers: [.loraDense(LoRADense(inputs: 2, outputs: 5, rank: 0, alpha: 1,
                                                                  baseInitialization: .zeros, trainsFactorA: true))]),
             "layers[0].lora_dense.rank", "must be in 1...16777216, got 0"),
        ]
        for (spec, field, reason) in invalid {
            XCTAssertThrowsError(try spec.validate(), field) { error in
                XCTAssertEqual(error as? ModelError, .invalidSpec(field: field, reason: reason))
            }
            XCTAssertThrowsError(try Sequential(spec), field)
        }
        XCTAssertEqual("\(ModelError.invalidSpec(field: "layers", reason: "must hold at least one layer"))",
                       "invalid model spec: layers: must hold at least one layer")
    }
}
