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
    /// assignment's model; client ids of one assignment are distinct, and its frozen
    /// vector has the model's frozen parameter count; optimizer names
    /// are known; a batch size is at least 1, optimizer
    /// coefficients are finite and FedProx's mu is also non-negative; DP-SGD settings
    /// are all absent or a valid `DPSGDConfig`. Float values inside tensors are not
    /// inspected.
    ///
    /// O(n) in the size of `bytes`, with one bulk copy of each tensor of an Update or a
    /// Model in canonical encoding (`decodeTensorMessage`), two of other tensors.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> Message {
        try decodeTensorMessage(bytes) ?? decode(bytes, tensorFastPath: false)
    }

    /// The message in `bytes`, read with protobuf-c alone when `tensorFastPath` is false:
    /// the reference `decode` agrees with (an Update or a Model it reads is what
    /// protobuf-c reads). See `decode(_: UnsafeRawBufferPointer)`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, tensorFastPath: Bool) throws -> Message {
        if tensorFastPath, let message = decodeTensorMessage(bytes) { return message }
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

    /// Whether `bytes` hold an envelope whose body is an Assign, read from the
    /// envelope's top-level field keys alone (nothing is decoded); false for bytes that
    /// are not an envelope. Lets a receiver bound other messages more tightly than
    /// Assigns, which carry client data, before decoding them.
    public static func isAssign(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { isAssign($0) }
    }

    /// Whether `bytes` hold an envelope whose body is an Assign; see `isAssign(_: [UInt8])`.
    public static func isAssign(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        /// The varint at `offset`, which it moves past; nil when the bytes end first.
        func varint() -> UInt64? {
            var value: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 7) {
                guard offset < bytes.count else { return nil }
                let byte = bytes[offset]
                offset += 1
                value |= UInt64(byte & 0x7F) << UInt64(shift)
                if byte & 0x80 == 0 { return value }
            }
            return nil
        }
        while let key = varint() {
            let (field, wireType) = (key >> 3, key & 7)
            switch wireType {
            case 0:
                guard varint() != nil else { return false }
            case 1, 5:
                offset += wireType == 1 ? 8 : 4
            case 2:
                if field == UInt64(FEDSIM__ENVELOPE__BODY_ASSIGN.rawValue) { return true }
                guard let length = varint(), length <= UInt64(bytes.count - offset) else { return false }
                offset += Int(length)
            default:
                return false
            }
        }
        return false
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
                scenario: try string(hello.scenario, "Hello.scenario"),
                peerPort: try int(hello.peer_port, "Hello.peerPort"),
                maxMessageBytes: try int(hello.max_message_bytes, "Hello.maxMessageBytes")))

        case FEDSIM__ENVELOPE__BODY_ASSIGN:
            return .assign(try assign(required(envelope.assign, "Assign")))

        case FEDSIM__ENVELOPE__BODY_MODEL:
            let model = try required(envelope.model, "Model")
            let factors = try array(model.adapter_factors, count: model.n_adapter_factors, "Model.adapterFactors")
            if let index = factors.firstIndex(where: { !$0.isFinite }) {
                throw WireError.invalid(field: "Model.adapterFactors", reason: "value \(index) is \(factors[index])")
            }
            return .model(ModelBroadcast(
                version: model.version,
                parameters: try tensor(model.parameters, "Model.parameters").values, adapterFactors: factors))

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
            return .gossip(try gossip(required(envelope.gossip, "Gossip")))

        case FEDSIM__ENVELOPE__BODY_EVENTS:
            return .events(try events(required(envelope.events, "Events")))

        case FEDSIM__ENVELOPE__BODY_SNAPSHOT:
            let snapshot = try required(envelope.snapshot, "Snapshot")
            guard snapshot.time.isFinite, snapshot.time >= 0 else {
                throw WireError.invalid(field: "Snapshot.time", reason: "must be finite and non-negative, got \(snapshot.time)")
            }
            return .snapshot(SnapshotRequest(time: snapshot.time, through: snapshot.through))

        case FEDSIM__ENVELOPE__BODY_NODE_STATES:
            return .nodeStates(try nodeStates(required(envelope.node_states, "NodeStates")))

        case FEDSIM__ENVELOPE__BODY_HEARTBEAT:
            return .heartbeat(sequence: try required(envelope.heartbeat, "Heartbeat").sequence)

        case FEDSIM__ENVELOPE__BODY_READY:
            return .ready(clients: try int(required(envelope.ready, "Ready").clients, "Ready.clients"))

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
        let recipe = try string(assign.data_recipe, "Assign.dataRecipe")
        let shardPointers = try array(assign.clients, count: assign.n_clients, "Assign.clients")
        var clients = [ClientShard]()
        clients.reserveCapacity(shardPointers.count)
        var clientIDs = Set<Int>()
        for (index, pointer) in shardPointers.enumerated() {
            let field = "Assign.clients[\(index)]"
            let shard = try required(pointer, field)
            let client = recipe.isEmpty ? try clientShard(shard, field, model: model) : try describedShard(shard, field)
            guard clientIDs.insert(client.clientID).inserted else {
                throw WireError.invalid(field: field + ".clientID", reason: "client \(client.clientID) is assigned twice")
            }
            clients.append(client)
        }
        let frozen = try assign.frozen_parameters.map { try tensor($0, "Assign.frozenParameters").values } ?? []
        guard frozen.count == model.frozenParameterCount else {
            throw WireError.invalid(field: "Assign.frozenParameters",
                                    reason: "\(frozen.count) values, the model has \(model.frozenParameterCount) frozen parameters")
        }
        let expert = try assign.expert_parameters.map { try tensor($0, "Assign.expertParameters").values }
        if let expert {
            guard expert.count == model.trainableParameterCount else {
                throw WireError.invalid(field: "Assign.expertParameters", reason: "\(expert.count) values, the model has "
                                        + "\(model.trainableParameterCount) trainable parameters")
            }
            if let index = expert.firstIndex(where: { !$0.isFinite }) {
                throw WireError.invalid(field: "Assign.expertParameters", reason: "value \(expert[index]) at \(index) is not finite")
            }
        }
        return Assign(
            workerIndex: try int(assign.worker_index, "Assign.workerIndex"),
            seed: assign.seed, model: model, clients: clients,
            decentralized: try assign.decentralized.map { try decentralized($0.pointee) }, frozenParameters: frozen,
            dataRecipe: recipe.isEmpty ? nil : recipe, expertParameters: expert)
    }

    /// A decentralized run's assignment: settings as names with finite values, an edge
    /// list of a valid graph, a host (among the peers) for every node.
    private static func decentralized(_ body: Fedsim__Decentralized) throws -> DecentralizedAssignment {
        let settings = try namedValues(body.setting_names, body.n_setting_names, body.setting_values,
                                       body.n_setting_values, "Decentralized.setting")
        let hosts = try array(body.hosts, count: body.n_hosts, "Decentralized.hosts").map { try int($0, "Decentralized.hosts") }
        guard !hosts.isEmpty else { throw WireError.invalid(field: "Decentralized.hosts", reason: "no node has a host") }
        let peers = try array(body.peers, count: body.n_peers, "Decentralized.peers")
            .enumerated().map { try string($1, "Decentralized.peers[\($0)]") }
        if let bad = hosts.firstIndex(where: { $0 >= peers.count }) {
            throw WireError.invalid(field: "Decentralized.hosts[\(bad)]",
                                    reason: "worker \(hosts[bad]) of \(peers.count) workers")
        }
        let flat = try array(body.edges, count: body.n_edges, "Decentralized.edges").map { try int($0, "Decentralized.edges") }
        guard flat.count % 2 == 0 else {
            throw WireError.invalid(field: "Decentralized.edges", reason: "an odd number of node ids, \(flat.count)")
        }
        let graph: Graph
        do {
            graph = try Graph(nodes: max(hosts.count, 1), edges: stride(from: 0, to: flat.count, by: 2).map { (flat[$0], flat[$0 + 1]) })
        } catch {
            throw WireError.invalid(field: "Decentralized.edges", reason: "\(error)")
        }
        let peerKeys = try array(body.peer_keys, count: body.n_peer_keys, "Decentralized.peerKeys")
            .enumerated().map { index, key in
                guard key.len == 0 || key.data != nil,
                      let key = CurveKey(bytes: Array(UnsafeBufferPointer(start: key.data, count: key.len))) else {
                    throw WireError.invalid(field: "Decentralized.peerKeys[\(index)]", reason: "\(key.len) bytes, a CURVE key has 32")
                }
                return key
            }
        guard peerKeys.isEmpty || peerKeys.count == peers.count else {
            throw WireError.invalid(field: "Decentralized.peerKeys", reason: "\(peerKeys.count) keys for \(peers.count) workers")
        }
        let byzantine = try array(body.byzantine_nodes, count: body.n_byzantine_nodes, "Decentralized.byzantineNodes")
            .map { try int($0, "Decentralized.byzantineNodes") }
        if let bad = byzantine.indices.first(where: { byzantine[$0] >= hosts.count || ($0 > 0 && byzantine[$0] <= byzantine[$0 - 1]) }) {
            throw WireError.invalid(field: "Decentralized.byzantineNodes[\(bad)]",
                                    reason: "node \(byzantine[bad]) is not ascending among the \(hosts.count) nodes")
        }
        guard body.regularization.isFinite, body.regularization >= 0 else {
            throw WireError.invalid(field: "Decentralized.regularization",
                                    reason: "must be finite and >= 0, got \(body.regularization)")
        }
        return DecentralizedAssignment(
            algorithm: try string(body.algorithm, "Decentralized.algorithm"),
            settings: settings, graph: graph, hosts: hosts, peers: peers,
            training: try body.training.map { try localTraining($0.pointee) },
            objective: try string(body.objective, "Decentralized.objective"), regularization: body.regularization,
            totalRows: try int(body.total_rows, "Decentralized.totalRows"), peerKeys: peerKeys,
            byzantineNodes: byzantine, attack: try string(body.attack, "Decentralized.attack"),
            attackSettings: try namedValues(body.attack_setting_names, body.n_attack_setting_names,
                                            body.attack_setting_values, body.n_attack_setting_values,
                                            "Decentralized.attackSetting"),
            mixingRule: try string(body.mixing_rule, "Decentralized.mixingRule"),
            mixingSettings: try namedValues(body.mixing_setting_names, body.n_mixing_setting_names,
                                            body.mixing_setting_values, body.n_mixing_setting_values,
                                            "Decentralized.mixingSetting"))
    }

    /// Settings as parallel columns of names and finite values (fields `<field>Names` and
    /// `<field>Values`).
    private static func namedValues(_ names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ nameCount: Int,
                                    _ values: UnsafeMutablePointer<Double>?, _ valueCount: Int,
                                    _ field: String) throws -> [NamedValue] {
        let names = try array(names, count: nameCount, field + "Names")
            .enumerated().map { try string($1, field + "Names[\($0)]") }
        let values = try array(values, count: valueCount, field + "Values")
        guard names.count == values.count else {
            throw WireError.invalid(field: field + "Values", reason: "\(values.count) values for \(names.count) setting names")
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw WireError.invalid(field: field + "Values[\(bad)]", reason: "must be finite, got \(values[bad])")
        }
        return zip(names, values).map { NamedValue($0, $1) }
    }

    /// A gossip batch whose columns have one entry per message and `width` values each.
    private static func gossip(_ body: Fedsim__Gossip) throws -> GossipBatch {
        let events = try array(body.events, count: body.n_events, "Gossip.events")
        let from = try columnOfCount(events.count, body.from_nodes, body.n_from_nodes, "Gossip.fromNodes")
        let to = try columnOfCount(events.count, body.to_nodes, body.n_to_nodes, "Gossip.toNodes")
        let width = try int(body.width, "Gossip.width")
        let values = try array(body.values, count: body.n_values, "Gossip.values")
        try checkRows(events.count, width: width, values: values.count, "Gossip.values")
        return GossipBatch(fromNodes: try from.map { try int($0, "Gossip.fromNodes") },
                           toNodes: try to.map { try int($0, "Gossip.toNodes") }, events: events, width: width,
                           values: values)
    }

    /// An event batch whose columns have one entry per event, known kinds, finite
    /// non-negative times, and increasing indices.
    private static func events(_ body: Fedsim__Events) throws -> EventBatch {
        let indices = try array(body.indices, count: body.n_indices, "Events.indices")
        let times = try columnOfCount(indices.count, body.times, body.n_times, "Events.times")
        let kinds = try columnOfCount(indices.count, body.kinds, body.n_kinds, "Events.kinds")
        let first = try columnOfCount(indices.count, body.first, body.n_first, "Events.first")
        let second = try columnOfCount(indices.count, body.second, body.n_second, "Events.second")
        if let bad = times.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
            throw WireError.invalid(field: "Events.times[\(bad)]", reason: "must be finite and non-negative, got \(times[bad])")
        }
        if let bad = indices.indices.dropFirst().first(where: { indices[$0] <= indices[$0 - 1] }) {
            throw WireError.invalid(field: "Events.indices[\(bad)]", reason: "indices must increase")
        }
        return EventBatch(
            indices: indices, times: times,
            kinds: try kinds.enumerated().map { index, raw in
                guard let kind = GossipEvent.Kind(rawValue: raw) else {
                    throw WireError.invalid(field: "Events.kinds[\(index)]", reason: "unknown event kind \(raw)")
                }
                return kind
            },
            first: try first.map { try int($0, "Events.first") }, second: try second.map { try int($0, "Events.second") })
    }

    private static func nodeStates(_ body: Fedsim__NodeStates) throws -> NodeStates {
        let nodes = try array(body.nodes, count: body.n_nodes, "NodeStates.nodes").map { try int($0, "NodeStates.nodes") }
        let width = try int(body.width, "NodeStates.width")
        let values = try array(body.values, count: body.n_values, "NodeStates.values")
        try checkRows(nodes.count, width: width, values: values.count, "NodeStates.values")
        return NodeStates(time: body.time, nodes: nodes, width: width, values: values)
    }

    /// A column of a columnar message, which must have `count` entries like the first.
    private static func columnOfCount<Element>(_ count: Int, _ start: UnsafeMutablePointer<Element>?, _ n: Int,
                                               _ field: String) throws -> [Element] {
        guard n == count else { throw WireError.invalid(field: field, reason: "\(n) entries for \(count) rows") }
        return try array(start, count: n, field)
    }

    /// Throws unless `values` is `rows` x `width`.
    private static func checkRows(_ rows: Int, width: Int, values: Int, _ field: String) throws {
        let (expected, overflow) = rows.multipliedReportingOverflow(by: width)
        guard !overflow, expected == values else {
            throw WireError.invalid(field: field, reason: "\(values) values for \(rows) rows of \(width)")
        }
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
            return .dense(Dense(inputs: try int(dense.inputs, field + ".dense.inputs"),
                                outputs: try int(dense.outputs, field + ".dense.outputs"),
                                initialization: try initialization(dense.initialization, field + ".dense.initialization"),
                                trainable: dense.frozen == 0))
        case FEDSIM__LAYER_SPEC__KIND_RELU:
            let relu = try required(layer.relu, field + ".relu")
            return .relu(ReLU(width: try int(relu.width, field + ".relu.width")))
        case FEDSIM__LAYER_SPEC__KIND_LORA_DENSE:
            let lora = try required(layer.lora_dense, field + ".lora_dense")
            guard lora.alpha.isFinite, lora.alpha > 0 else {
                throw WireError.invalid(field: field + ".lora_dense.alpha", reason: "must be positive and finite, got \(lora.alpha)")
            }
            return .loraDense(LoRADense(
                inputs: try int(lora.inputs, field + ".lora_dense.inputs"),
                outputs: try int(lora.outputs, field + ".lora_dense.outputs"),
                rank: try int(lora.rank, field + ".lora_dense.rank"), alpha: lora.alpha,
                baseInitialization: try initialization(lora.base_initialization, field + ".lora_dense.base_initialization"),
                trainsFactorA: lora.trains_factor_a != 0))
        case FEDSIM__LAYER_SPEC__KIND_CONV2D:
            let conv = try required(layer.conv2d, field + ".conv2d")
            let path = field + ".conv2d."
            return .conv2D(Conv2D(
                channels: try int(conv.channels, path + "channels"), rows: try int(conv.rows, path + "rows"),
                columns: try int(conv.columns, path + "columns"), filters: try int(conv.filters, path + "filters"),
                kernel: try int(conv.kernel, path + "kernel"), stride: try int(conv.stride, path + "stride"),
                padding: try int(conv.padding, path + "padding"),
                initialization: try initialization(conv.initialization, path + "initialization")))
        case FEDSIM__LAYER_SPEC__KIND_MAXPOOL2D:
            let pool = try required(layer.maxpool2d, field + ".maxpool2d")
            let path = field + ".maxpool2d."
            return .maxPool2D(MaxPool2D(channels: try int(pool.channels, path + "channels"),
                                        rows: try int(pool.rows, path + "rows"),
                                        columns: try int(pool.columns, path + "columns"),
                                        size: try int(pool.size, path + "size")))
        case FEDSIM__LAYER_SPEC__KIND_FLATTEN:
            let flatten = try required(layer.flatten, field + ".flatten")
            return .flatten(Flatten(width: try int(flatten.width, field + ".flatten.width")))
        default:
            throw WireError.invalid(field: field, reason: "no layer kind, or one this build does not know")
        }
    }

    private static func initialization(_ pointer: UnsafeMutablePointer<CChar>?, _ field: String) throws
        -> WeightInitialization {
        let name = try string(pointer, field)
        guard let initialization = WeightInitialization(rawValue: name) else {
            let known = WeightInitialization.allCases.map(\.rawValue).joined(separator: ", ")
            throw WireError.invalid(field: field, reason: "unknown initialization \"\(name)\" (known: \(known))")
        }
        return initialization
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
                          featureCount: model.inputDim, classCount: model.classes,
                          targets: try targets(shard, field + ".targets", rows: labels.count, model: model)),
            flipsLabels: shard.flip_labels != 0)
    }

    /// A shard of an Assign with a data recipe: a row count and a 16-byte content hash,
    /// and no rows.
    private static func describedShard(_ shard: Fedsim__ClientShard, _ field: String) throws -> ClientShard {
        guard shard.features == nil, shard.n_labels == 0, shard.n_targets == 0 else {
            throw WireError.invalid(field: field, reason: "carries rows, but the Assign has a data recipe to build them from")
        }
        let digest = shard.content_hash
        guard digest.len == 0 || digest.data != nil,
              let hash = ContentHash(bytes: Array(UnsafeBufferPointer(start: digest.data, count: digest.len))) else {
            throw WireError.invalid(field: field + ".contentHash", reason: "\(digest.len) bytes, a content hash has 16")
        }
        return ClientShard(clientID: try int(shard.client_id, field + ".clientID"),
                           content: .described(samples: try int(shard.sample_count, field + ".sampleCount"), hash: hash),
                           flipsLabels: shard.flip_labels != 0)
    }

    /// A shard's real targets: none, or one finite value per row of a model with one output.
    private static func targets(_ shard: Fedsim__ClientShard, _ field: String, rows: Int, model: ModelSpec) throws
        -> [Double]? {
        let targets = try array(shard.targets, count: shard.n_targets, field)
        guard !targets.isEmpty else { return nil }
        guard targets.count == rows else {
            throw WireError.invalid(field: field, reason: "\(targets.count) targets for \(rows) samples")
        }
        guard model.classes == 1 else {
            throw WireError.invalid(field: field, reason: "targets come with regression data, whose model has 1 output, "
                                    + "not \(model.classes)")
        }
        if let row = targets.firstIndex(where: { !$0.isFinite }) {
            throw WireError.invalid(field: field, reason: "target \(targets[row]) at row \(row) is not finite")
        }
        return targets
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
        guard training.gradient_clip.isFinite, training.gradient_clip >= 0 else {
            throw WireError.invalid(field: "LocalTraining.gradientClip",
                                    reason: "must be finite and non-negative, got \(training.gradient_clip)")
        }
        return LocalTraining(
            work: try work(training), batchSize: batchSize,
            learningRate: training.learning_rate, optimizer: optimizer,
            momentum: training.momentum, weightDecay: training.weight_decay, proximalMu: training.proximal_mu,
            privacy: try privacy(training), gradientClip: training.gradient_clip > 0 ? training.gradient_clip : nil,
            ordering: try ordering(training))
    }

    /// The ordered local learning of `training`: nil when `ordering` is empty; otherwise
    /// a known order and pacing function, b and a in (0, 1], and a round below the
    /// rounds when the pacing spans rounds.
    private static func ordering(_ training: Fedsim__LocalTraining) throws -> DataOrdering? {
        let orderName = try string(training.ordering, "LocalTraining.ordering")
        guard !orderName.isEmpty else { return nil }
        guard let order = DataOrdering.Order(rawValue: orderName) else {
            let known = DataOrdering.Order.allCases.map(\.rawValue).joined(separator: ", ")
            throw WireError.invalid(field: "LocalTraining.ordering", reason: "unknown ordering \"\(orderName)\" (known: \(known))")
        }
        let functionName = try string(training.pacing_function, "LocalTraining.pacingFunction")
        guard let function = Pacing.Function(rawValue: functionName) else {
            let known = Pacing.Function.allCases.map(\.rawValue).joined(separator: ", ")
            throw WireError.invalid(field: "LocalTraining.pacingFunction",
                                    reason: "unknown pacing function \"\(functionName)\" (known: \(known))")
        }
        for (name, value) in [("pacingStart", training.pacing_start), ("pacingFullAt", training.pacing_full_at)]
        where !(value > 0 && value <= 1) {
            throw WireError.invalid(field: "LocalTraining." + name, reason: "must be in (0, 1], got \(value)")
        }
        var span = Pacing.Span.localSteps
        if training.pacing_rounds > 0 {
            guard training.pacing_round < training.pacing_rounds else {
                throw WireError.invalid(field: "LocalTraining.pacingRound", reason: "round \(training.pacing_round) "
                                        + "is not below the \(training.pacing_rounds) rounds the pacing spans")
            }
            span = .rounds(current: try int(training.pacing_round, "LocalTraining.pacingRound"),
                           total: try int(training.pacing_rounds, "LocalTraining.pacingRounds"))
        }
        return DataOrdering(order: order, pacing: Pacing(function: function, start: training.pacing_start,
                                                          fullAt: training.pacing_full_at, span: span))
    }

    /// The local work of `training`: `steps` optimizer steps when that field is set, and
    /// then `epochs` must be 0; `epochs` passes otherwise.
    /// At most as much work as a scenario can ask for (`training.local_epochs`,
    /// `local_steps`), so no message can keep a worker busy for years.
    private static func work(_ training: Fedsim__LocalTraining) throws -> LocalWork {
        guard training.steps > 0 else {
            guard training.epochs <= LocalTraining.maximumEpochs else {
                throw WireError.invalid(field: "LocalTraining.epochs",
                                        reason: "\(training.epochs) epochs, above the most a scenario asks for, \(LocalTraining.maximumEpochs)")
            }
            return .epochs(try int(training.epochs, "LocalTraining.epochs"))
        }
        guard training.epochs == 0 else {
            throw WireError.invalid(field: "LocalTraining.steps", reason: "\(training.steps) steps given together "
                                    + "with \(training.epochs) epochs; a task takes one or the other")
        }
        guard training.steps <= LocalTraining.maximumSteps else {
            throw WireError.invalid(field: "LocalTraining.steps",
                                    reason: "\(training.steps) steps, above the most a scenario asks for, \(LocalTraining.maximumSteps)")
        }
        return .steps(try int(training.steps, "LocalTraining.steps"))
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
