import FedSimWire

/// How long closing a socket may wait to deliver what is queued (a Stop, a last Update).
/// Queues are unbounded: an asynchronous strategy may have a task in flight for every client.
private let lingerMilliseconds = 2000

/// The coordinator's ZeroMQ ROUTER: every worker's DEALER connects to it, and each
/// inbound message arrives as [worker identity, envelope].
public final class ZeroMQCoordinatorTransport: CoordinatorTransport {
    private let socket: ZMQSocket
    /// The endpoint actually bound (the chosen port for `tcp://host:*`).
    public let endpoint: String
    public private(set) var traffic = WireTraffic()

    /// - Parameter maxMessageBytes: inbound messages larger than this are dropped by libzmq
    ///   (and their sender disconnected) before they are read.
    public init(bind endpoint: String, maxMessageBytes: Int) throws {
        socket = try ZMQSocket(.router, context: ZMQContext())
        try socket.setLinger(milliseconds: lingerMilliseconds)
        try socket.setQueueLimits(messages: nil)
        try socket.setRouterMandatory(true)
        try socket.setMaxMessageSize(bytes: maxMessageBytes)
        do {
            try socket.bind(endpoint)
        } catch let error as ZMQError {
            throw TransportError.cannotListen(endpoint: endpoint, reason: "\(error)")
        }
        self.endpoint = try socket.lastEndpoint
    }

    /// Throws `ZMQError` with `EHOSTUNREACH` for a peer that is not (or no longer) connected.
    public func send(_ message: EncodedMessage, to peer: PeerID) throws {
        try socket.send([peer.bytes, message.bytes])
        traffic.bytesSent += message.bytes.count
        traffic.messagesSent += 1
    }

    public func receive(timeoutMilliseconds: Int) throws -> Inbound? {
        guard let frames = try socket.receive(timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        let peer = PeerID(frames[0])
        let payloadBytes = frames.dropFirst().reduce(0) { $0 + $1.count }
        traffic.bytesReceived += payloadBytes
        traffic.messagesReceived += 1
        guard frames.count == 2 else {
            return .rejected(.invalid(field: "frames", reason: "expected one envelope frame, got \(frames.count - 1)"),
                             from: peer)
        }
        do {
            return .message(try WireCodec.decode(frames[1]), from: peer)
        } catch let error as WireError {
            return .rejected(error, from: peer)
        }
    }
}

/// A worker's ZeroMQ DEALER connected to the coordinator. ZeroMQ reconnects on its own,
/// so a worker may start before its coordinator.
public final class ZeroMQWorkerTransport: WorkerTransport {
    private let socket: ZMQSocket

    public init(connect endpoint: String) throws {
        socket = try ZMQSocket(.dealer, context: ZMQContext())
        try socket.setLinger(milliseconds: lingerMilliseconds)
        try socket.setQueueLimits(messages: nil)
        do {
            try socket.connect(endpoint)
        } catch let error as ZMQError {
            throw TransportError.cannotConnect(endpoint: endpoint, reason: "\(error)")
        }
    }

    public func send(_ message: Message) throws {
        try socket.send([WireCodec.encode(message)])
    }

    public func receive(timeoutMilliseconds: Int) throws -> Message? {
        guard let frames = try socket.receive(timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        guard frames.count == 1 else {
            throw WireError.invalid(field: "frames", reason: "expected one envelope frame, got \(frames.count)")
        }
        return try WireCodec.decode(frames[0])
    }
}
