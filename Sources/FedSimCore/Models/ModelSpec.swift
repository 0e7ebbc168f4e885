/// A model's architecture: rows of `inputDim` features go through `layers` in order, and
/// the last layer's outputs are the class logits (softmax cross-entropy is the loss).
///
/// A spec is a value that travels (in `Assign`) and, with a seed, determines the whole
/// model: `Sequential.initialized(_:seed:)` draws every layer's starting values from it.
public struct ModelSpec: Equatable, Sendable {
    /// Width of an input row: the dataset's feature count.
    public var inputDim: Int
    public var layers: [LayerSpec]

    public init(inputDim: Int, layers: [LayerSpec]) {
        self.inputDim = inputDim
        self.layers = layers
    }

    /// Number of classes: the last layer's output width (`inputDim` while there is no
    /// layer, a spec `validate` refuses).
    public var classes: Int { layers.last?.layer.outputWidth ?? inputDim }

    /// Length of the trainable vector, the one that is optimized and travels. O(layers);
    /// for a valid spec (see `validate`).
    public var trainableParameterCount: Int { layers.reduce(0) { $0 + $1.layer.trainableParameterCount } }

    /// Length of the frozen vector, sent to each worker once and never returned.
    /// O(layers); for a valid spec (see `validate`).
    public var frozenParameterCount: Int { layers.reduce(0) { $0 + $1.layer.frozenParameterCount } }

    /// The widest layer or input a spec may have, so no parameter count of one layer
    /// can overflow `Int`.
    public static let maximumWidth = 1 << 24

    /// Checks that the spec describes a model: `inputDim` and every size of every layer
    /// in `1...maximumWidth`, at least one layer, each layer's input width equal to the
    /// previous layer's output width (the first one's to `inputDim`), and parameter
    /// counts that `Int` can hold. O(layers).
    /// - Throws: `ModelError.invalidSpec` naming the first bad field, as a path such as
    ///   `layers[2].dense.outputs`.
    public func validate() throws {
        try Self.check(inputDim, field: "inputDim")
        guard !layers.isEmpty else {
            throw ModelError.invalidSpec(field: "layers", reason: "must hold at least one layer")
        }
        var width = inputDim
        var counts = (trainable: 0, frozen: 0)
        for (index, layer) in layers.enumerated() {
            let path = "layers[\(index)].\(layer.kindName)"
            for size in layer.sizes {
                try Self.check(size.value, field: path + "." + size.name, minimum: size.name == "padding" ? 0 : 1)
            }
            if let problem = layer.sizeProblem {
                throw ModelError.invalidSpec(field: path + "." + problem.name, reason: problem.reason)
            }
            guard layer.layer.inputWidth == width else {
                let source = index == 0 ? "inputDim" : "layers[\(index - 1)]'s output width"
                throw ModelError.invalidSpec(
                    field: path + "." + layer.sizes[0].name,
                    reason: "\(layer.inputWidthPhrase), but \(source) is \(width)")
            }
            width = layer.layer.outputWidth
            let trainable = counts.trainable.addingReportingOverflow(layer.layer.trainableParameterCount)
            let frozen = counts.frozen.addingReportingOverflow(layer.layer.frozenParameterCount)
            guard !trainable.overflow, !frozen.overflow else {
                throw ModelError.invalidSpec(field: "layers", reason: "hold more parameters than Int can count")
            }
            counts = (trainable.partialValue, frozen.partialValue)
        }
    }

    private static func check(_ size: Int, field: String, minimum: Int = 1) throws {
        guard size >= minimum, size <= maximumWidth else {
            throw ModelError.invalidSpec(field: field, reason: "must be in \(minimum)...\(maximumWidth), got \(size)")
        }
    }
}

extension ModelSpec {
    /// Multinomial logistic regression, `logits = x W + b`: one trainable Dense layer from
    /// the features to the classes, zero-initialized (the loss is convex, so no symmetry
    /// needs breaking; it draws nothing from the seed).
    public static func softmaxRegression(inputDim: Int, classes: Int) -> ModelSpec {
        ModelSpec(inputDim: inputDim,
                  layers: [.dense(Dense(inputs: inputDim, outputs: classes, initialization: .zeros))])
    }

    /// A multilayer perceptron `inputDim -> hidden[0] -> ... -> classes`: per hidden
    /// width a He-normal Dense layer and a ReLU, then a He-normal Dense layer to the
    /// classes; every layer trainable.
    public static func multilayerPerceptron(inputDim: Int, hidden: [Int], classes: Int) -> ModelSpec {
        var layers: [LayerSpec] = []
        var width = inputDim
        for units in hidden {
            layers.append(.dense(Dense(inputs: width, outputs: units, initialization: .heNormal)))
            layers.append(.relu(ReLU(width: units)))
            width = units
        }
        layers.append(.dense(Dense(inputs: width, outputs: classes, initialization: .heNormal)))
        return ModelSpec(inputDim: inputDim, layers: layers)
    }
}

/// One layer of a `ModelSpec`: its kind and sizes. Each case wraps the layer itself,
/// a value holding no parameters (those live in the model's flat vectors).
public enum LayerSpec: Equatable, Sendable {
    case dense(Dense)
    case relu(ReLU)
    case loraDense(LoRADense)
    case conv2D(Conv2D)
    case maxPool2D(MaxPool2D)
    case flatten(Flatten)

    /// The kind's name in field paths and on the wire.
    public var kindName: String {
        switch self {
        case .dense: return "dense"
        case .relu: return "relu"
        case .loraDense: return "lora_dense"
        case .conv2D: return "conv2d"
        case .maxPool2D: return "maxpool2d"
        case .flatten: return "flatten"
        }
    }

    /// The sizes the layer is made of, named as in field paths; the first one is its
    /// input width.
    var sizes: [(name: String, value: Int)] {
        switch self {
        case .dense(let dense): return [("inputs", dense.inputs), ("outputs", dense.outputs)]
        case .relu(let relu): return [("width", relu.width)]
        case .loraDense(let lora): return [("inputs", lora.inputs), ("outputs", lora.outputs), ("rank", lora.rank)]
        case .conv2D(let conv):
            return [("channels", conv.channels), ("rows", conv.rows), ("columns", conv.columns), ("filters", conv.filters),
                    ("kernel", conv.kernel), ("stride", conv.stride), ("padding", conv.padding)]
        case .maxPool2D(let pool):
            return [("channels", pool.channels), ("rows", pool.rows), ("columns", pool.columns), ("size", pool.size)]
        case .flatten(let flatten): return [("width", flatten.width)]
        }
    }

    /// How `validate` states the layer's input width: "is 4" for a layer with a width
    /// among its sizes, "takes channels x rows x columns = 784 values" for an image layer.
    var inputWidthPhrase: String {
        switch self {
        case .conv2D, .maxPool2D: return "takes channels x rows x columns = \(layer.inputWidth) values"
        default: return "is \(layer.inputWidth)"
        }
    }

    /// Why the layer's sizes do not fit together, beyond each being in range, as
    /// (size name, reason); nil when they do. An adapter's rank is at most
    /// min(inputs, outputs), the most a product B A can have.
    var sizeProblem: (name: String, reason: String)? {
        switch self {
        case .loraDense(let lora) where lora.rank > min(lora.inputs, lora.outputs):
            return ("rank", "is \(lora.rank), above min(inputs, outputs) = \(min(lora.inputs, lora.outputs))")
        case .conv2D(let conv): return conv.sizeProblem
        case .maxPool2D(let pool): return pool.sizeProblem
        default: return nil
        }
    }

    /// The layer as `Sequential` runs it.
    var layer: any Layer {
        switch self {
        case .dense(let dense): return dense
        case .relu(let relu): return relu
        case .loraDense(let lora): return lora
        case .conv2D(let conv): return conv
        case .maxPool2D(let pool): return pool
        case .flatten(let flatten): return flatten
        }
    }
}

/// How a layer's weights start. Biases always start at zero.
public enum WeightInitialization: String, Sendable, CaseIterable {
    /// Every weight 0; draws nothing from the stream.
    case zeros
    /// He et al. (2015): `W_ij ~ N(0, 2 / inputs)`, one `normal()` draw per weight in
    /// row-major order.
    case heNormal = "he_normal"

    /// Writes the starting values of a weight matrix fed by `inputs` values over
    /// `weights` (which holds zeros): He-normal draws `Float(normal() * sqrt(2 / inputs))`
    /// per weight in row-major order; zeros draws nothing.
    func draw(weights: UnsafeMutableBufferPointer<Float>, inputs: Int, using rng: inout RandomStream) {
        guard self == .heNormal else { return }
        let standardDeviation = (2 / Double(inputs)).squareRoot()
        for index in weights.indices {
            weights[index] = Float(rng.normal() * standardDeviation)
        }
    }
}

/// A `ModelSpec` that describes no model, or a description that describes no spec.
public enum ModelError: FedSimError, Equatable, Sendable {
    /// `field` (a path such as `layers[2].dense.outputs`) breaks a rule; `reason` says which.
    case invalidSpec(field: String, reason: String)
    /// A model's frozen adapter factors were given `got` values for its `expected`.
    case adapterFactorCount(expected: Int, got: Int)
    /// A spec's JSON description (`ModelSpec.init(jsonDescription:)`) is not one: `field`
    /// (a path such as `layers[2].dense.outputs`, empty for the whole text) is missing or wrong.
    case invalidDescription(field: String, reason: String)

    public var description: String {
        switch self {
        case .invalidSpec(let field, let reason): return "invalid model spec: \(field): \(reason)"
        case .adapterFactorCount(let expected, let got):
            return "the model's frozen adapter factors hold \(expected) values, got \(got)"
        case .invalidDescription(let field, let reason):
            return "invalid model description: \(field.isEmpty ? "" : field + ": ")\(reason)"
        }
    }
}
