/// A fully connected layer, `y = x W + b` with `W` inputs x outputs.
///
/// Its values, `W` row-major then `b` ((inputs + 1) * outputs of them), sit in the
/// model's trainable vector, or in its frozen vector when `trainable` is false. A frozen
/// Dense keeps its initial values: it has no gradient and adds nothing to an example's
/// gradient norm, but still carries errors down to the layers below it.
public struct Dense: Equatable, Sendable {
    public var inputs: Int
    public var outputs: Int
    /// How `W` starts; `b` starts at zero.
    public var initialization: WeightInitialization
    /// Whether training updates the layer (true by default).
    public var trainable: Bool

    public init(inputs: Int, outputs: Int, initialization: WeightInitialization, trainable: Bool = true) {
        self.inputs = inputs
        self.outputs = outputs
        self.initialization = initialization
        self.trainable = trainable
    }
}

extension Dense: Layer {
    var inputWidth: Int { inputs }
    var outputWidth: Int { outputs }
    var trainableParameterCount: Int { trainable ? valueCount : 0 }
    var frozenParameterCount: Int { trainable ? 0 : valueCount }

    /// PyTorch's `Linear`: `weight` of shape [outputs, inputs], which is `W` transposed,
    /// and `bias` of shape [outputs].
    var tensors: [LayerTensor] {
        [LayerTensor(name: "weight", shape: [outputs, inputs], isTrainable: trainable, offset: 0, isTransposed: true),
         LayerTensor(name: "bias", shape: [outputs], isTrainable: trainable, offset: weightCount, isTransposed: false)]
    }

    private var valueCount: Int { (inputs + 1) * outputs }
    private var weightCount: Int { inputs * outputs }

    /// `W` then `b`, from whichever vector holds the layer.
    private func values(_ parameters: LayerParameters) -> UnsafeBufferPointer<Float> {
        trainable ? parameters.trainable : parameters.frozen
    }

    /// He-normal draws `W` in row-major order, `Float(normal() * sqrt(2 / inputs))` each;
    /// zeros draws nothing.
    func initialize(
        trainable: UnsafeMutableBufferPointer<Float>, frozen: UnsafeMutableBufferPointer<Float>,
        using rng: inout RandomStream
    ) {
        initialization.draw(weights: UnsafeMutableBufferPointer(rebasing: (self.trainable ? trainable : frozen)[0..<weightCount]),
                            inputs: inputs, using: &rng)
    }

    func forward(
        _ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>, batch: Int,
        parameters: LayerParameters
    ) {
        let stored = values(parameters)
        Self.affine(input, weights: UnsafeBufferPointer(rebasing: stored[0..<weightCount]),
                    bias: UnsafeBufferPointer(rebasing: stored[weightCount..<valueCount]), into: output, batch: batch)
    }

    /// `y = x W + b` for `batch` rows: copies `b` into every output row, then adds `x W`
    /// with one gemm (beta 1).
    static func affine(
        _ input: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>,
        into output: UnsafeMutableBufferPointer<Float>, batch: Int
    ) {
        let (outputs, inputs) = (bias.count, weights.count / bias.count)
        for row in 0..<batch {
            _ = UnsafeMutableBufferPointer(rebasing: output[(row * outputs)..<((row + 1) * outputs)])
                .update(fromContentsOf: bias)
        }
        BLAS.gemm(transposeA: false, transposeB: false, m: batch, n: outputs, k: inputs, alpha: 1,
                  a: input, b: weights, beta: 1, c: output)
    }

    /// `E_in = E_out W^T`, one gemm.
    func propagateErrors(
        _ outputErrors: UnsafeBufferPointer<Float>, into inputErrors: UnsafeMutableBufferPointer<Float>,
        input: UnsafeBufferPointer<Float>, output: UnsafeBufferPointer<Float>, batch: Int,
        parameters: LayerParameters
    ) {
        BLAS.gemm(transposeA: false, transposeB: true, m: batch, n: inputs, k: outputs, alpha: 1,
                  a: outputErrors, b: UnsafeBufferPointer(rebasing: values(parameters)[0..<weightCount]),
                  beta: 0, c: inputErrors)
    }

    /// `dW = x^T E` (one gemm) and `db` = the column sums of `E`, added row by row; a
    /// frozen layer's slice is empty and nothing is written.
    func gradient(
        input: UnsafeBufferPointer<Float>, outputErrors: UnsafeBufferPointer<Float>, batch: Int,
        parameters: LayerParameters, into gradient: UnsafeMutableBufferPointer<Float>
    ) {
        guard trainable else { return }
        BLAS.gemm(transposeA: true, transposeB: false, m: inputs, n: outputs, k: batch, alpha: 1,
                  a: input, b: outputErrors, beta: 0,
                  c: UnsafeMutableBufferPointer(rebasing: gradient[0..<weightCount]))
        let biasGradient = UnsafeMutableBufferPointer(rebasing: gradient[weightCount..<valueCount])
        biasGradient.update(repeating: 0)
        for row in 0..<batch {
            for column in 0..<outputs {
                biasGradient[column] += outputErrors[row * outputs + column]
            }
        }
    }

    /// Example r's gradient is the outer product `x_r e_r^T` for `W` and `e_r` for `b`
    /// (the bias is a weight on an input fixed at 1), so its squared norm is
    /// `(||x_r||^2 + 1) * ||e_r||^2`, each factor summed in Double in index order
    /// (the first starting from 1). O(batch * (inputs + outputs)); nothing when frozen.
    func addSquaredExampleGradientNorms(
        input: UnsafeBufferPointer<Float>, outputErrors: UnsafeBufferPointer<Float>, batch: Int,
        parameters: LayerParameters, to squaredNorms: UnsafeMutableBufferPointer<Double>
    ) {
        guard trainable else { return }
        for row in 0..<batch {
            var inputSquares = 1.0
            for index in (row * inputs)..<((row + 1) * inputs) {
                inputSquares += Double(input[index]) * Double(input[index])
            }
            var errorSquares = 0.0
            for index in (row * outputs)..<((row + 1) * outputs) {
                errorSquares += Double(outputErrors[index]) * Double(outputErrors[index])
            }
            squaredNorms[row] += inputSquares * errorSquares
        }
    }
}
