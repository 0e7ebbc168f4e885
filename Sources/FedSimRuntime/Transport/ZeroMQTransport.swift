import FedSimWire
#if canImport(Glibc)
import Glibc
#endif

/// How long closing a socket may wait to deliver what is queued (a Stop, a last Update).
/// Queues are unbounded: an asynchronous strategy may have a task in flight for every client.
private let lingerMilliseconds = 2000

/// The coordinator's ZeroMQ ROUTER: every worker's DEALER connects to it, and each
/// inbound message arrives as [worker identity, envelope].
///
/// Workers announce their own random routing ids (`ZeroMQWorkerTransport`), so libzmq
/// generates one (a zero byte and a counter) only for a peer that announces none: a
/// peer announcing the id libzmq would generate next no longer makes libzmq 4.3 abort
/// when a worker joins (libzmq asserts that a generated id is free), and an announced
/// id already taken is ignored. A stranger that also connected without an id could
/// still meet that assertion if it found the counter, which libzmq starts at random;
/// with CURVE keys, strangers are turned away before any id is assigned.
public final class ZeroMQCoordinatorTransport: CoordinatorTransport {
    private let socket: ZMQSocket
    /// Admits the workers' keys when the run is authenticated.
    private let keyCheck: ZAPHandler?
    /// The endpoint actually bound (the chosen port for `tcp://host:*`).
    public let endpoint: String
    public private(set) var traffic = WireTraffic()
    /// The IP address each worker's messages come from.
    private var addresses: [PeerID: String] = [:]
    /// The CURVE key each worker connected with, in an authenticated run.
    private var keys: [PeerID: CurveKey] = [:]

    /// - Parameters:
    ///   - maxMessageBytes: inbound messages larger than this are dropped by libzmq (and
    ///     their sender disconnected) before they are read.
    ///   - heartbeat: how often libzmq pings each worker's connection, and how long it
    ///     waits for an answer before closing it (then sends to that worker throw
    ///     `TransportError.peerGone`).
    ///   - keys: with keys, the ROUTER is a CURVE server that admits only the workers'
    ///     keys; a connection turned away is told to `log`, with its address and key.
    public init(bind endpoint: String, maxMessageBytes: Int, heartbeat: Heartbeat = Heartbeat(),
                keys: CoordinatorKeys? = nil, log: @escaping (String) -> Void = { _ in }) throws {
        let context = try ZMQContext()
        // The key check must be in place before the ROUTER accepts anyone.
        keyCheck = try keys.map { keys in
            guard CurveKeyPair.isSupported else { throw TransportError.curveUnsupported }
            return try ZAPHandler(context: context, authorized: Set(keys.workers.keys), refused: log)
        }
        socket = try ZMQSocket(.router, context: context)
        if let keys { try socket.setCurveServer(keys.keys) }
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

    deinit {
        // Without its key check a CURVE server admits any key: close the ROUTER first.
        socket.close()
        keyCheck?.stop()
    }

    /// Throws `TransportError.peerGone` for a peer that is not (or no longer) connected.
    public func send(_ message: EncodedMessage, to peer: PeerID) throws {
        do {
            try socket.send([ZMQFrame(copying: peer.bytes), message.frame])
        } catch let error as ZMQError where error.code == EHOSTUNREACH {
            throw TransportError.peerGone("\(peer)")
        }
        traffic.bytesSent += message.count
        traffic.messagesSent += 1
    }

    public func receive(timeoutMilliseconds: Int) throws -> Inbound? {
        guard let received = try socket.receiveMessage(timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        let frames = received.frames
        let peer = PeerID(frames[0].bytes)
        if let address = received.peerAddress { addresses[peer] = address }
        if let key = received.userID.flatMap({ CurveKey(z85: $0) }) { keys[peer] = key }
        let payloadBytes = frames.dropFirst().reduce(0) { $0 + $1.count }
        traffic.bytesReceived += payloadBytes
        traffic.messagesReceived += 1
        guard frames.count == 2 else {
            return .rejected(.invalid(field: "frames", reason: "expected one envelope frame, got \(frames.count - 1)"),
                             from: peer)
        }
        do {
            return .message(try frames[1].withUnsafeBytes { try WireCodec.decode($0) }, from: peer)
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

    /// The key the key check admitted `peer` with (the ZAP handler's user id).
    public func peerKey(of peer: PeerID) -> CurveKey? {
        keys[peer]
    }
}

/// A worker's ZeroMQ DEALER connected to the coordinator, and its peer socket: a ROUTER
/// bound to a free port on every interface, which other workers' DEALERs connect to in
/// a decentralized run. ZeroMQ reconnects on its own, so a worker may start before its
/// coordinator or its peers.
///
/// With keys, every socket speaks CURVE: the DEALER to the coordinator's public key, the
/// peer socket as a server with the worker's pair, admitting only the keys of the other
/// workers once the Assign names them (connections that come earlier wait for them),
/// and the DEALERs to the other workers to the keys the Assign gives.
public final class ZeroMQWorkerTransport: WorkerTransport {
    /// The largest message a worker accepts unless told otherwise: room for the data of
    /// Fashion-MNIST's 60,000 training images (188 MB) in one worker's Assign.
    public static let defaultMaxMessageBytes = 512 << 20

    private let context: ZMQContext
    private let keys: WorkerKeys?
    private let socket: ZMQSocket
    /// Admits the other workers' keys to the peer socket, in an authenticated run.
    private let peerKeyCheck: ZAPHandler?
    private let peerSocket: ZMQSocket
    public let peerPort: Int
    public let maxMessageBytes: Int
    /// The bound `limitCoordinatorMessages` set.
    private var coordinatorLimit: Int?
    /// DEALERs to the other workers, by worker index; nil at this worker's own index.
    private var peers: [ZMQSocket?] = []

    /// - Parameters:
    ///   - heartbeat: how often libzmq pings the coordinator's connection, and how long
    ///     it waits for an answer before dropping it and connecting again.
    ///   - keys: with keys, the worker's sockets speak CURVE.
    ///   - maxMessageBytes: messages larger than this, from the coordinator or another
    ///     worker, are dropped by libzmq (and the connection closed) before they are read.
    ///   - log: told of connections to the peer socket that are turned away.
    public init(connect endpoint: String, heartbeat: Heartbeat = Heartbeat(), keys: WorkerKeys? = nil,
                maxMessageBytes: Int = defaultMaxMessageBytes, log: @escaping (String) -> Void = { _ in }) throws {
        if keys != nil, !CurveKeyPair.isSupported { throw TransportError.curveUnsupported }
        let context = try ZMQContext()
        self.context = context
        self.keys = keys
        self.maxMessageBytes = maxMessageBytes
        socket = try ZMQSocket(.dealer, context: context)
        if let keys { try socket.setCurveClient(keys.keys, server: keys.coordinator) }
        try socket.setRoutingID(Self.randomRoutingID())
        try socket.setLinger(milliseconds: lingerMilliseconds)
        try socket.setHeartbeat(intervalMilliseconds: heartbeat.intervalMilliseconds,
                                timeoutMilliseconds: heartbeat.timeoutMilliseconds)
        try socket.setQueueLimits(messages: nil)
        try socket.setMaxMessageSize(bytes: maxMessageBytes)
        try socket.monitorConnections()
        do {
            try socket.connect(endpoint)
        } catch let error as ZMQError {
            throw TransportError.cannotConnect(endpoint: endpoint, reason: "\(error)")
        }
        // The key check must be in place before the peer socket accepts anyone.
        peerKeyCheck = try keys.map { _ in try ZAPHandler(context: context, authorized: nil, refused: log) }
        peerSocket = try ZMQSocket(.router, context: context)
        if let keys { try peerSocket.setCurveServer(keys.keys) }
        try peerSocket.setLinger(milliseconds: 0)
        try peerSocket.setQueueLimits(messages: nil)
        try peerSocket.setMaxMessageSize(bytes: maxMessageBytes)
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

    deinit {
        // Without its key check a CURVE server admits any key: close the peer socket first.
        peerSocket.close()
        peerKeyCheck?.stop()
    }

    public func send(_ message: Message) throws {
        try socket.send([EncodedMessage(message).frame])
    }

    /// Throws `TransportError.cannotConnect` once the coordinator refused this worker's
    /// key or security mechanism, or libzmq closed the connection for a protocol error
    /// (a message over `maxMessageBytes`): libzmq does not try again.
    public func receive(timeoutMilliseconds: Int) throws -> Message? {
        guard let frames = try socket.receiveMessage(timeoutMilliseconds: timeoutMilliseconds)?.frames else {
            try checkConnections()
            return nil
        }
        return try Self.message(frames, from: "the coordinator", envelopeFrame: 0, limit: coordinatorLimit)
    }

    /// Connections that the coordinator's address accepted and closed during the ZMTP
    /// handshake: a coordinator with CURVE keys may answer a worker without them so,
    /// depending on timing, where it usually says it speaks another mechanism.
    public var connectionTrouble: String? {
        let count = socket.interruptedHandshakes
        guard count > 0 else { return nil }
        return "\(count) connection\(count == 1 ? " was" : "s were") accepted and closed during the ZMTP handshake: "
            + "are CURVE keys (--keys) given on one side only, or is another program listening there?"
    }

    public func limitCoordinatorMessages(toBytes limit: Int) {
        coordinatorLimit = limit
    }

    /// Throws `TransportError.cannotConnect` naming the coordinator or the other worker
    /// that refused this worker's key or security mechanism, or whose connection libzmq
    /// closed for good.
    private func checkConnections() throws {
        for socket in [socket] + peers.compactMap({ $0 }) {
            if let failure = try socket.connectionFailures().first {
                throw TransportError.cannotConnect(endpoint: failure.endpoint, reason: "\(failure)")
            }
        }
    }

    public func connectPeers(_ endpoints: [String], keys peerKeys: [CurveKey], selfIndex: Int) throws {
        if let peerKeyCheck {
            guard peerKeys.count == endpoints.count else {
                throw TransportError.cannotConnect(endpoint: "the other workers",
                                                   reason: "the coordinator gave no CURVE keys for them")
            }
            peerKeyCheck.authorize(Set(peerKeys))
        }
        peers = try endpoints.enumerated().map { index, endpoint in
            guard index != selfIndex else { return nil }
            let peer = try ZMQSocket(.dealer, context: context)
            if let keys { try peer.setCurveClient(keys.keys, server: peerKeys[index]) }
            try peer.setRoutingID(Self.randomRoutingID())
            try peer.setLinger(milliseconds: lingerMilliseconds)
            try peer.setQueueLimits(messages: nil)
            try peer.setMaxMessageSize(bytes: maxMessageBytes)
            try peer.monitorConnections()
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
        try peer.send([message.frame])
    }

    public func receiveFromAnyone(timeoutMilliseconds: Int) throws -> WorkerInbound? {
        let ready = try ZMQSocket.poll([socket, peerSocket], timeoutMilliseconds: timeoutMilliseconds)
        if ready[0], let frames = try socket.receiveMessage(timeoutMilliseconds: 0)?.frames {
            return .coordinator(try Self.message(frames, from: "the coordinator", envelopeFrame: 0, limit: coordinatorLimit))
        }
        if ready[1], let frames = try peerSocket.receiveMessage(timeoutMilliseconds: 0)?.frames {
            return .peer(try Self.message(frames, from: "a peer", envelopeFrame: 1, limit: nil))
        }
        try checkConnections()
        return nil
    }

    /// A routing id for a DEALER: 16 random bytes, the first not zero (libzmq's generated
    /// ids start with one), so the ROUTER it connects to never has to generate one.
    private static func randomRoutingID() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return [UInt8.random(in: 1...255, using: &generator)] + (1..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// The message in the last of `frames`, which must be frame `envelopeFrame` (a
    /// ROUTER's frames start with the sender's routing id), refused before decoding when
    /// `limit` refuses its size (`checkedSize`).
    private static func message(_ frames: [ZMQFrame], from sender: String, envelopeFrame: Int, limit: Int?) throws
        -> Message {
        guard frames.count == envelopeFrame + 1 else {
            throw WireError.invalid(field: "frames", reason: "expected one envelope frame from \(sender), got \(frames.count - envelopeFrame)")
        }
        return try frames[envelopeFrame].withUnsafeBytes { bytes in
            try checkSize(bytes, limit: limit)
            return try WireCodec.decode(bytes)
        }
    }
}
