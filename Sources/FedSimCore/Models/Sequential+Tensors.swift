/// A named tensor: float32 values of `shape`, row-major, as a model file holds them.
public struct NamedTensor: Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// Named tensors that do not fit a model.
public enum ModelTensorsError: FedSimError, Equatable, Sendable {
    /// The model has a tensor `name` and none was given.
    case missing(name: String)
    /// A tensor `name` was given that the model does not have.
    case unexpected(name: String)
    /// Two tensors are named `name`.
    case duplicate(name: String)
    /// Tensor `name` has shape `found` where the model's has `expected`.
    case shape(name: String, found: [Int], expected: [Int])

    public var description: String {
        switch self {
        case let .missing(name): return "tensor '\(name)' is missing"
        case let .unexpected(name): return "tensor '\(name)' is not a tensor of the model"
        case let .duplicate(name): return "tensor '\(name)' is given twice"
        case let .shape(name, found, expected):
            return "tensor '\(name)' has shape \(found), the model's has shape \(expected)"
        }
    }
}

/// A model's values as named tensors, the way PyTorch names a `nn.Sequential`'s state
/// dict: layer l's tensor `t` is `layers.<l>.<t>` (l counts every layer of the spec, those
/// without parameters too), in the layout each layer kind chooses (`Layer.tensors`; a
/// Dense layer's `weight` is [outputs, inputs]). Tensors come in layer order, and in each
/// layer in the order of its `tensors`.
extension Sequential {
    /// Every tensor of a model of `spec`: its full name, and its layer's description of it
    /// with the offset counted from the start of its vector. Allocates nothing of the
    /// model's size, so a spec can be checked against tensors before any vector exists.
    private static func tensorPlacements(of spec: ModelSpec) -> [(name: String, tensor: LayerTensor)] {
        var placements: [(name: String, tensor: LayerTensor)] = []
        var starts = (trainable: 0, frozen: 0)
        for (index, layer) in spec.layers.map(\.layer).enumerated() {
            for tensor in layer.tensors {
                var placed = tensor
                placed.offset += tensor.isTrainable ? starts.trainable : starts.frozen
                placements.append(("layers.\(index).\(tensor.name)", placed))
            }
            starts.trainable += layer.trainableParameterCount
            starts.frozen += layer.frozenParameterCount
        }
        return placements
    }

    /// The names and shapes of the model's tensors, in order.
    public var tensorShapes: [(name: String, shape: [Int])] {
        Self.tensorPlacements(of: spec).map { ($0.name, $0.tensor.shape) }
    }

    /// The model's values as named tensors, in order: the frozen ones from the model,
    /// the trainable ones from `trainableParameters`. O(parameters).
    /// - Precondition: `trainableParameters.count == trainableParameterCount`.
    public func tensors(trainableParameters: [Float]) -> [NamedTensor] {
        precondition(trainableParameters.count == trainableParameterCount,
                     "the model has \(trainableParameterCount) trainable parameters, got \(trainableParameters.count)")
        return Self.tensorPlacements(of: spec).map { name, tensor in
            let vector = tensor.isTrainable ? trainableParameters : frozenParameters
            let stored = vector[tensor.offset..<(tensor.offset + tensor.count)]
            let values = tensor.isTransposed
                ? Matrix.transposing(stored, rows: tensor.shape[1], columns: tensor.shape[0]) : Array(stored)
            return NamedTensor(name: name, shape: tensor.shape, values: values)
        }
    }

    /// The model `spec` describes holding the frozen values of `tensors`, and the
    /// trainable vector of their trainable values: the inverse of `tensors(trainableParameters:)`.
    /// The order of `tensors` does not matter. Every tensor is checked before the model's
    /// vectors are made, so they are never larger than the tensors given. O(parameters).
    /// - Throws: `ModelError.invalidSpec` if `spec.validate()` does; `ModelTensorsError`
    ///   for the first tensor (in the model's order, then in the given order) that is
    ///   missing, given twice, of another shape, or not one of the model's.
    public static func filled(_ spec: ModelSpec, from tensors: [NamedTensor]) throws
        -> (model: Sequential, trainableParameters: [Float]) {
        try spec.validate()
        var byName: [String: NamedTensor] = [:]
        for tensor in tensors {
            guard byName.updateValue(tensor, forKey: tensor.name) == nil else {
                throw ModelTensorsError.duplicate(name: tensor.name)
            }
        }
        let matched = try tensorPlacements(of: spec).map { name, tensor in
            guard let given = byName.removeValue(forKey: name) else { throw ModelTensorsError.missing(name: name) }
            guard given.shape == tensor.shape, given.values.count == tensor.count else {
                throw ModelTensorsError.shape(name: name, found: given.shape, expected: tensor.shape)
            }
            return (tensor: tensor, values: given.values)
        }
        if let extra = tensors.first(where: { byName[$0.name] != nil }) {
            throw ModelTensorsError.unexpected(name: extra.name)
        }
        var trainable = [Float](repeating: 0, count: spec.trainableParameterCount)
        var frozen = [Float](repeating: 0, count: spec.frozenParameterCount)
        for (tensor, given) in matched {
            let values = tensor.isTransposed
                ? Matrix.transposing(given[...], rows: tensor.shape[0], columns: tensor.shape[1]) : given
            let slots = tensor.offset..<(tensor.offset + tensor.count)
            if tensor.isTrainable {
                trainable.replaceSubrange(slots, with: values)
            } else {
                frozen.replaceSubrange(slots, with: values)
            }
        }
        return (try Sequential(spec, frozenParameters: frozen), trainable)
    }
}
