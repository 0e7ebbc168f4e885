import FedSimWire

/// Names one worker connection at the coordinator.
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var description: String {
        bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}

/// What the coordinator receives: a decoded message, or bytes that were refused.
public enum Inbound: Sendable {
    case message(Message, from: PeerID)
    /// The bytes from this peer did not decode (garbage, truncation, another protocol version).
    case rejected(WireError, from: PeerID)
}

/// The coordinator's side of the network: one endpoint that many workers talk to.
/// The round loop only sees this protocol, so the ZeroMQ transport and the in-memory
/// one are interchangeable.
public protocol CoordinatorTransport: AnyObject {
    func send(_ message: EncodedMessage, to peer: PeerID) throws
    /// The next inbound message, or nil when `timeoutMilliseconds` pass without one.
    func receive(timeoutMilliseconds: Int) throws -> Inbound?
    /// Encoded bytes sent and received so far.
    var traffic: WireTraffic { get }
    /// Where other workers reach the worker `peer`, whose Hello gave its peer socket's
    /// `port`: its address as this coordinator sees it, with that port.
    func peerEndpoint(of peer: PeerID, port: Int) -> String
    /// The CURVE public key `peer` connected with; nil when the run is not authenticated.
    func peerKey(of peer: PeerID) -> CurveKey?
}

extension CoordinatorTransport {
    public func send(_ message: Message, to peer: PeerID) throws {
        try send(EncodedMessage(message), to: peer)
    }

    /// nil: a transport without CURVE knows no keys.
    public func peerKey(of peer: PeerID) -> CurveKey? { nil }
}

/// A worker's side of the network: one connection to the coordinator and, in a
/// decentralized run, one to every other worker.
public protocol WorkerTransport: AnyObject {
    func send(_ message: Message) throws
    /// The next message from the coordinator, nil on timeout; throws `WireError` for
    /// bytes that do not decode.
    func receive(timeoutMilliseconds: Int) throws -> Message?
    /// The port other workers send this one messages on, which its Hello announces; 0
    /// when the transport needs none.
    var peerPort: Int { get }
    /// The largest message this worker accepts, which its Hello announces; 0: any size.
    var maxMessageBytes: Int { get }
    /// From now on, messages from the coordinator larger than `limit` bytes are refused
    /// with `WireError.tooLarge` before they are decoded, but for Assigns (which carry
    /// client data and stay bounded by `maxMessageBytes`).
    func limitCoordinatorMessages(toBytes limit: Int)
    /// Connects to the other workers, `endpoints[k]` being worker k's (this worker's
    /// own, at `selfIndex`, is skipped); in an authenticated run `keys[k]` is worker k's
    /// CURVE public key, otherwise `keys` is empty.
    func connectPeers(_ endpoints: [String], keys: [CurveKey], selfIndex: Int) throws
    /// Sends to worker `index`, connected by `connectPeers`.
    func sendToPeer(_ message: EncodedMessage, worker index: Int) throws
    /// The next message from the coordinator or from a peer, nil on timeout; throws
    /// `WireError` for bytes that do not decode.
    func receiveFromAnyone(timeoutMilliseconds: Int) throws -> WorkerInbound?
    /// What the transport saw of the connection to the coordinator that may explain
    /// why it has not answered, such as connections closed during the handshake; nil
    /// when nothing went wrong that it can see.
    var connectionTrouble: String? { get }
}

public extension WorkerTransport {
    /// nil: a transport without connections sees no trouble with them.
    var connectionTrouble: String? { nil }
}

/// What a worker receives in a decentralized run.
public enum WorkerInbound: Sendable {
    case coordinator(Message)
    case peer(Message)
}

/// `bytes` from the coordinator, unless a `limit` set by `limitCoordinatorMessages`
/// refuses them for their size.
func checkedSize(_ bytes: [UInt8], limit: Int?) throws -> [UInt8] {
    try bytes.withUnsafeBytes { try checkSize($0, limit: limit) }
    return bytes
}

/// Throws `WireError.tooLarge` when `bytes` are over `limit` and are not an Assign.
func checkSize(_ bytes: UnsafeRawBufferPointer, limit: Int?) throws {
    if let limit, bytes.count > limit, !WireCodec.isAssign(bytes) {
        throw WireError.tooLarge(byteCount: bytes.count, limit: limit)
    }
}

/// Counts of encoded bytes that crossed a transport.
public struct WireTraffic: Equatable, Sendable {
    public var bytesSent = 0
    public var bytesReceived = 0
    public var messagesSent = 0
    public var messagesReceived = 0

    public init() {}
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// How coordinator and workers check that the other is still there: each sends a
/// Heartbeat every `interval` seconds while it waits, and a side silent for `timeout`
/// seconds (no message, and no answer to the transport's own pings) is taken for dead.
public struct Heartbeat: Equatable, Sendable {
    public var interval: Double
    public var timeout: Double

    public init(interval: Double = 2, timeout: Double = 10) {
        precondition(interval > 0 && timeout > interval, "a heartbeat's timeout is longer than its interval")
        self.interval = interval
        self.timeout = timeout
    }

    var intervalMilliseconds: Int { Int((interval * 1000).rounded()) }
    var timeoutMilliseconds: Int { Int((timeout * 1000).rounded()) }
}
