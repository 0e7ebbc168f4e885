/// Where one LoRA layer's factors sit in a model's vectors, for the server rules that
/// work on them (FedSVD's refactorization, reading adapters out of a model).
public struct AdapterLocation: Equatable, Sendable {
    /// The layer's index in the model's stack.
    public let layer: Int
    public let inputs: Int
    public let outputs: Int
    public let rank: Int
    /// Whether `A` trains, so that `factorA` is in the trainable vector rather than the frozen one.
    public let trainsFactorA: Bool
    /// `A` (rank x inputs, row-major): in the trainable vector when `trainsFactorA`, in
    /// the frozen one otherwise.
    public let factorA: Range<Int>
    /// `B` (outputs x rank, row-major), in the trainable vector.
    public let factorB: Range<Int>
}

extension Sequential {
    /// The model's LoRA layers, in stack order. O(layers).
    public var adapters: [AdapterLocation] {
        spec.layers.indices.compactMap { index in
            guard case .loraDense(let lora) = spec.layers[index] else { return nil }
            let ranges = parameterRanges(ofLayer: index)
            let aStart = (lora.trainsFactorA ? ranges.trainable : ranges.frozen).lowerBound + lora.factorAOffset
            let bStart = ranges.trainable.lowerBound + lora.factorBOffset
            return AdapterLocation(layer: index, inputs: lora.inputs, outputs: lora.outputs, rank: lora.rank,
                                   trainsFactorA: lora.trainsFactorA, factorA: aStart..<(aStart + lora.factorACount),
                                   factorB: bStart..<(bStart + lora.factorBCount))
        }
    }

    /// The frozen `A` factors of the LoRA layers that do not train `A`, layer by layer:
    /// what a server that re-sets them (FedSVD) sends with a model.
    public var adapterFactors: [Float] {
        adapters.filter { !$0.trainsFactorA }.flatMap { frozenParameters[$0.factorA] }
    }

    /// Replaces the frozen `A` factors with `values`, laid out as `adapterFactors`.
    /// - Throws: `ModelError.adapterFactorCount` when `values` has another length.
    public mutating func setAdapterFactors(_ values: [Float]) throws {
        let frozenFactors = adapters.filter { !$0.trainsFactorA }.map(\.factorA)
        let expected = frozenFactors.reduce(0) { $0 + $1.count }
        guard values.count == expected else {
            throw ModelError.adapterFactorCount(expected: expected, got: values.count)
        }
        var offset = 0
        for range in frozenFactors {
            frozenParameters.replaceSubrange(range, with: values[offset..<(offset + range.count)])
            offset += range.count
        }
    }
}

extension Sequential {
    /// The model `spec` describes, started from `seed` (`initialized(_:seed:)`), with the
    /// values of `base`'s tensors in place of its own of the same names: how adapters go
    /// onto a trained model. A `LoRADense` layer takes the `weight` and `bias` of the
    /// Dense layer it wraps, and its adapter starts from the seed.
    /// - Throws: `ModelError.invalidSpec` if `spec.validate()` does, and
    ///   `ModelTensorsError` for a tensor of `base` the model does not have, has in
    ///   another shape, or is given twice.
    public static func initialized(_ spec: ModelSpec, seed: UInt64, overwritingWith base: [NamedTensor]) throws
        -> (model: Sequential, trainableParameters: [Float]) {
        let (model, trainable) = try initialized(spec, seed: seed)
        var tensors = model.tensors(trainableParameters: trainable)
        var positions = Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ($1.name, $0) })
        for tensor in base {
            guard let position = positions.removeValue(forKey: tensor.name) else {
                throw tensors.contains { $0.name == tensor.name } ? ModelTensorsError.duplicate(name: tensor.name)
                    : ModelTensorsError.unexpected(name: tensor.name)
            }
            guard tensor.shape == tensors[position].shape else {
                throw ModelTensorsError.shape(name: tensor.name, found: tensor.shape, expected: tensors[position].shape)
            }
            tensors[position] = tensor
        }
        return try filled(spec, from: tensors)
    }
}
