/// A multilayer perceptron: fully connected layers of widths
/// `inputDim -> hidden[0] -> ... -> hidden[last] -> classes`, ReLU after every hidden
/// layer, softmax cross-entropy on the output logits. Layer l computes
/// `a_{l+1} = relu(a_l W_l + b_l)` with `W_l` fanIn x fanOut.
///
/// Parameter layout: for each layer in order, `W_l` row-major then `b_l`.
/// Initialization is He-normal, `W_l ~ N(0, 2 / fanIn)`, drawn layer by layer in
/// row-major order; biases start at zero.
public struct MLP: ClassificationModel {
    public let spec: ModelSpec
    let network: DenseNetwork

    /// - Throws: `ModelError.invalidSpec` if `inputDim` or `classes` is below 1,
    ///   `spec.hidden` is empty, or a hidden width is below 1.
    public init(spec: ModelSpec) throws {
        guard !spec.hidden.isEmpty else {
            throw ModelError.invalidSpec("an MLP needs at least one hidden layer")
        }
        self.spec = spec
        network = try DenseNetwork(inputDim: spec.inputDim, hidden: spec.hidden, classes: spec.classes)
    }

    public var parameterCount: Int { network.parameterCount }

    public func initialParameters(using rng: inout RandomStream) -> [Float] {
        var parameters = [Float](repeating: 0, count: parameterCount)
        for layer in 0..<network.layerCount {
            let fanIn = network.widths[layer]
            let standardDeviation = (2 / Double(fanIn)).squareRoot()
            let weights = network.weightRange(layer)
            for index in weights {
                parameters[index] = Float(rng.normal() * standardDeviation)
            }
        }
        return parameters
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
