/// Reusable scratch memory for a `Sequential`'s passes: every level's values and
/// errors for one batch, and per-example gradient norms. It grows to the largest batch
/// it has served and is then reused, so a training loop allocates only while its batches
/// grow. One workspace per training loop; it may be shared across models (it resizes as
/// needed).
public struct ModelWorkspace: Sendable {
    /// The gathered input rows, then each layer's outputs, `batch x width` each.
    var activations: [Float] = []
    /// The derivative of the loss with respect to each layer's outputs.
    var errors: [Float] = []
    /// After `clippedGradientSum` over B rows, entry r < B is the L2 norm of row r's
    /// unclipped loss gradient; entries from B on are stale.
    public internal(set) var exampleGradientNorms: [Float] = []
    /// The squared norms of `exampleGradientNorms` as they are summed over the layers.
    var squaredNorms: [Double] = []

    public init() {}

    /// Makes room for at least `activationCount` activations, `errorCount` errors and
    /// `exampleCount` per-example norms.
    mutating func reserve(activationCount: Int, errorCount: Int, exampleCount: Int = 0) {
        if exampleGradientNorms.count < exampleCount {
            exampleGradientNorms = [Float](repeating: 0, count: exampleCount)
            squaredNorms = [Double](repeating: 0, count: exampleCount)
        }
        if activations.count < activationCount {
            activations = [Float](repeating: 0, count: activationCount)
        }
        if errors.count < errorCount {
            errors = [Float](repeating: 0, count: errorCount)
        }
    }

    /// Calls `body` with the workspace's memory.
    mutating func withBuffers<Result>(_ body: (Buffers) -> Result) -> Result {
        activations.withUnsafeMutableBufferPointer { activations in
            errors.withUnsafeMutableBufferPointer { errors in
                exampleGradientNorms.withUnsafeMutableBufferPointer { norms in
                    squaredNorms.withUnsafeMutableBufferPointer { squaredNorms in
                        body(Buffers(activations: activations, errors: errors, exampleGradientNorms: norms,
                                     squaredNorms: squaredNorms))
                    }
                }
            }
        }
    }

    /// The workspace's memory during `withBuffers`.
    struct Buffers {
        let activations: UnsafeMutableBufferPointer<Float>
        let errors: UnsafeMutableBufferPointer<Float>
        let exampleGradientNorms: UnsafeMutableBufferPointer<Float>
        let squaredNorms: UnsafeMutableBufferPointer<Double>
    }
}
