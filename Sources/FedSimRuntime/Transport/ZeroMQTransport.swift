import FedSimWire
#if canImport(Glibc)
import Glibc
#endif

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
    /// The IP address each worker's messages come from.
    private var addresses: [PeerID: String] = [:]

    /// - Parameters:
    ///   - maxMessageBytes: inbound messages larger than this are dropped by libzmq (and
    ///     their sender disconnected) before they are read.
    ///   - heartbeat: how often libzmq pings each worker's connection, and how long it
    ///     waits for an answer before closing it (then sends to that worker throw
    ///     `TransportError.peerGone`).
    public init(bind endpoint: String, maxMessageBytes: Int, heartbeat: Heartbeat = Heartbeat()) throws {
        socket = try ZMQSocket(.router, context: ZMQContext())
        try socket.setLinger(milliseconds: lingerMilliseconds)
        try socket.setHeartbeat(intervalMilliseconds: heartbeat.intervalMilliseconds,
                                timeoutMilliseconds: heartbeat.timeoutMilliseconds)
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

    /// Throws `TransportError.peerGone` for a peer that is not (or no longer) connected.
    public func send(_ message: EncodedMessage, to peer: PeerID) throws {
        do {
            try socket.send([peer.bytes, message.bytes])
        } catch let error as ZMQError where error.code == EHOSTUNREACH {
            throw TransportError.peerGone("\(peer)")
        }
        traffic.bytesSent += message.bytes.count
        traffic.messagesSent += 1
    }

    public func receive(timeoutMilliseconds: Int) throws -> Inbound? {
        guard let received = try socket.receiveMessage(timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        let frames = received.frames
        let peer = PeerID(frames[0])
        if let address = received.peerAddress { addresses[peer] = address }
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

    /// `tcp://ADDRESS:port`, the address being the one `peer`'s messages come from
    /// (loopback when unknown), IPv6 addresses in brackets.
    public func peerEndpoint(of peer: PeerID, port: Int) -> String {
        let address = addresses[peer] ?? "127.0.0.1"
        return "tcp://\(address.contains(":") ? "[\(address)]" : address):\(port)"
    }
}

/// A worker's ZeroMQ DEALER connected to the coordinator, and its peer socket: a ROUTER
/// bound to a free port on every interface, which other workers' DEALERs connect to in
/// a decentralized run. ZeroMQ reconnects on its own, so a worker may start before its
/// coordinator or its peers.
public final class ZeroMQWorkerTransport: WorkerTransport {
    private let context: ZMQContext
    private let socket: ZMQSocket
    private let peerSocket: ZMQSocket
    public let peerPort: Int
    /// DEALERs to the other workers, by worker index; nil at this worker's own index.
    private var peers: [ZMQSocket?] = []

    /// - Parameter heartbeat: how often libzmq pings the coordinator's connection, and
    ///   how long it waits for an answer before dropping it and connecting again.
    public init(connect endpoint: String, heartbeat: Heartbeat = Heartbeat()) throws {
        context = try ZMQContext()
        socket = try ZMQSocket(.dealer, context: context)
        try socket.setLinger(milliseconds: lingerMilliseconds)
        try socket.setHeartbeat(intervalMilliseconds: heartbeat.intervalMilliseconds,
                                timeoutMilliseconds: heartbeat.timeoutMilliseconds)
        try socket.setQueueLimits(messages: nil)
        do {
            try socket.connect(endpoint)
        } catch let error as ZMQError {
            throw TransportError.cannotConnect(endpoint: endpoint, reason: "\(error)")
        }
        peerSocket = try ZMQSocket(.router, context: context)
        try peerSocket.setLinger(milliseconds: 0)
        try peerSocket.setQueueLimits(messages: nil)
        do {
            try peerSocket.bind("tcp://*:*")
        } catch let error as ZMQError {
            throw TransportError.cannotListen(endpoint: "tcp://*:*", reason: "\(error)")
        }
        let bound = try peerSocket.lastEndpoint
        guard let port = bound.split(separator: ":").last.flatMap({ Int($0) }) else {
            throw TransportError.cannotListen(endpoint: bound, reason: "no port in the bound endpoint")
        }
        peerPort = port
    }

    public func send(_ message: Message) throws {
        try socket.send([WireCodec.encode(message)])
    }

    public func receive(timeoutMilliseconds: Int) throws -> Message? {
        guard let frames = try socket.receive(timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        return try Self.message(frames, from: "the coordinator", envelopeFrame: 0)
    }

    public func connectPeers(_ endpoints: [String], selfIndex: Int) throws {
        peers = try endpoints.enumerated().map { index, endpoint in
            guard index != selfIndex else { return nil }
            let peer = try ZMQSocket(.dealer, context: context)
            try peer.setLinger(milliseconds: lingerMilliseconds)
            try peer.setQueueLimits(messages: nil)
            do {
                try peer.connect(endpoint)
            } catch let error as ZMQError {
                throw TransportError.cannotConnect(endpoint: endpoint, reason: "\(error)")
            }
            return peer
        }
    }

    public func sendToPeer(_ message: EncodedMessage, worker index: Int) throws {
        guard peers.indices.contains(index), let peer = peers[index] else {
            throw TransportError.unknownPeer("worker \(index)")
        }
        try peer.send([message.bytes])
    }

    public func receiveFromAnyone(timeoutMilliseconds: Int) throws -> WorkerInbound? {
        let ready = try ZMQSocket.poll([socket, peerSocket], timeoutMilliseconds: timeoutMilliseconds)
        if ready[0], let frames = try socket.receive(timeoutMilliseconds: 0) {
            return .coordinator(try Self.message(frames, from: "the coordinator", envelopeFrame: 0))
        }
        if ready[1], let frames = try peerSocket.receive(timeoutMilliseconds: 0) {
            return .peer(try Self.message(frames, from: "a peer", envelopeFrame: 1))
        }
        return nil
    }

    /// The message in the last of `frames`, which must be frame `envelopeFrame` (a
    /// ROUTER's frames start with the sender's routing id).
    private static func message(_ frames: [[UInt8]], from sender: String, envelopeFrame: Int) throws -> Message {
        guard frames.count == envelopeFrame + 1 else {
            throw WireError.invalid(field: "frames", reason: "expected one envelope frame from \(sender), got \(frames.count - envelopeFrame)")
        }
        return try WireCodec.decode(frames[envelopeFrame])
    }
}
