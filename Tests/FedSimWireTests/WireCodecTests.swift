import FedSimCore
import FedSimWire
import XCTest

final class WireCodecTests: XCTestCase {
    private let shardData = Dataset(features: [0, 1, 2, 3, 4, 5, 6, 7], labels: [2, 0], featureCount: 4, classCount: 3)

    private var everyMessage: [Message] {
        [
            .hello(Hello(workerName: "worker-ü", capacity: 16, processID: 4242)),
            .assign(Assign(workerIndex: 3, seed: .max, model: ModelSpec(kind: .mlp, inputDim: 4, classes: 3, hidden: [8, 5]),
                           clients: [ClientShard(clientID: 7, data: shardData),
                                     ClientShard(clientID: 9, data: shardData.subset([1]))])),
            .model(ModelBroadcast(version: 12, parameters: [1.5, -2, .greatestFiniteMagnitude, 0])),
            .task(TrainingTask(clientID: 5, modelVersion: 12, round: 3,
                               training: LocalTraining(epochs: 2, batchSize: 16, learningRate: 0.05, optimizer: .adam,
                                                       momentum: 0.5, weightDecay: 1e-4))),
            .update(ClientUpdate(clientID: 5, modelVersion: 12, round: 3, delta: [0.25, -0.5], sampleCount: 17,
                                 trainLoss: 0.693, steps: 2, wallComputeSeconds: 0.001)),
            .gossip(Gossip(fromNode: 1, toNode: 2, virtualTime: 3.5, state: WireTensor(shape: [2, 2], values: [1, 2, 3, 4]))),
            .heartbeat(sequence: 99),
            .metrics(json: "{\"a\":1}"),
            .stop(reason: "run complete"),
            .refused(reason: "no"),
        ]
    }

    func testEveryMessageRoundTrips() throws {
        for message in everyMessage {
            XCTAssertEqual(try WireCodec.decode(WireCodec.encode(message)), message, message.kind)
        }
    }

    func testLargeModelRoundTripsExactly() throws {
        var stream = RandomStream(seed: 1, purpose: .noise)
        let parameters = (0..<1_000_000).map { _ in Float(stream.normal()) }
        let bytes = WireCodec.encode(.model(ModelBroadcast(version: 1, parameters: parameters)))
        XCTAssertLessThan(bytes.count, 4_000_000 + 64)
        XCTAssertEqual(try WireCodec.decode(bytes), .model(ModelBroadcast(version: 1, parameters: parameters)))
    }

    func testAnotherProtocolVersionIsRejectedNamingBoth() {
        let bytes = WireCodec.encode(.hello(Hello(workerName: "w")), protocolVersion: 7)
        XCTAssertThrowsError(try WireCodec.decode(bytes)) { error in
            XCTAssertEqual(error as? WireError, .versionMismatch(received: 7, expected: wireProtocolVersion))
            XCTAssertEqual("\(error)", "protocol version 7 is not supported: this build speaks protocol version \(wireProtocolVersion)")
        }
    }

    func testEmptyInputAndEmptyEnvelopeAreRejected() {
        XCTAssertThrowsError(try WireCodec.decode([])) { XCTAssertEqual($0 as? WireError, .malformed(byteCount: 0)) }
        // Field 1 (protocol_version) = 1 and no body.
        XCTAssertThrowsError(try WireCodec.decode([0x08, 0x01])) { XCTAssertEqual($0 as? WireError, .emptyEnvelope) }
    }

    func testEveryTruncationIsAnErrorOrAMessageNeverACrash() {
        for message in everyMessage {
            let bytes = WireCodec.encode(message)
            for length in 0..<bytes.count {
                do {
                    _ = try WireCodec.decode(Array(bytes[0..<length]))
                } catch {
                    XCTAssert(error is WireError, "\(error)")
                }
            }
        }
    }

    func testRandomGarbageNeverCrashes() {
        var stream = RandomStream(seed: 5, purpose: .attack)
        var rejected = 0
        let valid = WireCodec.encode(everyMessage[1])
        for trial in 0..<5000 {
            var bytes: [UInt8]
            if trial % 2 == 0 {
                bytes = (0..<(1 + stream.integer(below: 200))).map { _ in UInt8(truncatingIfNeeded: stream.next32()) }
            } else {
                bytes = valid
                for _ in 0..<(1 + stream.integer(below: 4)) {
                    bytes[stream.integer(below: bytes.count)] = UInt8(truncatingIfNeeded: stream.next32())
                }
            }
            do {
                _ = try WireCodec.decode(bytes)
            } catch {
                XCTAssert(error is WireError)
                rejected += 1
            }
        }
        XCTAssertGreaterThan(rejected, 2500)
    }

    func testTensorWhoseShapeDisagreesWithItsValuesIsInvalid() {
        let bytes = WireCodec.encode(.gossip(Gossip(fromNode: 0, toNode: 1, virtualTime: 0,
                                                    state: WireTensor(shape: [2, 3], values: [1, 2, 3, 4, 5]))))
        XCTAssertThrowsError(try WireCodec.decode(bytes)) { error in
            XCTAssertEqual(error as? WireError, .invalid(field: "Gossip.state", reason: "shape [2, 3] needs 6 values, got 5"))
        }
    }

    func testShardOfTheWrongWidthOrWithForeignLabelsIsInvalid() {
        let wide = Assign(workerIndex: 0, seed: 0, model: ModelSpec(kind: .softmax, inputDim: 3, classes: 3),
                          clients: [ClientShard(clientID: 4, data: shardData)])
        XCTAssertThrowsError(try WireCodec.decode(WireCodec.encode(.assign(wide)))) { error in
            XCTAssertEqual(error as? WireError,
                           .invalid(field: "Assign.clients[4].features", reason: "shape [2, 4], expected [2, 3]"))
        }
        let foreign = Assign(workerIndex: 0, seed: 0, model: ModelSpec(kind: .softmax, inputDim: 4, classes: 2),
                             clients: [ClientShard(clientID: 4, data: shardData)])
        XCTAssertThrowsError(try WireCodec.decode(WireCodec.encode(.assign(foreign)))) { error in
            XCTAssertEqual(error as? WireError, .invalid(field: "Assign.clients[4].labels", reason: "label 2 outside 0..<2"))
        }
    }

    func testUnknownOptimizerIsInvalid() throws {
        var bytes = WireCodec.encode(everyMessage[3])
        let adam = Array("adam".utf8)
        let start = try XCTUnwrap((0...(bytes.count - adam.count)).first { Array(bytes[$0..<($0 + adam.count)]) == adam })
        bytes.replaceSubrange(start..<(start + adam.count), with: Array("lbfg".utf8))
        XCTAssertThrowsError(try WireCodec.decode(bytes)) { error in
            XCTAssertEqual(error as? WireError, .invalid(field: "Task.training.optimizer", reason: "unknown optimizer 'lbfg'"))
        }
    }
}
