import CZeroMQ
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ZeroMQ socket that sends and receives multipart messages as arrays of frames.
///
/// Not thread-safe, like the libzmq socket under it: use it from one thread at a
/// time, and hand it to another thread only through a synchronizing channel.
///
/// A ROUTER receives `[peer routing id, payload...]` and sends to a peer with the
/// same shape; a DEALER or PAIR sends and receives just the payload frames.
/// Every failing call throws a `ZMQError` naming the call, and every call on a closed
/// socket throws one with `ENOTSOCK`.
public final class ZMQSocket {
    /// The socket patterns fedsim uses.
    public enum Kind: Sendable {
        /// Exactly one peer, over `inproc` typically.
        case pair
        /// Talks to a ROUTER; messages are load-balanced over its connections.
        case dealer
        /// Many peers, each addressed by its routing id.
        case router
        /// Answers each request it receives before receiving the next (a ZAP handler).
        case reply

        var zmqType: Int32 {
            switch self {
            case .pair: return ZMQ_PAIR
            case .dealer: return ZMQ_DEALER
            case .router: return ZMQ_ROUTER
            case .reply: return ZMQ_REP
            }
        }
    }

    public let kind: Kind
    /// Kept so the context outlives the socket.
    private let context: ZMQContext
    private var handle: UnsafeMutableRawPointer?
    /// Receives this socket's connection events, once `monitorConnections` started it.
    private var monitor: ZMQSocket?
    /// The endpoint whose connection ended last and when, until libzmq tries it again.
    private var lastDisconnect: (endpoint: String, time: ContinuousClock.Instant)?
    /// Endpoints whose handshake failure was reported, so that the end of their
    /// connection, which follows, is not reported again.
    private var failedEndpoints: Set<String> = []
    /// How many connections ended during the ZMTP handshake since the last one that
    /// completed it, as of the last `connectionFailures` call. libzmq tries those again,
    /// so they are no failure for good, but a count that keeps growing says the peer
    /// closes every connection it accepts before speaking: one configured for another
    /// security mechanism may, depending on timing, or a proxy with nothing behind it.
    public private(set) var interruptedHandshakes = 0

    public init(_ kind: Kind, context: ZMQContext) throws {
        self.kind = kind
        self.context = context
        self.handle = try context.makeSocket(type: kind.zmqType, name: "\(kind)")
    }

    deinit {
        close()
    }

    /// Closes the socket; later calls do nothing. Unsent messages are delivered for
    /// the linger period (see `setLinger`) in the background.
    public func close() {
        monitor?.close()
        guard let socket = handle else { return }
        handle = nil
        zmq_close(socket)
    }

    /// Accepts connections on `endpoint`, such as `tcp://127.0.0.1:*` (a free port;
    /// read it back from `lastEndpoint`) or `inproc://name`.
    public func bind(_ endpoint: String) throws {
        let operation = "zmq_bind(\(endpoint))"
        try ZMQCall.check(zmq_bind(open(operation), endpoint), operation)
    }

    /// Connects to `endpoint`; libzmq connects in the background and reconnects when
    /// the peer goes away, so this succeeds before the peer exists.
    public func connect(_ endpoint: String) throws {
        let operation = "zmq_connect(\(endpoint))"
        try ZMQCall.check(zmq_connect(open(operation), endpoint), operation)
    }

    /// The endpoint of the last bind or connect, with a wildcard port resolved, e.g.
    /// `tcp://127.0.0.1:41235`; empty before the first.
    public var lastEndpoint: String {
        get throws {
            let operation = "zmq_getsockopt(ZMQ_LAST_ENDPOINT)"
            let socket = try open(operation)
            var endpoint = [CChar](repeating: 0, count: 1024)
            var size = endpoint.count
            try ZMQCall.check(zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, &endpoint, &size), operation)
            return endpoint.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
    }

    /// How long `close()` keeps trying to deliver unsent messages; nil waits until they
    /// are delivered (libzmq's default), 0 drops them. Longer than `Int32.max` ms waits forever.
    public func setLinger(milliseconds: Int?) throws {
        try setOption(ZMQ_LINGER, "ZMQ_LINGER", Int32(milliseconds: milliseconds))
    }

    /// The largest message this socket accepts from a peer; a peer sending a larger
    /// one is disconnected and the message never received. nil accepts any size.
    public func setMaxMessageSize(bytes: Int?) throws {
        precondition((bytes ?? 0) >= 0, "a maximum message size is not negative")
        try setOption(ZMQ_MAXMSGSIZE, "ZMQ_MAXMSGSIZE", Int64(bytes ?? -1))
    }

    /// The id a ROUTER peer knows this socket by: 1 to 255 bytes, not starting with a
    /// zero byte. Set it before connecting.
    public func setRoutingID(_ routingID: [UInt8]) throws {
        try setOption(ZMQ_ROUTING_ID, "ZMQ_ROUTING_ID", bytes: routingID)
    }

    /// Makes this socket a CURVE server known by `keys`' public key: peers must connect
    /// with CURVE and that server key, and, when the context has a ZAP handler
    /// (`ZAPHandler`), only the client keys it admits get in. Set it before binding.
    public func setCurveServer(_ keys: CurveKeyPair) throws {
        try setOption(ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER", Int32(1))
        try setOption(ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY", bytes: keys.secretKey.bytes)
    }

    /// Makes this socket a CURVE client of the server whose public key is `server`,
    /// known to it by `keys`' public key. Set it before connecting.
    public func setCurveClient(_ keys: CurveKeyPair, server: CurveKey) throws {
        try setOption(ZMQ_CURVE_SERVERKEY, "ZMQ_CURVE_SERVERKEY", bytes: server.bytes)
        try setOption(ZMQ_CURVE_PUBLICKEY, "ZMQ_CURVE_PUBLICKEY", bytes: keys.publicKey.bytes)
        try setOption(ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY", bytes: keys.secretKey.bytes)
    }

    /// ZMTP heartbeats: a PING every `intervalMilliseconds` on each connection, which is
    /// closed when no traffic answers within `timeoutMilliseconds` (and, for the peer,
    /// after the same time without a PING). They run on libzmq's I/O thread, so a peer
    /// busy computing still answers; a stopped, hung or unreachable one does not.
    public func setHeartbeat(intervalMilliseconds: Int, timeoutMilliseconds: Int) throws {
        try setOption(ZMQ_HEARTBEAT_IVL, "ZMQ_HEARTBEAT_IVL", Int32(milliseconds: intervalMilliseconds))
        try setOption(ZMQ_HEARTBEAT_TIMEOUT, "ZMQ_HEARTBEAT_TIMEOUT", Int32(milliseconds: timeoutMilliseconds))
        try setOption(ZMQ_HEARTBEAT_TTL, "ZMQ_HEARTBEAT_TTL", Int32(milliseconds: timeoutMilliseconds))
    }

    /// Whether a ROUTER refuses to send to an unknown or departed peer (throwing
    /// `EHOSTUNREACH`) instead of silently dropping the message, libzmq's default.
    public func setRouterMandatory(_ isMandatory: Bool) throws {
        try setOption(ZMQ_ROUTER_MANDATORY, "ZMQ_ROUTER_MANDATORY", Int32(isMandatory ? 1 : 0))
    }

    /// How long `receive(timeoutMilliseconds: nil)` waits for a message; nil waits
    /// forever (libzmq's default). Longer than `Int32.max` ms waits forever.
    public func setReceiveTimeout(milliseconds: Int?) throws {
        try setOption(ZMQ_RCVTIMEO, "ZMQ_RCVTIMEO", Int32(milliseconds: milliseconds))
    }

    /// How many messages may queue per peer before sends block (or, on a ROUTER with
    /// `setRouterMandatory`, fail with `EAGAIN`); nil means no limit. libzmq's default is 1000.
    public func setQueueLimits(messages: Int?) throws {
        let limit = Int32(clamping: messages ?? 0)
        try setOption(ZMQ_SNDHWM, "ZMQ_SNDHWM", limit)
        try setOption(ZMQ_RCVHWM, "ZMQ_RCVHWM", limit)
    }

    /// Sends `frames` as one multipart message, which peers receive whole or not at all.
    ///
    /// Blocks while the send queue is full. Each frame is copied once, into libzmq.
    /// - Precondition: `frames` is not empty.
    public func send(_ frames: [[UInt8]]) throws {
        precondition(!frames.isEmpty, "a message has at least one frame")
        let socket = try open("zmq_send")
        for (index, frame) in frames.enumerated() {
            let flags = index == frames.count - 1 ? 0 : ZMQ_SNDMORE
            _ = try frame.withUnsafeBytes { frame in
                try ZMQCall.retryingOnInterrupt {
                    try ZMQCall.check(zmq_send(socket, frame.baseAddress, frame.count, flags), "zmq_send")
                }
            }
        }
    }

    /// Sends one single-frame message; see `send(_: [[UInt8]])`.
    public func send(_ frame: [UInt8]) throws {
        try send([frame])
    }

    /// Sends `frames` as one multipart message without copying any: each frame's buffer
    /// is shared with libzmq, and the frames can be sent again. Blocks while the send
    /// queue is full.
    /// - Precondition: `frames` is not empty.
    public func send(_ frames: [ZMQFrame]) throws {
        precondition(!frames.isEmpty, "a message has at least one frame")
        let socket = try open("zmq_msg_send")
        for (index, frame) in frames.enumerated() {
            try frame.send(on: socket, flags: index == frames.count - 1 ? 0 : ZMQ_SNDMORE)
        }
    }

    /// A received message: its frames, still in libzmq's buffers, and, over TCP, the
    /// sender's IP address.
    public struct Received: Sendable {
        public var frames: [ZMQFrame]
        /// The remote IP address of the connection it came on (libzmq's `Peer-Address`),
        /// nil where the transport has none (inproc, ipc).
        public var peerAddress: String?
        /// The user id the ZAP handler gave the connection it came on (libzmq's
        /// `User-Id`); for a `ZAPHandler`, the client's public key. nil without one.
        public var userID: String?
    }

    /// The frames of the next message, or nil if none arrives in time.
    ///
    /// Waits up to `timeoutMilliseconds` (0 only checks), or with nil for the socket's
    /// receive timeout (`setReceiveTimeout`, forever by default). Each frame is copied
    /// once, out of libzmq.
    public func receive(timeoutMilliseconds: Int? = nil) throws -> [[UInt8]]? {
        try receiveMessage(timeoutMilliseconds: timeoutMilliseconds)?.frames.map(\.bytes)
    }

    /// The next message with the address it came from, or nil if none arrives in
    /// time; see `receive(timeoutMilliseconds:)`. Nothing is copied.
    public func receiveMessage(timeoutMilliseconds: Int? = nil) throws -> Received? {
        let socket = try open("zmq_msg_recv")
        if let timeoutMilliseconds {
            guard try Self.poll([self], timeoutMilliseconds: timeoutMilliseconds)[0] else { return nil }
        }
        var received = Received(frames: [], peerAddress: nil)
        repeat {
            let frame = try ZMQFrame()
            do {
                try ZMQCall.retryingOnInterrupt {
                    try ZMQCall.check(zmq_msg_recv(frame.message, socket, 0), "zmq_msg_recv")
                }
            } catch let error as ZMQError where error.code == EAGAIN && received.frames.isEmpty {
                return nil
            }
            // A ROUTER's routing id frame carries no properties: they come with the payload.
            if received.peerAddress == nil { received.peerAddress = frame.property("Peer-Address").flatMap(Self.ipAddress) }
            if received.userID == nil { received.userID = frame.property("User-Id") }
            received.frames.append(frame)
        } while received.frames.last!.hasMore
        return received
    }

    /// `address` when it is an IPv4 or IPv6 address: libzmq's `Peer-Address` of an ipc
    /// connection is the peer's credentials ("localhost:uid:gid:pid"), no address.
    private static func ipAddress(_ address: String) -> String? {
        var storage = in6_addr()
        let family = address.contains(":") ? AF_INET6 : AF_INET
        return inet_pton(family, address, &storage) == 1 ? address : nil
    }

    /// Which of `sockets` have a message to receive, waiting up to `timeoutMilliseconds`
    /// (0 only checks) for at least one.
    public static func poll(_ sockets: [ZMQSocket], timeoutMilliseconds: Int) throws -> [Bool] {
        precondition(timeoutMilliseconds >= 0, "a receive timeout is not negative")
        var items = try sockets.map {
            zmq_pollitem_t(socket: try $0.open("zmq_poll"), fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(timeoutMilliseconds))
        try ZMQCall.retryingOnInterrupt {
            let remaining = clock.now.duration(to: deadline).components
            let milliseconds = max(0, Int(remaining.seconds) * 1000 + Int(remaining.attoseconds / 1_000_000_000_000_000))
            return try ZMQCall.check(zmq_poll(&items, Int32(items.count), milliseconds), "zmq_poll")
        }
        return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
    }

    /// Starts noting the connections this socket made that fail for good (libzmq's
    /// socket monitor): a peer that refused this socket's key or speaks another security
    /// mechanism, and a connection closed for a protocol error, such as a message larger
    /// than `setMaxMessageSize` allows. libzmq does not retry those connections;
    /// `connectionFailures` says why. For a socket that connects: the ends of accepted
    /// connections are not retried by this side, and would all count as failures.
    public func monitorConnections() throws {
        guard monitor == nil else { return }
        let endpoint = "inproc://fedsim-monitor-\(UUID().uuidString)"
        let operation = "zmq_socket_monitor(\(endpoint))"
        let events = ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_DISCONNECTED
            | ZMQ_EVENT_CONNECT_RETRIED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_SUCCEEDED
        try ZMQCall.check(zmq_socket_monitor(open(operation), endpoint, events), operation)
        let monitor = try ZMQSocket(.pair, context: context)
        try monitor.setLinger(milliseconds: 0)
        try monitor.connect(endpoint)
        self.monitor = monitor
    }

    /// The connections that failed for good since the last call, each said once; none
    /// unless `monitorConnections` started noting them. A connection that ended is
    /// counted as failed when libzmq has not scheduled a new attempt 200 ms later, which
    /// it does at once for the ends it recovers from.
    public func connectionFailures() throws -> [ConnectionFailure] {
        guard let monitor else { return [] }
        var failures: [ConnectionFailure] = []
        while let frames = try monitor.receive(timeoutMilliseconds: 0) {
            guard frames.count == 2, frames[0].count == 6 else { continue }
            let event = Int32(frames[0].withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) })
            let value = frames[0].withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self) }
            let endpoint = String(decoding: frames[1], as: UTF8.self)
            switch event {
            case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
                failures.append(ConnectionFailure(reason: .refused(status: Int(value)), endpoint: endpoint))
                failedEndpoints.insert(endpoint)
            case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
                let mismatch = value == UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
                failures.append(ConnectionFailure(reason: mismatch ? .mechanismMismatch : .protocolError(code: value),
                                                  endpoint: endpoint))
                failedEndpoints.insert(endpoint)
            case ZMQ_EVENT_DISCONNECTED:
                if failedEndpoints.remove(endpoint) == nil { lastDisconnect = (endpoint, .now) }
            case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
                interruptedHandshakes += 1
            case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
                interruptedHandshakes = 0
                lastDisconnect = nil
            default:
                lastDisconnect = nil
            }
        }
        if let (endpoint, time) = lastDisconnect, ContinuousClock.now - time > .milliseconds(200) {
            failures.append(ConnectionFailure(reason: .closed, endpoint: endpoint))
            lastDisconnect = nil
        }
        return failures
    }

    /// The libzmq socket, or the `ENOTSOCK` error of `operation` once closed.
    private func open(_ operation: @autoclosure () -> String) throws -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(operation: operation(), code: ENOTSOCK) }
        return handle
    }

    private func setOption(_ option: Int32, _ name: String, bytes: [UInt8]) throws {
        let operation = "zmq_setsockopt(\(name))"
        let socket = try open(operation)
        _ = try bytes.withUnsafeBytes { bytes in
            try ZMQCall.check(zmq_setsockopt(socket, option, bytes.baseAddress, bytes.count), operation)
        }
    }

    private func setOption(_ option: Int32, _ name: String, _ value: some FixedWidthInteger) throws {
        let operation = "zmq_setsockopt(\(name))"
        let socket = try open(operation)
        _ = try withUnsafeBytes(of: value) { value in
            try ZMQCall.check(zmq_setsockopt(socket, option, value.baseAddress, value.count), operation)
        }
    }
}

private extension Int32 {
    /// A libzmq time option: -1 (forever) for nil, otherwise at most `Int32.max`.
    init(milliseconds: Int?) {
        guard let milliseconds else {
            self = -1
            return
        }
        precondition(milliseconds >= 0, "a duration is not negative")
        self = Int32(clamping: milliseconds)
    }
}

/// A connection to a peer that failed for good, as libzmq's socket monitor reports it.
public struct ConnectionFailure: Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The peer's ZAP handler refused this socket's credentials, with its status code.
        case refused(status: Int)
        /// The peers use different security mechanisms (CURVE on one side only).
        case mechanismMismatch
        /// Another ZMTP protocol error in the handshake, libzmq's `ZMQ_PROTOCOL_ERROR_*` code.
        case protocolError(code: UInt32)
        /// The connection ended for a protocol error after the handshake, such as a
        /// message larger than this socket accepts.
        case closed
    }

    public let reason: Reason
    /// The peer's endpoint, which the description leaves out.
    public let endpoint: String

    public var description: String {
        switch reason {
        case let .refused(status):
            return "the peer refused the CURVE key presented (ZAP status \(status))"
        case .mechanismMismatch:
            return "the peer uses another security mechanism: CURVE keys (--keys) are given on one side only"
        case let .protocolError(code):
            return "the handshake failed with ZMTP protocol error 0x\(String(code, radix: 16))"
        case .closed:
            return "libzmq closed the connection for a protocol error, such as a message larger than this side "
                + "accepts, and does not reconnect"
        }
    }
}
