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
}

extension CoordinatorTransport {
    public func send(_ message: Message, to peer: PeerID) throws {
        try send(EncodedMessage(message), to: peer)
    }
}

/// A worker's side of the network: one connection to the coordinator.
public protocol WorkerTransport: AnyObject {
    func send(_ message: Message) throws
    /// The next message, nil on timeout; throws `WireError` for bytes that do not decode.
    func receive(timeoutMilliseconds: Int) throws -> Message?
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
