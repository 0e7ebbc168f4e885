import Foundation

/// A classifier made of layers applied in order, trained with softmax cross-entropy on
/// the last layer's outputs (the logits). Softmax regression and the MLP are the
/// `Sequential`s of `ModelSpec.softmaxRegression` and `ModelSpec.multilayerPerceptron`.
///
/// Parameters are split in two flat vectors. The trainable vector (layer by layer, each
/// layer's trainable values in its own layout) is what the optimizer updates, the
/// coordinator broadcasts and clients return as updates: servers aggregate, clip and
/// noise it with single vector operations. The frozen vector holds what training never
/// changes (frozen layers); a model value is the architecture plus its frozen values,
/// and every function takes the trainable vector as an argument. The values a run starts
/// from come from `initialized(_:seed:)` or a model file (`ModelFile`); the frozen ones
/// travel once, to each worker, and never again.
///
/// The mutable scratch memory a training step needs lives in a caller-owned
/// `ModelWorkspace`. Every product goes through `BLAS.gemm` on the whole batch.
public struct Sequential: Sendable {
    public let spec: ModelSpec
    /// The frozen layers' values, layer by layer.
    public internal(set) var frozenParameters: [Float]
    /// Length of the trainable vector.
    public let trainableParameterCount: Int

    let layers: [any Layer]
    /// Layer l's slice of the trainable vector is `trainableOffsets[l]..<trainableOffsets[l + 1]`.
    private let trainableOffsets: [Int]
    /// Layer l's slice of the frozen vector is `frozenOffsets[l]..<frozenOffsets[l + 1]`.
    private let frozenOffsets: [Int]
    /// The widths of levels 0..<level summed, level 0 being the input and level l + 1
    /// layer l's output: where each level's rows start in a workspace (times the batch).
    private let widthPrefix: [Int]
    /// The first layer with trainable parameters (the layer count if none has any): the
    /// backward pass stops there, since nothing below it learns.
    let firstTrainableLayer: Int

    /// Rows `evaluate` pushes through the model at a time.
    static let evaluationChunkSize = 256

    /// The model `spec` describes, holding `frozenParameters` (which may be omitted when
    /// the spec has no frozen layer). For the values a run starts from, use
    /// `initialized(_:seed:)`.
    /// - Throws: `ModelError.invalidSpec` if `spec.validate()` does.
    /// - Precondition: `frozenParameters.count == spec.frozenParameterCount`.
    public init(_ spec: ModelSpec, frozenParameters: [Float] = []) throws {
        try spec.validate()
        self.spec = spec
        layers = spec.layers.map(\.layer)
        var trainable = [0]
        var frozen = [0]
        var widths = [0, spec.inputDim]
        for layer in layers {
            trainable.append(trainable[trainable.count - 1] + layer.trainableParameterCount)
            frozen.append(frozen[frozen.count - 1] + layer.frozenParameterCount)
            widths.append(widths[widths.count - 1] + layer.outputWidth)
        }
        trainableOffsets = trainable
        frozenOffsets = frozen
        widthPrefix = widths
        trainableParameterCount = trainable[trainable.count - 1]
        firstTrainableLayer = layers.firstIndex { $0.trainableParameterCount > 0 } ?? layers.count
        precondition(frozenParameters.count == frozen[frozen.count - 1],
                     "the model has \(frozen[frozen.count - 1]) frozen parameters, got \(frozenParameters.count)")
        self.frozenParameters = frozenParameters
    }

    /// The model `spec` describes and the trainable vector it starts from, drawn from
    /// `RandomStream(seed: seed, purpose: .initialization)`: layer by layer in order, each
    /// layer drawing its trainable and frozen values as its initialization says (biases
    /// zero, zero-initialized layers draw nothing).
    ///
    /// A run without a base model file starts here: the coordinator keeps the model,
    /// sends its frozen vector to each worker once (in `Assign`) and broadcasts the
    /// trainable one. The values are a pure function of (spec, seed). O(parameter count)
    /// draws.
    /// - Throws: `ModelError.invalidSpec` if `spec.validate()` does.
    public static func initialized(_ spec: ModelSpec, seed: UInt64) throws -> (model: Sequential, trainableParameters: [Float]) {
        var model = try Sequential(spec, frozenParameters: [Float](repeating: 0, count: spec.frozenParameterCount))
        var trainable = [Float](repeating: 0, count: model.trainableParameterCount)
        var frozen = model.frozenParameters
        var rng = RandomStream(seed: seed, purpose: .initialization)
        trainable.withUnsafeMutableBufferPointer { trainable in
            frozen.withUnsafeMutableBufferPointer { frozen in
                for (index, layer) in model.layers.enumerated() {
                    let ranges = model.parameterRanges(ofLayer: index)
                    layer.initialize(trainable: UnsafeMutableBufferPointer(rebasing: trainable[ranges.trainable]),
                                     frozen: UnsafeMutableBufferPointer(rebasing: frozen[ranges.frozen]), using: &rng)
                }
            }
        }
        model.frozenParameters = frozen
        return (model, trainable)
    }

    public var inputDim: Int { spec.inputDim }
    public var classes: Int { spec.classes }

    /// Where layer `index`'s values sit in the trainable and in the frozen vector
    /// (empty ranges for what it does not have).
    public func parameterRanges(ofLayer index: Int) -> (trainable: Range<Int>, frozen: Range<Int>) {
        (trainableOffsets[index]..<trainableOffsets[index + 1], frozenOffsets[index]..<frozenOffsets[index + 1])
    }

    /// Values per row of a workspace holding every level: the input and each layer's output.
    var activationWidth: Int { widthPrefix[widthPrefix.count - 1] }
    /// Values per row of a workspace holding the errors of every layer's output.
    var errorWidth: Int { activationWidth - inputDim }

    func checkShapes(parameters: [Float], data: Dataset) {
        precondition(parameters.count == trainableParameterCount,
                     "the model has \(trainableParameterCount) trainable parameters, got a vector of \(parameters.count)")
        precondition(data.featureCount == inputDim,
                     "the model takes \(inputDim) features, the dataset has \(data.featureCount)")
    }

    /// Calls `body` with a pass over `batch` rows whose values and errors live in
    /// `workspace` (reserved for them), with `parameters` as the trainable vector.
    func withPass<Result>(
        parameters: [Float], workspace: inout ModelWorkspace, batch: Int, _ body: (Pass) -> Result
    ) -> Result {
        parameters.withUnsafeBufferPointer { trainable in
            frozenParameters.withUnsafeBufferPointer { frozen in
                workspace.withBuffers { buffers in
                    body(Pass(model: self, trainable: trainable, frozen: frozen, workspace: buffers, batch: batch))
                }
            }
        }
    }

    /// One batch going through the model: the parameters and the workspace's memory.
    ///
    /// Level 0 holds the gathered input rows (batch x inputDim), level l + 1 layer l's
    /// outputs (batch x its output width); the errors of level l >= 1 are
    /// dLoss/d(values of level l), laid out the same way from level 1 on.
    struct Pass {
        let model: Sequential
        let trainable: UnsafeBufferPointer<Float>
        let frozen: UnsafeBufferPointer<Float>
        let workspace: ModelWorkspace.Buffers
        let batch: Int

        /// The rows of level `level`.
        func values(_ level: Int) -> UnsafeMutableBufferPointer<Float> {
            UnsafeMutableBufferPointer(rebasing: workspace.activations[
                (batch * model.widthPrefix[level])..<(batch * model.widthPrefix[level + 1])])
        }

        /// dLoss/d(rows of level `level`), for `level` >= 1.
        func valueErrors(_ level: Int) -> UnsafeMutableBufferPointer<Float> {
            let start = model.widthPrefix[level] - model.inputDim
            let end = model.widthPrefix[level + 1] - model.inputDim
            return UnsafeMutableBufferPointer(rebasing: workspace.errors[(batch * start)..<(batch * end)])
        }

        /// Layer `index`'s slices of the trainable and frozen vectors.
        func parameters(_ index: Int) -> LayerParameters {
            let ranges = model.parameterRanges(ofLayer: index)
            return LayerParameters(trainable: UnsafeBufferPointer(rebasing: trainable[ranges.trainable]),
                                   frozen: UnsafeBufferPointer(rebasing: frozen[ranges.frozen]))
        }

        /// The logits: the last level's rows.
        var logits: UnsafeBufferPointer<Float> { UnsafeBufferPointer(values(model.layers.count)) }

        /// Copies the feature rows `rows` into level 0, checking every row index and label.
        func gather<Rows: Collection>(_ rows: Rows, of data: Dataset) where Rows.Element == Int {
            let (width, classes) = (model.inputDim, model.classes)
            let input = values(0)
            data.features.withUnsafeBufferPointer { features in
                for (position, row) in rows.enumerated() {
                    precondition(row >= 0 && row < data.count, "row \(row) is outside the dataset's 0..<\(data.count)")
                    let label = data.labels[row]
                    precondition(label >= 0 && Int(label) < classes,
                                 "label \(label) of row \(row) is outside the model's classes 0..<\(classes)")
                    _ = UnsafeMutableBufferPointer(rebasing: input[(position * width)..<((position + 1) * width)])
                        .update(fromContentsOf: features[(row * width)..<((row + 1) * width)])
                }
            }
        }

        /// Runs the gathered rows through every layer in order.
        func forward() {
            for (index, layer) in model.layers.enumerated() {
                layer.forward(UnsafeBufferPointer(values(index)), into: values(index + 1), batch: batch,
                              parameters: parameters(index))
            }
        }

        /// Layer `index` turns the errors of its output into the errors of its input.
        func propagateErrors(through index: Int) {
            model.layers[index].propagateErrors(
                UnsafeBufferPointer(valueErrors(index + 1)), into: valueErrors(index),
                input: UnsafeBufferPointer(values(index)), output: UnsafeBufferPointer(values(index + 1)),
                batch: batch, parameters: parameters(index))
        }

        /// Layer `index`'s slice of `gradient` from its inputs and output errors.
        func gradient(of index: Int, into gradient: UnsafeMutableBufferPointer<Float>) {
            model.layers[index].gradient(
                input: UnsafeBufferPointer(values(index)), outputErrors: UnsafeBufferPointer(valueErrors(index + 1)),
                batch: batch, parameters: parameters(index),
                into: UnsafeMutableBufferPointer(rebasing: gradient[model.parameterRanges(ofLayer: index).trainable]))
        }

        /// Writes `scale * (softmax(z) - onehot(y))` over the last level's errors (dLoss/dlogits
        /// of the batch mean for `scale` = 1 / batch, of each example's own loss for 1) and
        /// returns the summed cross-entropy of the rows.
        func outputErrors(rows: ArraySlice<Int>, labels: [Int32], scale: Double) -> Double {
            let classes = model.classes
            let logits = logits
            let outputErrors = valueErrors(model.layers.count)
            var totalLoss = 0.0
            for (position, row) in rows.enumerated() {
                let label = Int(labels[row])
                let rowStart = position * classes
                let rowLogits = UnsafeBufferPointer(rebasing: logits[rowStart..<(rowStart + classes)])
                let logNormalizer = Sequential.logSumExp(rowLogits)
                totalLoss += logNormalizer - Double(rowLogits[label])
                for column in 0..<classes {
                    let probability = exp(Double(rowLogits[column]) - logNormalizer)
                    let target = column == label ? 1.0 : 0.0
                    outputErrors[rowStart + column] = Float((probability - target) * scale)
                }
            }
            return totalLoss
        }
    }

    // MARK: Row helpers

    /// `log sum_j exp(z_j)`, computed as `m + log sum_j exp(z_j - m)` with `m = max_j z_j`
    /// so no exponential overflows; in Double.
    static func logSumExp(_ logits: UnsafeBufferPointer<Float>) -> Double {
        var maximum = -Double.infinity
        for value in logits { maximum = max(maximum, Double(value)) }
        var sum = 0.0
        for value in logits { sum += exp(Double(value) - maximum) }
        return maximum + log(sum)
    }

    /// Index of the largest value, the first one on ties.
    static func firstMaximum(_ values: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for index in 1..<values.count where values[index] > values[best] { best = index }
        return best
    }
}
