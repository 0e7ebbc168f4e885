/// A classifier over a flat parameter vector, trained with mean softmax cross-entropy.
///
/// Every model keeps all of its parameters in ONE `[Float]` of length `parameterCount`
/// (layers are offsets into it), so servers aggregate, clip and add noise to models
/// with single vector operations and the wire carries one packed tensor.
///
/// Models are immutable descriptions of an architecture; the mutable scratch memory a
/// training step needs lives in a caller-owned `ModelWorkspace`.
public protocol ClassificationModel: Sendable {
    var spec: ModelSpec { get }
    /// Length of the flat parameter vector.
    var parameterCount: Int { get }

    /// A fresh parameter vector drawn from `rng` (the model's initialization scheme).
    func initialParameters(using rng: inout RandomStream) -> [Float]

    /// Mean softmax cross-entropy over the minibatch `rows` of `data`,
    /// `L = -(1/B) sum_r log softmax(f(x_r))[y_r]`, and its gradient with respect to the
    /// flat parameter vector, written over `gradient` (length `parameterCount`).
    ///
    /// The whole minibatch goes forward and backward through matrix products; after the
    /// workspace has grown to the largest batch seen, a call allocates nothing.
    /// Traps with a message if a label is outside `0..<spec.classes`, a row index is out
    /// of range, or `data.featureCount != spec.inputDim`.
    func lossAndGradient(
        parameters: [Float], data: Dataset, rows: ArraySlice<Int>,
        gradient: inout [Float], workspace: inout ModelWorkspace
    ) -> Double

    /// DP-SGD's clipping step: the sum over the minibatch `rows` of every example's own
    /// loss gradient clipped to L2 norm `clipNorm` = C,
    /// `sum_r grad l_r * min(1, C / ||grad l_r||)` with `l_r = -log softmax(f(x_r))[y_r]`,
    /// written over `gradient`. Returns the summed (not averaged) loss of the rows and
    /// leaves each example's unclipped gradient norm in
    /// `workspace.exampleGradientNorms[0..<rows.count]`.
    ///
    /// Per-example norms come from the layers' inputs and errors, never from materialized
    /// per-example gradients, so the cost stays close to `lossAndGradient`'s; traps like
    /// it on bad input, and when `clipNorm` is not finite and positive.
    func clippedGradientSum(
        parameters: [Float], data: Dataset, rows: ArraySlice<Int>, clipNorm: Float,
        gradient: inout [Float], workspace: inout ModelWorkspace
    ) -> Double

    /// Mean loss and accuracy of `parameters` on all of `data`, processed in chunks of
    /// rows so memory stays bounded whatever the dataset's size.
    func evaluate(parameters: [Float], on data: Dataset) -> Evaluation
}

/// How well a model does on a dataset.
public struct Evaluation: Equatable, Sendable {
    /// Mean softmax cross-entropy (natural log) over the rows; 0 for an empty dataset.
    public var meanLoss: Double
    /// Fraction of rows whose highest logit (first one on ties) is the label; 0 when empty.
    public var accuracy: Double
    /// Number of rows evaluated.
    public var count: Int

    public init(meanLoss: Double, accuracy: Double, count: Int) {
        self.meanLoss = meanLoss
        self.accuracy = accuracy
        self.count = count
    }
}

/// Reusable scratch memory for `lossAndGradient` and `clippedGradientSum`: per-layer
/// activations and errors for one minibatch, and per-example gradient norms. It grows to
/// the largest batch it has served and is then reused, so a training loop allocates only
/// while its batches grow. One workspace per training loop; it may be shared across
/// models (it resizes as needed).
public struct ModelWorkspace: Sendable {
    /// The gathered input rows, then each layer's output, `batch x width` each.
    var activations: [Float] = []
    /// Derivative of the loss with respect to each layer's pre-activation.
    var errors: [Float] = []
    /// After `clippedGradientSum` over B rows, entry r < B is the L2 norm of row r's
    /// unclipped loss gradient; entries from B on are stale.
    public internal(set) var exampleGradientNorms: [Float] = []

    public init() {}

    /// Makes room for at least `activationCount` activations, `errorCount` errors and
    /// `exampleCount` per-example norms.
    mutating func reserve(activationCount: Int, errorCount: Int, exampleCount: Int = 0) {
        if exampleGradientNorms.count < exampleCount {
            exampleGradientNorms = [Float](repeating: 0, count: exampleCount)
        }
        if activations.count < activationCount {
            activations = [Float](repeating: 0, count: activationCount)
        }
        if errors.count < errorCount {
            errors = [Float](repeating: 0, count: errorCount)
        }
    }
}

/// A `ModelSpec` that describes no valid model.
public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidSpec(String)

    public var description: String {
        switch self {
        case .invalidSpec(let message): return "invalid model spec: \(message)"
        }
    }
}

/// The model `spec` describes.
/// - Throws: `ModelError.invalidSpec` if `inputDim` or `classes` is below 1, an MLP has
///   no hidden layer or a zero width, or softmax regression is given hidden layers.
public func makeModel(_ spec: ModelSpec) throws -> any ClassificationModel {
    switch spec.kind {
    case .softmax: return try SoftmaxRegression(spec: spec)
    case .mlp: return try MLP(spec: spec)
    }
}
