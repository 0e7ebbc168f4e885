import FedSimCore
@testable import FedSimWire
import XCTest

final class WireCodecTests: XCTestCase {
    private let training = LocalTraining(work: .epochs(2), batchSize: 32, learningRate: 0.05, optimizer: .adam,
                                         momentum: 0.8, weightDecay: 1e-4, proximalMu: 0.01)

    private func shard(_ clientID: Int, samples: Int, inputDim: Int = 3, classes: Int = 4) -> ClientShard {
        let features = (0..<(samples * inputDim)).map { Float($0) * 0.25 - 1 }
        let labels = (0..<samples).map { Int32($0 % classes) }
        return ClientShard(clientID: clientID, data: Dataset(features: features, labels: labels,
                                                             featureCount: inputDim, classCount: classes))
    }

    private func roundTrip(_ message: Message, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(try WireCodec.decode(WireCodec.encode(message)), message, file: file, line: line)
    }

    /// One or more messages of every kind, edge values included; they are also the wire
    /// decoder's fuzzing seeds (Fuzz/Corpus/WireDecoder).
    private var sampleMessages: [Message] {
        [
            .hello(Hello(workerName: "worker-7 · Zürich", capacity: 250, processID: 4242, scenario: "fedfix-async")),
            .hello(Hello(workerName: "")),
            .hello(Hello(workerName: "peer", peerPort: 40123, maxMessageBytes: 512 << 20)),
            .assign(Assign(workerIndex: 3, seed: .max,
                           model: .multilayerPerceptron(inputDim: 3, hidden: [16, 8], classes: 4),
                           clients: [shard(10, samples: 5), shard(11, samples: 0), shard(12, samples: 1)])),
            .assign(Assign(workerIndex: 0, seed: 0, model: .softmaxRegression(inputDim: 1, classes: 1),
                           clients: [])),
            .assign(Assign(workerIndex: 2, seed: 8, model: .softmaxRegression(inputDim: 60, classes: 10),
                           clients: [
                               ClientShard(clientID: 99_999, content: .described(samples: 51, hash: ContentHash(
                                   high: 0x0123_4567_89AB_CDEF, low: .max))),
                               ClientShard(clientID: 4, content: .described(samples: 0, hash: ContentHash(high: 0, low: 0)),
                                           flipsLabels: true),
                           ],
                           dataRecipe: "name: synthetic\nseed: 8\ndata:\n  source: synthetic\n")),
            .assign(Assign(workerIndex: 1, seed: 2, model: .softmaxRegression(inputDim: 3, classes: 4),
                           clients: [ClientShard(clientID: 5, data: shard(5, samples: 2).rows!, flipsLabels: true)])),
            .assign(Assign(workerIndex: 0, seed: 3, model: .softmaxRegression(inputDim: 3, classes: 4),
                           clients: [shard(1, samples: 2)], expertParameters: (0..<16).map { Float($0) / 4 - 2 })),
            .assign(Assign(workerIndex: 1, seed: 4, model: .softmaxRegression(inputDim: 3, classes: 4),
                           clients: [shard(2, samples: 3)],
                           decentralized: DecentralizedAssignment(
                               algorithm: "dadao", settings: [NamedValue("mu", 1), NamedValue("chi1", 12.5)],
                               graph: try! Graph(nodes: 3, edges: [(0, 1), (1, 2)]), hosts: [0, 1, 0],
                               peers: ["tcp://10.0.0.1:4000", "tcp://10.0.0.2:4000"], training: training,
                               objective: "logistic", regularization: 0.5,
                               peerKeys: [CurveKey(bytes: Array(0..<32))!, CurveKey(bytes: Array(repeating: 255, count: 32))!]))),
            .assign(Assign(workerIndex: 0, seed: 5, model: .softmaxRegression(inputDim: 2, classes: 1),
                           clients: [ClientShard(clientID: 1, data: Dataset(features: [1, 2, 3, 4], targets: [0.5, -7e12],
                                                                            featureCount: 2))],
                           decentralized: DecentralizedAssignment(
                               algorithm: "dadao", settings: [], graph: try! Graph(nodes: 2, edges: [(0, 1)]),
                               hosts: [0, 0], peers: ["tcp://10.0.0.1:4000"], objective: "least_squares",
                               totalRows: 9))),
            .assign(Assign(workerIndex: 1, seed: 6, model: .softmaxRegression(inputDim: 3, classes: 4),
                           clients: [shard(3, samples: 2)],
                           decentralized: DecentralizedAssignment(
                               algorithm: "dsgd", settings: [NamedValue("local_steps", 1)],
                               graph: try! Graph(nodes: 4, edges: [(0, 1), (1, 2), (2, 3)]), hosts: [0, 1, 0, 1],
                               peers: ["tcp://a:1", "tcp://b:1"], training: training, byzantineNodes: [1, 3],
                               attack: "alie", attackSettings: [NamedValue("tau", 20), NamedValue("index", 0)],
                               mixingRule: "trimmed_mean", mixingSettings: [NamedValue("f", 1)]))),
            .model(ModelBroadcast(version: 9, parameters: [1.5, -2, 0, .greatestFiniteMagnitude])),
            .model(ModelBroadcast(version: 0, parameters: [])),
            .model(ModelBroadcast(version: 3, parameters: [0.5], adapterFactors: [0.125, -1, 3e-20])),
            .task(TrainingTask(clientID: 77, modelVersion: 12, jobNumber: 5, training: training)),
            .task(TrainingTask(clientID: 3, modelVersion: 4, jobNumber: 1, training: LocalTraining(
                work: .steps(7), batchSize: 10, learningRate: 0.01, ordering: DataOrdering(
                    order: .curriculum, pacing: Pacing(function: .step, start: 0.5, fullAt: 0.25,
                                                       span: .rounds(current: 4, total: 100)))))),
            .update(ClientUpdate(clientID: 77, modelVersion: 12, jobNumber: 5, delta: [0.25, -0.5, 1e-30],
                                 sampleCount: Int.max, trainLoss: 0.693, steps: 40, wallComputeSeconds: 0.012)),
            .gossip(GossipBatch(fromNodes: [1, 4], toNodes: [2, 0], events: [17, 90], width: 3,
                                values: [1, 2, 3, 4, 5, -.infinity])),
            .gossip(GossipBatch(width: 5)),
            .events(EventBatch(indices: [3, 4, 9, 10], times: [0.5, 0.75, 2, 2.5], kinds: [.local, .exchange, .combine, .send],
                               first: [1, 0, 2, 3], second: [0, 3, 0, 1])),
            .snapshot(SnapshotRequest(time: 12.5, through: 4096)),
            .nodeStates(NodeStates(time: 12.5, nodes: [0, 2], width: 2, values: [0.25, -1, 3, 1e-300])),
            .heartbeat(sequence: .max),
            .metrics(json: #"{"round":3,"accuracy":0.91}"#),
            .stop(reason: "training finished"),
            .refused(reason: "unknown client 99"),
        ]
    }

    func testEveryMessageKindRoundTrips() {
        let messages = sampleMessages
        for message in messages {
            roundTrip(message)
        }
        XCTAssertEqual(Set(messages.map(\.kind)).count, 13, "every Message case is covered")
    }

    /// The committed seeds are the encodings of `sampleMessages` in today's protocol, so
    /// the fuzzer starts from valid messages of every kind. After a protocol change,
    /// `FEDSIM_WRITE_FUZZ_SEEDS=1 swift test --filter testFuzzSeeds` rewrites them.
    func testFuzzSeedsAreTheEncodingsOfEveryMessageKind() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Fuzz/Corpus/WireDecoder").standardized
        let seeds = sampleMessages.enumerated().map { index, message in
            (name: "\(String(format: "%02d", index))-\(message.kind).bin", bytes: WireCodec.encode(message))
        }
        if ProcessInfo.processInfo.environment["FEDSIM_WRITE_FUZZ_SEEDS"] == "1" {
            let manager = FileManager.default
            for old in try manager.contentsOfDirectory(atPath: folder.path) {
                try manager.removeItem(at: folder.appendingPathComponent(old))
            }
            for seed in seeds {
                try Data(seed.bytes).write(to: folder.appendingPathComponent(seed.name))
            }
        }
        let committed = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(committed, seeds.map(\.name), "FEDSIM_WRITE_FUZZ_SEEDS=1 rewrites the seeds")
        for seed in seeds where committed.contains(seed.name) {
            let bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent(seed.name)))
            XCTAssertEqual(bytes, seed.bytes, "\(seed.name) is stale: FEDSIM_WRITE_FUZZ_SEEDS=1 rewrites the seeds")
        }
    }

    func testAnAssignIsKnownByItsEnvelopeAloneAndNothingElseIs() {
        let assign = WireCodec.encode(.assign(Assign(workerIndex: 0, seed: 1, model: .softmaxRegression(inputDim: 2, classes: 2),
                                                     clients: [shard(1, samples: 3)])))
        XCTAssertTrue(WireCodec.isAssign(assign))
        XCTAssertTrue(WireCodec.isAssign(Array(assign.prefix(4))), "the body's key comes first")
        XCTAssertTrue(WireCodec.isAssign(envelope(version: 99, .assign) { $0.varint(1, 1) }))
        for other: Message in [.hello(Hello(workerName: "a")), .model(ModelBroadcast(version: 1, parameters: [1, 2])),
                               .stop(reason: "x"), .heartbeat(sequence: 0)] {
            XCTAssertFalse(WireCodec.isAssign(WireCodec.encode(other)), other.kind)
        }
        XCTAssertFalse(WireCodec.isAssign([]))
        XCTAssertFalse(WireCodec.isAssign([0xFF, 0xFF, 0xFF]))
        XCTAssertFalse(WireCodec.isAssign([0x12, 0x7F, 0x1A, 0x00]), "a length beyond the bytes")
        XCTAssertFalse(WireCodec.isAssign([0x0B, 0x1A, 0x00]), "a group, which no envelope has")
    }

    func testMillionFloatModelRoundTripsBitForBit() throws {
        var parameters = (0..<1_000_000).map { Float(sin(Double($0) * 0.001)) * 3 }
        parameters[0] = -0.0
        parameters[1] = .infinity
        parameters[2] = .leastNonzeroMagnitude
        parameters[3] = .nan
        let encoded = WireCodec.encode(.model(ModelBroadcast(version: 42, parameters: parameters)))
        XCTAssertLessThan(encoded.count, parameters.count * 4 + 32, "floats travel packed")

        guard case .model(let decoded) = try WireCodec.decode(encoded) else {
            return XCTFail("expected a model")
        }
        XCTAssertEqual(decoded.version, 42)
        XCTAssertEqual(decoded.parameters.map(\.bitPattern), parameters.map(\.bitPattern))
    }

    func testClientShardKeepsRowsAndLabels() throws {
        let shards = [shard(5, samples: 4), shard(6, samples: 2)]
        let model = ModelSpec.softmaxRegression(inputDim: 3, classes: 4)
        guard case .assign(let assign) = try WireCodec.decode(
            WireCodec.encode(.assign(Assign(workerIndex: 1, seed: 7, model: model, clients: shards)))) else {
            return XCTFail("expected an assignment")
        }
        XCTAssertEqual(assign.clients.map(\.clientID), [5, 6])
        XCTAssertEqual(assign.clients[0].rows?.features, shards[0].rows?.features)
        XCTAssertEqual(assign.clients[0].rows?.labels, [0, 1, 2, 3])
        XCTAssertEqual(assign.clients[1].rows?.count, 2)
        XCTAssertEqual(assign.clients[1].rows?.featureCount, 3)
        XCTAssertEqual(assign.clients[1].rows?.classCount, 4)
    }

    func testRegressionShardsKeepTheirTargetsBitForBit() throws {
        let targets: [Double] = [-0.0, .leastNonzeroMagnitude, 1e300, -3.25]
        let regression = ClientShard(clientID: 3, data: Dataset(features: [1, 2, 3, 4], targets: targets, featureCount: 1))
        let model = ModelSpec.softmaxRegression(inputDim: 1, classes: 1)
        guard case .assign(let assign) = try WireCodec.decode(
            WireCodec.encode(.assign(Assign(workerIndex: 0, seed: 1, model: model, clients: [regression])))) else {
            return XCTFail("expected an assignment")
        }
        XCTAssertEqual(assign.clients, [regression])
        XCTAssertEqual(try XCTUnwrap(assign.clients[0].rows?.targets).map(\.bitPattern), targets.map(\.bitPattern))
        // Classification shards carry none, and add no bytes for them.
        let labelled = shard(4, samples: 2, inputDim: 1, classes: 1)
        XCTAssertNil(labelled.rows?.targets)
        let plain = WireCodec.encode(.assign(Assign(workerIndex: 0, seed: 1, model: model, clients: [labelled])))
        guard case .assign(let decoded) = try WireCodec.decode(plain) else { return XCTFail("expected an assignment") }
        XCTAssertNil(decoded.clients[0].rows?.targets)
    }

    func testShardTargetsMustBeFiniteOnePerSampleOfAOneOutputModel() {
        let oneOutput = [denseLayer(2, 1)]
        func shards(_ targets: [Double]) -> [UInt8] {
            assignBytes(layers: oneOutput, shards: [
                (id: 1, shape: [1, 2], features: [1, 2], labels: [0]),
                (id: 2, shape: [2, 2], features: [1, 2, 3, 4], labels: [0, 0]),
            ], targets: [[1.5], targets])
        }
        guard case .assign(let assign)? = try? WireCodec.decode(shards([2, -3])) else {
            return XCTFail("expected an assignment")
        }
        XCTAssertEqual(assign.clients.map { $0.rows?.targets }, [[1.5], [2, -3]])
        assertInvalid(shards([2]), field: "Assign.clients[1].targets", mentioning: "1 targets for 2 samples")
        assertInvalid(shards([2, 3, 4]), field: "Assign.clients[1].targets", mentioning: "3 targets for 2 samples")
        assertInvalid(shards([2, .nan]), field: "Assign.clients[1].targets", mentioning: "target nan at row 1 is not finite")
        assertInvalid(shards([-.infinity, 1]), field: "Assign.clients[1].targets",
                      mentioning: "target -inf at row 0 is not finite")
        assertInvalid(assignBytes(shards: [(id: 1, shape: [1, 2], features: [1, 2], labels: [0])], targets: [[1]]),
                      field: "Assign.clients[0].targets", mentioning: "whose model has 1 output, not 3")
    }

    func testLayerTreeRoundTripsWithItsFrozenLayersAndInitializations() throws {
        let model = ModelSpec(inputDim: 3, layers: [
            .relu(ReLU(width: 3)),
            .dense(Dense(inputs: 3, outputs: 7, initialization: .heNormal, trainable: false)),
            .relu(ReLU(width: 7)),
            .dense(Dense(inputs: 7, outputs: 6, initialization: .zeros)),
            .dense(Dense(inputs: 6, outputs: 4, initialization: .heNormal)),
            .loraDense(LoRADense(inputs: 4, outputs: 4, rank: 2, alpha: 16, baseInitialization: .heNormal, trainsFactorA: true)),
            .loraDense(LoRADense(inputs: 4, outputs: 4, rank: 4, alpha: 0.5, baseInitialization: .zeros, trainsFactorA: false)),
        ])
        let assign = Assign(workerIndex: 2, seed: 99, model: model, clients: [shard(1, samples: 3)],
                            frozenParameters: (0..<model.frozenParameterCount).map { Float($0) - 13.5 })
        XCTAssertEqual(try WireCodec.decode(WireCodec.encode(.assign(assign))), .assign(assign))
    }

    func testHandWrittenTaskDecodes() throws {
        let bytes = envelope(.task) {
            $0.varint(1, 3)
            $0.varint(2, 8)
            $0.varint(3, 2)
            $0.message(4) {
                $0.varint(1, 1)
                $0.varint(2, 16)
                $0.float(3, 0.1)
                $0.string(4, "momentum")
                $0.float(5, 0.9)
            }
        }
        XCTAssertEqual(try WireCodec.decode(bytes), .task(TrainingTask(
            clientID: 3, modelVersion: 8, jobNumber: 2,
            training: LocalTraining(work: .epochs(1), batchSize: 16, learningRate: 0.1, optimizer: .momentum,
                                    momentum: 0.9, weightDecay: 0))))
    }

    // MARK: - Versions and envelopes

    func testOtherProtocolVersionIsRefusedNamingBoth() {
        let other = wireProtocolVersion + 1
        let bytes = WireCodec.encode(.heartbeat(sequence: 1), protocolVersion: other)
        XCTAssertThrowsError(try WireCodec.decode(bytes)) { error in
            XCTAssertEqual(error as? WireError, .versionMismatch(received: other, expected: wireProtocolVersion))
            let description = String(describing: error)
            XCTAssertTrue(description.contains("version \(other)"), description)
            XCTAssertTrue(description.contains("version \(wireProtocolVersion)"), description)
        }
    }

    func testVersionIsCheckedBeforeTheBody() {
        let bytes = envelope(version: wireProtocolVersion + 1, .task) {
            $0.message(4) { $0.string(4, "rmsprop") }
        }
        XCTAssertThrowsError(try WireCodec.decode(bytes)) { error in
            XCTAssertEqual(error as? WireError,
                           .versionMismatch(received: wireProtocolVersion + 1, expected: wireProtocolVersion))
        }
    }

    func testEnvelopeWithoutBodyIsEmpty() {
        let bytes = ProtobufWriter { $0.varint(1, UInt64(wireProtocolVersion)) }.bytes
        XCTAssertThrowsError(try WireCodec.decode(bytes)) { error in
            XCTAssertEqual(error as? WireError, .emptyEnvelope)
        }
    }

    // MARK: - Hostile bytes

    func testEveryTruncationIsRefusedOrDecodedWithoutCrashing() {
        let update = ClientUpdate(clientID: 4, modelVersion: 3, jobNumber: 2, delta: (0..<20).map(Float.init),
                                  sampleCount: 60, trainLoss: 1.25, steps: 6, wallComputeSeconds: 0.5)
        let encoded = WireCodec.encode(.update(update))
        var malformed = 0
        for length in 0..<encoded.count {
            do {
                _ = try WireCodec.decode(Array(encoded.prefix(length)))
            } catch WireError.malformed(let byteCount) {
                XCTAssertEqual(byteCount, length)
                malformed += 1
            } catch {
                XCTAssertTrue(error is WireError, "prefix \(length): \(error)")
            }
        }
        // Every cut inside the length-delimited body (all but the version field's two bytes) is malformed.
        XCTAssertEqual(malformed, encoded.count - 2)
    }

    func testRandomAndMutatedBytesNeverCrash() {
        var random = SplitMix64(seed: 0x5EED)
        let valid = [
            WireCodec.encode(.assign(Assign(workerIndex: 1, seed: 2,
                                            model: .multilayerPerceptron(inputDim: 3, hidden: [5], classes: 4),
                                            clients: [shard(1, samples: 3), shard(2, samples: 2)]))),
            WireCodec.encode(.task(TrainingTask(clientID: 1, modelVersion: 2, jobNumber: 3, training: training))),
            WireCodec.encode(.gossip(GossipBatch(fromNodes: [1, 2], toNodes: [2, 1], events: [5, 6], width: 2,
                                                 values: [1, 2, 3, 4]))),
            WireCodec.encode(.events(EventBatch(indices: [1, 2], times: [0.1, 0.2], kinds: [.local, .exchange],
                                                first: [0, 1], second: [0, 2]))),
        ]
        var inputs = (0..<3_000).map { _ in
            (0..<random.next(below: 96)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }
        for _ in 0..<3_000 {
            var bytes = valid[random.next(below: valid.count)]
            for _ in 0...random.next(below: 3) {
                bytes[random.next(below: bytes.count)] = UInt8(truncatingIfNeeded: random.next())
            }
            inputs.append(bytes)
        }

        var refused = 0
        for bytes in inputs {
            do {
                _ = try WireCodec.decode(bytes)
            } catch {
                XCTAssertTrue(error is WireError, "\(error)")
                refused += 1
            }
        }
        XCTAssertGreaterThan(refused, inputs.count / 2)
    }

    /// `decode` reads canonical Updates and Models without protobuf-c; what it reads must
    /// be what protobuf-c reads, field for field, and anything else goes to protobuf-c.
    func testTheTensorFastPathReadsWhatProtobufCReads() throws {
        let update = ClientUpdate(clientID: 4, modelVersion: 1 << 40, jobNumber: 9, delta: [1, -0.5, .nan, 3e-39],
                                  sampleCount: 12, trainLoss: 0.25, steps: 3, wallComputeSeconds: 0.01)
        let tensorMessages = sampleMessages.filter { $0.kind == "Update" || $0.kind == "Model" } + [.update(update)]
        XCTAssertEqual(tensorMessages.count, 5)
        for message in tensorMessages {
            let bytes = WireCodec.encode(message)
            let fast = try XCTUnwrap(bytes.withUnsafeBytes(WireCodec.decodeTensorMessage), "\(message) takes the fast path")
            let reference = try bytes.withUnsafeBytes { try WireCodec.decode($0, tensorFastPath: false) }
            XCTAssertEqual(WireCodec.encode(fast), WireCodec.encode(reference))
        }
        XCTAssertNil(WireCodec.encode(.heartbeat(sequence: 3)).withUnsafeBytes(WireCodec.decodeTensorMessage))

        // Valid but not canonical: fields out of order, a repeated scalar, an unpacked
        // float, an unknown field. protobuf-c reads them; the fast path declines.
        let delta = { (writer: inout ProtobufWriter) in
            writer.message(4) { $0.packedVarints(1, [2]); $0.packedFloats(2, [1, 2]) }
        }
        let variants: [[UInt8]] = [
            envelope(.update) { $0.varint(3, 7); delta(&$0); $0.varint(1, 5) },
            envelope(.update) { $0.varint(1, 5); $0.varint(1, 6); delta(&$0) },
            envelope(.update) { $0.varint(1, 5); $0.message(4) { $0.packedVarints(1, [2]); $0.float(2, 1); $0.float(2, 2) } },
            envelope(.update) { $0.varint(1, 5); delta(&$0); $0.varint(99, 1) },
        ]
        // A fuzzer's find: an empty tensor followed by a key of wire type 7, which
        // protobuf-c refuses; the fast path must not take the bytes it stopped at as the end.
        let emptyTensor = ProtobufWriter { $0.packedVarints(1, [0]) }.bytes
        let valid = envelope(.model) { $0.varint(1, 9); $0.bytes(2, emptyTensor) }
        let corrupted = envelope(.model) { $0.varint(1, 9); $0.bytes(2, emptyTensor + [0x7F]) }
        XCTAssertNotNil(valid.withUnsafeBytes(WireCodec.decodeTensorMessage))
        XCTAssertNil(corrupted.withUnsafeBytes(WireCodec.decodeTensorMessage))
        XCTAssertThrowsError(try WireCodec.decode(corrupted))
        for bytes in variants {
            XCTAssertNil(bytes.withUnsafeBytes(WireCodec.decodeTensorMessage))
            guard case let .update(decoded) = try WireCodec.decode(bytes) else { return XCTFail("not an Update") }
            XCTAssertEqual(decoded.delta, [1, 2])
        }

        // Mutations of canonical bytes: both decoders give the same message or both refuse.
        var random = SplitMix64(seed: 0xFA57)
        let canonical = tensorMessages.map { WireCodec.encode($0) }
        for _ in 0..<5_000 {
            var bytes = canonical[random.next(below: canonical.count)]
            for _ in 0...random.next(below: 3) {
                bytes[random.next(below: bytes.count)] = UInt8(truncatingIfNeeded: random.next())
            }
            let fast = try? WireCodec.decode(bytes)
            let reference = try? bytes.withUnsafeBytes { try WireCodec.decode($0, tensorFastPath: false) }
            XCTAssertEqual(fast.map { WireCodec.encode($0) }, reference.map { WireCodec.encode($0) }, "\(bytes)")
        }
    }

    // MARK: - Semantic checks

    private func assertInvalid(_ bytes: [UInt8], field: String, mentioning detail: String? = nil,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try WireCodec.decode(bytes), file: file, line: line) { error in
            guard case .invalid(let invalidField, let reason)? = error as? WireError else {
                return XCTFail("expected invalid \(field), got \(error)", file: file, line: line)
            }
            XCTAssertEqual(invalidField, field, file: file, line: line)
            if let detail {
                XCTAssertTrue(reason.contains(detail), "\(reason) should mention \(detail)", file: file, line: line)
            }
            XCTAssertTrue(String(describing: error).contains(field), file: file, line: line)
        }
    }

    func testShardsOfADataRecipeCarryACountAndA16ByteHashAndNoRows() {
        func recipeAssign(_ shard: @escaping (inout ProtobufWriter) -> Void) -> [UInt8] {
            envelope(.assign) {
                $0.varint(1, 1)
                $0.message(3) {
                    $0.varint(2, 2)
                    $0.message(5, self.denseLayer(2, 3))
                }
                $0.message(4, shard)
                $0.string(7, "seed: 1\n")
            }
        }
        let hash = ContentHash(high: 7, low: 9)
        guard case .assign(let assign)? = try? WireCodec.decode(recipeAssign {
            $0.varint(1, 12)
            $0.varint(5, 40)
            $0.bytes(6, hash.bytes)
        }) else { return XCTFail("expected an assignment") }
        XCTAssertEqual(assign.dataRecipe, "seed: 1\n")
        XCTAssertEqual(assign.clients, [ClientShard(clientID: 12, content: .described(samples: 40, hash: hash))])
        assertInvalid(recipeAssign {
            $0.varint(1, 12)
            $0.bytes(6, Array(hash.bytes.dropLast()))
        }, field: "Assign.clients[0].contentHash", mentioning: "15 bytes, a content hash has 16")
        assertInvalid(recipeAssign {
            $0.varint(1, 12)
            $0.bytes(6, hash.bytes)
            $0.packedInt32s(3, [0])
        }, field: "Assign.clients[0]", mentioning: "carries rows")
    }

    func testDecentralizedMessagesNameTheirBadColumns() {
        assertInvalid(envelope(.events) {
            $0.packedVarints(1, [1, 2])
            $0.packedDoubles(2, [0.5, 0.75])
            $0.packedVarints(3, [1, 7])
            $0.packedVarints(4, [0, 1])
            $0.packedVarints(5, [1, 0])
        }, field: "Events.kinds[1]", mentioning: "unknown event kind 7")
        assertInvalid(envelope(.events) {
            $0.packedVarints(1, [4, 2])
            $0.packedDoubles(2, [0.5, 0.75])
            $0.packedVarints(3, [0, 0])
            $0.packedVarints(4, [0, 1])
            $0.packedVarints(5, [0, 0])
        }, field: "Events.indices[1]", mentioning: "increase")
        assertInvalid(envelope(.events) {
            $0.packedVarints(1, [1, 2])
            $0.packedDoubles(2, [0.5])
            $0.packedVarints(3, [0, 0])
            $0.packedVarints(4, [0, 1])
            $0.packedVarints(5, [0, 0])
        }, field: "Events.times", mentioning: "1 entries for 2 rows")
        assertInvalid(envelope(.snapshot) { $0.double(1, .nan) },
                      field: "Snapshot.time", mentioning: "finite")
        let assignment = { (hosts: [UInt64], edges: [UInt64], keys: [[UInt8]]) -> [UInt8] in
            envelope(.assign) {
                $0.message(3) {
                    $0.varint(2, 2)
                    $0.message(5) { $0.message(1) { $0.varint(1, 2); $0.varint(2, 2); $0.string(3, "zeros") } }
                }
                $0.message(5) {
                    $0.string(1, "dadao")
                    $0.packedVarints(4, edges)
                    $0.packedVarints(5, hosts)
                    $0.string(6, "tcp://a:1")
                    for key in keys { $0.bytes(11, key) }
                }
            }
        }
        assertInvalid(assignment([0, 1], [0, 1], []), field: "Decentralized.hosts[1]", mentioning: "worker 1 of 1 workers")
        let keyed = { (keys: [[UInt8]]) in assignment([0, 0], [0, 1], keys) }
        assertInvalid(keyed([[UInt8](repeating: 1, count: 31)]), field: "Decentralized.peerKeys[0]",
                      mentioning: "31 bytes, a CURVE key has 32")
        assertInvalid(keyed([[UInt8](repeating: 1, count: 32), [UInt8](repeating: 2, count: 32)]),
                      field: "Decentralized.peerKeys", mentioning: "2 keys for 1 workers")
        assertInvalid(assignment([0, 0], [1, 1], []), field: "Decentralized.edges", mentioning: "self-loop at node 1")
        let attacked = { (byzantine: [UInt64], names: [String], values: [Double]) -> [UInt8] in
            envelope(.assign) {
                $0.message(3) {
                    $0.varint(2, 2)
                    $0.message(5) { $0.message(1) { $0.varint(1, 2); $0.varint(2, 2); $0.string(3, "zeros") } }
                }
                $0.message(5) {
                    $0.string(1, "monna")
                    $0.packedVarints(4, [0, 1, 1, 2])
                    $0.packedVarints(5, [0, 0, 0])
                    $0.string(6, "tcp://a:1")
                    $0.packedVarints(12, byzantine)
                    $0.string(13, "alie")
                    for name in names { $0.string(14, name) }
                    $0.packedDoubles(15, values)
                }
            }
        }
        assertInvalid(attacked([2, 1], [], []), field: "Decentralized.byzantineNodes[1]", mentioning: "not ascending")
        assertInvalid(attacked([3], [], []), field: "Decentralized.byzantineNodes[0]", mentioning: "among the 3 nodes")
        assertInvalid(attacked([1], ["tau"], [1, 2]), field: "Decentralized.attackSettingValues",
                      mentioning: "2 values for 1 setting names")
        assertInvalid(attacked([1], ["tau"], [.infinity]), field: "Decentralized.attackSettingValues[0]",
                      mentioning: "finite")
        assertInvalid(assignment([0, 0], [0, 1, 1], []), field: "Decentralized.edges", mentioning: "odd number")
    }

    func testTensorWhoseShapeDisagreesWithItsValuesIsInvalid() {
        assertInvalid(envelope(.gossip) {
            $0.packedVarints(1, [1, 2])
            $0.packedVarints(2, [2, 1])
            $0.packedVarints(5, [7, 8])
            $0.varint(6, 3)
            $0.packedDoubles(7, [1, 2, 3, 4, 5])
        }, field: "Gossip.values", mentioning: "5 values for 2 rows of 3")

        assertInvalid(envelope(.model) {
            $0.varint(1, 1)
            $0.message(2) {
                $0.packedVarints(1, [4])
                $0.packedFloats(2, [1])
            }
        }, field: "Model.parameters")
    }

    func testTensorShapeOverflowingIntIsInvalid() {
        let huge = UInt64(UInt32.max)
        assertInvalid(envelope(.update) {
            $0.message(4) { $0.packedVarints(1, [huge, huge, huge]) }
        }, field: "Update.delta.shape")
    }

    func testMissingTensorIsInvalid() {
        assertInvalid(envelope(.update) { $0.varint(1, 3) }, field: "Update.delta", mentioning: "missing")
    }

    /// A Dense layer as `ModelSpec.layers` carries it; `frozen` nil leaves the flag out.
    private func denseLayer(_ inputs: UInt64, _ outputs: UInt64, initialization: String = "zeros",
                            frozen: Bool? = nil) -> (inout ProtobufWriter) -> Void {
        return { layer in
            layer.message(1) {
                $0.varint(1, inputs)
                $0.varint(2, outputs)
                $0.string(3, initialization)
                if let frozen { $0.varint(4, frozen ? 1 : 0) }
            }
        }
    }

    private func reluLayer(_ width: UInt64) -> (inout ProtobufWriter) -> Void {
        return { layer in layer.message(2) { $0.varint(1, width) } }
    }

    /// An Assign of `shards` whose model is `layers` (one Dense layer of 3 outputs unless
    /// given); shard i carries `targets[i]` when there is one.
    private func assignBytes(inputDim: UInt64 = 2, layers: [(inout ProtobufWriter) -> Void]? = nil,
                             shards: [(id: UInt64, shape: [UInt64], features: [Float], labels: [Int32])],
                             targets: [[Double]] = [], frozen: [Float]? = nil) -> [UInt8] {
        envelope(.assign) {
            $0.varint(1, 1)
            $0.message(3) {
                $0.varint(2, inputDim)
                for layer in layers ?? [denseLayer(inputDim, 3)] {
                    $0.message(5, layer)
                }
            }
            for (index, shard) in shards.enumerated() {
                $0.message(4) {
                    $0.varint(1, shard.id)
                    $0.message(2) {
                        $0.packedVarints(1, shard.shape)
                        $0.packedFloats(2, shard.features)
                    }
                    $0.packedInt32s(3, shard.labels)
                    if index < targets.count { $0.packedDoubles(4, targets[index]) }
                }
            }
            if let frozen {
                $0.message(6) {
                    $0.packedVarints(1, [UInt64(frozen.count)])
                    $0.packedFloats(2, frozen)
                }
            }
        }
    }

    func testHandWrittenAssignDecodes() throws {
        let bytes = assignBytes(shards: [(id: 8, shape: [2, 2], features: [1, 2, 3, 4], labels: [2, 0])])
        guard case .assign(let assign) = try WireCodec.decode(bytes) else { return XCTFail("expected an assignment") }
        XCTAssertEqual(assign.clients, [ClientShard(clientID: 8, data: Dataset(
            features: [1, 2, 3, 4], labels: [2, 0], featureCount: 2, classCount: 3))])
    }

    func testShardFeaturesMustBeOneRowOfInputDimPerLabel() {
        assertInvalid(assignBytes(shards: [(id: 1, shape: [3, 2], features: [1, 2, 3, 4, 5, 6], labels: [0, 1])]),
                      field: "Assign.clients[0].features", mentioning: "2 labels")
        assertInvalid(assignBytes(shards: [(id: 1, shape: [2, 3], features: [1, 2, 3, 4, 5, 6], labels: [0, 1])]),
                      field: "Assign.clients[0].features", mentioning: "inputDim 2")
    }

    func testShardLabelsMustBeClasses() {
        assertInvalid(assignBytes(shards: [
            (id: 1, shape: [1, 2], features: [1, 2], labels: [0]),
            (id: 2, shape: [2, 2], features: [1, 2, 3, 4], labels: [1, 3]),
        ]), field: "Assign.clients[1].labels", mentioning: "label 3 at row 1")
        assertInvalid(assignBytes(shards: [(id: 1, shape: [1, 2], features: [1, 2], labels: [-1])]),
                      field: "Assign.clients[0].labels", mentioning: "-1")
    }

    func testClientAssignedTwiceIsInvalid() {
        assertInvalid(assignBytes(shards: [
            (id: 4, shape: [1, 2], features: [1, 2], labels: [0]),
            (id: 4, shape: [1, 2], features: [1, 2], labels: [0]),
        ]), field: "Assign.clients[1].clientID", mentioning: "client 4")
    }

    func testHandWrittenLayerTreeDecodes() throws {
        let bytes = assignBytes(inputDim: 4, layers: [
            denseLayer(4, 5, initialization: "he_normal"), reluLayer(5), denseLayer(5, 3, frozen: true),
        ], shards: [], frozen: (0..<18).map(Float.init))
        guard case .assign(let assign) = try WireCodec.decode(bytes) else { return XCTFail("expected an assignment") }
        XCTAssertEqual(assign.frozenParameters, (0..<18).map(Float.init))
        XCTAssertEqual(assign.model, ModelSpec(inputDim: 4, layers: [
            .dense(Dense(inputs: 4, outputs: 5, initialization: .heNormal)),
            .relu(ReLU(width: 5)),
            .dense(Dense(inputs: 5, outputs: 3, initialization: .zeros, trainable: false)),
        ]), "a Dense layer without the frozen flag is trainable")
    }

    func testAnAssignCarriesExactlyItsModelsFrozenValues() {
        let frozenLayer = [denseLayer(2, 3, frozen: true)]
        assertInvalid(assignBytes(layers: frozenLayer, shards: []), field: "Assign.frozenParameters",
                      mentioning: "0 values, the model has 9 frozen parameters")
        assertInvalid(assignBytes(layers: frozenLayer, shards: [], frozen: [1, 2]), field: "Assign.frozenParameters",
                      mentioning: "2 values, the model has 9 frozen parameters")
        assertInvalid(assignBytes(shards: [], frozen: [1]), field: "Assign.frozenParameters",
                      mentioning: "1 values, the model has 0 frozen parameters")
    }

    func testMalformedLayerTreesAreRefusedNamingTheField() {
        assertInvalid(assignBytes(inputDim: 0, shards: []), field: "ModelSpec.inputDim", mentioning: "got 0")
        assertInvalid(assignBytes(layers: [], shards: []), field: "ModelSpec.layers", mentioning: "at least one layer")
        assertInvalid(assignBytes(layers: [denseLayer(2, 4), reluLayer(4), denseLayer(4, 0)], shards: []),
                      field: "ModelSpec.layers[2].dense.outputs", mentioning: "got 0")
        assertInvalid(assignBytes(layers: [reluLayer(0)], shards: []), field: "ModelSpec.layers[0].relu.width")
        assertInvalid(assignBytes(layers: [denseLayer(3, 4)], shards: []),
                      field: "ModelSpec.layers[0].dense.inputs", mentioning: "inputDim is 2")
        assertInvalid(assignBytes(layers: [denseLayer(2, 4), reluLayer(5), denseLayer(5, 3)], shards: []),
                      field: "ModelSpec.layers[1].relu.width", mentioning: "layers[0]'s output width is 4")
        assertInvalid(assignBytes(layers: [denseLayer(2, UInt64(UInt32.max))], shards: []),
                      field: "ModelSpec.layers[0].dense.outputs", mentioning: "4294967295")
        assertInvalid(assignBytes(layers: [denseLayer(2, 3, initialization: "glorot")], shards: []),
                      field: "ModelSpec.layers[0].dense.initialization", mentioning: "\"glorot\"")
        assertInvalid(assignBytes(layers: [denseLayer(2, 3), { $0.message(9) { $0.varint(1, 7) } }], shards: []),
                      field: "ModelSpec.layers[1]", mentioning: "layer kind")
        assertInvalid(assignBytes(layers: [{ _ in }], shards: []), field: "ModelSpec.layers[0]")
        assertInvalid(envelope(.assign) { $0.varint(1, 1) }, field: "Assign.model", mentioning: "missing")
        assertInvalid(assignBytes(layers: [loraLayer(2, 3, rank: 3)], shards: []),
                      field: "ModelSpec.layers[0].lora_dense.rank", mentioning: "min(inputs, outputs) = 2")
        assertInvalid(assignBytes(layers: [loraLayer(2, 3, rank: 1, alpha: -.infinity)], shards: []),
                      field: "ModelSpec.layers[0].lora_dense.alpha", mentioning: "-inf")
        assertInvalid(assignBytes(layers: [loraLayer(2, 3, rank: 1, initialization: "orthogonal")], shards: []),
                      field: "ModelSpec.layers[0].lora_dense.base_initialization", mentioning: "\"orthogonal\"")
        assertInvalid(envelope(.model) {
            $0.varint(1, 1)
            $0.packedFloats(3, [1, .nan])
        }, field: "Model.adapterFactors", mentioning: "value 1 is nan")
    }

    /// A LoraDenseLayer as LayerSpec field 3.
    private func loraLayer(_ inputs: UInt64, _ outputs: UInt64, rank: UInt64, alpha: Float = 1,
                           initialization: String = "zeros") -> (inout ProtobufWriter) -> Void {
        return { layer in
            layer.message(3) {
                $0.varint(1, inputs)
                $0.varint(2, outputs)
                $0.varint(3, rank)
                $0.float(4, alpha)
                $0.string(5, initialization)
            }
        }
    }

    private func taskBytes(_ build: @escaping (inout ProtobufWriter) -> Void) -> [UInt8] {
        envelope(.task) {
            $0.varint(1, 1)
            $0.message(4) {
                $0.varint(2, 8)
                $0.string(4, "sgd")
                build(&$0)
            }
        }
    }

    func testTrainingMustNameAKnownOptimizerAndSaneHyperparameters() {
        assertInvalid(taskBytes { $0.string(4, "rmsprop") }, field: "LocalTraining.optimizer", mentioning: "\"rmsprop\"")
        assertInvalid(taskBytes { $0.varint(2, 0) }, field: "LocalTraining.batchSize")
        assertInvalid(taskBytes { $0.float(3, .nan) }, field: "LocalTraining.learningRate")
        assertInvalid(envelope(.task) { $0.varint(1, 1) }, field: "Task.training", mentioning: "missing")
    }

    func testProximalMuTravelsAndMustBeFiniteAndNonNegative() throws {
        guard case .task(let task) = try WireCodec.decode(taskBytes { $0.float(7, 0.25) }) else {
            return XCTFail("expected a task")
        }
        XCTAssertEqual(task.training.proximalMu, 0.25)
        guard case .task(let plain) = try WireCodec.decode(taskBytes { _ in }) else {
            return XCTFail("expected a task")
        }
        XCTAssertEqual(plain.training.proximalMu, 0, "an absent mu is plain local training")

        assertInvalid(taskBytes { $0.float(7, -0.5) }, field: "LocalTraining.proximalMu", mentioning: "-0.5")
        assertInvalid(taskBytes { $0.float(7, .nan) }, field: "LocalTraining.proximalMu", mentioning: "nan")
        assertInvalid(taskBytes { $0.float(7, .infinity) }, field: "LocalTraining.proximalMu", mentioning: "inf")
    }

    func testATaskAsksForNoMoreWorkThanAScenarioCan() throws {
        assertInvalid(taskBytes { $0.varint(1, UInt64(UInt32.max)) }, field: "LocalTraining.epochs",
                      mentioning: "4294967295 epochs, above the most a scenario asks for, 100000")
        assertInvalid(taskBytes { $0.varint(11, 1_000_001) }, field: "LocalTraining.steps",
                      mentioning: "1000001 steps, above the most a scenario asks for, 1000000")
        guard case .task(let task) = try WireCodec.decode(taskBytes { $0.varint(11, 1_000_000) }) else {
            return XCTFail("expected a task")
        }
        XCTAssertEqual(task.training.work, .steps(1_000_000))
    }

    func testGradientClipTravelsAndMustBeFiniteAndNonNegative() throws {
        guard case .task(let task) = try WireCodec.decode(taskBytes { $0.float(12, 1.5) }),
              case .task(let plain) = try WireCodec.decode(taskBytes { _ in }) else {
            return XCTFail("expected tasks")
        }
        XCTAssertEqual(task.training.gradientClip, 1.5)
        XCTAssertNil(plain.training.gradientClip, "an absent clip leaves gradients as they are")
        assertInvalid(taskBytes { $0.float(12, -1) }, field: "LocalTraining.gradientClip", mentioning: "-1")
        assertInvalid(taskBytes { $0.float(12, .nan) }, field: "LocalTraining.gradientClip", mentioning: "nan")
    }

    func testAnExpertModelTravelsWithTheAssignAndMustFitTheModel() throws {
        let model = ModelSpec.softmaxRegression(inputDim: 3, classes: 4)
        let assign = Assign(workerIndex: 0, seed: 1, model: model, clients: [shard(2, samples: 3)],
                            expertParameters: (0..<16).map { Float($0) - 8 })
        XCTAssertEqual(try WireCodec.decode(WireCodec.encode(.assign(assign))), .assign(assign))
        var short = assign
        short.expertParameters = [1, 2, 3]
        assertInvalid(WireCodec.encode(.assign(short)), field: "Assign.expertParameters",
                      mentioning: "3 values, the model has 16 trainable parameters")
        var infinite = assign
        infinite.expertParameters![5] = .infinity
        assertInvalid(WireCodec.encode(.assign(infinite)), field: "Assign.expertParameters", mentioning: "at 5 is not finite")
    }

    func testOrderedLocalLearningTravelsAndMustBeKnownAndInRange() throws {
        for ordering in [DataOrdering(order: .antiCurriculum, pacing: Pacing(function: .root, start: 0.25, fullAt: 0.5)),
                         DataOrdering(order: .random, pacing: Pacing(span: .rounds(current: 7, total: 50)))] {
            let task = TrainingTask(clientID: 3, modelVersion: 7, jobNumber: 2, training: LocalTraining(
                work: .epochs(2), batchSize: 10, learningRate: 0.01, ordering: ordering))
            XCTAssertEqual(try WireCodec.decode(WireCodec.encode(.task(task))), .task(task))
        }
        guard case .task(let plain) = try WireCodec.decode(taskBytes { _ in }) else { return XCTFail("expected a task") }
        XCTAssertNil(plain.training.ordering, "an absent ordering shuffles")

        let ordered: (inout ProtobufWriter) -> Void = {
            $0.string(13, "curriculum"); $0.string(14, "linear"); $0.double(15, 0.2); $0.double(16, 0.8)
        }
        guard case .task(let task) = try WireCodec.decode(taskBytes(ordered)) else { return XCTFail("expected a task") }
        XCTAssertEqual(task.training.ordering, DataOrdering(order: .curriculum, pacing: Pacing()))
        assertInvalid(taskBytes { $0.string(13, "easy_first") }, field: "LocalTraining.ordering", mentioning: "\"easy_first\"")
        assertInvalid(taskBytes { ordered(&$0); $0.string(14, "cubic") }, field: "LocalTraining.pacingFunction",
                      mentioning: "\"cubic\"")
        assertInvalid(taskBytes { ordered(&$0); $0.double(15, 0) }, field: "LocalTraining.pacingStart", mentioning: "0.0")
        assertInvalid(taskBytes { ordered(&$0); $0.double(16, .nan) }, field: "LocalTraining.pacingFullAt", mentioning: "nan")
        assertInvalid(taskBytes { ordered(&$0); $0.varint(17, 10); $0.varint(18, 10) }, field: "LocalTraining.pacingRound",
                      mentioning: "round 10 is not below the 10 rounds")
    }

    func testLocalStepsTravelInPlaceOfEpochs() throws {
        var training = self.training
        training.work = .steps(10)
        roundTrip(.task(TrainingTask(clientID: 3, modelVersion: 1, jobNumber: 2, training: training)))
        training.privacy = try DPSGDConfig(samplingRate: 0.25, clipNorm: 1, noiseMultiplier: 0.9)
        roundTrip(.task(TrainingTask(clientID: 3, modelVersion: 1, jobNumber: 2, training: training)))

        guard case .task(let steps) = try WireCodec.decode(taskBytes { $0.varint(11, 25) }),
              case .task(let epochs) = try WireCodec.decode(taskBytes { $0.varint(1, 3) }) else {
            return XCTFail("expected tasks")
        }
        XCTAssertEqual(steps.training.work, .steps(25))
        XCTAssertEqual(epochs.training.work, .epochs(3))
        assertInvalid(taskBytes {
            $0.varint(1, 2)
            $0.varint(11, 10)
        }, field: "LocalTraining.steps", mentioning: "10 steps given together with 2 epochs")
    }

    func testDPSGDSettingsTravelExactly() throws {
        // q = 1/3 is not a float32: the double on the wire keeps round(1/q) and the
        // accountant's q the same on both sides.
        var training = self.training
        training.privacy = try DPSGDConfig(samplingRate: 1.0 / 3, clipNorm: 0.75, noiseMultiplier: 1.0e-3 + 1.1)
        let task = TrainingTask(clientID: 4, modelVersion: 2, jobNumber: 9, training: training)
        guard case .task(let decoded) = try WireCodec.decode(WireCodec.encode(.task(task))) else {
            return XCTFail("expected a task")
        }
        XCTAssertEqual(decoded, task)
        XCTAssertEqual(decoded.training.privacy?.samplingRate, 1.0 / 3)

        guard case .task(let plain) = try WireCodec.decode(taskBytes { _ in }) else {
            return XCTFail("expected a task")
        }
        XCTAssertNil(plain.training.privacy, "absent DP fields train without DP-SGD")
    }

    func testDPSGDSettingsMustBeAValidConfiguration() {
        func dp(_ q: Double, _ clip: Double, _ sigma: Double) -> [UInt8] {
            taskBytes {
                $0.double(8, q)
                $0.double(9, clip)
                $0.double(10, sigma)
            }
        }
        assertInvalid(dp(0, 1, 1), field: "LocalTraining.dpSamplingRate", mentioning: "(0, 1]")
        assertInvalid(dp(1.5, 1, 1), field: "LocalTraining.dpSamplingRate", mentioning: "1.5")
        assertInvalid(dp(-0.1, 1, 1), field: "LocalTraining.dpSamplingRate")
        assertInvalid(dp(.nan, 1, 1), field: "LocalTraining.dpSamplingRate", mentioning: "nan")
        assertInvalid(dp(0.5, 0, 1), field: "LocalTraining.dpClipNorm")
        assertInvalid(dp(0.5, .infinity, 1), field: "LocalTraining.dpClipNorm", mentioning: "inf")
        assertInvalid(dp(0.5, 1, 0), field: "LocalTraining.dpNoiseMultiplier", mentioning: "> 0")
        assertInvalid(dp(0.5, 1, -2), field: "LocalTraining.dpNoiseMultiplier", mentioning: "-2")
        assertInvalid(taskBytes { $0.double(10, 1) }, field: "LocalTraining.dpSamplingRate",
                      mentioning: "when DP-SGD is on")
    }

    func testSampleCountBeyondIntIsInvalid() {
        assertInvalid(envelope(.update) {
            $0.message(4) { $0.packedVarints(1, [0]) }
            $0.varint(5, .max)
        }, field: "Update.sampleCount")
    }

    func testStringsMustBeUTF8() {
        assertInvalid(envelope(.metrics) { $0.bytes(1, [0x7B, 0xFF, 0xFE, 0x7D]) }, field: "Metrics.json")
    }
}

/// A small seeded generator (SplitMix64), so fuzz inputs are the same on every run.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    mutating func next(below bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}
