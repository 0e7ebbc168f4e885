/// The rectifier `y = max(x, 0)`, applied to each of `width` values: a negative value
/// becomes 0, any other is kept as it is (so -0 and NaN pass through).
public struct ReLU: Equatable, Sendable {
    public var width: Int

    public init(width: Int) {
        self.width = width
    }
}

extension ReLU: ParameterFreeLayer {
    var inputWidth: Int { width }
    var outputWidth: Int { width }

    func forward(
        _ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>, batch: Int,
        parameters: LayerParameters
    ) {
        for index in output.indices {
            output[index] = input[index] < 0 ? 0 : input[index]
        }
    }

    /// Passes each error where the output is positive, 0 where it is <= 0.
    func propagateErrors(
        _ outputErrors: UnsafeBufferPointer<Float>, into inputErrors: UnsafeMutableBufferPointer<Float>,
        input: UnsafeBufferPointer<Float>, output: UnsafeBufferPointer<Float>, batch: Int,
        parameters: LayerParameters
    ) {
        for index in inputErrors.indices {
            inputErrors[index] = output[index] <= 0 ? 0 : outputErrors[index]
        }
    }
}
