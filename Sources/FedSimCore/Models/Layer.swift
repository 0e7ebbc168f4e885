/// One stage of a `Sequential`: maps every row of `inputWidth` values to a row of
/// `outputWidth` values, a whole batch at a time.
///
/// A layer is a value describing its shape. Its parameters live in the model's two flat
/// vectors, the trainable one (optimized, broadcast, returned as updates) and the frozen
/// one (sent to each worker once, never returned); each call receives the layer's own
/// slices of both as `LayerParameters`. Every buffer holds `batch` rows,
/// row-major and packed, and is exactly as long as those rows. The protocol is internal:
/// its requirements take raw buffers, which only `Sequential` hands out, inside its
/// `withUnsafe...` closures; a layer's public face is its value in a `LayerSpec`.
///
/// The backward pass comes in two halves so that DP-SGD can clip between them:
/// `propagateErrors` turns dLoss/d(output) into dLoss/d(input), and `gradient` forms
/// the parameter gradient from the inputs and the output errors. Example r's gradient is
/// linear in its row of output errors, so scaling that row by c scales the example's
/// contribution to `gradient` by c; `addSquaredExampleGradientNorms` gives each
/// example's squared gradient norm from the same rows. `Sequential.clippedGradientSum`
/// clips per example with these three, without materializing per-example gradients.
///
/// Adding a layer kind: a public value type conforming to `Layer` (or
/// `ParameterFreeLayer`) in this folder, its `tensors` named as PyTorch names the
/// module's parameters; a case of `LayerSpec` with its `kindName`, `sizes`, `layer`,
/// and its fields in `jsonDescription` and `init(description:at:)`
/// (ModelSpec+Description.swift); a message in the `LayerSpec` oneof of
/// Protos/fedsim.proto (regenerated with scripts/generate-protos) with its encoding in
/// `WireCodec.layerStruct` and its decoding in `WireCodec.layerSpec`. An older peer
/// refuses an Assign holding the new kind, naming the layer, so the protocol version
/// only changes when an existing message changes meaning.
protocol Layer: Sendable {
    var inputWidth: Int { get }
    var outputWidth: Int { get }
    /// Length of the layer's slice of the trainable vector.
    var trainableParameterCount: Int { get }
    /// Length of the layer's slice of the frozen vector.
    var frozenParameterCount: Int { get }
    /// The layer's parameters as model files name and shape them (PyTorch's names and
    /// layouts), and where each one's values sit in the layer's slices; together they
    /// cover both slices exactly once.
    var tensors: [LayerTensor] { get }

    /// Writes the layer's starting values into its slices, which hold zeros, drawing
    /// from `rng` in an order fixed by the layer's definition.
    func initialize(
        trainable: UnsafeMutableBufferPointer<Float>, frozen: UnsafeMutableBufferPointer<Float>,
        using rng: inout RandomStream)

    /// Writes the layer's outputs for the `batch` rows of `input` over `output`.
    func forward(
        _ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>, batch: Int,
        parameters: LayerParameters)

    /// Writes dLoss/d(input) over `inputErrors` from `outputErrors` = dLoss/d(output) and
    /// the values of the forward pass.
    func propagateErrors(
        _ outputErrors: UnsafeBufferPointer<Float>, into inputErrors: UnsafeMutableBufferPointer<Float>,
        input: UnsafeBufferPointer<Float>, output: UnsafeBufferPointer<Float>, batch: Int,
        parameters: LayerParameters)

    /// Writes over `gradient` (the layer's slice of the trainable gradient) the sum over
    /// the rows of each row's gradient, given the inputs and `outputErrors`.
    func gradient(
        input: UnsafeBufferPointer<Float>, outputErrors: UnsafeBufferPointer<Float>, batch: Int,
        parameters: LayerParameters, into gradient: UnsafeMutableBufferPointer<Float>)

    /// Adds to `squaredNorms[r]`, in Double, the squared L2 norm of row r's gradient with
    /// respect to the layer's trainable parameters.
    func addSquaredExampleGradientNorms(
        input: UnsafeBufferPointer<Float>, outputErrors: UnsafeBufferPointer<Float>, batch: Int,
        parameters: LayerParameters, to squaredNorms: UnsafeMutableBufferPointer<Double>)
}

/// One named parameter tensor of a layer, as a model file stores it: `name` (after
/// `layers.<index>.`), its row-major `shape` there, and where its values sit in memory:
/// from `offset` in the layer's slice of the trainable vector (`isTrainable`) or of the
/// frozen one. A transposed tensor of shape [rows, columns] sits in the slice as its
/// transpose, columns x rows row-major.
struct LayerTensor {
    var name: String
    var shape: [Int]
    var isTrainable: Bool
    var offset: Int
    var isTransposed: Bool

    /// The number of values, the product of `shape`.
    var count: Int { shape.reduce(1, *) }
}

/// A layer's own slices of the model's trainable and frozen vectors.
struct LayerParameters {
    let trainable: UnsafeBufferPointer<Float>
    let frozen: UnsafeBufferPointer<Float>
}

/// A layer without parameters (an activation): nothing to initialize, no tensors, an
/// empty gradient, nothing added to the example norms.
protocol ParameterFreeLayer: Layer {}

extension ParameterFreeLayer {
    var trainableParameterCount: Int { 0 }
    var frozenParameterCount: Int { 0 }
    var tensors: [LayerTensor] { [] }

    func initialize(
        trainable: UnsafeMutableBufferPointer<Float>, frozen: UnsafeMutableBufferPointer<Float>,
        using rng: inout RandomStream
    ) {}

    func gradient(
        input: UnsafeBufferPointer<Float>, outputErrors: UnsafeBufferPointer<Float>, batch: Int,
        parameters: LayerParameters, into gradient: UnsafeMutableBufferPointer<Float>
    ) {}

    func addSquaredExampleGradientNorms(
        input: UnsafeBufferPointer<Float>, outputErrors: UnsafeBufferPointer<Float>, batch: Int,
        parameters: LayerParameters, to squaredNorms: UnsafeMutableBufferPointer<Double>
    ) {}
}
