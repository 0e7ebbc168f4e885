import FedSimCore
import FedSimProto

extension WireCodec {
    /// The message in `bytes`, or a `WireError` saying why it was refused.
    ///
    /// Never traps, whatever the bytes: the protocol version is checked before the
    /// body is read, then every size, range and name the body carries. Tensors need
    /// a shape whose product is their value count (any shape is accepted for the
    /// flat vectors of `ModelBroadcast` and `ClientUpdate`); a model spec passes
    /// `ModelSpec.validate` (refusals name the field, as `ModelSpec.layers[2].dense.outputs`)
    /// and its layers have known kinds and initializations; a client shard's features
    /// have shape `[labels, inputDim]` and its labels lie in `0..<classes` of the
    /// assignment's model; client ids of one assignment are distinct; optimizer names
    /// are known; a batch size is at least 1, optimizer
    /// coefficients are finite and FedProx's mu is also non-negative; DP-SGD settings
    /// are all absent or a valid `DPSGDConfig`. Float values inside tensors are not
    /// inspected.
    ///
    /// O(n) in the size of `bytes`, with one bulk copy of each tensor.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> Message {
        let start = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        guard let envelope = fedsim__envelope__unpack(nil, bytes.count, start) else {
            throw WireError.malformed(byteCount: bytes.count)
        }
        defer { fedsim__envelope__free_unpacked(envelope, nil) }
        return try message(in: envelope.pointee)
    }

    /// The message in `bytes`; see `decode(_: UnsafeRawBufferPointer)`.
    public static func decode(_ bytes: [UInt8]) throws -> Message {
        try bytes.withUnsafeBytes { try decode($0) }
    }

    /// The number of elements of a tensor of `shape`, or nil if a dimension is
    /// negative or the product overflows `Int`.
    static func elementCount(ofShape shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    private static func message(in envelope: Fedsim__Envelope) throws -> Message {
        guard envelope.protocol_version == wireProtocolVersion else {
            throw WireError.versionMismatch(received: envelope.protocol_version, expected: wireProtocolVersion)
        }
        switch envelope.body_case {
        case FEDSIM__ENVELOPE__BODY_HELLO:
            let hello = try required(envelope.hello, "Hello")
            return .hello(Hello(
                workerName: try string(hello.worker_name, "Hello.workerName"),
                capacity: try int(hello.capacity, "Hello.capacity"),
                processID: try int(hello.process_id, "Hello.processID"),
                scenario: try string(hello.scenario, "Hello.scenario")))

        case FEDSIM__ENVELOPE__BODY_ASSIGN:
            return .assign(try assign(required(envelope.assign, "Assign")))

        case FEDSIM__ENVELOPE__BODY_MODEL:
            let model = try required(envelope.model, "Model")
            return .model(ModelBroadcast(
                version: model.version,
                parameters: try tensor(model.parameters, "Model.parameters").values))

        case FEDSIM__ENVELOPE__BODY_TASK:
            let task = try required(envelope.task, "Task")
            return .task(TrainingTask(
                clientID: try int(task.client_id, "Task.clientID"),
                modelVersion: task.model_version,
                jobNumber: try int(task.job_number, "Task.jobNumber"),
                training: try localTraining(required(task.training, "Task.training"))))

        case FEDSIM__ENVELOPE__BODY_UPDATE:
            let update = try required(envelope.update, "Update")
            return .update(ClientUpdate(
                clientID: try int(update.client_id, "Update.clientID"),
                modelVersion: update.model_version,
                jobNumber: try int(update.job_number, "Update.jobNumber"),
                delta: try tensor(update.delta, "Update.delta").values,
                sampleCount: try int(update.sample_count, "Update.sampleCount"),
                trainLoss: update.train_loss,
                steps: try int(update.steps, "Update.steps"),
                wallComputeSeconds: update.wall_compute_seconds))

        case FEDSIM__ENVELOPE__BODY_GOSSIP:
            let gossip = try required(envelope.gossip, "Gossip")
            return .gossip(Gossip(
                fromNode: try int(gossip.from_node, "Gossip.fromNode"),
                toNode: try int(gossip.to_node, "Gossip.toNode"),
                virtualTime: gossip.virtual_time,
                state: try tensor(gossip.state, "Gossip.state")))

        case FEDSIM__ENVELOPE__BODY_HEARTBEAT:
            return .heartbeat(sequence: try required(envelope.heartbeat, "Heartbeat").sequence)

        case FEDSIM__ENVELOPE__BODY_METRICS:
            return .metrics(json: try string(required(envelope.metrics, "Metrics").json, "Metrics.json"))

        case FEDSIM__ENVELOPE__BODY_STOP:
            return .stop(reason: try string(required(envelope.stop, "Stop").reason, "Stop.reason"))

        case FEDSIM__ENVELOPE__BODY_REFUSED:
            return .refused(reason: try string(required(envelope.refused, "Refused").reason, "Refused.reason"))

        default:
            throw WireError.emptyEnvelope
        }
    }

    private static func assign(_ assign: Fedsim__Assign) throws -> Assign {
        let model = try modelSpec(required(assign.model, "Assign.model"))
        let shardPointers = try array(assign.clients, count: assign.n_clients, "Assign.clients")
        var clients = [ClientShard]()
        clients.reserveCapacity(shardPointers.count)
        var clientIDs = Set<Int>()
        for (index, pointer) in shardPointers.enumerated() {
            let field = "Assign.clients[\(index)]"
            let client = try clientShard(required(pointer, field), field, model: model)
            guard clientIDs.insert(client.clientID).inserted else {
                throw WireError.invalid(field: field + ".clientID", reason: "client \(client.clientID) is assigned twice")
            }
            clients.append(client)
        }
        return Assign(
            workerIndex: try int(assign.worker_index, "Assign.workerIndex"),
            seed: assign.seed, model: model, clients: clients)
    }

    /// The spec of `spec`, checked by `ModelSpec.validate` with its fields named from
    /// `ModelSpec`.
    private static func modelSpec(_ spec: Fedsim__ModelSpec) throws -> ModelSpec {
        let layers = try array(spec.layers, count: spec.n_layers, "ModelSpec.layers").enumerated().map { index, pointer in
            let field = "ModelSpec.layers[\(index)]"
            return try layerSpec(required(pointer, field), field)
        }
        let model = ModelSpec(inputDim: try int(spec.input_dim, "ModelSpec.inputDim"), layers: layers)
        do {
            try model.validate()
        } catch ModelError.invalidSpec(let field, let reason) {
            throw WireError.invalid(field: "ModelSpec." + field, reason: reason)
        }
        return model
    }

    private static func layerSpec(_ layer: Fedsim__LayerSpec, _ field: String) throws -> LayerSpec {
        switch layer.kind_case {
        case FEDSIM__LAYER_SPEC__KIND_DENSE:
            let dense = try required(layer.dense, field + ".dense")
            let name = try string(dense.initialization, field + ".dense.initialization")
            guard let initialization = WeightInitialization(rawValue: name) else {
                let known = WeightInitialization.allCases.map(\.rawValue).joined(separator: ", ")
                throw WireError.invalid(field: field + ".dense.initialization",
                                        reason: "unknown initialization \"\(name)\" (known: \(known))")
            }
            return .dense(Dense(inputs: try int(dense.inputs, field + ".dense.inputs"),
                                outputs: try int(dense.outputs, field + ".dense.outputs"),
                                initialization: initialization, trainable: dense.frozen == 0))
        case FEDSIM__LAYER_SPEC__KIND_RELU:
            let relu = try required(layer.relu, field + ".relu")
            return .relu(ReLU(width: try int(relu.width, field + ".relu.width")))
        default:
            throw WireError.invalid(field: field, reason: "no layer kind, or one this build does not know")
        }
    }

    private static func clientShard(_ shard: Fedsim__ClientShard, _ field: String, model: ModelSpec) throws -> ClientShard {
        let labels = try array(shard.labels, count: shard.n_labels, field + ".labels")
        let features = try tensor(shard.features, field + ".features")
        guard features.shape == [labels.count, model.inputDim] else {
            throw WireError.invalid(
                field: field + ".features",
                reason: "shape \(features.shape) does not match \(labels.count) labels x inputDim \(model.inputDim)")
        }
        if let row = labels.firstIndex(where: { $0 < 0 || Int($0) >= model.classes }) {
            throw WireError.invalid(
                field: field + ".labels",
                reason: "label \(labels[row]) at row \(row) is outside 0..<\(model.classes)")
        }
        return ClientShard(
            clientID: try int(shard.client_id, field + ".clientID"),
            data: Dataset(features: features.values, labels: labels,
                          featureCount: model.inputDim, classCount: model.classes))
    }

    private static func localTraining(_ training: Fedsim__LocalTraining) throws -> LocalTraining {
        let optimizerName = try string(training.optimizer, "LocalTraining.optimizer")
        guard let optimizer = OptimizerKind(rawValue: optimizerName) else {
            let known = OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")
            throw WireError.invalid(field: "LocalTraining.optimizer",
                                    reason: "unknown optimizer \"\(optimizerName)\" (known: \(known))")
        }
        let batchSize = try int(training.batch_size, "LocalTraining.batchSize")
        guard batchSize >= 1 else {
            throw WireError.invalid(field: "LocalTraining.batchSize", reason: "must be at least 1, got \(batchSize)")
        }
        for (name, value) in [("learningRate", training.learning_rate), ("momentum", training.momentum),
                              ("weightDecay", training.weight_decay)] where !value.isFinite {
            throw WireError.invalid(field: "LocalTraining." + name, reason: "must be finite, got \(value)")
        }
        guard training.proximal_mu.isFinite, training.proximal_mu >= 0 else {
            throw WireError.invalid(field: "LocalTraining.proximalMu",
                                    reason: "must be finite and non-negative, got \(training.proximal_mu)")
        }
        return LocalTraining(
            epochs: try int(training.epochs, "LocalTraining.epochs"), batchSize: batchSize,
            learningRate: training.learning_rate, optimizer: optimizer,
            momentum: training.momentum, weightDecay: training.weight_decay, proximalMu: training.proximal_mu,
            privacy: try privacy(training))
    }

    /// The DP-SGD settings of `training`: nil when all three fields are 0 (absent),
    /// otherwise q in (0, 1] and C and sigma finite and > 0.
    private static func privacy(_ training: Fedsim__LocalTraining) throws -> DPSGDConfig? {
        let fields = [("dpSamplingRate", training.dp_sampling_rate), ("dpClipNorm", training.dp_clip_norm),
                      ("dpNoiseMultiplier", training.dp_noise_multiplier)]
        guard fields.contains(where: { $0.1 != 0 }) else { return nil }
        guard training.dp_sampling_rate > 0, training.dp_sampling_rate <= 1 else {
            throw WireError.invalid(field: "LocalTraining.dpSamplingRate",
                                    reason: "must be in (0, 1] when DP-SGD is on, got \(training.dp_sampling_rate)")
        }
        for (name, value) in fields.dropFirst() where !(value.isFinite && value > 0) {
            throw WireError.invalid(field: "LocalTraining." + name,
                                    reason: "must be finite and > 0 when DP-SGD is on, got \(value)")
        }
        return try DPSGDConfig(samplingRate: training.dp_sampling_rate, clipNorm: training.dp_clip_norm,
                               noiseMultiplier: training.dp_noise_multiplier)
    }

    /// The tensor at `pointer`, its values copied out in one bulk copy.
    private static func tensor(_ pointer: UnsafeMutablePointer<Fedsim__Tensor>?, _ field: String) throws -> WireTensor {
        let tensor = try required(pointer, field)
        let shape = try array(tensor.shape, count: tensor.n_shape, field + ".shape").map { try int($0, field + ".shape") }
        guard let expected = elementCount(ofShape: shape) else {
            throw WireError.invalid(field: field + ".shape", reason: "shape \(shape) has more elements than Int can count")
        }
        guard expected == tensor.n_values else {
            throw WireError.invalid(field: field, reason: "shape \(shape) holds \(expected) values but \(tensor.n_values) were sent")
        }
        return WireTensor(shape: shape, values: try array(tensor.values, count: tensor.n_values, field + ".values"))
    }

    /// The submessage at `pointer`; a missing one is refused.
    private static func required<Submessage>(_ pointer: UnsafeMutablePointer<Submessage>?, _ field: String) throws -> Submessage {
        guard let pointer else { throw WireError.invalid(field: field, reason: "missing") }
        return pointer.pointee
    }

    /// A copy of the `count` elements at `start`, made with one bulk copy.
    private static func array<Element>(_ start: UnsafeMutablePointer<Element>?, count: Int, _ field: String) throws -> [Element] {
        guard count >= 0, count == 0 || start != nil else {
            throw WireError.invalid(field: field, reason: "\(count) elements without storage")
        }
        return Array(UnsafeBufferPointer(start: start, count: count))
    }

    /// The UTF-8 string at `cString`; an absent string is the proto3 default, "".
    private static func string(_ cString: UnsafeMutablePointer<CChar>?, _ field: String) throws -> String {
        guard let cString else { return "" }
        guard let string = String(validatingCString: cString) else {
            throw WireError.invalid(field: field, reason: "not valid UTF-8")
        }
        return string
    }

    /// `value` as an `Int`; a value beyond `Int.max` is refused.
    private static func int(_ value: some BinaryInteger, _ field: String) throws -> Int {
        guard let int = Int(exactly: value) else {
            throw WireError.invalid(field: field, reason: "\(value) exceeds the largest Int")
        }
        return int
    }
}
