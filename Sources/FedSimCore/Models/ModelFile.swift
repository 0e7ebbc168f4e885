/// A model stored in a safetensors file (`SafeTensorsFile`): its values as the named
/// tensors of `Sequential.tensors(trainableParameters:)` (`layers.0.weight` of shape
/// [outputs, inputs], `layers.0.bias`, ...), in layer order, and its spec as
/// `ModelSpec.jsonDescription` in the metadata under `fedsim.model_spec`. PyTorch loads
/// the tensors as the state dict of a module whose `layers` attribute is an
/// `nn.Sequential` of the same `Linear` and `ReLU` modules.
public struct ModelFile: Sendable {
    /// The metadata key of the model's spec.
    public static let specKey = "fedsim.model_spec"

    public let path: String
    /// The model the file describes, holding its frozen values.
    public let model: Sequential
    /// The file's values of the model's trainable vector.
    public let trainableParameters: [Float]

    /// Reads the model file at `path`.
    /// - Throws: `SafeTensorsError` naming the file when it breaks the format, when its
    ///   metadata names no valid spec, or when its tensors are not exactly that spec's
    ///   (naming the tensor missing, extra, or of another shape).
    public init(path: String) throws {
        func failure(_ problem: SafeTensorsError.Problem) -> SafeTensorsError {
            SafeTensorsError(file: path, problem: problem)
        }
        let contents = try SafeTensorsFile(contentsOf: path)
        guard let description = contents.metadata[Self.specKey] else { throw failure(.missingSpec) }
        let spec: ModelSpec
        do {
            spec = try ModelSpec(jsonDescription: description)
        } catch let error as ModelError {
            throw failure(.badSpec(error))
        }
        do {
            (model, trainableParameters) = try Sequential.filled(spec, from: contents.tensors)
        } catch let error as ModelTensorsError {
            throw failure(.tensors(error))
        }
        self.path = path
    }

    /// Writes `model`, whose trainable vector is `trainableParameters`, to `path`.
    /// - Throws: `SafeTensorsError.Problem.unwritable` naming `path`.
    public static func write(_ model: Sequential, trainableParameters: [Float], to path: String) throws {
        try SafeTensorsFile(tensors: model.tensors(trainableParameters: trainableParameters),
                            metadata: [specKey: model.spec.jsonDescription]).write(to: path)
    }

    /// The file's values in a model of `expected`'s architecture: `expected`, not the
    /// file, says how its layers would start and which of them train, so the values land
    /// in its trainable and frozen vectors as its layers say.
    /// - Throws: `SafeTensorsError.Problem.specMismatch` listing each difference when the
    ///   file's input width, layers or their sizes are not `expected`'s.
    public func values(for expected: ModelSpec) throws -> (model: Sequential, trainableParameters: [Float]) {
        let differences = model.spec.architectureDifferences(from: expected)
        guard differences.isEmpty else {
            throw SafeTensorsError(file: path, problem: .specMismatch(differences))
        }
        return try Sequential.filled(expected, from: model.tensors(trainableParameters: trainableParameters))
    }
}
