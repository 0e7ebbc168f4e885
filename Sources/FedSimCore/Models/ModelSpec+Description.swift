/// A `ModelSpec` as one line of JSON, the form model files keep it in: the input width
/// and the layers in order, each layer its kind, its sizes (named as in field paths) and
/// what else its kind has, for example
/// `{"input_dim":4,"layers":[{"kind":"dense","inputs":4,"outputs":3,"initialization":"zeros","trainable":true}]}`.
extension ModelSpec {
    /// The spec's description; `init(description:)` reads it back to an equal spec.
    public var jsonDescription: String {
        var object = JSONObject()
        object.set("input_dim", inputDim)
        object.set("layers", layers.map(\.jsonDescription))
        return object.description
    }

    /// The spec `text` describes, as `jsonDescription` writes it.
    /// - Throws: `ModelError.invalidDescription` naming the first field that is missing,
    ///   of the wrong type or unknown (field paths as `layers[1].dense.outputs`), or
    ///   `ModelError.invalidSpec` if the spec it describes fails `validate`.
    public init(jsonDescription text: String) throws {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: Array(text.utf8))
        } catch {
            throw ModelError.invalidDescription(field: "", reason: "not JSON: \(error)")
        }
        guard value.members != nil else { throw ModelError.invalidDescription(field: "", reason: "not a JSON object") }
        guard let layers = value["layers"], case let .array(elements) = layers else {
            throw ModelError.invalidDescription(field: "layers", reason: "must be a list of layers")
        }
        self.init(inputDim: try Self.integer(value, "input_dim", at: ""),
                  layers: try elements.enumerated().map { try LayerSpec(description: $1, at: "layers[\($0)]") })
        try validate()
    }

    /// The integer field `key` of `object`, whose path is `path`.
    fileprivate static func integer(_ object: JSONValue, _ key: String, at path: String) throws -> Int {
        guard let value = object[key]?.integer else {
            throw ModelError.invalidDescription(field: path.isEmpty ? key : path + "." + key, reason: "must be an integer")
        }
        return value
    }

    /// What tells this spec's architecture from `expected`'s, one phrase per difference,
    /// such as `layers[0]: dense(inputs 4, outputs 3), expected dense(inputs 4, outputs 8)`;
    /// empty when both have the same input width and the same layers (kinds and sizes) in
    /// the same order. How layers start and whether they train are not compared.
    public func architectureDifferences(from expected: ModelSpec) -> [String] {
        var differences: [String] = []
        if inputDim != expected.inputDim {
            differences.append("input width \(inputDim), expected \(expected.inputDim)")
        }
        if layers.count != expected.layers.count {
            differences.append("\(layers.count) layers, expected \(expected.layers.count)")
        }
        for (index, (layer, wanted)) in zip(layers, expected.layers).enumerated()
        where layer.kindName != wanted.kindName || !layer.sizes.elementsEqual(wanted.sizes, by: { $0 == $1 }) {
            differences.append("layers[\(index)]: \(layer.architecture), expected \(wanted.architecture)")
        }
        return differences
    }
}

extension LayerSpec {
    /// The kind and sizes, as `dense(inputs 4, outputs 3)`.
    var architecture: String {
        "\(kindName)(" + sizes.map { "\($0.name) \($0.value)" }.joined(separator: ", ") + ")"
    }

    /// The layer in a spec's description: `kind`, the sizes, then the kind's own fields.
    var jsonDescription: JSONObject {
        var object = JSONObject()
        object.set("kind", kindName)
        for size in sizes { object.set(size.name, size.value) }
        switch self {
        case .dense(let dense):
            object.set("initialization", dense.initialization.rawValue)
            object.set("trainable", dense.trainable)
        case .relu, .maxPool2D, .flatten:
            break
        case .conv2D(let conv):
            object.set("initialization", conv.initialization.rawValue)
        case .loraDense(let lora):
            object.set("alpha", Double(lora.alpha))
            object.set("base_initialization", lora.baseInitialization.rawValue)
            object.set("trains_factor_a", lora.trainsFactorA)
        }
        return object
    }

    /// The layer `value` describes, as `jsonDescription` writes it; `path` names it in errors.
    init(description value: JSONValue, at path: String) throws {
        guard let kind = value["kind"]?.string else {
            throw ModelError.invalidDescription(field: path + ".kind", reason: "must be a layer kind")
        }
        let field = path + "." + kind
        func integer(_ key: String) throws -> Int { try ModelSpec.integer(value, key, at: field) }
        func initialization(_ key: String) throws -> WeightInitialization {
            guard let name = value[key]?.string, let initialization = WeightInitialization(rawValue: name) else {
                throw ModelError.invalidDescription(
                    field: field + "." + key,
                    reason: "must be one of \(WeightInitialization.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return initialization
        }
        func flag(_ key: String) throws -> Bool {
            guard case let .bool(flag)? = value[key] else {
                throw ModelError.invalidDescription(field: field + "." + key, reason: "must be true or false")
            }
            return flag
        }
        switch kind {
        case "dense":
            self = .dense(Dense(inputs: try integer("inputs"), outputs: try integer("outputs"),
                                initialization: try initialization("initialization"), trainable: try flag("trainable")))
        case "relu":
            self = .relu(ReLU(width: try integer("width")))
        case "flatten":
            self = .flatten(Flatten(width: try integer("width")))
        case "conv2d":
            self = .conv2D(Conv2D(channels: try integer("channels"), rows: try integer("rows"), columns: try integer("columns"),
                                  filters: try integer("filters"), kernel: try integer("kernel"),
                                  stride: try integer("stride"), padding: try integer("padding"),
                                  initialization: try initialization("initialization")))
        case "maxpool2d":
            self = .maxPool2D(MaxPool2D(channels: try integer("channels"), rows: try integer("rows"),
                                        columns: try integer("columns"), size: try integer("size")))
        case "lora_dense":
            guard case let .number(text)? = value["alpha"], let alpha = Float(text), alpha.isFinite, alpha > 0 else {
                throw ModelError.invalidDescription(field: field + ".alpha", reason: "must be a positive number")
            }
            self = .loraDense(LoRADense(inputs: try integer("inputs"), outputs: try integer("outputs"),
                                        rank: try integer("rank"), alpha: alpha,
                                        baseInitialization: try initialization("base_initialization"),
                                        trainsFactorA: try flag("trains_factor_a")))
        default:
            throw ModelError.invalidDescription(field: path + ".kind", reason: "unknown layer kind '\(kind)'")
        }
    }
}
