import CProtobufC
import FedSimCore
import FedSimProto

/// Encodes messages into protobuf `Envelope` bytes and decodes them back.
///
/// Float tensors cross in bulk copies (never element by element). Decoding checks the
/// protocol version before anything else and every size and value before building a
/// Swift message, so hostile bytes give a `WireError`, never a crash.
public enum WireCodec {
    /// The envelope bytes of `message`. O(size of the message).
    public static func encode(_ message: Message, protocolVersion: UInt32 = wireProtocolVersion) -> [UInt8] {
        let arena = CArena()
        var envelope = Fedsim__Envelope()
        fedsim__envelope__init(&envelope)
        envelope.protocol_version = protocolVersion
        fill(&envelope, with: message, arena: arena)
        let size = fedsim__envelope__get_packed_size(&envelope)
        guard size > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = fedsim__envelope__pack(&envelope, buffer.baseAddress!)
        }
    }

    /// The message in `bytes`, or the reason it cannot be accepted.
    public static func decode(_ bytes: [UInt8]) throws -> Message {
        try bytes.withUnsafeBufferPointer { try decode($0) }
    }

    /// The message in `buffer`, or the reason it cannot be accepted.
    public static func decode(_ buffer: UnsafeBufferPointer<UInt8>) throws -> Message {
        guard let baseAddress = buffer.baseAddress, !buffer.isEmpty,
              let envelope = fedsim__envelope__unpack(nil, buffer.count, baseAddress) else {
            throw WireError.malformed(byteCount: buffer.count)
        }
        defer { fedsim__envelope__free_unpacked(envelope, nil) }
        guard envelope.pointee.protocol_version == wireProtocolVersion else {
            throw WireError.versionMismatch(received: envelope.pointee.protocol_version, expected: wireProtocolVersion)
        }
        return try message(in: envelope.pointee)
    }

    // MARK: - Encoding

    private static func fill(_ envelope: inout Fedsim__Envelope, with message: Message, arena: CArena) {
        switch message {
        case let .hello(hello):
            var body = Fedsim__Hello()
            fedsim__hello__init(&body)
            body.worker_name = arena.string(hello.workerName)
            body.capacity = UInt32(clamping: hello.capacity)
            body.process_id = UInt32(clamping: hello.processID)
            envelope.body_case = FEDSIM__ENVELOPE__BODY_HELLO
            envelope.hello = arena.make(body)
        case let .assign(assign):
            var body = Fedsim__Assign()
            fedsim__assign__init(&body)
            body.worker_index = UInt32(clamping: assign.workerIndex)
            body.seed = assign.seed
            body.model = modelSpec(assign.model, arena: arena)
            let shards = assign.clients.map { Optional(clientShard($0, arena: arena)) }
            body.n_clients = shards.count
            body.clients = arena.copy(shards)
            envelope.body_case = FEDSIM__ENVELOPE__BODY_ASSIGN
            envelope.assign = arena.make(body)
        case let .model(broadcast):
            var body = Fedsim__Model()
            fedsim__model__init(&body)
            body.version = broadcast.version
            body.parameters = tensor(shape: [broadcast.parameters.count], values: broadcast.parameters, arena: arena)
            envelope.body_case = FEDSIM__ENVELOPE__BODY_MODEL
            envelope.model = arena.make(body)
        case let .task(task):
            var training = Fedsim__LocalTraining()
            fedsim__local_training__init(&training)
            training.epochs = UInt32(clamping: task.training.epochs)
            training.batch_size = UInt32(clamping: task.training.batchSize)
            training.learning_rate = task.training.learningRate
            training.optimizer = arena.string(task.training.optimizer.rawValue)
            training.momentum = task.training.momentum
            training.weight_decay = task.training.weightDecay
            var body = Fedsim__Task()
            fedsim__task__init(&body)
            body.client_id = UInt32(clamping: task.clientID)
            body.model_version = task.modelVersion
            body.round = UInt32(clamping: task.round)
            body.training = arena.make(training)
            envelope.body_case = FEDSIM__ENVELOPE__BODY_TASK
            envelope.task = arena.make(body)
        case let .update(update):
            var body = Fedsim__Update()
            fedsim__update__init(&body)
            body.client_id = UInt32(clamping: update.clientID)
            body.model_version = update.modelVersion
            body.round = UInt32(clamping: update.round)
            body.delta = tensor(shape: [update.delta.count], values: update.delta, arena: arena)
            body.sample_count = UInt64(clamping: update.sampleCount)
            body.train_loss = update.trainLoss
            body.steps = UInt32(clamping: update.steps)
            body.wall_compute_seconds = update.wallComputeSeconds
            envelope.body_case = FEDSIM__ENVELOPE__BODY_UPDATE
            envelope.update = arena.make(body)
        case let .gossip(gossip):
            var body = Fedsim__Gossip()
            fedsim__gossip__init(&body)
            body.from_node = UInt32(clamping: gossip.fromNode)
            body.to_node = UInt32(clamping: gossip.toNode)
            body.virtual_time = gossip.virtualTime
            body.state = tensor(shape: gossip.state.shape, values: gossip.state.values, arena: arena)
            envelope.body_case = FEDSIM__ENVELOPE__BODY_GOSSIP
            envelope.gossip = arena.make(body)
        case let .heartbeat(sequence):
            var body = Fedsim__Heartbeat()
            fedsim__heartbeat__init(&body)
            body.sequence = sequence
            envelope.body_case = FEDSIM__ENVELOPE__BODY_HEARTBEAT
            envelope.heartbeat = arena.make(body)
        case let .metrics(json):
            var body = Fedsim__Metrics()
            fedsim__metrics__init(&body)
            body.json = arena.string(json)
            envelope.body_case = FEDSIM__ENVELOPE__BODY_METRICS
            envelope.metrics = arena.make(body)
        case let .stop(reason):
            var body = Fedsim__Stop()
            fedsim__stop__init(&body)
            body.reason = arena.string(reason)
            envelope.body_case = FEDSIM__ENVELOPE__BODY_STOP
            envelope.stop = arena.make(body)
        case let .refused(reason):
            var body = Fedsim__Refused()
            fedsim__refused__init(&body)
            body.reason = arena.string(reason)
            envelope.body_case = FEDSIM__ENVELOPE__BODY_REFUSED
            envelope.refused = arena.make(body)
        }
    }

    private static func tensor(shape: [Int], values: [Float], arena: CArena) -> UnsafeMutablePointer<Fedsim__Tensor> {
        var tensor = Fedsim__Tensor()
        fedsim__tensor__init(&tensor)
        tensor.n_shape = shape.count
        tensor.shape = arena.copy(shape.map { UInt32(clamping: $0) })
        tensor.n_values = values.count
        tensor.values = arena.copy(values)
        return arena.make(tensor)
    }

    private static func modelSpec(_ spec: ModelSpec, arena: CArena) -> UnsafeMutablePointer<Fedsim__ModelSpec> {
        var body = Fedsim__ModelSpec()
        fedsim__model_spec__init(&body)
        body.kind = arena.string(spec.kind.rawValue)
        body.input_dim = UInt32(clamping: spec.inputDim)
        body.classes = UInt32(clamping: spec.classes)
        body.n_hidden = spec.hidden.count
        body.hidden = arena.copy(spec.hidden.map { UInt32(clamping: $0) })
        return arena.make(body)
    }

    private static func clientShard(_ shard: ClientShard, arena: CArena) -> UnsafeMutablePointer<Fedsim__ClientShard> {
        var body = Fedsim__ClientShard()
        fedsim__client_shard__init(&body)
        body.client_id = UInt32(clamping: shard.clientID)
        body.features = tensor(shape: [shard.data.count, shard.data.featureCount], values: shard.data.features, arena: arena)
        body.n_labels = shard.data.labels.count
        body.labels = arena.copy(shard.data.labels)
        return arena.make(body)
    }

    // MARK: - Decoding

    private static func message(in envelope: Fedsim__Envelope) throws -> Message {
        switch envelope.body_case {
        case FEDSIM__ENVELOPE__BODY_HELLO:
            let body = try required(envelope.hello, "Hello")
            return .hello(Hello(workerName: string(body.worker_name), capacity: Int(body.capacity),
                                processID: Int(body.process_id)))
        case FEDSIM__ENVELOPE__BODY_ASSIGN:
            return .assign(try assign(try required(envelope.assign, "Assign")))
        case FEDSIM__ENVELOPE__BODY_MODEL:
            let body = try required(envelope.model, "Model")
            let parameters = try tensor(body.parameters, "Model.parameters")
            return .model(ModelBroadcast(version: body.version, parameters: parameters.values))
        case FEDSIM__ENVELOPE__BODY_TASK:
            let body = try required(envelope.task, "Task")
            return .task(TrainingTask(clientID: Int(body.client_id), modelVersion: body.model_version,
                                      round: Int(body.round), training: try training(body.training)))
        case FEDSIM__ENVELOPE__BODY_UPDATE:
            let body = try required(envelope.update, "Update")
            guard body.sample_count <= UInt64(Int32.max) else {
                throw WireError.invalid(field: "Update.sample_count", reason: "\(body.sample_count) is out of range")
            }
            return .update(ClientUpdate(
                clientID: Int(body.client_id), modelVersion: body.model_version, round: Int(body.round),
                delta: try tensor(body.delta, "Update.delta").values, sampleCount: Int(body.sample_count),
                trainLoss: body.train_loss, steps: Int(body.steps), wallComputeSeconds: body.wall_compute_seconds))
        case FEDSIM__ENVELOPE__BODY_GOSSIP:
            let body = try required(envelope.gossip, "Gossip")
            return .gossip(Gossip(fromNode: Int(body.from_node), toNode: Int(body.to_node),
                                  virtualTime: body.virtual_time, state: try tensor(body.state, "Gossip.state")))
        case FEDSIM__ENVELOPE__BODY_HEARTBEAT:
            return .heartbeat(sequence: try required(envelope.heartbeat, "Heartbeat").sequence)
        case FEDSIM__ENVELOPE__BODY_METRICS:
            return .metrics(json: string(try required(envelope.metrics, "Metrics").json))
        case FEDSIM__ENVELOPE__BODY_STOP:
            return .stop(reason: string(try required(envelope.stop, "Stop").reason))
        case FEDSIM__ENVELOPE__BODY_REFUSED:
            return .refused(reason: string(try required(envelope.refused, "Refused").reason))
        default:
            throw WireError.emptyEnvelope
        }
    }

    private static func required<T>(_ pointer: UnsafeMutablePointer<T>?, _ field: String) throws -> T {
        guard let pointer else { throw WireError.invalid(field: field, reason: "missing") }
        return pointer.pointee
    }

    private static func string(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
        pointer.map { String(cString: $0) } ?? ""
    }

    private static func array<T>(_ pointer: UnsafeMutablePointer<T>?, count: Int) -> [T] {
        guard let pointer, count > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: count))
    }

    /// A tensor whose shape's product equals its value count.
    private static func tensor(_ pointer: UnsafeMutablePointer<Fedsim__Tensor>?, _ field: String) throws -> WireTensor {
        let body = try required(pointer, field)
        let shape = array(body.shape, count: body.n_shape).map(Int.init)
        var elements = 1
        for dimension in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw WireError.invalid(field: field, reason: "shape \(shape) overflows") }
            elements = product
        }
        guard elements == body.n_values else {
            throw WireError.invalid(field: field, reason: "shape \(shape) needs \(elements) values, got \(body.n_values)")
        }
        return WireTensor(shape: shape, values: array(body.values, count: body.n_values))
    }

    private static func modelSpec(_ pointer: UnsafeMutablePointer<Fedsim__ModelSpec>?) throws -> ModelSpec {
        let body = try required(pointer, "Assign.model")
        let kindName = string(body.kind)
        guard let kind = ModelKind(rawValue: kindName) else {
            throw WireError.invalid(field: "Assign.model.kind", reason: "unknown model kind '\(kindName)'")
        }
        guard body.input_dim > 0, body.classes > 0 else {
            throw WireError.invalid(field: "Assign.model", reason: "input_dim \(body.input_dim) and classes \(body.classes) must be positive")
        }
        return ModelSpec(kind: kind, inputDim: Int(body.input_dim), classes: Int(body.classes),
                         hidden: array(body.hidden, count: body.n_hidden).map(Int.init))
    }

    private static func assign(_ body: Fedsim__Assign) throws -> Assign {
        let spec = try modelSpec(body.model)
        var shards: [ClientShard] = []
        shards.reserveCapacity(body.n_clients)
        for pointer in array(body.clients, count: body.n_clients) {
            let shard = try required(pointer, "Assign.clients")
            let field = "Assign.clients[\(shard.client_id)]"
            let features = try tensor(shard.features, "\(field).features")
            let labels = array(shard.labels, count: shard.n_labels)
            guard features.shape == [labels.count, spec.inputDim] else {
                throw WireError.invalid(field: "\(field).features",
                                        reason: "shape \(features.shape), expected [\(labels.count), \(spec.inputDim)]")
            }
            if let bad = labels.first(where: { $0 < 0 || Int($0) >= spec.classes }) {
                throw WireError.invalid(field: "\(field).labels", reason: "label \(bad) outside 0..<\(spec.classes)")
            }
            shards.append(ClientShard(clientID: Int(shard.client_id), data: Dataset(
                features: features.values, labels: labels, featureCount: spec.inputDim, classCount: spec.classes)))
        }
        return Assign(workerIndex: Int(body.worker_index), seed: body.seed, model: spec, clients: shards)
    }

    private static func training(_ pointer: UnsafeMutablePointer<Fedsim__LocalTraining>?) throws -> LocalTraining {
        let body = try required(pointer, "Task.training")
        let optimizerName = string(body.optimizer)
        guard let optimizer = OptimizerKind(rawValue: optimizerName) else {
            throw WireError.invalid(field: "Task.training.optimizer", reason: "unknown optimizer '\(optimizerName)'")
        }
        guard body.epochs > 0, body.batch_size > 0 else {
            throw WireError.invalid(field: "Task.training", reason: "epochs \(body.epochs) and batch_size \(body.batch_size) must be positive")
        }
        guard body.learning_rate.isFinite, body.momentum.isFinite, body.weight_decay.isFinite else {
            throw WireError.invalid(field: "Task.training", reason: "learning_rate, momentum and weight_decay must be finite")
        }
        return LocalTraining(epochs: Int(body.epochs), batchSize: Int(body.batch_size), learningRate: body.learning_rate,
                             optimizer: optimizer, momentum: body.momentum, weightDecay: body.weight_decay)
    }
}

/// A message already encoded, so one model version can go to many workers while being
/// encoded once.
public struct EncodedMessage: Sendable {
    /// The message's kind, for logs and errors.
    public let kind: String
    public let bytes: [UInt8]

    public init(_ message: Message, protocolVersion: UInt32 = wireProtocolVersion) {
        kind = message.kind
        bytes = WireCodec.encode(message, protocolVersion: protocolVersion)
    }
}
