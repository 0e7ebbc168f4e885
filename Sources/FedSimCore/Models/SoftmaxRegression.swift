/// Multinomial logistic regression: `logits = x W + b`, `W` inputDim x classes.
///
/// Parameter layout: `W` in row-major order, then `b`; `parameterCount` is
/// `(inputDim + 1) * classes`. Initial parameters are zeros (the loss is convex, so no
/// symmetry needs breaking), and draw nothing from the stream.
public struct SoftmaxRegression: ClassificationModel {
    public let spec: ModelSpec
    let network: DenseNetwork

    /// - Throws: `ModelError.invalidSpec` if `inputDim` or `classes` is below 1 or
    ///   `spec.hidden` is not empty.
    public init(spec: ModelSpec) throws {
        guard spec.hidden.isEmpty else {
            throw ModelError.invalidSpec("softmax regression has no hidden layers, got hidden \(spec.hidden)")
        }
        self.spec = spec
        network = try DenseNetwork(inputDim: spec.inputDim, hidden: [], classes: spec.classes)
    }

    public var parameterCount: Int { network.parameterCount }

    public func initialParameters(using rng: inout RandomStream) -> [Float] {
        [Float](repeating: 0, count: parameterCount)
    }

    public func lossAndGradient(
        parameters: [Float], data: Dataset, rows: ArraySlice<Int>,
        gradient: inout [Float], workspace: inout ModelWorkspace
    ) -> Double {
        network.lossAndGradient(parameters: parameters, data: data, rows: rows,
                                gradient: &gradient, workspace: &workspace)
    }

    public func clippedGradientSum(
        parameters: [Float], data: Dataset, rows: ArraySlice<Int>, clipNorm: Float,
        gradient: inout [Float], workspace: inout ModelWorkspace
    ) -> Double {
        network.clippedGradientSum(parameters: parameters, data: data, rows: rows, clipNorm: clipNorm,
                                   gradient: &gradient, workspace: &workspace)
    }

    public func evaluate(parameters: [Float], on data: Dataset) -> Evaluation {
        network.evaluate(parameters: parameters, on: data)
    }
}
