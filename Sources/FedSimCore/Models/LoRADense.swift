/// A fully connected layer with a low-rank adapter (Hu et al., LoRA):
/// `y = x W0 + b + s x A^T B^T`, that is `W = W0 + s (B A)^T` in `Dense`'s layout, with
/// the frozen `W0` (inputs x outputs) and `b`, the adapter `A` (rank x inputs) and
/// `B` (outputs x rank), and the scale `s = alpha / rank`.
///
/// `W0` and `b` sit in the model's frozen vector, in `Dense`'s layout, so a trained
/// `Dense` becomes the base of a `LoRADense` by copying its values. `B` is trainable;
/// `A` is trainable too when `trainsFactorA` (LoRA), and otherwise sits in the frozen
/// vector after `b` (FFA-LoRA keeps it at its initialization, FedSVD lets the server
/// re-set it: `Sequential.adapterFactors`). Trainable slice: `A` (if trained) then `B`,
/// both row-major. `A` starts Kaiming-uniform as PEFT draws it, U(-1/sqrt(inputs),
/// 1/sqrt(inputs)); `B` starts at zero, so the layer starts as its base.
///
/// Each pass costs two gemms more than the base layer's, of inner size `rank`; the
/// intermediate `x A^T` and `E B` (batch x rank) live in temporary buffers.
public struct LoRADense: Equatable, Sendable {
    public var inputs: Int
    public var outputs: Int
    public var rank: Int
    /// alpha; the adapter's product is scaled by alpha / rank.
    public var alpha: Float
    /// How `W0` starts when no base model gives it; `b` starts at zero.
    public var baseInitialization: WeightInitialization
    /// Whether training updates `A` as well as `B`.
    public var trainsFactorA: Bool

    public init(inputs: Int, outputs: Int, rank: Int, alpha: Float, baseInitialization: WeightInitialization,
                trainsFactorA: Bool) {
        self.inputs = inputs
        self.outputs = outputs
        self.rank = rank
        self.alpha = alpha
        self.baseInitialization = baseInitialization
        self.trainsFactorA = trainsFactorA
    }

    /// The same layer as `dense` with an adapter of `rank` and `alpha`: `W0` starts as
    /// `dense`'s weights would.
    public init(wrapping dense: Dense, rank: Int, alpha: Float, trainsFactorA: Bool) {
        self.init(inputs: dense.inputs, outputs: dense.outputs, rank: rank, alpha: alpha,
                  baseInitialization: dense.initialization, trainsFactorA: trainsFactorA)
    }

    /// alpha / rank.
    var scale: Float { alpha / Float(rank) }
    /// Length of `W0` then `b`.
    var baseCount: Int { (inputs + 1) * outputs }
    var factorACount: Int { rank * inputs }
    var factorBCount: Int { outputs * rank }
}

extension LoRADense: Layer {
    var inputWidth: Int { inputs }
    var outputWidth: Int { outputs }
    var trainableParameterCount: Int { (trainsFactorA ? factorACount : 0) + factorBCount }
    var frozenParameterCount: Int { baseCount + (trainsFactorA ? 0 : factorACount) }

    /// `weight` [outputs, inputs] and `bias` as a Dense layer names them (so a trained
    /// Dense layer's file is this layer's base), then PEFT's `lora_A` [rank, inputs] and
    /// `lora_B` [outputs, rank], stored as they are.
    var tensors: [LayerTensor] {
        [LayerTensor(name: "weight", shape: [outputs, inputs], isTrainable: false, offset: 0, isTransposed: true),
         LayerTensor(name: "bias", shape: [outputs], isTrainable: false, offset: inputs * outputs, isTransposed: false),
         LayerTensor(name: "lora_A", shape: [rank, inputs], isTrainable: trainsFactorA,
                     offset: factorAOffset, isTransposed: false),
         LayerTensor(name: "lora_B", shape: [outputs, rank], isTrainable: true,
                     offset: factorBOffset, isTransposed: false)]
    }

    /// Where `A` starts in the layer's trainable slice (when it trains) or frozen slice.
    var factorAOffset: Int { trainsFactorA ? 0 : baseCount }
    /// Where `B` starts in the layer's trainable slice.
    var factorBOffset: Int { trainsFactorA ? factorACount : 0 }

    private func base(_ parameters: LayerParameters) -> (weights: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>) {
        (UnsafeBufferPointer(rebasing: parameters.frozen[0..<(inputs * outputs)]),
         UnsafeBufferPointer(rebasing: parameters.frozen[(inputs * outputs)..<baseCount]))
    }

    private func factorA(_ parameters: LayerParameters) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(rebasing: (trainsFactorA ? parameters.trainable : parameters.frozen)[
            factorAOffset..<(factorAOffset + factorACount)])
    }

    private func factorB(_ parameters: LayerParameters) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(rebasing: parameters.trainable[factorBOffset..<(factorBOffset + factorBCount)])
    }

    /// `W0` as `baseInitialization` says (He-normal draws in row-major order, as `Dense`),
    /// then `A`'s `uniform()` draws in row-major order; `b` and `B` stay zero.
    func initialize(
        trainable: UnsafeMutableBufferPointer<Float>, frozen: UnsafeMutableBufferPointer<Float>,
        using rng: inout RandomStream
    ) {
        baseInitialization.draw(weights: UnsafeMutableBufferPointer(rebasing: frozen[0..<(inputs * outputs)]),
                                inputs: inputs, using: &rng)
        let factorA = UnsafeMutableBufferPointer(rebasing: (trainsFactorA ? trainable : frozen)[
            factorAOffset..<(factorAOffset + factorACount)])
        let bound = 1 / Double(inputs).squareRoot()
        for index in factorA.indices {
            factorA[index] = Float((2 * rng.uniform() - 1) * bound)
        }
    }

    /// `y = b + x W0`, then `h = x A^T` and `y += s h B^T`.
    func forward(
        _ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>, batch: Int,
        parameters: LayerParameters
    ) {
        let (weights, bias) = base(parameters)
        Dense.affine(input, weights: weights, bias: bias, into: output, batch: batch)
        withProjectedInput(input, batch: batch, parameters: parameters) { projected in
            BLAS.gemm(transposeA: false, transposeB: true, m: batch, n: outputs, k: rank, alpha: scale,
                      a: projected, b: factorB(parameters), beta: 1, c: output)
        }
    }

    /// `E_in = E_out W0^T + s (E_out B) A`.
    func propagateErrors(
        _ outputErrors: UnsafeBufferPointer<Float>, into inputErrors: UnsafeMutableBufferPointer<Float>,
        input: UnsafeBufferPointer<Float>, output: UnsafeBufferPointer<Float>, batch: Int,
        parameters: LayerParameters
    ) {
        BLAS.gemm(transposeA: false, transposeB: true, m: batch, n: inputs, k: outputs, alpha: 1,
                  a: outputErrors, b: base(parameters).weights, beta: 0, c: inputErrors)
        withProjectedErrors(outputErrors, batch: batch, parameters: parameters) { projected in
            BLAS.gemm(transposeA: false, transposeB: false, m: batch, n: inputs, k: rank, alpha: scale,
                      a: projected, b: factorA(parameters), beta: 1, c: inputErrors)
        }
    }

    /// `dB = s E^T (x A^T)` and, when `A` trains, `dA = s (E B)^T x`.
    func gradient(
        input: UnsafeBufferPointer<Float>, outputErrors: UnsafeBufferPointer<Float>, batch: Int,
        parameters: LayerParameters, into gradient: UnsafeMutableBufferPointer<Float>
    ) {
        withProjectedInput(input, batch: batch, parameters: parameters) { projected in
            BLAS.gemm(transposeA: true, transposeB: false, m: outputs, n: rank, k: batch, alpha: scale,
                      a: outputErrors, b: projected, beta: 0,
                      c: UnsafeMutableBufferPointer(rebasing: gradient[factorBOffset..<(factorBOffset + factorBCount)]))
        }
        guard trainsFactorA else { return }
        withProjectedErrors(outputErrors, batch: batch, parameters: parameters) { projected in
            BLAS.gemm(transposeA: true, transposeB: false, m: rank, n: inputs, k: batch, alpha: scale,
                      a: projected, b: input, beta: 0,
                      c: UnsafeMutableBufferPointer(rebasing: gradient[0..<factorACount]))
        }
    }

    /// Example r's gradients are outer products, `dB_r = s e_r h_r^T` and
    /// `dA_r = s g_r x_r^T` with `h_r = A x_r` and `g_r = B^T e_r`, so its squared norm is
    /// `s^2 (||e_r||^2 ||h_r||^2 + ||g_r||^2 ||x_r||^2)` (the second term when `A`
    /// trains), each factor summed in Double. O(batch * rank * (inputs + outputs)).
    func addSquaredExampleGradientNorms(
        input: UnsafeBufferPointer<Float>, outputErrors: UnsafeBufferPointer<Float>, batch: Int,
        parameters: LayerParameters, to squaredNorms: UnsafeMutableBufferPointer<Double>
    ) {
        let scaleSquared = Double(scale) * Double(scale)
        withProjectedInput(input, batch: batch, parameters: parameters) { projected in
            for row in 0..<batch {
                squaredNorms[row] += scaleSquared * Self.squaredNorm(outputErrors, row: row, width: outputs)
                    * Self.squaredNorm(projected, row: row, width: rank)
            }
        }
        guard trainsFactorA else { return }
        withProjectedErrors(outputErrors, batch: batch, parameters: parameters) { projected in
            for row in 0..<batch {
                squaredNorms[row] += scaleSquared * Self.squaredNorm(projected, row: row, width: rank)
                    * Self.squaredNorm(input, row: row, width: inputs)
            }
        }
    }

    /// Calls `body` with `x A^T` (batch x rank).
    private func withProjectedInput(
        _ input: UnsafeBufferPointer<Float>, batch: Int, parameters: LayerParameters,
        _ body: (UnsafeBufferPointer<Float>) -> Void
    ) {
        withProjection(input, width: inputs, onto: factorA(parameters), transposed: true, batch: batch, body)
    }

    /// Calls `body` with `E B` (batch x rank).
    private func withProjectedErrors(
        _ outputErrors: UnsafeBufferPointer<Float>, batch: Int, parameters: LayerParameters,
        _ body: (UnsafeBufferPointer<Float>) -> Void
    ) {
        withProjection(outputErrors, width: outputs, onto: factorB(parameters), transposed: false, batch: batch, body)
    }

    /// Calls `body` with the `batch` rows of `rows` (each `width` wide) times `factor`
    /// (or its transpose), a batch x rank product in a temporary buffer: one gemm.
    private func withProjection(
        _ rows: UnsafeBufferPointer<Float>, width: Int, onto factor: UnsafeBufferPointer<Float>, transposed: Bool,
        batch: Int, _ body: (UnsafeBufferPointer<Float>) -> Void
    ) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: batch * rank) { projected in
            BLAS.gemm(transposeA: false, transposeB: transposed, m: batch, n: rank, k: width, alpha: 1,
                      a: rows, b: factor, beta: 0, c: projected)
            body(UnsafeBufferPointer(projected))
        }
    }

    /// The squared norm of row `row` of a matrix `width` wide, summed in Double.
    private static func squaredNorm(_ values: UnsafeBufferPointer<Float>, row: Int, width: Int) -> Double {
        var sum = 0.0
        for index in (row * width)..<((row + 1) * width) {
            sum += Double(values[index]) * Double(values[index])
        }
        return sum
    }
}
