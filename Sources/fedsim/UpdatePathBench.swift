import FedSimCore
import FedSimWire
import Foundation

/// The coordinator's update path on one host, for `fedsim bench update-path`.
///
/// A sender thread encodes `Update`s as a worker does and sends them from a DEALER; the
/// receiver, a ROUTER like the coordinator's, receives each, decodes it with the
/// coordinator's call, checks that its values are finite and adds it, weighted by its
/// sample count, to a running sum in Double. The two sockets have a context (an I/O
/// thread) each, as the two processes would.
///
/// Update `i` (from 0) is job `i + 1` with `i + 1` samples and carries the first of two
/// known vectors when `i` is even, the second when odd. The receiver checks each
/// update's job number, and the sum after every pass, so a path that loses, reorders or
/// alters an update is an error rather than a figure.
final class UpdatePathBench {
    /// The parts of the path, each also timed alone on one update.
    enum Stage: CaseIterable {
        case encode, transfer, decode, finitenessCheck, accumulate

        var label: String {
            switch self {
            case .encode: return "encode"
            case .transfer: return "send + receive"
            case .decode: return "decode"
            case .finitenessCheck: return "finiteness check"
            case .accumulate: return "accumulate"
            }
        }
    }

    /// How long the receiver waits for the sender's connection, then for each message.
    private static let timeoutMilliseconds = 10_000
    /// Messages each socket queues at most (the transport's queues are unbounded): a
    /// sender faster than the receiver waits instead of holding every update of a pass
    /// in memory.
    private static let queuedMessages = 4

    let parameters: Int
    let messages: Int
    /// The size of an encoded update, in bytes (the first update's; later ones' job
    /// numbers and sample counts may take a byte or two more).
    let updateBytes: Int

    /// The two vectors the updates carry, their values small integers so every sum of
    /// them is exact in Double.
    private let deltas: [[Float]]
    private let sender: ZMQSocket
    private let receiver: ZMQSocket
    /// The running weighted sum of the updates received in the current pass.
    private var total: [Double] = []

    /// Binds the receiver to `endpoint` and connects the sender to it; throws when the
    /// connection does not come up.
    init(endpoint: String, parameters: Int, messages: Int) throws {
        self.parameters = parameters
        self.messages = messages
        deltas = [(0..<parameters).map { Float($0 % 17) - 8 }, (0..<parameters).map { Float($0 % 13) - 6 }]
        updateBytes = EncodedMessage(.update(Self.update(0, deltas))).count
        receiver = try ZMQSocket(.router, context: ZMQContext())
        sender = try ZMQSocket(.dealer, context: ZMQContext())
        for socket in [receiver, sender] {
            try socket.setLinger(milliseconds: 0)
            try socket.setQueueLimits(messages: Self.queuedMessages)
        }
        try receiver.bind(endpoint)
        try sender.connect(endpoint)
        try sender.send([EncodedMessage(.heartbeat(sequence: 0)).frame])
        guard try receiver.receiveMessage(timeoutMilliseconds: Self.timeoutMilliseconds) != nil else {
            throw BenchError("the sender did not reach \(endpoint) within \(Self.timeoutMilliseconds / 1000) s")
        }
    }

    /// `messages` updates through the whole path, from the first encoding to the last
    /// addition.
    func throughputOfPath() throws -> Throughput {
        total = [Double](repeating: 0, count: parameters)
        let deltas = deltas
        let throughput = try pass(sending: { EncodedMessage(.update(Self.update($0, deltas))).frame }) { index, envelope in
            try add(envelope, asUpdate: index)
        }
        try checkTotal()
        return throughput
    }

    /// `messages` runs of `stage` alone on one update: the same envelope sent and
    /// received, decoded, checked; the sum on the two vectors in turn with the path's
    /// weights, checked like the path's.
    func throughput(of stage: Stage) throws -> Throughput {
        let update = Self.update(0, deltas)
        let envelope = EncodedMessage(.update(update)).frame
        var bytes = 0
        let elapsed: Double
        switch stage {
        case .encode:
            elapsed = seconds {
                for _ in 0..<messages { bytes += EncodedMessage(.update(update)).count }
            }
        case .transfer:
            return try pass(sending: { _ in envelope }) { _, _ in }
        case .decode:
            elapsed = try seconds {
                for _ in 0..<messages {
                    let message = try envelope.withUnsafeBytes { try WireCodec.decode($0) }
                    guard case let .update(decoded) = message, decoded.delta.count == parameters else {
                        throw BenchError("an update of \(parameters) floats decodes to another message")
                    }
                    bytes += envelope.count
                }
            }
        case .finitenessCheck:
            elapsed = try seconds {
                for index in 0..<messages {
                    guard deltas[index % 2].allFinite else { throw BenchError("a finite update reads as not finite") }
                    bytes += envelope.count
                }
            }
        case .accumulate:
            total = [Double](repeating: 0, count: parameters)
            elapsed = seconds {
                for index in 0..<messages {
                    Self.accumulate(deltas[index % 2], weight: Double(index + 1), into: &total)
                    bytes += envelope.count
                }
            }
            try checkTotal()
        }
        return Throughput(bytes: bytes, seconds: elapsed)
    }

    /// Update `index` of a pass; see the type's description.
    private static func update(_ index: Int, _ deltas: [[Float]]) -> ClientUpdate {
        ClientUpdate(clientID: 1, modelVersion: 1, jobNumber: index + 1, delta: deltas[index % 2],
                     sampleCount: index + 1, trainLoss: 0.5, steps: 10, wallComputeSeconds: 0.01)
    }

    /// `messages` envelopes, `envelope(i)` the i-th, made and sent by a sender thread
    /// while this one receives each as the coordinator does and hands it to `handle`;
    /// timed from the start of the sender to the last envelope handled.
    private func pass(sending envelope: @escaping (Int) -> ZMQFrame,
                      receiving handle: (Int, ZMQFrame) throws -> Void) throws -> Throughput {
        let (socket, messages) = (sender, messages)
        var bytes = 0
        var sending: SenderThread?
        let elapsed = try seconds {
            let thread = SenderThread {
                for index in 0..<messages { try socket.send([envelope(index)]) }
            }
            sending = thread
            for index in 0..<messages {
                let received = try receiveEnvelope(index, sentBy: thread)
                try handle(index, received)
                bytes += received.count
            }
        }
        try sending?.join()
        return Throughput(bytes: bytes, seconds: elapsed)
    }

    /// The envelope of message `index` of a pass, as the coordinator's ROUTER receives it.
    private func receiveEnvelope(_ index: Int, sentBy sending: SenderThread) throws -> ZMQFrame {
        guard let received = try receiver.receiveMessage(timeoutMilliseconds: Self.timeoutMilliseconds) else {
            throw sending.failure ?? BenchError("message \(index + 1) of \(messages) did not arrive within "
                                                + "\(Self.timeoutMilliseconds / 1000) s")
        }
        guard received.frames.count == 2 else {
            throw BenchError("message \(index + 1) came in \(received.frames.count) frames, not a routing id and an envelope")
        }
        return received.frames[1]
    }

    /// Decodes update `index` of a pass from `envelope` as the coordinator does, checks
    /// it and adds it to `total`.
    private func add(_ envelope: ZMQFrame, asUpdate index: Int) throws {
        let number = index + 1
        let message = try envelope.withUnsafeBytes { try WireCodec.decode($0) }
        guard case let .update(update) = message else {
            throw BenchError("received \(message.kind) where update \(number) was expected")
        }
        guard update.jobNumber == number, update.delta.count == parameters else {
            throw BenchError("received update \(update.jobNumber) of \(update.delta.count) floats where update \(number) "
                             + "of \(parameters) was expected")
        }
        guard update.delta.allFinite else { throw BenchError("update \(number) arrived with values that are not finite") }
        Self.accumulate(update.delta, weight: Double(update.sampleCount), into: &total)
    }

    /// `total += weight * values`, coordinate by coordinate in Double, as
    /// `Aggregation.weightedSum` adds each update.
    private static func accumulate(_ values: [Float], weight: Double, into total: inout [Double]) {
        precondition(values.count == total.count, "an update of \(values.count) floats for a sum of \(total.count)")
        values.withUnsafeBufferPointer { values in
            total.withUnsafeMutableBufferPointer { total in
                for index in values.indices { total[index] += weight * Double(values[index]) }
            }
        }
    }

    /// Throws unless `total` is the weighted sum of a pass's updates, coordinate for
    /// coordinate: the values, weights and partial sums are integers below 2^53, so
    /// the sum is exact in any order.
    private func checkTotal() throws {
        var weights = [0.0, 0.0]
        for index in 0..<messages { weights[index % 2] += Double(index + 1) }
        for index in 0..<parameters {
            let expected = Double(deltas[0][index]) * weights[0] + Double(deltas[1][index]) * weights[1]
            guard total[index] == expected else {
                throw BenchError("the sum of the updates is \(total[index]) at coordinate \(index), not \(expected)")
            }
        }
    }
}

/// Bytes through a stage in a time.
struct Throughput {
    var bytes: Int
    var seconds: Double

    var gigabytesPerSecond: Double { Double(bytes) / seconds / 1e9 }
}

/// A thread that runs a sender's loop once, keeping what it throws.
private final class SenderThread: @unchecked Sendable {
    private let lock = NSLock()
    private var thrown: Error?
    private let finished = DispatchSemaphore(value: 0)

    init(_ body: @escaping () throws -> Void) {
        Thread { [self] in
            do {
                try body()
            } catch {
                lock.withLock { thrown = error }
            }
            finished.signal()
        }.start()
    }

    /// What the loop threw, if it has.
    var failure: Error? { lock.withLock { thrown } }

    /// Waits for the loop to end; rethrows what it threw.
    func join() throws {
        finished.wait()
        if let failure { throw failure }
    }
}
