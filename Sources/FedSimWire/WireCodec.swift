import FedSimCore
import FedSimProto

/// Converts `Message`s to and from the protobuf envelope of Protos/fedsim.proto.
///
/// Tensors are never copied element by element: encoding points the C structs at the
/// Swift arrays' storage and packs into one buffer allocated at its final size, and
/// decoding copies each tensor out of the parsed envelope with one bulk copy. Encoding
/// and decoding a message of n floats are both O(n) with two passes over the floats.
public enum WireCodec {
    /// The envelope bytes for `message`.
    ///
    /// Integer fields travel as unsigned 32-bit values (`sampleCount` as 64-bit), and
    /// a client shard's features as the tensor `[samples, featureCount]`.
    ///
    /// - Precondition: every `Int` field is in `0...UInt32.max` (`sampleCount` in
    ///   `0...Int.max`), and a `WireTensor`'s shape product equals its value count.
    ///   A message that breaks these is a programming error on the sending side.
    public static func encode(_ message: Message, protocolVersion: UInt32 = wireProtocolVersion) -> [UInt8] {
        encode(message, protocolVersion: protocolVersion, as: [UInt8].self)
    }

    /// The envelope for `message` in a frame libzmq sends without copying; see `encode`.
    public static func encodeFrame(_ message: Message, protocolVersion: UInt32 = wireProtocolVersion) -> ZMQFrame {
        encode(message, protocolVersion: protocolVersion, as: ZMQFrame.self)
    }

    /// The envelope bytes for `message`, packed straight into an `Output`.
    private static func encode<Output: PackedBytes>(_ message: Message, protocolVersion: UInt32, as _: Output.Type)
        -> Output {
        switch message {
        case .hello(let hello):
            return hello.workerName.withCString { workerName in
                hello.scenario.withCString { scenario in
                    var body = Fedsim__Hello()
                    fedsim__hello__init(&body)
                    body.worker_name = UnsafeMutablePointer(mutating: workerName)
                    body.capacity = wireUInt32(hello.capacity, "Hello.capacity")
                    body.process_id = wireUInt32(hello.processID, "Hello.processID")
                    body.scenario = UnsafeMutablePointer(mutating: scenario)
                    body.peer_port = wireUInt32(hello.peerPort, "Hello.peerPort")
                    body.max_message_bytes = UInt64(hello.maxMessageBytes)
                    return pack(&body, protocolVersion) { $0.body_case = FEDSIM__ENVELOPE__BODY_HELLO; $0.hello = $1 }
                }
            }

        case .assign(let assign):
            let scratch = PackScratch()
            var body = assignStruct(assign, in: scratch)
            return withExtendedLifetime(scratch) {
                pack(&body, protocolVersion) { $0.body_case = FEDSIM__ENVELOPE__BODY_ASSIGN; $0.assign = $1 }
            }

        case .model(let model):
            let scratch = PackScratch()
            return withTensor(shape: [model.parameters.count], values: model.parameters, "Model.parameters") { parameters in
                var body = Fedsim__Model()
                fedsim__model__init(&body)
                body.version = model.version
                body.parameters = parameters
                body.n_adapter_factors = model.adapterFactors.count
                body.adapter_factors = scratch.copy(model.adapterFactors)
                return withExtendedLifetime(scratch) {
                    pack(&body, protocolVersion) { $0.body_case = FEDSIM__ENVELOPE__BODY_MODEL; $0.model = $1 }
                }
            }

        case .task(let task):
            let scratch = PackScratch()
            var body = Fedsim__Task()
            fedsim__task__init(&body)
            body.client_id = wireUInt32(task.clientID, "Task.clientID")
            body.model_version = task.modelVersion
            body.job_number = wireUInt32(task.jobNumber, "Task.jobNumber")
            body.training = scratch.store(localTrainingStruct(task.training, in: scratch))
            return withExtendedLifetime(scratch) {
                pack(&body, protocolVersion) { $0.body_case = FEDSIM__ENVELOPE__BODY_TASK; $0.task = $1 }
            }

        case .update(let update):
            return withTensor(shape: [update.delta.count], values: update.delta, "Update.delta") { delta in
                var body = Fedsim__Update()
                fedsim__update__init(&body)
                body.client_id = wireUInt32(update.clientID, "Update.clientID")
                body.model_version = update.modelVersion
                body.job_number = wireUInt32(update.jobNumber, "Update.jobNumber")
                body.delta = delta
                precondition(update.sampleCount >= 0, "Update.sampleCount \(update.sampleCount) is negative")
                body.sample_count = UInt64(update.sampleCount)
                body.train_loss = update.trainLoss
                body.steps = wireUInt32(update.steps, "Update.steps")
                body.wall_compute_seconds = update.wallComputeSeconds
                return pack(&body, protocolVersion) { $0.body_case = FEDSIM__ENVELOPE__BODY_UPDATE; $0.update = $1 }
            }

        case .gossip(let gossip):
            let scratch = PackScratch()
            var body = Fedsim__Gossip()
            fedsim__gossip__init(&body)
            body.n_from_nodes = gossip.fromNodes.count
            body.from_nodes = scratch.copy(gossip.fromNodes.map { wireUInt32($0, "Gossip.fromNodes") })
            body.n_to_nodes = gossip.toNodes.count
            body.to_nodes = scratch.copy(gossip.toNodes.map { wireUInt32($0, "Gossip.toNodes") })
            body.n_events = gossip.events.count
            body.events = scratch.copy(gossip.events)
            body.width = wireUInt32(gossip.width, "Gossip.width")
            body.n_values = gossip.values.count
            body.values = scratch.copy(gossip.values)
            return withExtendedLifetime(scratch) {
                pack(&body, protocolVersion) { $0.body_case = FEDSIM__ENVELOPE__BODY_GOSSIP; $0.gossip = $1 }
            }

        case .events(let events):
            let scratch = PackScratch()
            var body = Fedsim__Events()
            fedsim__events__init(&body)
            body.n_indices = events.indices.count
            body.indices = scratch.copy(events.indices)
            body.n_times = events.times.count
            body.times = scratch.copy(events.times)
            body.n_kinds = events.kinds.count
            body.kinds = scratch.copy(events.kinds.map(\.rawValue))
            body.n_first = events.first.count
            body.first = scratch.copy(events.first.map { wireUInt32($0, "Events.first") })
            body.n_second = events.second.count
            body.second = scratch.copy(events.second.map { wireUInt32($0, "Events.second") })
            return withExtendedLifetime(scratch) {
                pack(&body, protocolVersion) { $0.body_case = FEDSIM__ENVELOPE__BODY_EVENTS; $0.events = $1 }
            }

        case .snapshot(let snapshot):
            var body = Fedsim__Snapshot()
            fedsim__snapshot__init(&body)
            body.time = snapshot.time
            body.through = snapshot.through
            return pack(&body, protocolVersion) { $0.body_case = FEDSIM__ENVELOPE__BODY_SNAPSHOT; $0.snapshot = $1 }

        case .nodeStates(let states):
            let scratch = PackScratch()
            var body = Fedsim__NodeStates()
            fedsim__node_states__init(&body)
            body.time = states.time
            body.n_nodes = states.nodes.count
            body.nodes = scratch.copy(states.nodes.map { wireUInt32($0, "NodeStates.nodes") })
            body.width = wireUInt32(states.width, "NodeStates.width")
            body.n_values = states.values.count
            body.values = scratch.copy(states.values)
            return withExtendedLifetime(scratch) {
                pack(&body, protocolVersion) { $0.body_case = FEDSIM__ENVELOPE__BODY_NODE_STATES; $0.node_states = $1 }
            }

        case .heartbeat(let sequence):
            var body = Fedsim__Heartbeat()
            fedsim__heartbeat__init(&body)
            body.sequence = sequence
            return pack(&body, protocolVersion) { $0.body_case = FEDSIM__ENVELOPE__BODY_HEARTBEAT; $0.heartbeat = $1 }

        case .ready(let clients):
            var body = Fedsim__Ready()
            fedsim__ready__init(&body)
            body.clients = wireUInt32(clients, "Ready.clients")
            return pack(&body, protocolVersion) { $0.body_case = FEDSIM__ENVELOPE__BODY_READY; $0.ready = $1 }

        case .metrics(let json):
            return json.withCString { json in
                var body = Fedsim__Metrics()
                fedsim__metrics__init(&body)
                body.json = UnsafeMutablePointer(mutating: json)
                return pack(&body, protocolVersion) { $0.body_case = FEDSIM__ENVELOPE__BODY_METRICS; $0.metrics = $1 }
            }

        case .stop(let reason):
            return reason.withCString { reason in
                var body = Fedsim__Stop()
                fedsim__stop__init(&body)
                body.reason = UnsafeMutablePointer(mutating: reason)
                return pack(&body, protocolVersion) { $0.body_case = FEDSIM__ENVELOPE__BODY_STOP; $0.stop = $1 }
            }

        case .refused(let reason):
            return reason.withCString { reason in
                var body = Fedsim__Refused()
                fedsim__refused__init(&body)
                body.reason = UnsafeMutablePointer(mutating: reason)
                return pack(&body, protocolVersion) { $0.body_case = FEDSIM__ENVELOPE__BODY_REFUSED; $0.refused = $1 }
            }
        }
    }

    /// Packs an envelope of `protocolVersion` whose body `attach` sets to `body`, into
    /// an array allocated once at the packed size.
    private static func pack<Body, Output: PackedBytes>(
        _ body: inout Body, _ protocolVersion: UInt32,
        attach: (inout Fedsim__Envelope, UnsafeMutablePointer<Body>) -> Void
    ) -> Output {
        withUnsafeMutablePointer(to: &body) { body in
            var envelope = Fedsim__Envelope()
            fedsim__envelope__init(&envelope)
            envelope.protocol_version = protocolVersion
            attach(&envelope, body)
            return withUnsafePointer(to: &envelope) { envelope in
                Output(packing: fedsim__envelope__get_packed_size(envelope)) { bytes in
                    guard let start = bytes.baseAddress else { return 0 }
                    return fedsim__envelope__pack(envelope, start.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
    }

    /// Calls `body` with a C tensor pointing at `values` (not copied) and `shape`.
    private static func withTensor<Result>(
        shape: [Int], values: [Float], _ field: String,
        _ body: (UnsafeMutablePointer<Fedsim__Tensor>) -> Result
    ) -> Result {
        var wireShape = shape.map { wireUInt32($0, field + ".shape") }
        precondition(elementCount(ofShape: shape) == values.count,
                     "\(field) has shape \(shape) but \(values.count) values")
        return wireShape.withUnsafeMutableBufferPointer { wireShape in
            values.withUnsafeBufferPointer { values in
                var tensor = Fedsim__Tensor()
                fedsim__tensor__init(&tensor)
                tensor.n_shape = wireShape.count
                tensor.shape = wireShape.baseAddress
                tensor.n_values = values.count
                tensor.values = UnsafeMutablePointer(mutating: values.baseAddress)
                return withUnsafeMutablePointer(to: &tensor, body)
            }
        }
    }

    /// The C struct of `assign`, pointing into `scratch`. An assignment is sent once
    /// per worker, so its shards are copied (one bulk copy per array) rather than
    /// pinned with one nested closure per client.
    private static func assignStruct(_ assign: Assign, in scratch: PackScratch) -> Fedsim__Assign {
        let layers = assign.model.layers.enumerated().map { index, layer in
            scratch.store(layerStruct(layer, "ModelSpec.layers[\(index)]", in: scratch))
        }
        var model = Fedsim__ModelSpec()
        fedsim__model_spec__init(&model)
        model.input_dim = wireUInt32(assign.model.inputDim, "ModelSpec.inputDim")
        model.n_layers = layers.count
        model.layers = scratch.copy(layers.map(Optional.some))

        let shards = assign.clients.map { client -> UnsafeMutablePointer<Fedsim__ClientShard>? in
            var shard = Fedsim__ClientShard()
            fedsim__client_shard__init(&shard)
            shard.client_id = wireUInt32(client.clientID, "ClientShard.clientID")
            shard.flip_labels = client.flipsLabels ? 1 : 0
            switch client.content {
            case let .rows(data):
                shard.features = scratch.store(copiedTensor(shape: [
                    wireUInt32(data.count, "ClientShard.samples"),
                    wireUInt32(data.featureCount, "ClientShard.featureCount"),
                ], values: data.features, in: scratch))
                shard.n_labels = data.labels.count
                shard.labels = scratch.copy(data.labels)
                if let targets = data.targets {
                    shard.n_targets = targets.count
                    shard.targets = scratch.copy(targets)
                }
            case let .described(samples, hash):
                shard.sample_count = wireUInt32(samples, "ClientShard.sampleCount")
                let digest = hash.bytes
                shard.content_hash = ProtobufCBinaryData(len: digest.count, data: scratch.copy(digest))
            }
            return scratch.store(shard)
        }

        var body = Fedsim__Assign()
        fedsim__assign__init(&body)
        body.worker_index = wireUInt32(assign.workerIndex, "Assign.workerIndex")
        body.seed = assign.seed
        body.model = scratch.store(model)
        body.n_clients = shards.count
        body.clients = scratch.copy(shards)
        if let decentralized = assign.decentralized {
            body.decentralized = scratch.store(decentralizedStruct(decentralized, in: scratch))
        }
        if let recipe = assign.dataRecipe { body.data_recipe = scratch.cString(recipe) }
        if !assign.frozenParameters.isEmpty {
            body.frozen_parameters = scratch.store(copiedTensor(
                shape: [wireUInt32(assign.frozenParameters.count, "Assign.frozenParameters")],
                values: assign.frozenParameters, in: scratch))
        }
        if let expert = assign.expertParameters {
            body.expert_parameters = scratch.store(copiedTensor(
                shape: [wireUInt32(expert.count, "Assign.expertParameters")], values: expert, in: scratch))
        }
        return body
    }

    /// The C struct of a tensor whose shape and values are copied into `scratch`.
    private static func copiedTensor(shape: [UInt32], values: [Float], in scratch: PackScratch) -> Fedsim__Tensor {
        var tensor = Fedsim__Tensor()
        fedsim__tensor__init(&tensor)
        tensor.n_shape = shape.count
        tensor.shape = scratch.copy(shape)
        tensor.n_values = values.count
        tensor.values = scratch.copy(values)
        return tensor
    }

    /// The C struct of local training settings, pointing into `scratch`.
    private static func localTrainingStruct(_ settings: LocalTraining, in scratch: PackScratch) -> Fedsim__LocalTraining {
        var training = Fedsim__LocalTraining()
        fedsim__local_training__init(&training)
        switch settings.work {
        case .epochs(let epochs): training.epochs = wireUInt32(epochs, "LocalTraining.epochs")
        case .steps(let steps): training.steps = wireUInt32(steps, "LocalTraining.steps")
        }
        training.batch_size = wireUInt32(settings.batchSize, "LocalTraining.batchSize")
        training.learning_rate = settings.learningRate
        training.optimizer = scratch.cString(settings.optimizer.rawValue)
        training.momentum = settings.momentum
        training.weight_decay = settings.weightDecay
        training.proximal_mu = settings.proximalMu
        training.gradient_clip = settings.gradientClip ?? 0
        if let ordering = settings.ordering {
            training.ordering = scratch.cString(ordering.order.rawValue)
            training.pacing_function = scratch.cString(ordering.pacing.function.rawValue)
            training.pacing_start = ordering.pacing.start
            training.pacing_full_at = ordering.pacing.fullAt
            if case let .rounds(current, total) = ordering.pacing.span {
                training.pacing_round = wireUInt32(current, "LocalTraining.pacingRound")
                training.pacing_rounds = wireUInt32(total, "LocalTraining.pacingRounds")
            }
        }
        if let privacy = settings.privacy {
            training.dp_sampling_rate = privacy.samplingRate
            training.dp_clip_norm = privacy.clipNorm
            training.dp_noise_multiplier = privacy.noiseMultiplier
        }
        return training
    }

    /// The C struct of a decentralized run's assignment, pointing into `scratch`.
    private static func decentralizedStruct(_ assignment: DecentralizedAssignment, in scratch: PackScratch)
        -> Fedsim__Decentralized {
        var body = Fedsim__Decentralized()
        fedsim__decentralized__init(&body)
        body.algorithm = scratch.cString(assignment.algorithm)
        (body.n_setting_names, body.setting_names, body.n_setting_values, body.setting_values) =
            namedValueColumns(assignment.settings, in: scratch)
        let edges = assignment.graph.edges.flatMap { [$0.i, $0.j] }
        body.n_edges = edges.count
        body.edges = scratch.copy(edges.map { wireUInt32($0, "Decentralized.edges") })
        body.n_hosts = assignment.hosts.count
        body.hosts = scratch.copy(assignment.hosts.map { wireUInt32($0, "Decentralized.hosts") })
        body.n_peers = assignment.peers.count
        body.peers = scratch.copy(assignment.peers.map { Optional(scratch.cString($0)) })
        if let training = assignment.training {
            body.training = scratch.store(localTrainingStruct(training, in: scratch))
        }
        body.objective = scratch.cString(assignment.objective)
        body.regularization = assignment.regularization
        body.total_rows = UInt64(assignment.totalRows)
        body.n_peer_keys = assignment.peerKeys.count
        body.peer_keys = scratch.copy(assignment.peerKeys.map { key in
            ProtobufCBinaryData(len: key.bytes.count, data: scratch.copy(key.bytes))
        })
        body.n_byzantine_nodes = assignment.byzantineNodes.count
        body.byzantine_nodes = scratch.copy(assignment.byzantineNodes.map { wireUInt32($0, "Decentralized.byzantineNodes") })
        body.attack = scratch.cString(assignment.attack)
        (body.n_attack_setting_names, body.attack_setting_names, body.n_attack_setting_values, body.attack_setting_values) =
            namedValueColumns(assignment.attackSettings, in: scratch)
        body.mixing_rule = scratch.cString(assignment.mixingRule)
        (body.n_mixing_setting_names, body.mixing_setting_names, body.n_mixing_setting_values, body.mixing_setting_values) =
            namedValueColumns(assignment.mixingSettings, in: scratch)
        return body
    }

    /// Named values as the two parallel columns of a message, names and values.
    private static func namedValueColumns(_ settings: [NamedValue], in scratch: PackScratch)
        -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, Int, UnsafeMutablePointer<Double>?) {
        (settings.count, scratch.copy(settings.map { Optional(scratch.cString($0.name)) }),
         settings.count, scratch.copy(settings.map(\.value)))
    }

    /// The C struct of one layer of a model spec, pointing into `scratch`.
    private static func layerStruct(_ layer: LayerSpec, _ field: String, in scratch: PackScratch) -> Fedsim__LayerSpec {
        var wire = Fedsim__LayerSpec()
        fedsim__layer_spec__init(&wire)
        switch layer {
        case .dense(let dense):
            var body = Fedsim__DenseLayer()
            fedsim__dense_layer__init(&body)
            body.inputs = wireUInt32(dense.inputs, field + ".dense.inputs")
            body.outputs = wireUInt32(dense.outputs, field + ".dense.outputs")
            body.initialization = scratch.cString(dense.initialization.rawValue)
            body.frozen = dense.trainable ? 0 : 1
            wire.kind_case = FEDSIM__LAYER_SPEC__KIND_DENSE
            wire.dense = scratch.store(body)
        case .relu(let relu):
            var body = Fedsim__ReluLayer()
            fedsim__relu_layer__init(&body)
            body.width = wireUInt32(relu.width, field + ".relu.width")
            wire.kind_case = FEDSIM__LAYER_SPEC__KIND_RELU
            wire.relu = scratch.store(body)
        case .loraDense(let lora):
            var body = Fedsim__LoraDenseLayer()
            fedsim__lora_dense_layer__init(&body)
            body.inputs = wireUInt32(lora.inputs, field + ".lora_dense.inputs")
            body.outputs = wireUInt32(lora.outputs, field + ".lora_dense.outputs")
            body.rank = wireUInt32(lora.rank, field + ".lora_dense.rank")
            body.alpha = lora.alpha
            body.base_initialization = scratch.cString(lora.baseInitialization.rawValue)
            body.trains_factor_a = lora.trainsFactorA ? 1 : 0
            wire.kind_case = FEDSIM__LAYER_SPEC__KIND_LORA_DENSE
            wire.lora_dense = scratch.store(body)
        case .conv2D(let conv):
            var body = Fedsim__Conv2DLayer()
            fedsim__conv2_dlayer__init(&body)
            body.channels = wireUInt32(conv.channels, field + ".conv2d.channels")
            body.rows = wireUInt32(conv.rows, field + ".conv2d.rows")
            body.columns = wireUInt32(conv.columns, field + ".conv2d.columns")
            body.filters = wireUInt32(conv.filters, field + ".conv2d.filters")
            body.kernel = wireUInt32(conv.kernel, field + ".conv2d.kernel")
            body.stride = wireUInt32(conv.stride, field + ".conv2d.stride")
            body.padding = wireUInt32(conv.padding, field + ".conv2d.padding")
            body.initialization = scratch.cString(conv.initialization.rawValue)
            wire.kind_case = FEDSIM__LAYER_SPEC__KIND_CONV2D
            wire.conv2d = scratch.store(body)
        case .maxPool2D(let pool):
            var body = Fedsim__MaxPool2DLayer()
            fedsim__max_pool2_dlayer__init(&body)
            body.channels = wireUInt32(pool.channels, field + ".maxpool2d.channels")
            body.rows = wireUInt32(pool.rows, field + ".maxpool2d.rows")
            body.columns = wireUInt32(pool.columns, field + ".maxpool2d.columns")
            body.size = wireUInt32(pool.size, field + ".maxpool2d.size")
            wire.kind_case = FEDSIM__LAYER_SPEC__KIND_MAXPOOL2D
            wire.maxpool2d = scratch.store(body)
        case .flatten(let flatten):
            var body = Fedsim__FlattenLayer()
            fedsim__flatten_layer__init(&body)
            body.width = wireUInt32(flatten.width, field + ".flatten.width")
            wire.kind_case = FEDSIM__LAYER_SPEC__KIND_FLATTEN
            wire.flatten = scratch.store(body)
        }
        return wire
    }

    /// `value` as the wire's uint32. Traps if it does not fit: see `encode`.
    private static func wireUInt32(_ value: Int, _ field: @autoclosure () -> String) -> UInt32 {
        guard let wire = UInt32(exactly: value) else {
            preconditionFailure("\(field()) \(value) does not fit the wire's uint32")
        }
        return wire
    }
}
/// Bytes an envelope is packed into in place: `fill` writes `count` bytes and returns
/// how many it wrote.
protocol PackedBytes {
    init(packing count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int)
}

extension Array: PackedBytes where Element == UInt8 {
    init(packing count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) {
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = fill(UnsafeMutableRawBufferPointer(buffer))
        }
    }
}

extension ZMQFrame: PackedBytes {
    convenience init(packing count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) {
        self.init(count: count, fill: fill)
    }
}

/// A message already encoded, in a frame libzmq sends without copying, so one model
/// version goes to many workers encoded once and never copied.
public struct EncodedMessage: Sendable {
    /// The message's kind, for logs and errors.
    public let kind: String
    public let frame: ZMQFrame

    public init(_ message: Message, protocolVersion: UInt32 = wireProtocolVersion) {
        kind = message.kind
        frame = WireCodec.encodeFrame(message, protocolVersion: protocolVersion)
    }

    /// The envelope's length in bytes.
    public var count: Int { frame.count }

    /// A copy of the envelope's bytes. O(n).
    public var bytes: [UInt8] { frame.bytes }
}
