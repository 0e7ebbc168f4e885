import CZeroMQ
import Foundation

/// A failed ZeroMQ call: the operation (with its argument) and libzmq's message.
public struct ZMQError: Error, Equatable, Sendable, CustomStringConvertible {
    public var operation: String
    public var code: Int32

    public var description: String {
        "\(operation): \(String(cString: zmq_strerror(code)))"
    }
}

/// The one place `zmq_*` return codes become Swift errors.
enum ZMQCall {
    /// Returns `result` when it is not -1, otherwise throws `zmq_errno()` named by `operation`.
    @discardableResult
    static func check(_ result: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
        guard result == -1 else { return result }
        throw ZMQError(operation: operation(), code: zmq_errno())
    }
}

/// A ZeroMQ context. Sockets keep their context alive; it is terminated once, after
/// its last socket has closed.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    public init() throws {
        guard let handle = zmq_ctx_new() else {
            throw ZMQError(operation: "zmq_ctx_new", code: zmq_errno())
        }
        self.handle = handle
    }

    deinit {
        while zmq_ctx_term(handle) == -1, zmq_errno() == EINTR {}
    }
}

/// One ZeroMQ socket. Not thread-safe: use each socket from one thread at a time.
/// Closed exactly once, by `close()` or when it goes away.
public final class ZMQSocket {
    public enum Kind {
        case router, dealer, pair

        var raw: Int32 {
            switch self {
            case .router: return ZMQ_ROUTER
            case .dealer: return ZMQ_DEALER
            case .pair: return ZMQ_PAIR
            }
        }
    }

    private let context: ZMQContext
    private var handle: UnsafeMutableRawPointer?

    /// A socket of `kind`; `lingerMilliseconds` is how long close waits to deliver queued messages.
    public init(_ context: ZMQContext, kind: Kind, lingerMilliseconds: Int32 = 1000) throws {
        guard let handle = zmq_socket(context.handle, kind.raw) else {
            throw ZMQError(operation: "zmq_socket", code: zmq_errno())
        }
        self.context = context
        self.handle = handle
        try setOption(ZMQ_LINGER, lingerMilliseconds, "ZMQ_LINGER")
    }

    deinit {
        close()
    }

    /// Closes the socket; later calls do nothing.
    public func close() {
        guard let handle else { return }
        zmq_close(handle)
        self.handle = nil
    }

    private func open(_ operation: String) throws -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(operation: operation, code: ENOTSOCK) }
        return handle
    }

    private func setOption(_ option: Int32, _ value: some FixedWidthInteger, _ name: String) throws {
        var value = value
        let socket = try open("zmq_setsockopt(\(name))")
        try ZMQCall.check(zmq_setsockopt(socket, option, &value, MemoryLayout.size(ofValue: value)),
                          "zmq_setsockopt(\(name))")
    }

    /// Drops inbound messages larger than `bytes` (and disconnects their sender); -1 means no limit.
    public func setMaxMessageSize(_ bytes: Int64) throws {
        try setOption(ZMQ_MAXMSGSIZE, bytes, "ZMQ_MAXMSGSIZE")
    }

    /// ROUTER only: sending to an unknown peer fails instead of being dropped silently.
    public func setRouterMandatory(_ enabled: Bool) throws {
        try setOption(ZMQ_ROUTER_MANDATORY, Int32(enabled ? 1 : 0), "ZMQ_ROUTER_MANDATORY")
    }

    /// The identity this socket presents to a ROUTER.
    public func setRoutingID(_ identity: [UInt8]) throws {
        let socket = try open("zmq_setsockopt(ZMQ_ROUTING_ID)")
        _ = try identity.withUnsafeBytes { bytes in
            try ZMQCall.check(zmq_setsockopt(socket, ZMQ_ROUTING_ID, bytes.baseAddress, bytes.count),
                              "zmq_setsockopt(ZMQ_ROUTING_ID)")
        }
    }

    public func bind(_ endpoint: String) throws {
        try ZMQCall.check(zmq_bind(try open("zmq_bind(\(endpoint))"), endpoint), "zmq_bind(\(endpoint))")
    }

    public func connect(_ endpoint: String) throws {
        try ZMQCall.check(zmq_connect(try open("zmq_connect(\(endpoint))"), endpoint), "zmq_connect(\(endpoint))")
    }

    /// The endpoint last bound, with the port the system chose for `tcp://host:*`.
    public func lastEndpoint() throws -> String {
        let socket = try open("zmq_getsockopt(ZMQ_LAST_ENDPOINT)")
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        try ZMQCall.check(zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, &buffer, &size), "zmq_getsockopt(ZMQ_LAST_ENDPOINT)")
        return String(cString: buffer)
    }

    /// Sends the frames as one multipart message. Each frame is copied once, into libzmq.
    public func send(_ frames: [[UInt8]]) throws {
        let socket = try open("zmq_send")
        for (index, frame) in frames.enumerated() {
            let flags = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            try frame.withUnsafeBytes { bytes in
                while true {
                    if zmq_send(socket, bytes.baseAddress, bytes.count, flags) != -1 { return }
                    let code = zmq_errno()
                    if code != EINTR { throw ZMQError(operation: "zmq_send", code: code) }
                }
            }
        }
    }

    /// The frames of the next message, or nil if none arrives within `timeoutMilliseconds`
    /// (-1 waits forever).
    public func receive(timeoutMilliseconds: Int) throws -> [[UInt8]]? {
        let socket = try open("zmq_poll")
        var item = zmq_pollitem_t(socket: socket, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        while true {
            let ready = zmq_poll(&item, 1, timeoutMilliseconds)
            if ready == -1, zmq_errno() == EINTR { continue }
            try ZMQCall.check(ready, "zmq_poll")
            if ready == 0 { return nil }
            break
        }
        var frames: [[UInt8]] = []
        var more = true
        while more {
            var message = zmq_msg_t()
            try ZMQCall.check(zmq_msg_init(&message), "zmq_msg_init")
            defer { zmq_msg_close(&message) }
            while zmq_msg_recv(&message, socket, 0) == -1 {
                let code = zmq_errno()
                if code != EINTR { throw ZMQError(operation: "zmq_msg_recv", code: code) }
            }
            let size = zmq_msg_size(&message)
            let data = zmq_msg_data(&message)
            frames.append([UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                if size > 0, let data { buffer.baseAddress!.update(from: data.assumingMemoryBound(to: UInt8.self), count: size) }
                count = size
            })
            more = zmq_msg_more(&message) == 1
        }
        return frames
    }
}
